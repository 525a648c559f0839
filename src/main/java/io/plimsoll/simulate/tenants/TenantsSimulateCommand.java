package io.plimsoll.simulate.tenants;

import io.plimsoll.engine.idle.Durations;
import io.plimsoll.engine.tenancy.Charges;
import io.plimsoll.simulate.InputException;
import io.plimsoll.simulate.Json;
import io.plimsoll.simulate.SimulateFlags;
import io.plimsoll.simulate.SimulateFlags.UsageError;
import io.plimsoll.simulate.TraceLoader;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code simulate tenants}: one seeded multi-tenant load ({@link TenantsLoad}) replayed under three policies
 * (no quotas, static quotas, Plimsoll's guarantees with borrowing and reclaim) through the operator's own rules
 * ({@link TenantsReplay}), with the goal checked.
 */
public final class TenantsSimulateCommand {
    public static final String USAGE = String.join("\n",
            "usage: simulate tenants [--nodes NODES.csv] [--pods PODS.csv] [--tenants 6] [--load 1.1] [--seed 42]",
            "         [--grace-period 30] [--hours 1] [--warmup 1h] [--burst 1h] [--max-runtime 4h]",
            "         [--guaranteed-fraction 0.9] [--worth MODEL=GPU_EQ,...] [--unlent 0] [--checkpointing 0] [--policies LIST]",
            "         [--json OUT.json]",
            "  --nodes / --pods: an openb node list and pod list (with creation_time, deletion_time); the defaults are",
            "    the full openb GPU node list and the default pod list, bundled in the jar;",
            "  --load: offered load as a multiple of the cluster's GPUs; --hours: measured time after --warmup;",
            "  --grace-period: seconds a preempted job has to stop; --burst: mean ON and OFF period of each tenant;",
            "  --policies: a comma-separated subset of no-quota,static-quota,plimsoll (the goal is checked with all three);",
            "  --unlent: share of each tenant's unused guarantee that plimsoll does not lend (kept free for its next work);",
            "  --checkpointing: share of the jobs (picked with the seed) that checkpoint on SIGTERM: preempted, they lose",
            "    nothing and resume where they were, and reclaim takes them first among equals;",
            "  --worth: GPU-equivalents of one device per GPU model (defaults: " + new TreeMap<>(TenantsLoad.DEFAULT_WORTH) + ").");

    private static final List<String> FLAGS = List.of("--nodes", "--pods", "--tenants", "--load", "--seed", "--grace-period",
            "--hours", "--warmup", "--burst", "--max-runtime", "--guaranteed-fraction", "--worth", "--unlent", "--checkpointing", "--policies", "--json");

    /** The share of unused guarantees Plimsoll keeps free (not lent) by default. */
    static final double DEFAULT_UNLENT = 0.0;

    public int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return execute(args, out);
        } catch (UsageError e) {
            err.println("simulate tenants: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (InputException e) {
            err.println("simulate tenants: " + e.describe());
            return 2;
        } catch (RuntimeException | OutOfMemoryError e) {
            err.println("simulate tenants: internal error: " + e);
            return 1;
        }
    }

    private int execute(String[] args, PrintStream out) throws UsageError, InputException {
        int start = 0;
        if (args.length > 0 && args[0].equals("simulate")) start++;
        if (args.length > start && args[start].equals("tenants")) start++;
        Map<String, String> o = SimulateFlags.parse(args, start, FLAGS);
        if (o == null) {
            out.println(USAGE);
            return 0;
        }
        int tenants = (int) number(o, "--tenants", 6);
        if (tenants < 4 || tenants > 8) throw new UsageError("argument '--tenants': " + tenants + " is out of range; use 4..8");
        double load = number(o, "--load", 1.1);
        if (!(load > 0) || load > 10) throw new UsageError("argument '--load': use a number in (0, 10]");
        long seed = (long) number(o, "--seed", 42);
        long grace = Math.round(number(o, "--grace-period", 30) * 1000);
        long hours = dur(o, "--hours", 3_600_000L, true);
        long warmup = dur(o, "--warmup", 3_600_000L, false);
        long burst = dur(o, "--burst", 3_600_000L, false);
        long maxRuntime = dur(o, "--max-runtime", 4 * 3_600_000L, false);
        double gf = number(o, "--guaranteed-fraction", 0.9);
        if (!(gf > 0) || gf > 1) throw new UsageError("argument '--guaranteed-fraction': use a number in (0, 1] (guarantees must not add up to more than the cluster)");
        if (burst <= 0 || maxRuntime <= 0 || hours <= 0) throw new UsageError("--hours, --burst and --max-runtime must be > 0");
        Map<String, Double> worth = worth(o.get("--worth"));
        double unlent = number(o, "--unlent", DEFAULT_UNLENT);
        if (unlent > 1) throw new UsageError("argument '--unlent': use a share in [0, 1]");
        double checkpointing = number(o, "--checkpointing", 0);
        if (!(checkpointing >= 0 && checkpointing <= 1)) throw new UsageError("argument '--checkpointing': use a share in [0, 1]");

        Path nodesFile = o.containsKey("--nodes") ? Path.of(o.get("--nodes")) : bundled("/bench/openb_node_list_gpu_node.csv.gz");
        Path podsFile = o.containsKey("--pods") ? Path.of(o.get("--pods")) : bundled("/tenants/openb_pod_list_default.csv.gz");
        List<TraceLoader.NodeSpec> nodes = TenantsLoad.loadNodes(nodesFile);
        int gpus = nodes.stream().mapToInt(TraceLoader.NodeSpec::gpus).sum();
        if (gpus == 0) throw new InputException(nodesFile.toString(), 0, "gpu", "the node list has no GPUs. Fix: use a node list with GPU nodes.");
        List<TenantsLoad.Task> tasks = TenantsLoad.loadTasks(podsFile, maxRuntime);
        TenantsReplay replay = new TenantsReplay(nodes, null, worth, grace, warmup, warmup + hours, unlent);
        double capacity = replay.capacityGpuEq();
        TenantsLoad generated = TenantsLoad.generate(tasks, tenants, gf, capacity, gpus, load, burst, warmup + hours, seed);

        out.printf(Locale.ROOT, "simulate tenants: %d nodes, %d GPUs = %.1f GPU-eq; %d tasks from %s; %d tenants, %d jobs over %s"
                        + " (warm-up %s not measured), offered load %.3f of the GPUs (asked %.2f), seed %d, grace period %ds%n",
                nodes.size(), gpus, capacity, tasks.size(), o.getOrDefault("--pods", "the bundled openb default pod list"),
                tenants, generated.jobs().size(), Durations.format(warmup + hours), Durations.format(warmup),
                generated.offeredLoad(), load, seed, grace / 1000);
        if (checkpointing > 0) out.printf(Locale.ROOT, "%.0f %% of the jobs checkpoint on SIGTERM (preempted, they lose nothing)%n", 100 * checkpointing);
        List<TenantsReplay.Result> results = new ArrayList<>();
        List<TenantsReplay.Policy> chosen = policies(o.get("--policies"));
        for (TenantsReplay.Policy p : chosen) {
            results.add(new TenantsReplay(nodes, generated, worth, grace, warmup, warmup + hours, unlent, checkpointing, seed).run(p));
        }

        out.printf(Locale.ROOT, "%-13s %11s %11s %10s %10s %9s %8s %7s%n", "policy", "allocation", "preemptions", "lost GPUh",
                "busy GPUh", "lost %", "pending", "secs");
        for (TenantsReplay.Result r : results) {
            out.printf(Locale.ROOT, "%-13s %10.2f%% %11d %10.1f %10.1f %8.2f%% %8d %7.1f%n", r.policy(), r.allocationPct(), r.preemptions(),
                    r.lostGpuHours(), r.busyGpuHours(), r.lostGpuHoursPct(), r.pendingAtEnd(), r.seconds());
        }
        out.printf(Locale.ROOT, "%-13s %-7s %10s %10s %10s %9s %9s %9s %8s %10s %10s %8s%n", "policy", "tenant", "guaranteed", "wait p50",
                "wait p99", "deficit", "reclaim50", "reclaim99", "deficits", "entitled50", "entitled99", "entitled");
        for (TenantsReplay.Result r : results) {
            for (TenantsReplay.TenantResult t : r.tenants()) {
                out.printf(Locale.ROOT, "%-13s %-7s %10.1f %9.0fs %9.0fs %8.2f%% %8.0fs %8.0fs %8d %9.0fs %9.0fs %8d%n", r.policy(),
                        t.tenant(), t.guaranteed(), t.waitP50Seconds(), t.waitP99Seconds(), t.deficitTimePct(), t.reclaimP50Seconds(),
                        t.reclaimP99Seconds(), t.deficits(), t.entitledWaitP50Seconds(), t.entitledWaitP99Seconds(), t.entitledWaits());
            }
        }
        Goal goal = chosen.size() == 3 ? goal(results, grace / 1000.0) : null;
        if (goal != null) out.println(goal.summary());
        if (o.containsKey("--json")) {
            Path jp = Path.of(o.get("--json"));
            try {
                Files.writeString(jp, json(grace, seed, load, checkpointing, generated, capacity, gpus, results, goal), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                throw new InputException(jp.toString(), 0, null, "cannot write JSON output: " + e.getMessage());
            }
        }
        return 0;
    }

    record Goal(double allocationGap, double worstReclaimP99, double worstDeficitPct, double lostPct, boolean allocationOk,
                boolean reclaimOk, boolean deficitOk, boolean lostOk) {
        boolean met() {
            return allocationOk && reclaimOk && deficitOk && lostOk;
        }

        String summary() {
            return String.format(Locale.ROOT, "goal: plimsoll allocation %.2f points %s no-quota (at most 2 below): %s; worst reclaim p99 %.0fs"
                            + " (<= grace + 30 s): %s; worst deficit time %.2f%% (<= 1%%): %s; lost GPU-hours %.2f%% of busy (<= 2%%): %s -> %s",
                    Math.abs(allocationGap), allocationGap > 0 ? "below" : "above", yes(allocationOk), worstReclaimP99, yes(reclaimOk), worstDeficitPct, yes(deficitOk), lostPct,
                    yes(lostOk), met() ? "MET" : "NOT MET");
        }

        private static String yes(boolean b) {
            return b ? "yes" : "NO";
        }
    }

    static Goal goal(List<TenantsReplay.Result> rs, double graceSeconds) {
        TenantsReplay.Result none = rs.get(0), pl = rs.get(2);
        double gap = none.allocationPct() - pl.allocationPct();
        double p99 = pl.tenants().stream().mapToDouble(TenantsReplay.TenantResult::reclaimP99Seconds).max().orElse(0);
        double def = pl.tenants().stream().mapToDouble(TenantsReplay.TenantResult::deficitTimePct).max().orElse(0);
        return new Goal(gap, p99, def, pl.lostGpuHoursPct(), gap <= 2, p99 <= graceSeconds + 30, def <= 1, pl.lostGpuHoursPct() <= 2);
    }

    private static String json(long grace, long seed, double load, double checkpointing, TenantsLoad generated, double capacity, int gpus,
                               List<TenantsReplay.Result> rs, Goal goal) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("gracePeriodSeconds", grace / 1000.0);
        doc.put("seed", seed);
        doc.put("load", load);
        doc.put("checkpointing", checkpointing);
        doc.put("offeredLoad", Json.fixed(generated.offeredLoad(), 4));
        doc.put("capacityGpuEq", Json.fixed(capacity, 2));
        doc.put("gpus", gpus);
        doc.put("jobs", generated.jobs().size());
        List<Object> policies = new ArrayList<>();
        for (TenantsReplay.Result r : rs) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("policy", r.policy());
            p.put("allocationPct", Json.fixed(r.allocationPct(), 3));
            p.put("preemptions", r.preemptions());
            p.put("lostGpuHoursPct", Json.fixed(r.lostGpuHoursPct(), 3));
            p.put("lostGpuHours", Json.fixed(r.lostGpuHours(), 3));
            p.put("busyGpuHours", Json.fixed(r.busyGpuHours(), 3));
            p.put("started", r.started());
            p.put("finished", r.finished());
            p.put("pendingAtEnd", r.pendingAtEnd());
            p.put("maxAboveGuaranteeGpuEq", Json.fixed(r.maxAboveGuaranteeGpuEq(), 3));
            p.put("reclaimTookWithinGuarantee", r.tookWithinGuarantee());
            List<Object> ts = new ArrayList<>();
            for (TenantsReplay.TenantResult t : r.tenants()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("tenant", t.tenant());
                m.put("guaranteed", Json.fixed(t.guaranteed(), 1));
                m.put("waitP50Seconds", Json.fixed(t.waitP50Seconds(), 1));
                m.put("waitP99Seconds", Json.fixed(t.waitP99Seconds(), 1));
                m.put("deficitTimePct", Json.fixed(t.deficitTimePct(), 3));
                m.put("reclaimP50Seconds", Json.fixed(t.reclaimP50Seconds(), 1));
                m.put("reclaimP99Seconds", Json.fixed(t.reclaimP99Seconds(), 1));
                m.put("deficits", t.deficits());
                m.put("maxUsedGpuEq", Json.fixed(t.maxUsedGpuEq(), 2));
                m.put("entitledWaitP50Seconds", Json.fixed(t.entitledWaitP50Seconds(), 1));
                m.put("entitledWaitP99Seconds", Json.fixed(t.entitledWaitP99Seconds(), 1));
                m.put("entitledWaits", t.entitledWaits());
                ts.add(m);
            }
            p.put("tenants", ts);
            policies.add(p);
        }
        doc.put("policies", policies);
        if (goal == null) return Json.write(doc, 3);
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("allocationGapPoints", Json.fixed(goal.allocationGap(), 3));
        g.put("worstReclaimP99Seconds", Json.fixed(goal.worstReclaimP99(), 1));
        g.put("worstDeficitTimePct", Json.fixed(goal.worstDeficitPct(), 3));
        g.put("lostGpuHoursPct", Json.fixed(goal.lostPct(), 3));
        g.put("met", goal.met());
        doc.put("goal", g);
        return Json.write(doc, 3);
    }

    private static List<TenantsReplay.Policy> policies(String v) throws UsageError {
        if (v == null) return List.of(TenantsReplay.Policy.values());
        List<TenantsReplay.Policy> out = new ArrayList<>();
        for (TenantsReplay.Policy p : TenantsReplay.Policy.values()) {
            if (List.of(v.split(",")).stream().map(String::trim).anyMatch(p.label::equals)) out.add(p);
        }
        for (String x : v.split(",")) {
            if (out.stream().noneMatch(p -> p.label.equals(x.trim()))) {
                throw new UsageError("argument '--policies': '" + x.trim() + "' is not one of no-quota, static-quota, plimsoll");
            }
        }
        return out;
    }

    private static Map<String, Double> worth(String v) throws UsageError {
        Map<String, Double> w = new HashMap<>(TenantsLoad.DEFAULT_WORTH);
        if (v == null) return w;
        for (String part : v.split(",")) {
            String[] kv = part.split("=", 2);
            try {
                if (kv.length != 2 || kv[0].isBlank()) throw new NumberFormatException();
                w.put(kv[0].trim(), Double.parseDouble(kv[1].trim()));
            } catch (NumberFormatException e) {
                throw new UsageError("argument '--worth': '" + part + "' is not MODEL=GPU_EQ (e.g. T4=0.15)");
            }
        }
        try {
            new Charges(w);
        } catch (IllegalArgumentException e) {
            throw new UsageError("argument '--worth': " + e.getMessage());
        }
        return w;
    }

    private static double number(Map<String, String> o, String k, double def) throws UsageError {
        return SimulateFlags.number(o, k, def);
    }

    /** A duration flag; {@code hours}: a bare number is hours (--hours 6). */
    private static long dur(Map<String, String> o, String k, long def, boolean hours) throws UsageError {
        String v = o.get(k);
        if (v == null) return def;
        try {
            if (hours && v.trim().matches("[0-9]+(\\.[0-9]+)?")) return Math.round(Double.parseDouble(v.trim()) * 3_600_000L);
        } catch (NumberFormatException e) {
            throw new UsageError("argument '" + k + "': not a number of hours: '" + v + "'");
        }
        return SimulateFlags.duration(o, k, def);
    }

    /** A bundled trace file, copied out of the jar to a temporary file (the trace reader reads files). */
    private static Path bundled(String resource) throws InputException {
        try (InputStream in = TenantsSimulateCommand.class.getResourceAsStream(resource)) {
            if (in == null) throw new InputException(resource, 0, null, "not on the classpath: rebuild with ./mvnw package, or pass --nodes/--pods");
            Path tmp = Files.createTempFile("plimsoll-tenants-", "-" + Path.of(resource).getFileName());
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (IOException e) {
            throw new InputException(resource, 0, null, "cannot read the bundled file: " + e.getMessage());
        }
    }
}
