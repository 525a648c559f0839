package io.plimsoll.simulate;

import io.plimsoll.engine.packing.Cluster;
import io.plimsoll.engine.packing.NodeState;
import io.plimsoll.engine.packing.PackingPolicy;
import io.plimsoll.engine.packing.Placement;
import io.plimsoll.engine.packing.TaskShape;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Replays an arrival sequence on an empty cluster with one policy (METHOD.md section 7). */
public final class Replay {
    private Replay() {}

    /** Result of one run. */
    public record Result(AllocationCurve curve, int placed, int failed, double seconds, long finalArrivedMilli,
                         long finalAllocatedMilli, List<Map<String, Object>> explains, Cluster cluster) {
        public int decisions() { return placed + failed; }
    }

    /**
     * @param explain   null for no explanation; otherwise failures are classified and snapshots taken
     * @param explainAt arrived percentages at which to take snapshots (in addition to the end), may be empty
     */
    public static Result run(List<TraceLoader.NodeSpec> nodes, int[] ranks, List<TaskShape> arrivals,
                             PackingPolicy policy, Explain explain, double[] explainAt) {
        List<NodeState> states = new ArrayList<>(nodes.size());
        for (TraceLoader.NodeSpec n : nodes) states.add(n.newState());
        Cluster cluster = new Cluster(states, ranks);
        long cap = cluster.gpuCapacityMilli();
        int size = arrivals.size();
        long[] arrived = new long[size];
        long[] allocated = new long[size];
        long arr = 0, alloc = 0;
        int placed = 0, failed = 0;
        List<Map<String, Object>> snaps = new ArrayList<>();
        int nextExplain = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < size; i++) {
            TaskShape t = arrivals.get(i);
            arr += t.gpuDemand();
            Placement p = cluster.place(policy, t);
            if (p == null) {
                failed++;
                if (explain != null) explain.recordFailure(cluster, t);
            } else {
                placed++;
                alloc += t.gpuDemand();
            }
            arrived[i] = arr;
            allocated[i] = alloc;
            if (explain != null && explainAt != null) {
                while (nextExplain < explainAt.length && 100.0 * arr / cap >= explainAt[nextExplain]) {
                    snaps.add(explain.snapshot(cluster, 100.0 * arr / cap));
                    nextExplain++;
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (explain != null) snaps.add(explain.snapshot(cluster, cap == 0 ? 0 : 100.0 * arr / cap));
        return new Result(new AllocationCurve(arrived, allocated, size, cap), placed, failed, seconds, arr, alloc, snaps, cluster);
    }
}
