package io.plimsoll.engine.packing;

import org.junit.jupiter.api.Test;

import static io.plimsoll.engine.packing.TestClusters.node;
import static org.junit.jupiter.api.Assertions.*;

class TaskShapeAndNodeStateTest {

    @Test
    void cpuOnlyTaskDropsGpuFields() {
        TaskShape t = new TaskShape("x", 2000, 100, 0, 500, "T4");
        assertTrue(t.isCpuOnly());
        assertEquals(0, t.gpuMilli());
        assertEquals("", t.gpuSpec());
        assertEquals(0, t.gpuDemand());
        assertTrue(t.accessible("P100"));
    }

    @Test
    void gpuSpecIsNormalisedAndMatchedExactly() {
        TaskShape t = TaskShape.of(1000, 0, 1, 500, "|V100M16||V100M32|");
        assertEquals("V100M16|V100M32", t.gpuSpec());
        assertTrue(t.accessible("V100M32"));
        assertFalse(t.accessible("v100m32"));
        assertFalse(t.accessible("V100M"));
        assertTrue(t.isFractional());
        assertEquals(500, t.gpuDemand());
    }

    @Test
    void gpuMilliIsClampedAndKindsAreRecognised() {
        assertEquals(1000, TaskShape.of(1, 0, 1, 1500, "").gpuMilli());
        TaskShape multi = TaskShape.of(1, 0, 4, 1000, "");
        assertTrue(multi.isWholeGpu());
        assertFalse(multi.isFractional());
        assertEquals(4000, multi.gpuDemand());
        assertThrows(IllegalArgumentException.class, () -> TaskShape.of(-1, 0, 0, 0, ""));
        assertThrows(IllegalArgumentException.class, () -> TaskShape.of(1, -5, 0, 0, ""));
    }

    @Test
    void feasibilityChecksCpuMemoryModelAndDevices() {
        NodeState n = new NodeState("n", 8000, 1000, 2, "T4");
        assertTrue(n.fits(TaskShape.of(8000, 1000, 2, 1000, "")));
        assertFalse(n.fits(TaskShape.of(8001, 0, 0, 0, "")), "cpu");
        assertFalse(n.fits(TaskShape.of(1000, 1001, 0, 0, "")), "memory is checked");
        assertFalse(n.fits(TaskShape.of(1000, 0, 1, 100, "P100")), "model");
        assertTrue(n.fits(TaskShape.of(1000, 0, 1, 100, "P100|T4")));
        assertFalse(n.fits(TaskShape.of(1000, 0, 4, 1000, "")), "too many GPUs");
        assertTrue(n.fits(TaskShape.of(1000, 0, 0, 0, "P100")), "CPU-only ignores the model");
    }

    @Test
    void fractionalNeedsOneDeviceWithEnoughFreeAndWholeNeedsFullDevices() {
        NodeState n = node("n", "G2", 96000, 96000, 600, 600, 1000, 0);
        assertTrue(n.fits(TaskShape.of(1000, 0, 1, 600, "")));
        assertTrue(n.fits(TaskShape.of(1000, 0, 1, 1000, "")));
        assertFalse(n.fits(TaskShape.of(1000, 0, 2, 1000, "")), "only one full device although 2200 milli are free");
        NodeState m = node("m", "G2", 96000, 96000, 600, 600, 0, 0);
        assertFalse(m.fits(TaskShape.of(1000, 0, 1, 700, "")), "1200 free in total but no single device has 700");
    }

    @Test
    void bindUpdatesStateIncrementally() {
        NodeState n = new NodeState("n", 16000, 64000, 4, "V100M16");
        n.bind(TaskShape.of(4000, 1000, 2, 1000, ""), n.lowestFullDevices(2));
        assertArrayEquals(new int[] {0, 0, 1000, 1000}, n.freeGpus());
        assertEquals(2, n.fullDevices());
        n.bind(TaskShape.of(1000, 10, 1, 300, ""), new int[] {3});
        assertArrayEquals(new int[] {0, 0, 1000, 700}, n.freeGpus());
        assertEquals(1, n.fullDevices());
        assertEquals(1700, n.freeGpuTotal());
        assertEquals(11000, n.cpuFree());
        assertEquals(62990, n.memFree());
        assertEquals(3, n.tightestDevice(600), "tightest device for 600 is device 3 (700 free)");
        assertThrows(IllegalStateException.class, () -> n.bind(TaskShape.of(1000, 0, 2, 1000, ""), new int[] {2, 3}));
        assertThrows(IllegalArgumentException.class, () -> n.bind(TaskShape.of(1000, 0, 1, 800, ""), new int[] {3}));
        n.release(TaskShape.of(1000, 10, 1, 300, ""), new int[] {3});
        assertArrayEquals(new int[] {0, 0, 1000, 1000}, n.freeGpus());
        assertEquals(2, n.fullDevices());
    }
}
