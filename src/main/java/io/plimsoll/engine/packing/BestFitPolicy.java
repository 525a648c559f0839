package io.plimsoll.engine.packing;

/**
 * The simulator's best fit (METHOD.md section 5): raw = trunc((1 - ((cpuFree-c)/128000*0.5 + (F-n*m)/8000*0.5))*100),
 * min-max normalised over feasible nodes (integer), highest wins, ties to lowest rank; fractional tasks take the
 * tightest device.
 */
public final class BestFitPolicy implements PackingPolicy {
    public static final double MAX_SPEC_CPU = 128000.0;
    public static final double MAX_SPEC_GPU = 8000.0;
    private long[] raw = new long[0];
    private int[] cand = new int[0];

    @Override
    public String name() { return "best-fit"; }

    /** The raw (un-normalised) score of one feasible node. */
    public static long rawScore(NodeState n, TaskShape t) {
        double s = 0;
        s += (double) (n.cpuFree() - t.cpuMilli()) / MAX_SPEC_CPU * 0.5;
        s += (double) (n.freeGpuTotal() - t.gpuDemand()) / MAX_SPEC_GPU * 0.5;
        return (long) ((1.0 - s) * 100);
    }

    @Override
    public Placement choose(Cluster cluster, TaskShape task) {
        int size = cluster.size();
        if (raw.length < size) {
            raw = new long[size];
            cand = new int[size];
        }
        int k = 0;
        long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
        for (int idx : cluster.order()) {
            NodeState n = cluster.node(idx);
            if (!n.fits(task)) continue;
            long r = rawScore(n, task);
            raw[k] = r;
            cand[k++] = idx;
            lo = Math.min(lo, r);
            hi = Math.max(hi, r);
        }
        if (k == 0) return null;
        int best = -1;
        long bestScore = Long.MIN_VALUE;
        for (int i = 0; i < k; i++) {
            long norm = hi == lo ? 0 : ((raw[i] - lo) * 100) / (hi - lo);
            if (norm > bestScore) {
                bestScore = norm;
                best = cand[i];
            }
        }
        NodeState n = cluster.node(best);
        return new Placement(best, n.defaultDevices(task), bestScore);
    }
}
