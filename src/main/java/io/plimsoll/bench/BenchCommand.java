package io.plimsoll.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.TenantSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.plimsoll.engine.packing.TaskShape;
import io.plimsoll.metrics.PlimsollMetrics;
import io.plimsoll.reconciler.Controllers;
import io.plimsoll.sandbox.SampleLoader;
import io.plimsoll.sandbox.SimulatedKubelet;
import io.plimsoll.simulate.InputException;
import io.plimsoll.simulate.TraceLoader;
import io.plimsoll.simulate.TraceLoader.NodeSpec;
import io.plimsoll.snapshot.ClusterSnapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code bench}: loads a cluster from an openb node list as Node objects, applies AIWorkloads shaped like the
 * trace's pods, runs the real operator in-process against the API (embedded or a kubeconfig's) with a simulated
 * kubelet, and reports how long until every workload settled, pods bound per second, placement decision latency,
 * the operator's API requests per placement and the JVM's peak heap.
 */
public final class BenchCommand {
    public static final int EXIT_OK = 0;
    /** Not every workload settled before the timeout (the figures are still reported). */
    public static final int EXIT_UNSETTLED = 1;
    public static final int EXIT_BAD_INPUT = 2;
    static final String NAMESPACE = "plimsoll-bench";
    static final String DEFAULT_NODES = "openb_node_list_gpu_node.csv.gz";
    static final String DEFAULT_PODS = "openb_pod_list_default.csv.gz";
    /** Concurrent create requests when seeding nodes and applying workloads. */
    static final int CREATE_THREADS = 4;
    /** Decisions timed one at a time after the run (see {@link IsolatedDecisions}), unless --isolated-decisions says. */
    static final int ISOLATED_SAMPLES = 200;
    /** The most --isolated-decisions takes (each rebuilds part of the snapshot and places one workload). */
    static final int MAX_ISOLATED_SAMPLES = 100_000;

    static final String USAGE = """
            usage: plimsoll bench [--nodes NODES.csv] [--pods PODS.csv] [--workloads N] [--node-count M | --repeat-nodes K]
                                  [--api embedded|kubeconfig] [--json OUT.json] [--timeout SECONDS] [--seed S]
                                  [--tenants K] [--without-operator] [--isolated-decisions D]
              --nodes FILE       openb node list (sn,cpu_milli,memory_mib,gpu,model; .csv or .csv.gz). Default: the bundled
                                 copy of openb_node_list_gpu_node.csv (1,213 GPU nodes)
              --pods FILE        openb pod list (name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec]). Default: the bundled
                                 copy of openb_pod_list_default.csv (8,152 pods)
              --workloads N      AIWorkloads to apply (default 1000); the pod list is shuffled with the seed and reused when short
              --node-count M     repeat the node list until M nodes (the last copy cut short); default: the list as it is
              --repeat-nodes K   repeat the node list K times
              --api MODE         embedded (default): an in-process API server; kubeconfig: $KUBECONFIG or ~/.kube/config,
                                 which must have no nodes (the bench makes fake ones); CRDs are created if missing
              --json FILE        write the figures as JSON
              --timeout SECONDS  how long to wait for every workload to settle (default 300)
              --seed S           shuffle and gang draw (default 42)
              --tenants K        spread the workloads over K namespaces, each a Tenant guaranteed an equal share of 90 %
                                 of the GPUs (at most 50): admission, borrowing and the tenant ledger run as with tenants
              --without-operator only apply the workloads, with no operator running: how fast this API server takes
                                 them in, the bound on pods per second for any operator on this machine
              --isolated-decisions D  decisions timed one at a time after the run (default 200, at most 100,000; the
                                 applied workloads in turn, again from the first when D is more): a steadier p99
            Exit status: 0 all settled, 1 timed out (figures still reported), 2 bad input.
            """;

    private BenchCommand() {}

    /** Parsed options. */
    record Options(Path nodes, Path pods, int workloads, int nodeCount, int repeat, String api, Path json,
                   int timeoutSeconds, long seed, boolean withoutOperator, int tenants, int isolatedDecisions) {
        Options(Path nodes, Path pods, int workloads, int nodeCount, int repeat, String api, Path json, int timeoutSeconds, long seed) {
            this(nodes, pods, workloads, nodeCount, repeat, api, json, timeoutSeconds, seed, false, 0, ISOLATED_SAMPLES);
        }

        /** The namespace of the i-th workload: one per tenant, round robin, or the bench's one namespace. */
        String namespaceOf(int i) {
            return tenants == 0 ? NAMESPACE : NAMESPACE + "-t" + (i % tenants);
        }
    }

    /** At most this many tenants (each is a namespace, a Tenant and its share of the guarantees). */
    static final int MAX_TENANTS = 50;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("plimsoll bench: " + e.getMessage());
            err.print(USAGE);
            return EXIT_BAD_INPUT;
        }
        if (o == null) {
            out.print(USAGE);
            return EXIT_OK;
        }
        List<NodeSpec> nodeList;
        List<TaskShape> podList;
        String nodesName, podsName;
        try {
            nodesName = o.nodes() == null ? "bundled " + DEFAULT_NODES : o.nodes().toString();
            podsName = o.pods() == null ? "bundled " + DEFAULT_PODS : o.pods().toString();
            nodeList = TraceLoader.loadNodes(o.nodes() == null ? bundled(DEFAULT_NODES) : o.nodes());
            podList = TraceLoader.loadPods(o.pods() == null ? bundled(DEFAULT_PODS) : o.pods(), TraceLoader.acceptedModels(nodeList));
        } catch (InputException e) {
            err.println("plimsoll bench: " + e.describe());
            return EXIT_BAD_INPUT;
        } catch (IOException e) {
            err.println("plimsoll bench: cannot read the bundled trace: " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
        int count = o.repeat() > 0 ? o.repeat() * nodeList.size() : o.nodeCount();
        BenchCluster cluster = BenchCluster.of(nodeList, count);
        BenchWorkloads.Batch batch = BenchWorkloads.make(podList, o.workloads(), o.seed(), o::namespaceOf);
        try {
            Map<String, Object> result = new Bench(o, cluster, batch, nodesName, podsName, out, err).run();
            out.print(table(result));
            if (o.json() != null) {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(o.json().toFile(), result);
                out.println("JSON written to " + o.json());
            }
            return Boolean.TRUE.equals(result.get("settled")) ? EXIT_OK : EXIT_UNSETTLED;
        } catch (IOException e) {
            err.println("plimsoll bench: " + e.getMessage());
            return EXIT_BAD_INPUT;
        } catch (IllegalStateException e) {
            err.println("plimsoll bench: " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
    }

    static Options parse(String[] args) {
        Path nodes = null, pods = null, json = null;
        int workloads = 1000, nodeCount = 0, repeat = 0, timeout = 300;
        long seed = 42;
        String api = "embedded";
        boolean withoutOperator = false;
        int tenants = 0, isolated = ISOLATED_SAMPLES;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    return null;
                }
                case "--nodes" -> nodes = Path.of(value(args, ++i, a));
                case "--pods" -> pods = Path.of(value(args, ++i, a));
                case "--json" -> json = Path.of(value(args, ++i, a));
                case "--workloads" -> workloads = positive(value(args, ++i, a), a);
                case "--node-count" -> nodeCount = positive(value(args, ++i, a), a);
                case "--repeat-nodes" -> repeat = positive(value(args, ++i, a), a);
                case "--timeout" -> timeout = positive(value(args, ++i, a), a);
                case "--seed" -> {
                    String v = value(args, ++i, a);
                    try {
                        seed = Long.parseLong(v);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--seed '" + v + "' is not a whole number");
                    }
                }
                case "--without-operator" -> withoutOperator = true;
                case "--isolated-decisions" -> {
                    isolated = positive(value(args, ++i, a), a);
                    if (isolated > MAX_ISOLATED_SAMPLES) {
                        throw new IllegalArgumentException("--isolated-decisions " + isolated + " is more than " + MAX_ISOLATED_SAMPLES);
                    }
                }
                case "--tenants" -> {
                    tenants = positive(value(args, ++i, a), a);
                    if (tenants > MAX_TENANTS) throw new IllegalArgumentException("--tenants " + tenants + " is more than " + MAX_TENANTS);
                }
                case "--api" -> {
                    api = value(args, ++i, a);
                    if (!api.equals("embedded") && !api.equals("kubeconfig")) {
                        throw new IllegalArgumentException("--api '" + api + "': use embedded or kubeconfig");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + a + "'");
            }
        }
        if (nodeCount > 0 && repeat > 0) throw new IllegalArgumentException("give --node-count or --repeat-nodes, not both");
        return new Options(nodes, pods, workloads, nodeCount, repeat, api, json, timeout, seed, withoutOperator, tenants, isolated);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value");
        return args[i];
    }

    private static int positive(String v, String flag) {
        try {
            int n = Integer.parseInt(v);
            if (n > 0) return n;
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(flag + " '" + v + "' is not a positive whole number");
    }

    static final String TENANT_LABEL = "plimsoll.io/bench-tenant";

    /**
     * {@code count} Tenants, t0..t(count-1), each selecting its own namespace, guaranteed an equal share of 90 % of
     * the cluster's GPU-equivalents (every bench pool counts 1.0 per device) and limited to all of it, so that
     * admission, borrowing and the ledger run as they do for a cluster with tenants.
     */
    static List<Tenant> tenants(int count, int gpus) {
        List<Tenant> out = new java.util.ArrayList<>();
        for (int t = 0; t < count; t++) {
            TenantSpec spec = new TenantSpec();
            spec.setNamespaceSelector(new io.fabric8.kubernetes.api.model.LabelSelectorBuilder().addToMatchLabels(TENANT_LABEL, "t" + t).build());
            spec.setGuaranteed(new io.plimsoll.api.TenantQuota(Math.floor(0.9 * gpus / count), null));
            spec.setLimit(new io.plimsoll.api.TenantQuota((double) gpus, null));
            Tenant tenant = new Tenant();
            tenant.setMetadata(new ObjectMetaBuilder().withName("bench-t" + t).build());
            tenant.setSpec(spec);
            out.add(tenant);
        }
        return out;
    }

    /** A bundled trace file, copied out of the jar to a temporary file (the trace reader reads files). */
    private static Path bundled(String name) throws IOException {
        try (InputStream in = BenchCommand.class.getResourceAsStream("/bench/" + name)) {
            if (in == null) throw new IOException("/bench/" + name + " is not on the classpath: rebuild with ./mvnw package");
            Path tmp = Files.createTempFile("plimsoll-bench-", "-" + name);
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        }
    }

    /** One run: seed the API, start the operator, apply the workloads, wait, measure. */
    private static final class Bench {
        private final Options o;
        private final BenchCluster cluster;
        private final BenchWorkloads.Batch batch;
        private final String nodesName, podsName;
        private final PrintStream out, err;
        private double loadBefore;
        private double cpuSeconds;
        private int applied;
        private IsolatedDecisions.Figures isolated;

        Bench(Options o, BenchCluster cluster, BenchWorkloads.Batch batch, String nodesName, String podsName, PrintStream out, PrintStream err) {
            this.o = o;
            this.cluster = cluster;
            this.batch = batch;
            this.nodesName = nodesName;
            this.podsName = podsName;
            this.out = out;
            this.err = err;
        }

        Map<String, Object> run() throws IOException {
            out.printf(Locale.ROOT, "Plimsoll bench: %,d nodes from %s, %,d workloads from %s (seed %d), API %s%n",
                    cluster.nodeSpecs().size(), nodesName, batch.workloads().size(), podsName, o.seed(), o.api());
            out.println("Workloads: " + batch.mix().describe());
            if (cluster.cpuNodes() == 0 && batch.mix().optimization() > 0) {
                out.printf(Locale.ROOT, "Note: the node list has no GPU-less node, so there is no CPU pool: the %,d CPU-only "
                        + "(Optimization) workloads stay Pending (Plimsoll keeps CPU-only work off accelerator pools).%n", batch.mix().optimization());
            }
            out.print("Pools (Fractional GPU sharing, nvidia.com/gpu; made-up costs):\n" + cluster.describePools());
            ExecutorService pool = Executors.newFixedThreadPool(CREATE_THREADS);
            try (BenchApi api = "kubeconfig".equals(o.api()) ? BenchApi.kubeconfig() : BenchApi.embedded();
                 HeapWatch heap = new HeapWatch()) {
                out.println("API server: " + api.url());
                return measure(api, heap, pool);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            } finally {
                pool.shutdownNow();
            }
        }

        private Map<String, Object> measure(BenchApi api, HeapWatch heap, ExecutorService pool) throws InterruptedException {
            KubernetesClient admin = api.admin();
            long t0 = System.nanoTime();
            if (o.tenants() == 0) api.prepareNamespace(NAMESPACE);
            for (int t = 0; t < o.tenants(); t++) api.prepareNamespace(o.namespaceOf(t), Map.of(TENANT_LABEL, "t" + t));
            parallel(pool, cluster.nodeSpecs(), s -> createNode(admin, BenchCluster.node(s), api.nodeStatusViaSubresource()), Long.MAX_VALUE);
            for (AcceleratorPool p : cluster.pools()) admin.resource(p).create();
            // The policy the samples ship (deploy/samples/policy.yaml): BestFit for Training and Optimization, the
            // Plimsoll packing strategy for Inference, sharing allowed for Inference.
            PlacementPolicy policy = (PlacementPolicy) SampleLoader.load("policy.yaml").get(0);
            if (admin.resources(PlacementPolicy.class).withName(policy.getMetadata().getName()).get() == null) admin.resource(policy).create();
            for (Tenant t : tenants(o.tenants(), cluster.gpus())) admin.resource(t).create();
            out.printf(Locale.ROOT, "Seeded %,d nodes and %d pools%s in %.1f s%n", cluster.nodeSpecs().size(), cluster.pools().size(),
                    o.tenants() == 0 ? "" : String.format(Locale.ROOT, ", %d tenants (a namespace each)", o.tenants()), secondsSince(t0));

            if (o.withoutOperator()) return intakeOnly(api, admin, pool);
            SimpleMeterRegistry registry = registry();
            ClusterSnapshot snapshot = new ClusterSnapshot(api.operatorClient());
            Operator operator = new Operator(c -> c.withKubernetesClient(api.operatorClient()).withCloseClientOnStop(false)
                    .withUseSSAToPatchPrimaryResource(false));
            Controllers.register(operator, api.operatorClient(), snapshot, new PlimsollMetrics(registry), null);
            long t1 = System.nanoTime();
            operator.start();
            boolean stopped = false;
            try (SimulatedKubelet kubelet = new SimulatedKubelet(admin);
                 SettleWatch watch = new SettleWatch(admin, o.tenants() == 0 ? NAMESPACE : null, batch.workloads().size())) {
                awaitPools(admin);
                out.printf(Locale.ROOT, "Operator started and pools reconciled in %.1f s%n", secondsSince(t1));

                System.gc();
                loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
                long cpuBefore = processCpuNanos();
                heap.start();
                api.requests().counting(true);
                api.harnessRequests().counting(true);
                long start = System.nanoTime();
                long deadline = start + TimeUnit.SECONDS.toNanos(o.timeoutSeconds());
                // Applying stops at the deadline too: a slow API server gets a report of how far it got.
                applied = parallel(pool, batch.workloads(), w -> admin.resource(w).create(), deadline);
                double creating = secondsSince(start);
                out.printf(Locale.ROOT, "Applied %,d workloads in %.1f s%n", applied, creating);
                long settledAt;
                while ((settledAt = watch.awaitAllSettled(Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(5)))) < 0
                        && System.nanoTime() < deadline) {
                    SettleWatch.Tally t = watch.tally();
                    err.printf(Locale.ROOT, "  %.0f s: %,d bound, %,d pending, %,d not settled%n", secondsSince(start), t.bound(), t.pending(), t.unsettled());
                }
                api.requests().counting(false);
                api.harnessRequests().counting(false);
                heap.stop();
                cpuSeconds = (processCpuNanos() - cpuBefore) / 1e9;
                double seconds = settledAt < 0 ? secondsSince(start) : (settledAt - start) / 1e9;
                SettleWatch.Tally tally = watch.tally();
                operator.stop();
                stopped = true;
                isolated = IsolatedDecisions.measure(snapshot, batch.workloads().subList(0, applied), o.isolatedDecisions());
                return result(api, registry, heap, tally, settledAt >= 0, seconds, creating);
            } finally {
                if (!stopped) operator.stop();
                snapshot.stop();
            }
        }

        /** Applies the workloads with no operator running: the API server's intake on this machine, nothing else. */
        private Map<String, Object> intakeOnly(BenchApi api, KubernetesClient admin, ExecutorService pool) throws InterruptedException {
            long start = System.nanoTime();
            long cpuBefore = processCpuNanos();
            applied = parallel(pool, batch.workloads(), w -> admin.resource(w).create(), start + TimeUnit.SECONDS.toNanos(o.timeoutSeconds()));
            double seconds = secondsSince(start);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("workloads", batch.workloads().size());
            r.put("nodes", cluster.nodeSpecs().size());
            r.put("api", api.mode());
            r.put("tenants", o.tenants());
            r.put("withoutOperator", true);
            r.put("applied", applied);
            r.put("settled", applied == batch.workloads().size());
            r.put("applySeconds", round(seconds, 2));
            r.put("appliedPerSecond", round(applied / Math.max(1e-9, seconds), 1));
            r.put("cpuSeconds", round((processCpuNanos() - cpuBefore) / 1e9, 1));
            return r;
        }

        private void awaitPools(KubernetesClient admin) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            Map<String, Long> members = new LinkedHashMap<>();
            for (AcceleratorPool p : cluster.pools()) {
                String name = p.getMetadata().getName();
                members.put(name, cluster.nodeSpecs().stream()
                        .filter(n -> BenchCluster.poolName(n.gpus() == 0 ? "" : n.model()).equals(name)).count());
            }
            while (System.nanoTime() < deadline) {
                boolean ready = admin.resources(AcceleratorPool.class).list().getItems().stream().allMatch(p -> p.getStatus() != null
                        && p.getStatus().getNodeCount() != null
                        && p.getStatus().getNodeCount().longValue() == members.getOrDefault(p.getMetadata().getName(), -1L));
                if (ready) return;
                Thread.sleep(200);
            }
            err.println("plimsoll bench: warning: pool status did not show every node within 120 s; going on");
        }

        private Map<String, Object> result(BenchApi api, SimpleMeterRegistry registry, HeapWatch heap, SettleWatch.Tally t,
                                           boolean settled, double seconds, double creating) {
            Timer timer = registry.find("plimsoll.placement.duration").timer();
            HistogramSnapshot h = timer == null ? null : timer.takeSnapshot();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("workloads", batch.workloads().size());
            r.put("nodes", cluster.nodeSpecs().size());
            r.put("api", api.mode());
            r.put("tenants", o.tenants());
            r.put("applied", applied);
            r.put("settled", settled);
            r.put("bound", t.bound());
            r.put("pending", t.pending());
            r.put("failed", t.failed());
            r.put("unsettled", t.unsettled());
            r.put("podsBound", t.podsBound());
            r.put("secondsToAllSettled", settled ? round(seconds, 2) : null);
            r.put("secondsElapsed", round(seconds, 2));
            r.put("secondsApplying", round(creating, 2));
            r.put("podsPerSecond", round(t.podsBound() / seconds, 1));
            // CPU this JVM used from the first create until all settled (or the timeout): operator, simulated kubelet,
            // the bench's watch and, with the embedded API, the API server. Less sensitive to other load than time.
            r.put("cpuSeconds", round(cpuSeconds, 1));
            r.put("decisions", h == null ? 0 : h.count());
            r.put("decisionP50Ms", percentile(h, 0.5));
            r.put("decisionP99Ms", percentile(h, 0.99));
            r.put("decisionMaxMs", h == null ? null : round(h.max(TimeUnit.MILLISECONDS), 3));
            r.put("decisionMeanMs", h == null ? null : round(h.mean(TimeUnit.MILLISECONDS), 3));
            Timer cpuTimer = registry.find("plimsoll.placement.cpu").timer();
            HistogramSnapshot cpu = cpuTimer == null || cpuTimer.count() == 0 ? null : cpuTimer.takeSnapshot();
            // The same decisions in CPU time of the loop's thread: their cost, without waits for the lock or a core.
            r.put("decisionCpuP50Ms", percentile(cpu, 0.5));
            r.put("decisionCpuP99Ms", percentile(cpu, 0.99));
            r.put("isolatedDecisionP50Ms", isolated.p50Ms());
            r.put("isolatedDecisionP99Ms", isolated.p99Ms());
            r.put("isolatedDecisionMaxMs", isolated.maxMs());
            r.put("isolatedDecisions", isolated.samples());
            r.put("isolatedDecisionsPlaced", isolated.placed());
            long requests = api.requests().total();
            r.put("apiRequests", requests);
            r.put("apiRequestsPerPlacement", t.podsBound() == 0 ? null : round((double) requests / t.podsBound(), 2));
            r.put("apiRequestsByMethod", api.requests().byMethod());
            r.put("apiRequestsByResource", api.requests().byResource());
            r.put("harnessApiRequests", api.harnessRequests().total());
            r.put("harnessApiRequestsByResource", api.harnessRequests().byResource());
            r.put("heapPeakMiB", round(heap.peakBytes() / 1048576.0, 1));
            r.put("heapAfterGcMaxMiB", round(heap.afterGcMaxBytes() / 1048576.0, 1));
            r.put("heapMaxMiB", round(HeapWatch.maxBytes() / 1048576.0, 1));
            r.put("gcSeconds", round(heap.gcSeconds(), 2));
            r.put("mix", new LinkedHashMap<>(batch.mix().asMap()));
            r.put("pendingReasons", t.reasons());
            // Preemptions (each victim workload of each plan, as the operator's metric counts them) and how many distinct
            // workloads they hit: the difference is work preempted again after it was placed again.
            r.put("preemptions", (long) counted(registry, "plimsoll.tenant.preemptions"));
            r.put("workloadsPreempted", t.preempted());
            r.put("gpuHoursLostToPreemption", round(counted(registry, "plimsoll.tenant.preempted.gpu.hours"), 2));
            r.put("seed", o.seed());
            r.put("nodesFile", nodesName);
            r.put("podsFile", podsName);
            r.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            r.put("cores", Runtime.getRuntime().availableProcessors());
            r.put("jvmArgs", ManagementFactory.getRuntimeMXBean().getInputArguments());
            // Other processes on the machine slow the run down: the 1-minute load average before and after says how busy it was.
            r.put("loadAverageBefore", round(loadBefore, 2));
            r.put("loadAverageAfter", round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), 2));
            return r;
        }
    }

    /** The sum of a counter over all its tags (every tenant and reason); 0 when it was never counted. */
    private static double counted(SimpleMeterRegistry registry, String name) {
        return registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    /** A SimpleMeterRegistry that keeps p50 and p99 of the placement timers over the whole run, to 3 significant digits. */
    static SimpleMeterRegistry registry() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!id.getName().equals("plimsoll.placement.duration") && !id.getName().equals("plimsoll.placement.cpu")) return config;
                return DistributionStatisticConfig.builder().percentiles(0.5, 0.99).percentilePrecision(3)
                        .expiry(Duration.ofDays(1)).bufferLength(1).build().merge(config);
            }
        });
        return registry;
    }

    private static Double percentile(HistogramSnapshot h, double p) {
        if (h == null || h.count() == 0) return null;
        for (ValueAtPercentile v : h.percentileValues()) if (v.percentile() == p) return round(v.value(TimeUnit.MILLISECONDS), 3);
        return null;
    }

    /** Creates the node; on a real API server its status (dropped on create) is written through nodes/status. */
    static void createNode(KubernetesClient admin, Node node, boolean statusSubresource) {
        NodeStatus status = node.getStatus();
        Node made = admin.nodes().resource(node).create();
        if (statusSubresource && status != null) {
            made.setStatus(status);
            admin.nodes().resource(made).updateStatus();
        }
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
    }

    /** Runs the action on every item, {@value #CREATE_THREADS} at a time, until the deadline; returns how many it ran. */
    private static <T> int parallel(ExecutorService pool, List<T> items, Consumer<T> action, long deadlineNanos) throws InterruptedException {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < CREATE_THREADS; t++) {
            done.add(pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < items.size() && System.nanoTime() < deadlineNanos; ran.incrementAndGet()) {
                    action.accept(items.get(i));
                }
            }));
        }
        for (Future<?> f : done) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            }
        }
        return ran.get();
    }

    private static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** The human summary. */
    static String table(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder("\n");
        if (Boolean.TRUE.equals(r.get("withoutOperator"))) {
            row(sb, "workloads / nodes / API", String.format(Locale.ROOT, "%,d (%,d applied) / %,d / %s, no operator", r.get("workloads"),
                    r.get("applied"), r.get("nodes"), r.get("api")));
            row(sb, "applying took", String.format(Locale.ROOT, "%s s: %s workloads per second (this JVM used %s CPU-seconds)",
                    r.get("applySeconds"), r.get("appliedPerSecond"), r.get("cpuSeconds")));
            return sb.toString();
        }
        row(sb, "workloads / nodes / API", String.format(Locale.ROOT, "%,d (%,d applied) / %,d / %s", r.get("workloads"), r.get("applied"),
                r.get("nodes"), r.get("api")));
        row(sb, "bound / pending / failed", String.format(Locale.ROOT, "%,d / %,d / %,d workloads (%,d pods bound)",
                r.get("bound"), r.get("pending"), r.get("failed"), r.get("podsBound")));
        row(sb, "time until all settled", r.get("secondsToAllSettled") == null
                ? String.format(Locale.ROOT, "NOT SETTLED: %,d workloads still unsettled after %s s", r.get("unsettled"), r.get("secondsElapsed"))
                : r.get("secondsToAllSettled") + " s (applying took " + r.get("secondsApplying") + " s)");
        row(sb, "pods bound per second", r.get("podsPerSecond") + " (this JVM used " + r.get("cpuSeconds") + " CPU-seconds meanwhile)");
        row(sb, "decision latency (timer)", String.format(Locale.ROOT, "p50 %s ms, p99 %s ms, max %s ms (%,d decisions)",
                r.get("decisionP50Ms"), r.get("decisionP99Ms"), r.get("decisionMaxMs"), r.get("decisions")));
        row(sb, "decision CPU time (timer)", String.format(Locale.ROOT, "p50 %s ms, p99 %s ms (the same decisions, CPU time of the loop's thread)",
                r.get("decisionCpuP50Ms"), r.get("decisionCpuP99Ms")));
        row(sb, "decision alone, after run", String.format(Locale.ROOT, "p50 %s ms, p99 %s ms, max %s ms (%d one at a time after a cluster "
                + "change, %d placed)", r.get("isolatedDecisionP50Ms"), r.get("isolatedDecisionP99Ms"), r.get("isolatedDecisionMaxMs"),
                r.get("isolatedDecisions"), r.get("isolatedDecisionsPlaced")));
        row(sb, "API requests per placement", r.get("apiRequestsPerPlacement") + " (" + r.get("apiRequests") + " requests: "
                + r.get("apiRequestsByMethod") + ")");
        row(sb, "  by resource", String.valueOf(r.get("apiRequestsByResource")));
        row(sb, "the bench's own requests", r.get("harnessApiRequests") + " (applying, simulated kubelet, watches): "
                + r.get("harnessApiRequestsByResource"));
        if (((Number) r.get("preemptions")).longValue() > 0) {
            row(sb, "preemptions", String.format(Locale.ROOT, "%,d of %,d distinct workloads (%s GPU-eq hours of work lost)",
                    r.get("preemptions"), r.get("workloadsPreempted"), r.get("gpuHoursLostToPreemption")));
        }
        row(sb, "machine load (1 min avg)", r.get("loadAverageBefore") + " before, " + r.get("loadAverageAfter") + " after, on "
                + r.get("cores") + " cores");
        row(sb, "peak heap", r.get("heapPeakMiB") + " MiB (largest after GC " + r.get("heapAfterGcMaxMiB") + " MiB; max heap "
                + r.get("heapMaxMiB") + " MiB; " + r.get("gcSeconds") + " s in GC)");
        @SuppressWarnings("unchecked")
        Map<String, Integer> reasons = (Map<String, Integer>) r.get("pendingReasons");
        if (!reasons.isEmpty()) {
            sb.append("Commonest reasons for pending (phase | pool: reason, numbers as #):\n");
            reasons.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%,7d  %s%n", v,
                    k.length() > 220 ? k.substring(0, 217) + "..." : k)));
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String label, String value) {
        sb.append(String.format(Locale.ROOT, "%-28s %s%n", label, value));
    }
}
