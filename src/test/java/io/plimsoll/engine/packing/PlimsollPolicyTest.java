package io.plimsoll.engine.packing;

import org.junit.jupiter.api.Test;

import static io.plimsoll.engine.packing.TestClusters.cluster;
import static io.plimsoll.engine.packing.TestClusters.dist;
import static io.plimsoll.engine.packing.TestClusters.node;
import static org.junit.jupiter.api.Assertions.*;

class PlimsollPolicyTest {

    @Test
    void avoidsStrandingGpusOnCpuTightNodesWhereFgdTies() {
        // typical workload: whole GPUs with 100 milli-CPU each -> rho = 0.1 milli-CPU per milli-GPU
        TypicalDistribution d = dist(TaskShape.of(100, 0, 1, 1000, ""), 1);
        NodeState tight = node("tight", "G2", 96000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000);
        NodeState roomy = node("roomy", "G2", 96000, 96000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000);
        Cluster c = cluster(tight, roomy);
        TaskShape t = TaskShape.of(500, 0, 1, 1000, "");
        // FGD: the typical shape still fits on both nodes after placement -> delta 0 on both -> rank decides
        assertEquals(0, new FgdPolicy(d).choose(c, t).nodeIndex());
        PlimsollPolicy p = new PlimsollPolicy(d);
        assertEquals(0.1, p.cpuPerMilliGpu(), 1e-12);
        // tight: 7000 free milli-GPU but only 500 milli-CPU = 5000 milli-GPU worth -> 2000 stranded
        assertEquals(2000, p.stranded(500, 7000), 1e-9);
        assertEquals(0, p.stranded(1000, 8000), 1e-9);
        assertEquals(1, p.choose(c, t).nodeIndex());
        // with FGD-equivalent parameters it behaves like FGD
        assertEquals(0, new PlimsollPolicy(d, PlimsollPolicy.Params.FGD_EQUIVALENT).choose(c, t).nodeIndex());
    }

    @Test
    void strandedGrowthBreaksTiesBetweenEqualScores() {
        // CPU-only task: no GPU moves, but taking 2000 milli-CPU from the tight node strands GPU
        TypicalDistribution d = dist(TaskShape.of(100, 0, 1, 1000, ""), 1);
        NodeState tight = node("tight", "G2", 96000, 2100, 1000, 1000); // 100 milli-CPU left after: feeds only 1000 of 2000 milli-GPU
        NodeState roomy = node("roomy", "T4", 96000, 50000, 1000, 1000);
        Cluster c = cluster(tight, roomy);
        TaskShape cpuTask = TaskShape.of(2000, 0, 0, 0, "");
        assertEquals(0, new FgdPolicy(d).choose(c, cpuTask).nodeIndex(), "FGD: both deltas 0, rank decides");
        assertEquals(1, new PlimsollPolicy(d).choose(c, cpuTask).nodeIndex());
    }

    @Test
    void modelPressureComesOnlyFromConstrainedShapes() {
        TypicalDistribution unconstrained = dist(TaskShape.of(1000, 0, 1, 1000, ""), 3, TaskShape.of(1000, 0, 1, 500, ""), 1);
        Cluster c = cluster(node("t", "T4", 96000, 96000, 1000, 1000), node("g", "G2", 96000, 96000, 1000, 1000, 1000, 1000));
        PlimsollPolicy p = new PlimsollPolicy(unconstrained);
        assertEquals(0, p.pressure(c, "T4"), 0.0);
        assertEquals(0, p.pressure(c, "G2"), 0.0);
        // half the typical demand wants T4 (2 of 6 GPUs): T4 density 500/2 per GPU vs 1000/6 overall -> 1.5
        TypicalDistribution t4 = dist(TaskShape.of(1000, 0, 1, 1000, "T4"), 1, TaskShape.of(1000, 0, 1, 1000, ""), 1);
        PlimsollPolicy q = new PlimsollPolicy(t4);
        assertEquals((500.0 / 2) / (1000.0 / 6), q.pressure(c, "T4"), 1e-12);
        assertEquals(0, q.pressure(c, "G2"), 0.0);
        // an unconstrained whole-GPU task goes to G2 and leaves T4 for the constrained shape
        assertEquals(1, q.choose(c, TaskShape.of(1000, 0, 1, 1000, "")).nodeIndex());
        assertEquals(0, q.choose(c, TaskShape.of(1000, 0, 1, 1000, "T4")).nodeIndex());
    }
}
