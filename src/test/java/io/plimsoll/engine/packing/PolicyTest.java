package io.plimsoll.engine.packing;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.plimsoll.engine.packing.TestClusters.cluster;
import static io.plimsoll.engine.packing.TestClusters.dist;
import static io.plimsoll.engine.packing.TestClusters.node;
import static org.junit.jupiter.api.Assertions.*;

class PolicyTest {
    static final TypicalDistribution WHOLE_ONLY = dist(TaskShape.of(1000, 0, 1, 1000, ""), 1);

    static List<PackingPolicy> all(TypicalDistribution d) {
        return List.of(new BestFitPolicy(), new FgdPolicy(d), new PlimsollPolicy(d));
    }

    @Test
    void bestFitPrefersLeastFreeAndTightestDevice() {
        Cluster c = cluster(node("x", "G2", 96000, 50000, 1000, 1000, 0, 0), node("y", "G2", 96000, 50000, 700, 700, 700));
        Placement p = new BestFitPolicy().choose(c, TaskShape.of(1000, 0, 1, 600, ""));
        assertEquals(0, p.nodeIndex(), "x has 2000 free vs 2100");
        assertArrayEquals(new int[] {0}, p.devices());
        Cluster d = cluster(node("x", "G2", 96000, 50000, 1000, 800, 650, 900));
        assertArrayEquals(new int[] {2}, new BestFitPolicy().choose(d, TaskShape.of(1000, 0, 1, 600, "")).devices());
        assertEquals(93, BestFitPolicy.rawScore(node("z", "G2", 96000, 16000, 1000, 0), TaskShape.of(8000, 0, 1, 500, "")),
                "(1 - (8000/128000*0.5 + 500/8000*0.5))*100 = 93.75 -> 93");
    }

    @Test
    void fgdAvoidsBreakingFullGpusWhereBestFitDoesNot() {
        Cluster c = cluster(node("x", "G2", 96000, 50000, 1000, 1000, 0, 0), node("y", "G2", 96000, 50000, 700, 700, 700));
        TaskShape t = TaskShape.of(1000, 0, 1, 600, "");
        // x: Frag before 0, after [400,1000] = 400 -> delta -400 -> trunc(100*sigmoid(-0.4)) = 40
        // y: before 2100 (no full GPU), after [100,700,700] = 1500 -> delta 600 -> trunc(100*sigmoid(0.6)) = 64
        Placement p = new FgdPolicy(WHOLE_ONLY).choose(c, t);
        assertEquals(1, p.nodeIndex());
        assertEquals(64, (long) p.score());
        assertEquals(40, FgdPolicy.sigmoidScore(-400));
        assertEquals(50, FgdPolicy.sigmoidScore(0));
        assertEquals(0, new BestFitPolicy().choose(c, t).nodeIndex());
    }

    @Test
    void fgdFractionalDeviceMaximisesScoreWithLowestIndexOnTies() {
        // typical shapes: 500-milli tasks. Device choice on [1000, 600, 1000]: placing 500 on the 600 device leaves
        // a 100 hole (fragment 100) but keeps 1000s; on a 1000 device leaves 500 (fits) -> no new fragment.
        TypicalDistribution d = dist(TaskShape.of(1000, 0, 1, 500, ""), 1);
        Cluster c = cluster(node("x", "G2", 96000, 50000, 1000, 600, 1000));
        Placement p = new FgdPolicy(d).choose(c, TaskShape.of(1000, 0, 1, 500, ""));
        assertArrayEquals(new int[] {0}, p.devices(), "ties between devices 0 and 2 go to the lowest index");
        // same typical shape: on [1000, 550, 1000] the 550 device would keep a useless 50 hole (score 48),
        // a full device keeps a usable 500 (score 50)
        Cluster e = cluster(node("x", "G2", 96000, 50000, 1000, 550, 1000));
        assertArrayEquals(new int[] {0}, new FgdPolicy(d).choose(e, TaskShape.of(1000, 0, 1, 500, "")).devices());
        // whole-GPU typical shapes: breaking a full device costs 500 of fragment (score 37), using the 550 device
        // removes 500 of fragment (score 62)
        Placement q = new FgdPolicy(WHOLE_ONLY).choose(e, TaskShape.of(1000, 0, 1, 500, ""));
        assertArrayEquals(new int[] {1}, q.devices());
        assertEquals(62, (long) q.score());
    }

    @Test
    void tiesGoToLowestRank() {
        int[] ranks = {2, 0, 1};
        Cluster c = cluster(ranks, node("a", "T4", 96000, 96000, 1000, 1000), node("b", "T4", 96000, 96000, 1000, 1000),
                node("c", "T4", 96000, 96000, 1000, 1000));
        for (PackingPolicy p : all(WHOLE_ONLY)) {
            assertEquals(1, p.choose(c, TaskShape.of(1000, 0, 1, 1000, "")).nodeIndex(), p.name());
        }
    }

    @Test
    void gpuModelConstraintIsRespectedByEveryPolicy() {
        Cluster c = cluster(node("g", "G2", 96000, 96000, 1000, 1000, 1000, 1000), node("t", "T4", 104000, 104000, 1000, 1000));
        for (PackingPolicy p : all(WHOLE_ONLY)) {
            assertEquals(1, p.choose(c, TaskShape.of(1000, 0, 1, 500, "T4")).nodeIndex(), p.name());
            assertNull(p.choose(c, TaskShape.of(1000, 0, 1, 500, "P100")), p.name());
        }
    }

    @Test
    void multiGpuTasksTakeLowestFullDevicesOnOneNode() {
        Cluster c = cluster(node("a", "G2", 96000, 96000, 1000, 500, 1000, 0), node("b", "G2", 96000, 96000, 500, 1000, 1000, 1000));
        for (PackingPolicy p : all(WHOLE_ONLY)) {
            Placement pl = p.choose(c, TaskShape.of(2000, 0, 3, 1000, ""));
            assertEquals(1, pl.nodeIndex(), p.name() + ": only b has 3 full devices");
            assertArrayEquals(new int[] {1, 2, 3}, pl.devices(), p.name());
            assertNull(p.choose(c, TaskShape.of(2000, 0, 4, 1000, "")), p.name() + ": 5 full devices in total, never 4 on one node");
        }
    }

    @Test
    void cpuOnlyTasks() {
        // a CPU-only task must not take the CPU a GPU node needs: FGD sees that on "g" the whole-GPU shape
        // (cpu 1000) would lose its CPU fit
        Cluster c = cluster(node("g", "G2", 96000, 3000, 1000, 1000), node("t", "T4", 104000, 104000, 1000, 1000));
        TaskShape cpuTask = TaskShape.of(2500, 0, 0, 0, "");
        assertEquals(1, new FgdPolicy(WHOLE_ONLY).choose(c, cpuTask).nodeIndex());
        assertEquals(1, new PlimsollPolicy(WHOLE_ONLY).choose(c, cpuTask).nodeIndex());
        assertEquals(0, new BestFitPolicy().choose(c, cpuTask).nodeIndex(), "best fit packs CPU");
        assertEquals(0, new BestFitPolicy().choose(c, cpuTask).devices().length);
        for (PackingPolicy p : all(WHOLE_ONLY)) assertNull(p.choose(c, TaskShape.of(200000, 0, 0, 0, "")), p.name());
    }

    @Test
    void memoryIsCheckedByEveryPolicy() {
        NodeState small = new NodeState("s", 96000, 100, 2, "T4");
        NodeState big = new NodeState("b", 96000, 100000, 2, "T4");
        Cluster c = cluster(small, big);
        for (PackingPolicy p : all(WHOLE_ONLY)) {
            assertEquals(1, p.choose(c, TaskShape.of(1000, 5000, 1, 1000, "")).nodeIndex(), p.name());
        }
    }

    @Test
    void placeBindsAndPoliciesAlwaysPlaceFeasibleTasks() {
        TypicalDistribution d = dist(TaskShape.of(1000, 0, 1, 1000, ""), 2, TaskShape.of(1000, 0, 1, 300, ""), 1);
        for (String name : Policies.NAMES) {
            Cluster c = cluster(node("a", "G2", 8000, 8000, 1000, 1000), node("b", "T4", 8000, 8000, 1000));
            PackingPolicy p = Policies.create(name, d);
            int placed = 0;
            long demand = 0;
            for (int i = 0; i < 20; i++) {
                TaskShape t = TaskShape.of(1000, 0, 1, i % 2 == 0 ? 300 : 1000, "");
                boolean feasible = c.nodes().stream().anyMatch(n -> n.fits(t));
                Placement pl = c.place(p, t);
                assertEquals(feasible, pl != null, name + " places exactly the feasible tasks");
                if (pl != null) {
                    placed++;
                    demand += t.gpuDemand();
                }
            }
            assertEquals(demand, c.allocatedGpuMilli(), name);
            assertTrue(placed >= 3, name);
        }
        assertThrows(IllegalArgumentException.class, () -> Policies.create("nope", d));
    }
}
