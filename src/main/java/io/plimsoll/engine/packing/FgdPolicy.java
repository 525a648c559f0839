package io.plimsoll.engine.packing;

/**
 * Fragmentation Gradient Descent (METHOD.md sections 4-6): score = trunc(100 * sigmoid((Frag(before) -
 * Frag(after)) / 1000)), highest wins, ties to lowest rank; fractional tasks take the device with the best score
 * (ties to the lowest index). Frag(before) is cached per node and refreshed only when the node changes.
 */
public final class FgdPolicy implements PackingPolicy {
    private final FragmentationModel model;
    private final NodeFragCache cache;
    private final int[][] scratch = new int[17][];

    public FgdPolicy(TypicalDistribution dist) {
        this.model = new FragmentationModel(dist);
        this.cache = new NodeFragCache(model);
    }

    public FragmentationModel model() { return model; }

    @Override
    public String name() { return "fgd"; }

    /** Reused holder for the device {@link NodeState#bestShare} picks. */
    private final int[] chosen = new int[1];

    private int[] scratch(int g) {
        if (g >= scratch.length) return new int[g];
        int[] a = scratch[g];
        if (a == null) scratch[g] = a = new int[g];
        return a;
    }

    public static long sigmoidScore(double delta) {
        return (long) (1.0 / (1.0 + StrictMath.exp(-(delta / 1000))) * 100);
    }

    @Override
    public Placement choose(Cluster cluster, TaskShape task) {
        int bestNode = -1;
        int bestDevice = -1;
        long bestScore = Long.MIN_VALUE;
        for (int idx : cluster.order()) {
            NodeState n = cluster.node(idx);
            if (!n.fits(task)) continue;
            double before = cache.frag(idx, n);
            long score;
            int device = -1;
            int[] free = n.freeArray();
            int g = free.length;
            int[] a = scratch(g);
            if (task.isFractional()) {
                int cpuAfter = n.cpuFree() - task.cpuMilli();
                score = NodeState.bestShare(free, a, task.gpuMilli(),
                        after -> sigmoidScore(before - model.frag(n.model(), cpuAfter, after)), chosen);
                device = chosen[0];
            } else {
                NodeState.takeFullDevices(free, a, task.numGpu());
                double af = model.frag(n.model(), n.cpuFree() - task.cpuMilli(), a);
                score = sigmoidScore(before - af);
            }
            if (score > bestScore) {
                bestScore = score;
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
