package io.plimsoll.engine.packing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A set of node states plus the tie-break order (lowest rank first). Policies iterate nodes in that order and
 * keep the first strict maximum, which is METHOD.md section 5's "ties go to the lowest rank".
 */
public final class Cluster {
    private final List<NodeState> nodes;
    private final int[] order;
    private final long gpuCapacityMilli;

    /** @param ranks rank of node i (lower first), or null for list order. */
    public Cluster(List<NodeState> nodes, int[] ranks) {
        this.nodes = Collections.unmodifiableList(new ArrayList<>(nodes));
        int n = nodes.size();
        this.order = new int[n];
        if (ranks == null) {
            for (int i = 0; i < n; i++) order[i] = i;
        } else {
            if (ranks.length != n) throw new IllegalArgumentException("ranks length " + ranks.length + " != nodes " + n);
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) idx[i] = i;
            Arrays.sort(idx, (a, b) -> ranks[a] != ranks[b] ? Integer.compare(ranks[a], ranks[b]) : Integer.compare(a, b));
            for (int i = 0; i < n; i++) order[i] = idx[i];
        }
        long cap = 0;
        for (NodeState s : nodes) cap += s.gpuCapacityMilli();
        this.gpuCapacityMilli = cap;
    }

    public List<NodeState> nodes() { return nodes; }
    public NodeState node(int i) { return nodes.get(i); }
    public int size() { return nodes.size(); }
    /** Node indices in tie-break order. */
    public int[] order() { return order; }
    public long gpuCapacityMilli() { return gpuCapacityMilli; }

    /** Let the policy choose and bind; returns the placement or null when no node fits. */
    public Placement place(PackingPolicy policy, TaskShape task) {
        Placement p = policy.choose(this, task);
        if (p == null) return null;
        nodes.get(p.nodeIndex()).bind(task, p.devices());
        policy.onBound(this, p, task);
        return p;
    }

    public long allocatedGpuMilli() {
        long a = 0;
        for (NodeState s : nodes) a += s.gpuCapacityMilli() - s.freeGpuTotal();
        return a;
    }
}
