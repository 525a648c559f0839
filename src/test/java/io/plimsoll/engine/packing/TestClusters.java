package io.plimsoll.engine.packing;

import java.util.ArrayList;
import java.util.List;

/** Helpers to build small hand-made clusters. */
final class TestClusters {
    private TestClusters() {}

    /** A node with the given per-device free milli (capacity 1000 each). */
    static NodeState node(String name, String model, int cpuCap, int cpuFree, int... free) {
        NodeState n = new NodeState(name, cpuCap, 1_000_000, free.length, model);
        int used = cpuCap - cpuFree;
        if (used > 0) n.bind(TaskShape.of(used, 0, 0, 0, ""), new int[0]);
        for (int d = 0; d < free.length; d++) {
            if (free[d] < 1000) n.bind(TaskShape.of(0, 0, 1, 1000 - free[d], ""), new int[] {d});
        }
        return n;
    }

    static Cluster cluster(NodeState... nodes) {
        return new Cluster(List.of(nodes), null);
    }

    static Cluster cluster(int[] ranks, NodeState... nodes) {
        return new Cluster(List.of(nodes), ranks);
    }

    /** A distribution with the given shapes repeated count times each. */
    static TypicalDistribution dist(Object... shapeAndCount) {
        List<TaskShape> tasks = new ArrayList<>();
        for (int i = 0; i < shapeAndCount.length; i += 2) {
            TaskShape t = (TaskShape) shapeAndCount[i];
            int c = (Integer) shapeAndCount[i + 1];
            for (int k = 0; k < c; k++) tasks.add(t);
        }
        return TypicalDistribution.fromTasks(tasks, 1.0);
    }
}
