package io.plimsoll.simulate.tenants;

import io.plimsoll.engine.tenancy.TenantQuota;
import io.plimsoll.simulate.CsvFile;
import io.plimsoll.simulate.InputException;
import io.plimsoll.simulate.TraceLoader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The multi-tenant load {@code simulate tenants} replays, generated from a seed:
 * <ul>
 * <li><b>Tasks</b>: the openb pod list's GPU tasks that were scheduled (CPU-only and never-scheduled rows are left
 * out), each with its shape (CPU, memory, whole GPUs or a share of one, GPU model constraint), a priority from its
 * QoS class (LS and Guaranteed 2, Burstable 1, BE 0) and its run time from the trace, {@code deletion_time -
 * creation_time}, at least 1 s and at most {@code maxRuntime} (pods still running at the end of the trace are counted
 * with the time they had run).</li>
 * <li><b>Tenants</b>: N (default 6) named team-a, team-b, ...; tenant i (1-based) is guaranteed
 * {@code guaranteedFraction x capacity x (N + 1 - i) / (1 + ... + N)} GPU-equivalents, so the guarantees sum to
 * {@code guaranteedFraction} of the capacity; weights cycle 1, 2, 1, 3, 2, 1, 4, 1; the limit is the capacity.</li>
 * <li><b>Arrivals</b>: each tenant offers load in proportion to its guarantee. It alternates ON and OFF periods, each
 * exponential with mean {@code burst} (its first period ON or OFF at random); while ON it submits Poisson arrivals at
 * twice its mean rate, each a task drawn uniformly from the tasks. The mean rates make the offered load, in GPUs
 * requested x run time, {@code load} x the cluster's GPUs (time compression: the trace's own arrival times are not
 * used, only its shapes and run times).</li>
 * </ul>
 */
public final class TenantsLoad {
    /** One task shape of the trace with its run time. */
    public record Task(String name, int cpuMilli, long memMib, int gpus, int gpuMilli, String spec, int priority, long runMillis) {
        /** GPUs held: whole devices, or the share of one. */
        public double devices() {
            return gpuMilli < 1000 && gpus == 1 ? gpuMilli / 1000.0 : gpus;
        }

        /** Tasks of one key are interchangeable for placement. */
        public String shapeKey() {
            return cpuMilli + "/" + memMib + "/" + gpus + "/" + gpuMilli + "/" + spec;
        }
    }

    public record Tenant(String name, TenantQuota quota, double offeredShare) {}

    public record Job(int id, int tenant, Task task, long arrivalMillis) {}

    private static final int[] WEIGHTS = {1, 2, 1, 3, 2, 1, 4, 1};

    private final List<Tenant> tenants;
    private final List<Job> jobs;
    private final double offeredLoad;

    private TenantsLoad(List<Tenant> tenants, List<Job> jobs, double offeredLoad) {
        this.tenants = tenants;
        this.jobs = jobs;
        this.offeredLoad = offeredLoad;
    }

    /** A load made by hand (jobs numbered 0.. in order), e.g. a test's few jobs; its offered load is not computed. */
    static TenantsLoad of(List<Tenant> tenants, List<Job> jobs) {
        for (int i = 0; i < jobs.size(); i++) {
            if (jobs.get(i).id() != i) throw new IllegalArgumentException("job " + i + " has id " + jobs.get(i).id());
        }
        return new TenantsLoad(List.copyOf(tenants), List.copyOf(jobs), 0);
    }

    public List<Tenant> tenants() { return tenants; }
    public List<Job> jobs() { return jobs; }
    /** The offered load the jobs actually make (GPU-seconds requested over GPU-seconds of the run). */
    public double offeredLoad() { return offeredLoad; }

    /** The scheduled GPU tasks of an openb pod list, with their run times. */
    public static List<Task> loadTasks(Path file, long maxRuntimeMillis) throws InputException {
        List<Task> out = new ArrayList<>();
        CsvFile.read(file, List.of("name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "creation_time", "deletion_time"), csv -> {
            int n = csv.nonNegInt("num_gpu");
            if (n == 0 || (csv.has("scheduled_time") && csv.str("scheduled_time").isEmpty())) return;
            if (n > 64) throw csv.bad("num_gpu", "implausible GPU count " + n + ". Fix: use 0..64.");
            int m = Math.min(1000, csv.nonNegInt("gpu_milli"));
            if (m == 0) m = 1000;
            long created = csv.nonNegLong("creation_time"), deleted = csv.nonNegLong("deletion_time");
            if (deleted < created) throw csv.bad("deletion_time", "before creation_time. Fix: deletion_time >= creation_time.");
            long run = Math.max(1000L, Math.min(maxRuntimeMillis, (deleted - created) * 1000L));
            String q = csv.str("qos");
            int priority = q.equals("LS") || q.equals("Guaranteed") ? 2 : q.equals("Burstable") ? 1 : 0;
            out.add(new Task(csv.str("name"), csv.nonNegInt("cpu_milli"), csv.nonNegLong("memory_mib"), n, n > 1 ? 1000 : m,
                    csv.str("gpu_spec"), priority, run));
        });
        if (out.isEmpty()) throw new InputException(file.toString(), 0, "num_gpu", "no scheduled GPU task. Fix: use an openb pod list with GPU tasks.");
        return out;
    }

    /**
     * @param capacityGpuEq the cluster in GPU-equivalents (guarantees are fractions of it)
     * @param gpus          the cluster's GPUs (the offered load is a multiple of them)
     */
    public static TenantsLoad generate(List<Task> tasks, int tenantCount, double guaranteedFraction, double capacityGpuEq,
                                       int gpus, double load, long burstMillis, long durationMillis, long seed) {
        double weightSum = tenantCount * (tenantCount + 1) / 2.0;
        List<Tenant> tenants = new ArrayList<>();
        for (int i = 0; i < tenantCount; i++) {
            double share = (tenantCount - i) / weightSum;
            double g = round1(guaranteedFraction * capacityGpuEq * share);
            tenants.add(new Tenant("team-" + (char) ('a' + i), TenantQuota.of("team-" + (char) ('a' + i), g,
                    Math.max(g, round1(capacityGpuEq)), WEIGHTS[i % WEIGHTS.length]), share));
        }
        double work = 0;
        for (Task t : tasks) work += t.devices() * t.runMillis();
        double meanWork = work / tasks.size(); // GPU-ms per task
        double rate = load * gpus / meanWork; // tasks per ms, all tenants
        List<Job> jobs = new ArrayList<>();
        Random rnd = new Random(seed);
        double offered = 0;
        for (int i = 0; i < tenantCount; i++) {
            Random r = new Random(rnd.nextLong());
            double onRate = 2 * rate * tenants.get(i).offeredShare();
            boolean on = r.nextBoolean();
            long t = 0;
            while (t < durationMillis) {
                long period = Math.max(1, (long) exp(r, burstMillis));
                long end = Math.min(durationMillis, t + period);
                if (on) {
                    double at = t + exp(r, 1 / onRate);
                    while (at < end) {
                        Task task = tasks.get(r.nextInt(tasks.size()));
                        jobs.add(new Job(0, i, task, (long) at));
                        offered += task.devices() * task.runMillis();
                        at += exp(r, 1 / onRate);
                    }
                }
                on = !on;
                t = end;
            }
        }
        jobs.sort(Comparator.comparingLong(Job::arrivalMillis).thenComparingInt(Job::tenant));
        List<Job> numbered = new ArrayList<>(jobs.size());
        for (int k = 0; k < jobs.size(); k++) {
            Job j = jobs.get(k);
            numbered.add(new Job(k, j.tenant(), j.task(), j.arrivalMillis()));
        }
        return new TenantsLoad(List.copyOf(tenants), List.copyOf(numbered), offered / ((double) gpus * durationMillis));
    }

    private static double exp(Random r, double mean) {
        return -mean * Math.log(1 - r.nextDouble());
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** What one device of each openb GPU model is worth, in GPU-equivalents (an admin's assumption; --worth overrides). */
    public static final Map<String, Double> DEFAULT_WORTH = Map.of("V100M32", 0.5, "V100M16", 0.45, "G3", 0.6, "G2", 0.4,
            "A10", 0.35, "P100", 0.25, "T4", 0.15);

    /** The node list (validated as {@code simulate} does). */
    public static List<TraceLoader.NodeSpec> loadNodes(Path file) throws InputException {
        return TraceLoader.loadNodes(file);
    }
}
