package io.plimsoll.simulate;

import io.plimsoll.engine.packing.TaskShape;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class AllocationCurveAndSamplerTest {

    @Test
    void curveAveragesRecordsPerRoundedArrivedPercent() {
        // capacity 10 GPUs = 10,000 milli: 1 % = 100 milli
        long[] arrived = {9_960, 10_000, 10_040, 10_060, 11_000};
        long[] allocated = {9_000, 9_100, 9_200, 9_200, 9_500};
        AllocationCurve c = new AllocationCurve(arrived, allocated, arrived.length, 10_000);
        // 99.6 -> 100, 100.0 -> 100, 100.4 -> 100, 100.6 -> 101, 110 -> 110
        assertEquals(AllocationCurve.round2((90.0 + 91.0 + 92.0) / 3), c.at(100), 1e-12);
        assertEquals(92.0, c.at(101), 1e-12);
        assertEquals(95.0, c.at(110), 1e-12);
        assertEquals(91.0, c.at(99), 1e-12, "no record at 99: fall back to the records with 98 <= a <= 100");
        assertEquals(92.0, c.at(102), 1e-12, "no record at 102: fall back to 101..103");
        assertTrue(Double.isNaN(c.at(50)));
    }

    @Test
    void roundHalfEvenOnExactBinaryValue() {
        assertEquals(2.67, AllocationCurve.round2(2.675), 0.0, "2.675 is 2.67499999... in binary");
        assertEquals(0.12, AllocationCurve.round2(0.125), 0.0, "exact tie rounds to even");
        assertEquals(0.38, AllocationCurve.round2(0.375), 0.0);
        long[] a = {5000};
        AllocationCurve c = new AllocationCurve(new long[] {1250}, a, 1, 10_000); // 12.5 % arrived -> a = 12
        assertEquals(50.0, c.at(12), 0.0);
        assertTrue(Double.isNaN(c.at(14)));
    }

    static List<TaskShape> pods() {
        List<TaskShape> pods = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            int n = i % 10 == 0 ? 2 : (i % 5 == 0 ? 0 : 1);
            int m = n == 2 ? 1000 : (n == 0 ? 0 : 100 * (1 + i % 10));
            pods.add(new TaskShape("p" + i, 1000, 10, n, m, ""));
        }
        return pods;
    }

    @Test
    void samplerInflatesWithClonesAppendedAfterOriginals() {
        List<TaskShape> pods = pods();
        long d = pods.stream().mapToLong(TaskShape::gpuDemand).sum();
        long capacity = 30_000;
        ArrivalSampler.Sample s = ArrivalSampler.sample(pods, 7, capacity, 1.3, 42);
        List<TaskShape> seq = s.arrivals();
        Set<String> originals = new HashSet<>();
        for (int i = 0; i < pods.size(); i++) originals.add(seq.get(i).name());
        assertEquals(pods.size(), originals.size(), "every original exactly once, first");
        for (int i = pods.size(); i < seq.size(); i++) assertTrue(seq.get(i).name().contains("-tuned-"));
        assertEquals(seq.size() - pods.size(), s.clones());
        long total = seq.stream().mapToLong(TaskShape::gpuDemand).sum();
        assertTrue(d < 1.3 * capacity);
        assertTrue(total <= 1.3 * capacity + 1000, "stops near the target");
        assertTrue(total > 1.3 * capacity - 2000, "does not stop early: " + total);
        int[] r = s.ranks().clone();
        java.util.Arrays.sort(r);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, r, "node ranks are a permutation");
        assertEquals(seq.stream().map(TaskShape::name).toList(),
                ArrivalSampler.sample(pods, 7, capacity, 1.3, 42).arrivals().stream().map(TaskShape::name).toList(),
                "deterministic per seed");
    }

    @Test
    void samplerPrunesWhenDemandExceedsTarget() {
        List<TaskShape> pods = pods();
        long d = pods.stream().mapToLong(TaskShape::gpuDemand).sum();
        long capacity = 10_000; // target 13,000 < demand
        assertTrue(d > 13_000);
        ArrivalSampler.Sample s = ArrivalSampler.sample(pods, 3, capacity, 1.3, 7);
        assertEquals(0, s.clones());
        assertEquals(pods.size() - s.pruned(), s.arrivals().size());
        assertTrue(s.arrivals().stream().mapToLong(TaskShape::gpuDemand).sum() <= 13_000);
    }
}
