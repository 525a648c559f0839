package io.plimsoll.engine.packing;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.plimsoll.engine.packing.TestClusters.dist;
import static io.plimsoll.engine.packing.TestClusters.node;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Fragmentation worked by hand from the FGD paper's definition (a node's free GPU is a fragment for a task shape
 * if the shape cannot run there at all; if it can, only devices individually too small for it are fragments;
 * the expected fragmentation weights shapes by their popularity).
 */
class FragmentationTest {
    static final TaskShape WHOLE = TaskShape.of(1000, 0, 1, 1000, "");
    static final TaskShape SMALL = TaskShape.of(1000, 0, 1, 300, "");
    static final TaskShape CPU = TaskShape.of(2000, 0, 0, 0, "");

    @Test
    void shapeThatFitsCountsOnlyTooSmallDevices() {
        FragmentationModel fm = new FragmentationModel(dist(WHOLE, 1, SMALL, 1));
        NodeState n = node("n", "G2", 96000, 96000, 1000, 500, 200, 0);
        // whole-GPU shape fits on device 0: devices 500 and 200 are fragments -> 700
        // 300-milli shape fits: only the 200 device is too small -> 200
        assertEquals(0.5 * 700 + 0.5 * 200, fm.frag(n), 1e-9);
    }

    @Test
    void cpuOnlyShapesCountAllFreeGpu() {
        FragmentationModel fm = new FragmentationModel(dist(WHOLE, 1, SMALL, 1, CPU, 2));
        NodeState n = node("n", "G2", 96000, 96000, 1000, 500, 200, 0);
        assertEquals(0.25 * 700 + 0.25 * 200 + 0.5 * 1700, fm.frag(n), 1e-9);
    }

    @Test
    void shapeLackingCpuCountsAllFreeGpu() {
        FragmentationModel fm = new FragmentationModel(dist(WHOLE, 1, SMALL, 1));
        NodeState n = node("n", "G2", 96000, 500, 1000, 500, 200, 0);
        assertEquals(1700, fm.frag(n), 1e-9);
    }

    @Test
    void inaccessibleModelCountsAllFreeGpu() {
        TaskShape p100 = TaskShape.of(1000, 0, 1, 300, "P100");
        FragmentationModel fm = new FragmentationModel(dist(WHOLE, 1, p100, 1));
        NodeState g2 = node("n", "G2", 96000, 96000, 1000, 500, 200, 0);
        assertEquals(0.5 * 700 + 0.5 * 1700, fm.frag(g2), 1e-9);
        NodeState p = node("p", "P100", 96000, 96000, 1000, 500, 200, 0);
        assertEquals(0.5 * 700 + 0.5 * 200, fm.frag(p), 1e-9);
    }

    @Test
    void multiGpuShapeNeedsEnoughFullDevices() {
        TaskShape two = TaskShape.of(1000, 0, 2, 1000, "");
        FragmentationModel fm = new FragmentationModel(dist(two, 1));
        assertEquals(1500, fm.frag(node("a", "G2", 96000, 96000, 1000, 500, 0, 0)), 1e-9, "cannot run: all free");
        assertEquals(500, fm.frag(node("b", "G2", 96000, 96000, 1000, 1000, 500, 0)), 1e-9, "runs: the 500 device");
        assertEquals(0, fm.frag(node("c", "G2", 96000, 96000, 1000, 1000, 1000, 1000)), 1e-9, "empty node: no fragment");
    }

    @Test
    void fullyAllocatedNodeHasNoFragment() {
        FragmentationModel fm = new FragmentationModel(dist(WHOLE, 1, SMALL, 1, CPU, 1));
        assertEquals(0, fm.frag(node("n", "G2", 96000, 0, 0, 0)), 1e-9);
    }

    @Test
    void memoisedValueEqualsDirectComputationForPermutedDevices() {
        FragmentationModel fm = new FragmentationModel(dist(WHOLE, 3, SMALL, 2, CPU, 1));
        double a = fm.frag("G2", 5000, new int[] {1000, 200, 700, 0});
        double b = fm.frag("G2", 5000, new int[] {700, 0, 1000, 200});
        assertEquals(a, b, 0.0);
        assertEquals(fm.compute("G2", 5000, new int[] {700, 0, 1000, 200}), b, 0.0);
        assertEquals(1, fm.memoSize());
    }

    @Test
    void perPoolAndTotalMeasure() {
        TypicalDistribution d = dist(WHOLE, 1, SMALL, 1);
        NodeState a = node("a", "G2", 96000, 96000, 1000, 500, 200, 0); // 450 of 1700 free
        NodeState b = node("b", "T4", 96000, 96000, 1000, 1000);          // 0 of 2000 free
        NodeState c = node("c", "T4", 96000, 96000, 250, 1000);           // 0.5*250 + 0.5*250 = 250 of 1250
        FragmentationModel fm = new FragmentationModel(d);
        Map<String, FragmentationModel.PoolFragmentation> pools = fm.perPool(List.of(a, b, c), NodeState::model);
        assertEquals(450, pools.get("G2").fragMilli(), 1e-9);
        assertEquals(250, pools.get("T4").fragMilli(), 1e-9);
        assertEquals(3250, pools.get("T4").freeMilli());
        assertEquals(4000, pools.get("T4").capacityMilli());
        assertEquals(100.0 * 250 / 3250, pools.get("T4").fragPctOfFree(), 1e-9);
        FragmentationModel.PoolFragmentation all = FragmentationModel.measure(List.of(a, b, c), d);
        assertEquals(700, all.fragMilli(), 1e-9);
        assertEquals(100.0 * 700 / (1700 + 3250), all.fragPctOfFree(), 1e-9);
        assertEquals(100.0 * 450 / 1700, fm.perNode(List.of(a)).get(0).fragPctOfFree(), 1e-9);
    }

    @Test
    void typicalDistributionOrderAndCutoff() {
        List<TaskShape> tasks = new ArrayList<>();
        TaskShape a = TaskShape.of(8000, 0, 1, 1000, ""), b = TaskShape.of(4000, 0, 1, 500, ""),
                c = TaskShape.of(2000, 0, 0, 0, ""), dLow = TaskShape.of(4000, 0, 1, 200, ""),
                eHigh = TaskShape.of(8000, 0, 1, 200, "");
        for (int i = 0; i < 10; i++) tasks.add(a);
        for (int i = 0; i < 5; i++) tasks.add(b);
        for (int i = 0; i < 3; i++) tasks.add(c);
        tasks.add(dLow);
        tasks.add(eHigh);
        // memory is not part of the key
        tasks.set(0, new TaskShape("", 8000, 12345, 1, 1000, ""));
        TypicalDistribution dist = TypicalDistribution.fromTasks(tasks);
        assertEquals(4, dist.size(), "10+5+3 = 18 < 19 = 0.95*20, the 4th key reaches 19");
        assertEquals(a.key(), dist.entries().get(0).key());
        assertEquals(eHigh.key(), dist.entries().get(3).key(), "count tie broken by cpu descending");
        assertEquals((10.0 / 20) / (19.0 / 20), dist.entries().get(0).probability(), 0.0);
        assertEquals(19, dist.kept());
        TypicalDistribution all = TypicalDistribution.fromTasks(tasks, 1.0);
        assertEquals(5, all.size());
        assertEquals(10.0 / 20, all.entries().get(0).probability(), 0.0);
    }
}
