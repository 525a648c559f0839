package io.plimsoll.engine.packing;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * FGD's expected GPU fragmentation of a node for a typical-task distribution (METHOD.md section 4),
 * memoised on (model, cpuFree, multiset of per-device free milli-GPU). Also the per-node / per-pool
 * fragmentation measure the operator uses.
 */
public final class FragmentationModel {
    private final TypicalDistribution dist;
    // flattened typical shapes for speed
    private final int[] tc, tm, tn;
    private final double[] tp;
    private final String[][] tspec;
    private final Map<String, Integer> modelIds = new HashMap<>();
    private final LongPairDoubleMap memo = new LongPairDoubleMap(1 << 10); // grows; a decision in the operator makes a new model
    private final int[] sortBuf = new int[8];
    /** Upper bound on memoised states (a full openb replay needs far fewer). */
    static final int MAX_MEMO = 1 << 20;

    public FragmentationModel(TypicalDistribution dist) {
        this.dist = dist;
        int k = dist.size();
        tc = new int[k];
        tm = new int[k];
        tn = new int[k];
        tp = new double[k];
        tspec = new String[k][];
        for (int i = 0; i < k; i++) {
            TypicalDistribution.Entry e = dist.entries().get(i);
            tc[i] = e.key().cpuMilli();
            tm[i] = e.key().gpuMilli();
            tn[i] = e.key().numGpu();
            tp[i] = e.probability();
            String s = e.key().gpuSpec();
            tspec[i] = s.isEmpty() ? new String[0] : s.split("\\|");
        }
    }

    public TypicalDistribution distribution() { return dist; }

    /** Number of memoised states (diagnostics). */
    public int memoSize() { return memo.size(); }

    private static boolean accessible(String model, String[] spec) {
        if (spec.length == 0) return true;
        for (String s : spec) if (s.equals(model)) return true;
        return false;
    }

    /** Expected fragmentation (milli-GPU) of a node state. {@code free} is not modified. */
    public double frag(String model, int cpuFree, int[] free) {
        int g = free.length;
        if (g <= 8 && cpuFree >= 0) {
            Integer mid = modelIds.get(model);
            if (mid == null) {
                mid = modelIds.size();
                modelIds.put(model, mid);
            }
            if (mid < 256) {
                int[] s = sortBuf;
                for (int i = 0; i < g; i++) {
                    int v = free[i];
                    int j = i - 1;
                    while (j >= 0 && s[j] < v) {
                        s[j + 1] = s[j];
                        j--;
                    }
                    s[j + 1] = v;
                }
                for (int i = g; i < 8; i++) s[i] = 0;
                long k1 = (long) s[0] | ((long) s[1] << 10) | ((long) s[2] << 20) | ((long) s[3] << 30)
                        | ((long) s[4] << 40) | ((long) s[5] << 50);
                long k2 = (long) s[6] | ((long) s[7] << 10) | ((long) g << 20) | ((long) mid << 24)
                        | ((long) cpuFree << 32);
                double v = memo.get(k1, k2);
                if (!Double.isNaN(v)) return v;
                v = compute(model, cpuFree, free);
                if (memo.size() >= MAX_MEMO) memo.clear(); // bound memory in a long-running operator
                memo.put(k1, k2, v);
                return v;
            }
        }
        return compute(model, cpuFree, free);
    }

    /** Fragmentation of a node's current state. */
    public double frag(NodeState n) {
        return frag(n.model(), n.cpuFree(), n.freeArray());
    }

    /** Uncached computation with the simulator's bucket order. */
    double compute(String model, int cpuFree, int[] free) {
        long total = 0;
        for (int f : free) total += f;
        double q1 = 0, q2 = 0, q3 = 0, q4 = 0, xl = 0, xr = 0, na = 0;
        double bigF = (double) total;
        for (int k = 0; k < tc.length; k++) {
            double p = tp[k];
            int c = tc[k], m = tm[k], n = tn[k];
            if (m == 0) {
                if (cpuFree >= c) xl += p * bigF; else xr += p * bigF;
                continue;
            }
            if (!accessible(model, tspec[k])) {
                na += p * bigF;
                continue;
            }
            int fitCount = 0;
            long small = 0;
            for (int f : free) {
                if (f >= m) fitCount++; else small += f;
            }
            boolean gpuFit = fitCount >= n;
            boolean cpuFit = cpuFree >= c;
            if (gpuFit) {
                if (cpuFit) {
                    q2 += p * (double) small;
                    q3 += p * (double) (total - small);
                } else {
                    q4 += p * bigF;
                }
            } else {
                if (cpuFit) q2 += p * bigF; else q1 += p * bigF;
            }
        }
        return ((((q1 + q2) + q4) + xl) + xr) + na;
    }

    /** Fragmentation of one node in milli-GPU and as a percentage of its free GPU. */
    public record NodeFragmentation(String node, String model, long freeMilli, double fragMilli) {
        public double fragPctOfFree() { return freeMilli == 0 ? 0.0 : 100.0 * fragMilli / freeMilli; }
    }

    /** Aggregated fragmentation of a pool of nodes. */
    public record PoolFragmentation(String pool, int nodes, long capacityMilli, long freeMilli, double fragMilli) {
        /** Fragmented share of the free GPU capacity, percent. */
        public double fragPctOfFree() { return freeMilli == 0 ? 0.0 : 100.0 * fragMilli / freeMilli; }
        /** Fragmented share of the total GPU capacity, percent. */
        public double fragPctOfCapacity() { return capacityMilli == 0 ? 0.0 : 100.0 * fragMilli / capacityMilli; }
    }

    /** Per-node fragmentation. */
    public List<NodeFragmentation> perNode(Collection<NodeState> nodes) {
        return nodes.stream()
                .map(n -> new NodeFragmentation(n.name(), n.model(), n.freeGpuTotal(), frag(n)))
                .toList();
    }

    /** Per-pool fragmentation, pools given by {@code poolOf} (e.g. {@code NodeState::model}), in first-seen order. */
    public Map<String, PoolFragmentation> perPool(Collection<NodeState> nodes, Function<NodeState, String> poolOf) {
        Map<String, PoolFragmentation> out = new LinkedHashMap<>();
        for (NodeState n : nodes) {
            String pool = poolOf.apply(n);
            PoolFragmentation prev = out.get(pool);
            double f = frag(n);
            if (prev == null) {
                out.put(pool, new PoolFragmentation(pool, 1, n.gpuCapacityMilli(), n.freeGpuTotal(), f));
            } else {
                out.put(pool, new PoolFragmentation(pool, prev.nodes() + 1, prev.capacityMilli() + n.gpuCapacityMilli(),
                        prev.freeMilli() + n.freeGpuTotal(), prev.fragMilli() + f));
            }
        }
        return out;
    }

    /** Whole-cluster fragmentation as one pool named "all". */
    public PoolFragmentation total(Collection<NodeState> nodes) {
        PoolFragmentation p = perPool(nodes, n -> "all").get("all");
        return p == null ? new PoolFragmentation("all", 0, 0, 0, 0.0) : p;
    }

    /** Convenience entry point for the operator: fragmentation of given node states under a distribution. */
    public static PoolFragmentation measure(Collection<NodeState> nodes, TypicalDistribution dist) {
        return new FragmentationModel(dist).total(nodes);
    }
}
