package io.plimsoll.engine.packing;

/** Per-node cache of the current fragmentation, keyed by node index and invalidated by the node's version. */
final class NodeFragCache {
    private final FragmentationModel model;
    private double[] value = new double[0];
    private long[] version = new long[0];
    private NodeState[] owner = new NodeState[0];

    NodeFragCache(FragmentationModel model) {
        this.model = model;
    }

    double frag(int idx, NodeState n) {
        if (idx >= value.length) {
            int cap = Math.max(idx + 1, value.length * 2);
            value = java.util.Arrays.copyOf(value, cap);
            long[] v = java.util.Arrays.copyOf(version, cap);
            for (int i = version.length; i < cap; i++) v[i] = -1;
            version = v;
            owner = java.util.Arrays.copyOf(owner, cap);
        }
        if (owner[idx] != n || version[idx] != n.version()) {
            owner[idx] = n;
            value[idx] = model.frag(n);
            version[idx] = n.version();
        }
        return value[idx];
    }
}
