package io.plimsoll.engine.packing;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Plimsoll's default packing policy: FGD's fragmentation gradient, corrected for the two ways FGD loses GPUs on
 * the openb traces (measured with {@code simulate --explain}):
 * <ol>
 *   <li><b>CPU stranding.</b> FGD only notices a node's CPU when a typical shape no longer fits; GPUs on nodes whose
 *   free CPU cannot feed them at the workload's average CPU-per-GPU ratio (rho, from the typical distribution)
 *   end up unallocatable. Stranded(node) = max(0, freeGpu - cpuFree / rho) milli-GPU; its increase is
 *   subtracted from the fragmentation decrease (weight lambda) and, among equal scores, the node whose stranded
 *   GPU grows least wins.</li>
 *   <li><b>Model pressure.</b> Tasks constrained to particular GPU models need those models' capacity; a task placed
 *   on a model that constrained typical shapes want pays mu x pressure(model) x its demand, where pressure is the
 *   density of constrained typical demand on that model relative to the density of all typical GPU demand.
 *   (Zero on workloads without gpu_spec.)</li>
 * </ol>
 * Score = trunc(resolution * sigmoid((deltaFrag - lambda * deltaStranded - mu * pressure * demand) / scale)),
 * highest wins; ties: smallest stranded increase, then the lowest node rank. Fractional tasks take the device with
 * the best score (ties: lowest index), as in FGD. Online, one task at a time; always places a feasible task.
 * Uses only the typical-task distribution FGD also uses (plus the per-shape mean memory, unused by default).
 */
public final class PlimsollPolicy implements PackingPolicy {
    /** Tunable parameters; {@link #DEFAULT} is the single parameter set used for every trace. */
    public record Params(double resolution, double scale, double lambda, double mu, boolean strandedTieBreak,
                         double lambdaMem) {
        public static final Params DEFAULT = new Params(1000, 1000, 1.5, 0.5, true, 0.0);
        /** FGD's own scoring (for comparison): 100 levels, no corrections. */
        public static final Params FGD_EQUIVALENT = new Params(100, 1000, 0, 0, false, 0.0);

        /** DEFAULT overridden by -Dplimsoll.res/.scale/.lambda/.mu/.tb/.lmem (developer experiments only). */
        public static Params fromSystemProperties() {
            return new Params(Double.parseDouble(System.getProperty("plimsoll.res", "" + DEFAULT.resolution)),
                    Double.parseDouble(System.getProperty("plimsoll.scale", "" + DEFAULT.scale)),
                    Double.parseDouble(System.getProperty("plimsoll.lambda", "" + DEFAULT.lambda)),
                    Double.parseDouble(System.getProperty("plimsoll.mu", "" + DEFAULT.mu)),
                    Boolean.parseBoolean(System.getProperty("plimsoll.tb", "" + DEFAULT.strandedTieBreak)),
                    Double.parseDouble(System.getProperty("plimsoll.lmem", "" + DEFAULT.lambdaMem)));
        }
    }

    private final FragmentationModel model;
    private final NodeFragCache cache;
    private final TypicalDistribution dist;
    private final Params params;
    /** Average CPU milli and memory MiB per milli-GPU of the typical GPU shapes. */
    private final double rho, rhoMem;
    private final int[][] scratch = new int[17][];
    private Cluster pressureFor;
    private final Map<String, Double> pressure = new HashMap<>();

    public PlimsollPolicy(TypicalDistribution dist) {
        this(dist, Params.DEFAULT);
    }

    public PlimsollPolicy(TypicalDistribution dist, Params params) {
        this.model = new FragmentationModel(dist);
        this.cache = new NodeFragCache(model);
        this.dist = dist;
        this.params = params;
        double c = 0, g = 0, mm = 0;
        for (TypicalDistribution.Entry e : dist.entries()) {
            if (e.key().numGpu() == 0) continue;
            c += e.probability() * e.key().cpuMilli();
            mm += e.probability() * e.meanMemMib();
            g += e.probability() * e.key().numGpu() * e.key().gpuMilli();
        }
        this.rho = g == 0 ? 0 : c / g;
        this.rhoMem = g == 0 ? 0 : mm / g;
    }

    @Override
    public String name() { return "plimsoll"; }

    public Params params() { return params; }

    /** CPU milli per milli-GPU of the typical GPU workload. */
    public double cpuPerMilliGpu() { return rho; }

    /** Reused holder for the device {@link NodeState#bestShare} picks. */
    private final int[] chosen = new int[1];

    private int[] scratch(int g) {
        if (g >= scratch.length) return new int[g];
        int[] a = scratch[g];
        if (a == null) scratch[g] = a = new int[g];
        return a;
    }

    /** Free milli-GPU on a node beyond what its free CPU can feed at the workload's CPU-per-GPU ratio. */
    public double stranded(int cpuFree, long freeGpu) {
        return rho <= 0 ? 0 : Math.max(0, freeGpu - cpuFree / rho);
    }

    /**
     * Model pressure: density of the model-constrained typical demand on this model (each constrained shape's
     * demand spread over its allowed models by capacity) relative to the density of all typical GPU demand.
     */
    public double pressure(Cluster cluster, String nodeModel) {
        if (pressureFor != cluster) {
            pressure.clear();
            Map<String, Long> cap = new HashMap<>();
            long totalCap = 0;
            for (NodeState n : cluster.nodes()) {
                cap.merge(n.model(), (long) n.gpuCount(), Long::sum);
                totalCap += n.gpuCount();
            }
            double all = 0;
            Map<String, Double> constrained = new HashMap<>();
            for (TypicalDistribution.Entry k : dist.entries()) {
                double d = k.probability() * k.key().numGpu() * k.key().gpuMilli();
                all += d;
                if (k.key().gpuSpec().isEmpty() || d == 0) continue;
                LinkedHashSet<String> allowed = new LinkedHashSet<>(List.of(k.key().gpuSpec().split("\\|")));
                long c = 0;
                for (String a : allowed) c += cap.getOrDefault(a, 0L);
                if (c == 0) continue;
                for (String a : allowed) constrained.merge(a, d * cap.getOrDefault(a, 0L) / c, Double::sum);
            }
            double avg = totalCap == 0 ? 0 : all / totalCap;
            for (Map.Entry<String, Long> e : cap.entrySet()) {
                double dens = e.getValue() == 0 ? 0 : constrained.getOrDefault(e.getKey(), 0.0) / e.getValue();
                pressure.put(e.getKey(), avg == 0 ? 0 : dens / avg);
            }
            pressureFor = cluster;
        }
        return pressure.getOrDefault(nodeModel, 0.0);
    }

    private long score(double delta) {
        return (long) (1.0 / (1.0 + StrictMath.exp(-(delta / params.scale))) * params.resolution); // FGD's operation order
    }

    @Override
    public Placement choose(Cluster cluster, TaskShape task) {
        int bestNode = -1, bestDevice = -1;
        long bestScore = Long.MIN_VALUE;
        double bestTie = Double.NEGATIVE_INFINITY;
        long demand = task.gpuDemand();
        for (int idx : cluster.order()) {
            NodeState n = cluster.node(idx);
            if (!n.fits(task)) continue;
            double before = cache.frag(idx, n);
            int[] free = n.freeArray();
            int g = free.length;
            int[] a = scratch(g);
            int cpuAfter = n.cpuFree() - task.cpuMilli();
            long freeBefore = n.freeGpuTotal(), freeAfter = freeBefore - demand;
            double strandedGrowth = stranded(cpuAfter, freeAfter) - stranded(n.cpuFree(), freeBefore);
            double penalty = params.lambda * strandedGrowth;
            if (params.lambdaMem != 0 && rhoMem > 0) {
                penalty += params.lambdaMem * (Math.max(0, freeAfter - (n.memFree() - task.memMib()) / rhoMem)
                        - Math.max(0, freeBefore - n.memFree() / rhoMem));
            }
            if (params.mu != 0 && demand > 0) penalty += params.mu * pressure(cluster, n.model()) * demand;
            long s;
            int device = -1;
            if (task.isFractional()) {
                double pen = penalty;
                s = NodeState.bestShare(free, a, task.gpuMilli(),
                        after -> score(before - model.frag(n.model(), cpuAfter, after) - pen), chosen);
                device = chosen[0];
            } else {
                NodeState.takeFullDevices(free, a, task.numGpu());
                s = score(before - model.frag(n.model(), cpuAfter, a) - penalty);
            }
            if (s < bestScore) continue;
            double tie = params.strandedTieBreak ? -strandedGrowth : 0;
            if (s > bestScore || tie > bestTie) {
                bestScore = s;
                bestTie = tie;
                bestNode = idx;
                bestDevice = device;
            }
        }
        if (bestNode < 0) return null;
        NodeState n = cluster.node(bestNode);
        int[] devices = task.isFractional() ? new int[] {bestDevice} : n.defaultDevices(task);
        return new Placement(bestNode, devices, bestScore);
    }
}
