package io.plimsoll.engine;

import io.plimsoll.engine.packing.Cluster;
import io.plimsoll.engine.packing.Policies;
import io.plimsoll.engine.packing.TaskShape;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementEngineTest {
    static final long GIB = Units.GIB;
    final PlacementEngine engine = new PlacementEngine();

    static PoolProfile gpuPool(String name, String model, int memGiB, int devices, SharingMode sharing, double cost,
                               WorkloadPhase... phases) {
        return new PoolProfile(name, AcceleratorType.GPU, model, memGiB, devices, "nvidia.com/gpu", sharing, List.of(),
                null, cost, Set.of(phases));
    }

    static NodeState node(String name, String pool, int devices) {
        return new NodeState(name, pool, true, 64_000, 512 * GIB, devices, Map.of());
    }

    static Need gpus(WorkloadPhase phase, int replicas, int count, double minMem) {
        return new Need(phase, replicas, 1000, GIB, AcceleratorType.GPU, count, 0, minMem, Set.of(), null,
                phase == WorkloadPhase.Training);
    }

    static Need share(int replicas, int milli, double minMem) {
        return new Need(WorkloadPhase.Inference, replicas, 1000, GIB, AcceleratorType.GPU, 0, milli, minMem, Set.of(), null, false);
    }

    ClusterState t4h100() {
        return new ClusterState()
                .addPool(gpuPool("t4", "T4", 16, 4, SharingMode.Fractional, 2.0))
                .addPool(gpuPool("h100", "H100", 80, 8, SharingMode.Exclusive, 88.0))
                .addNode(node("t4-0", "t4", 4)).addNode(node("t4-1", "t4", 4))
                .addNode(node("h100-0", "h100", 8)).addNode(node("h100-1", "h100", 8));
    }

    @Test
    void aDecisionLeavesTheCallersStateAsItWasUnderEveryStrategy() {
        for (PackingStrategy strategy : PackingStrategy.values()) {
            ClusterState s = t4h100();
            String before = s.nodes().toString();
            PhaseRules rules = new PhaseRules(java.util.List.of(), PoolOrder.Cheapest, true, strategy);
            PlacementDecision d = engine.place(gpus(WorkloadPhase.Training, 2, 6, 40), s, rules);
            assertTrue(d.placed(), strategy + ": " + d.explain());
            d = engine.place(share(6, 500, 0), s, rules);
            assertTrue(d.placed(), strategy + ": " + d.explain());
            assertEquals(before, s.nodes().toString(), strategy + ": the engine works on copies");
            s.apply(d);
            assertFalse(before.equals(s.nodes().toString()), "applying the decision changes the state");
        }
    }

    @Test
    void picksTheCheapestPoolThatFits() {
        PlacementDecision d = engine.place(gpus(WorkloadPhase.Inference, 1, 1, 8), t4h100(), PhaseRules.DEFAULT);
        assertEquals("t4", d.pool(), "a job a T4 can serve must not land on an H100");
        assertEquals(0.5, d.costPerHour(), 1e-9, "one of four T4s on a $2/h node");
    }

    @Test
    void deviceMemoryRulesOutSmallDevices() {
        PlacementDecision d = engine.place(gpus(WorkloadPhase.Inference, 1, 1, 24), t4h100(), PhaseRules.DEFAULT);
        assertEquals("h100", d.pool());
        assertEquals(11.0, d.costPerHour(), 1e-9);
    }

    @Test
    void preferenceOrderOverridesCost() {
        PhaseRules rules = new PhaseRules(List.of("h100", "t4"), PoolOrder.Preference, true, PackingStrategy.BestFit);
        assertEquals("h100", engine.place(gpus(WorkloadPhase.Inference, 1, 1, 8), t4h100(), rules).pool());
    }

    @Test
    void bestFitFillsTheBusiestNodeAndKeepsWholeNodesFree() {
        ClusterState s = t4h100();
        s.node("h100-1").useDevice(0, 1000);
        s.node("h100-1").useDevice(1, 1000);
        PlacementDecision d = engine.place(gpus(WorkloadPhase.Training, 1, 4, 40), s, PhaseRules.DEFAULT);
        assertEquals("h100-1", d.slots().get(0).node(), "best fit uses the partly used node");
        assertEquals(List.of(2, 3, 4, 5), d.slots().get(0).devices());
    }

    @Test
    void spreadPicksTheEmptiestNode() {
        ClusterState s = t4h100();
        s.node("h100-1").useDevice(0, 1000);
        PhaseRules spread = new PhaseRules(List.of(), PoolOrder.Cheapest, true, PackingStrategy.Spread);
        assertEquals("h100-0", engine.place(gpus(WorkloadPhase.Training, 1, 4, 40), s, spread).slots().get(0).node());
    }

    @Test
    void fractionsFillAPartlyUsedDeviceBeforeOpeningAFreshOne() {
        ClusterState s = t4h100();
        s.node("t4-1").useDevice(2, 500);
        PlacementDecision d = engine.place(share(1, 500, 0), s, PhaseRules.DEFAULT);
        assertEquals("t4-1", d.slots().get(0).node());
        assertEquals(List.of(2), d.slots().get(0).devices());
        assertEquals(500, d.slots().get(0).fractionMilli());
    }

    @Test
    void appliedFractionsAreCountedOnceAndNeverOverfillADevice() {
        ClusterState s = new ClusterState().addPool(gpuPool("t4", "T4", 16, 1, SharingMode.Fractional, 2.0))
                .addNode(node("t4-0", "t4", 1));
        for (int i = 0; i < 3; i++) {
            PlacementDecision d = engine.place(share(1, 300, 0), s, PhaseRules.DEFAULT);
            assertTrue(d.placed(), "share " + i + " fits: " + d.explain());
            assertEquals(List.of(0), d.slots().get(0).devices());
            s.apply(d);
        }
        assertEquals(900, s.node("t4-0").deviceUsedMilli(0), "three 0.3 shares on the one device, counted once each");
        PlacementDecision fourth = engine.place(share(1, 300, 0), s, PhaseRules.DEFAULT);
        assertFalse(fourth.placed());
        assertEquals("t4: no device has 0.3 free (largest free share 0.1, 0 whole devices free)", fourth.explain());
    }

    @Test
    void fractionShareMustHoldTheMemoryNeeded() {
        PlacementDecision d = engine.place(share(1, 250, 6), t4h100(), PhaseRules.DEFAULT);
        // 0.25 of a T4 is 4 GiB; the H100 pool is exclusive, so the share takes a whole H100.
        assertEquals("h100", d.pool());
        assertTrue(d.rejections().stream().anyMatch(r -> r.reason().equals("0.25 of a 16 GiB T4 is 4 GiB < 6 GiB needed")),
                d.rejections().toString());
        assertEquals(List.of(0), d.slots().get(0).devices());
        assertEquals(0, d.slots().get(0).fractionMilli(), "an exclusive pool gives the share a whole device");
    }

    @Test
    void gangIsAllOrNothing() {
        ClusterState s = t4h100();
        s.node("h100-0").useDevice(0, 1000);
        Need gang = gpus(WorkloadPhase.Training, 2, 8, 80);
        PlacementDecision d = engine.place(gang, s, PhaseRules.DEFAULT);
        assertFalse(d.placed(), "only one node has 8 free devices: no replica may be placed");
        assertTrue(d.slots().isEmpty());
        assertEquals("h100: gang of 2 replicas, only 1 fit at once (15 of 16 devices free; 1 node(s) have the 8 each replica needs); "
                + "t4: device memory 16 GiB < 80 GiB needed", d.explain());
        assertEquals(0, s.node("h100-1").deviceUsedMilli(0), "the engine never changes the state it reads");

        PlacementDecision ok = engine.place(gang, t4h100(), PhaseRules.DEFAULT);
        assertTrue(ok.placed());
        assertEquals(Set.of("h100-0", "h100-1"), Set.of(ok.slots().get(0).node(), ok.slots().get(1).node()));
    }

    @Test
    void nothingFitsExplainsEveryPool() {
        Need tpu = new Need(WorkloadPhase.Training, 1, 1000, GIB, AcceleratorType.TPU, 4, 0, 0, Set.of(), "2x2", true);
        PlacementDecision d = engine.place(tpu, t4h100(), PhaseRules.DEFAULT);
        assertFalse(d.placed());
        assertEquals("h100: carries GPUs, the workload asks for a TPU; t4: carries GPUs, the workload asks for a TPU", d.explain());
    }

    @Test
    void modelAllowListAndPhaseFilter() {
        ClusterState s = t4h100().addPool(gpuPool("l4", "L4", 24, 4, SharingMode.Fractional, 3.6, WorkloadPhase.Inference))
                .addNode(node("l4-0", "l4", 4));
        Need onlyH100 = new Need(WorkloadPhase.Optimization, 1, 1000, GIB, AcceleratorType.GPU, 1, 0, 0, Set.of("h100"), null, false);
        PlacementDecision d = engine.place(onlyH100, s, PhaseRules.DEFAULT);
        assertEquals("h100", d.pool());
        assertEquals(List.of(new Rejection("l4", "does not accept Optimization workloads (spec.phases of the pool)"),
                new Rejection("t4", "model T4 is not in the allowed models [H100]")), d.rejections());
    }

    @Test
    void unknownPoolInPolicyIsExplained() {
        PhaseRules rules = new PhaseRules(List.of("a100"), PoolOrder.Cheapest, true, PackingStrategy.BestFit);
        PlacementDecision d = engine.place(gpus(WorkloadPhase.Inference, 1, 1, 0), t4h100(), rules);
        assertFalse(d.placed());
        assertTrue(d.explain().startsWith("a100: no AcceleratorPool of that name"), d.explain());
    }

    @Test
    void cpuAndMemoryMustFitOnTheNodeWithTheDevices() {
        ClusterState s = t4h100();
        s.node("t4-0").useResources(63_500, 0);
        s.node("t4-1").useResources(63_500, 0);
        Need n = new Need(WorkloadPhase.Inference, 1, 4000, GIB, AcceleratorType.GPU, 1, 0, 0, Set.of("T4"), null, false);
        PlacementDecision d = engine.place(n, s, PhaseRules.DEFAULT);
        assertFalse(d.placed());
        assertTrue(d.explain().contains("t4: not enough CPU: needs 4 cores, at most 0.5 free on a node with free devices"), d.explain());
    }

    @Test
    void cordonedNodesAreSkipped() {
        ClusterState s = new ClusterState().addPool(gpuPool("t4", "T4", 16, 4, SharingMode.Fractional, 2.0))
                .addNode(new NodeState("t4-0", "t4", false, 64_000, 64 * GIB, 4, Map.of()));
        assertEquals("t4: 1 node is cordoned or not ready", engine.place(share(1, 500, 0), s, PhaseRules.DEFAULT).explain());
    }

    @Test
    void migGetsTheSmallestProfileThatFits() {
        PoolProfile mig = new PoolProfile("a100-mig", AcceleratorType.GPU, "A100", 80, 8, "nvidia.com/gpu", SharingMode.MIG,
                List.of(new MigSlice("3g.40gb", "nvidia.com/mig-3g.40gb", 40, 0.43), new MigSlice("1g.10gb", "nvidia.com/mig-1g.10gb", 10, 0.14)),
                null, 29.4, Set.of());
        ClusterState s = new ClusterState().addPool(mig).addNode(new NodeState("m0", "a100-mig", true, 96_000, 1024 * GIB, 0,
                Map.of("nvidia.com/mig-1g.10gb", 1, "nvidia.com/mig-3g.40gb", 2)));
        PlacementDecision small = engine.place(share(1, 100, 10), s, PhaseRules.DEFAULT);
        assertEquals("1g.10gb", small.slots().get(0).mig().name());
        s.apply(small);
        PlacementDecision again = engine.place(share(1, 100, 10), s, PhaseRules.DEFAULT);
        assertFalse(again.placed(), "only one 1g.10gb instance; a bigger profile is not handed out for a small need");
        assertEquals("a100-mig: 0 of 1 MIG 1g.10gb instances free", again.explain());
        assertEquals("3g.40gb", engine.place(share(1, 300, 20), s, PhaseRules.DEFAULT).slots().get(0).mig().name());
        assertEquals("a100-mig: no MIG profile with 60 GiB or more (largest: 3g.40gb, 40 GiB)",
                engine.place(share(1, 750, 0), s, PhaseRules.DEFAULT).explain());
        assertEquals("a100-mig: MIG pool hands out MIG instances, not whole devices: ask for a fraction",
                engine.place(gpus(WorkloadPhase.Inference, 1, 1, 0), s, PhaseRules.DEFAULT).explain());
    }

    @Test
    void tpuSliceTopologyMustMatch() {
        PoolProfile tpu = new PoolProfile("v5e", AcceleratorType.TPU, "v5e", 16, 4, "google.com/tpu", SharingMode.Exclusive,
                List.of(), "2x2", 4.8, Set.of());
        ClusterState s = new ClusterState().addPool(tpu).addNode(node("tpu-0", "v5e", 4));
        Need twoByTwo = new Need(WorkloadPhase.Training, 1, 1000, GIB, AcceleratorType.TPU, 4, 0, 0, Set.of(), "2x2", true);
        assertEquals(List.of(0, 1, 2, 3), engine.place(twoByTwo, s, PhaseRules.DEFAULT).slots().get(0).devices());
        Need twoByFour = new Need(WorkloadPhase.Training, 1, 1000, GIB, AcceleratorType.TPU, 8, 0, 0, Set.of(), "2x4", true);
        assertEquals("v5e: slice topology 2x2, the workload needs 2x4", engine.place(twoByFour, s, PhaseRules.DEFAULT).explain());
    }

    @Test
    void cpuOnlyWorkGoesToCpuPools() {
        ClusterState s = t4h100().addPool(PoolProfile.cpu("cpu", 0.68))
                .addNode(new NodeState("cpu-0", "cpu", true, 16_000, 64 * GIB, 0, Map.of()));
        Need cpu = new Need(WorkloadPhase.Optimization, 1, 8000, 16 * GIB, AcceleratorType.None, 0, 0, 0, Set.of(), null, false);
        PlacementDecision d = engine.place(cpu, s, PhaseRules.DEFAULT);
        assertEquals("cpu", d.pool());
        assertEquals(0.34, d.costPerHour(), 1e-9, "half the node's CPU");
        assertNull(d.slots().get(0).mig());
    }

    @Test
    void sharingDisabledByPolicyGivesWholeDevices() {
        PhaseRules noSharing = new PhaseRules(List.of(), PoolOrder.Cheapest, false, PackingStrategy.BestFit);
        PlacementDecision d = engine.place(share(1, 250, 0), t4h100(), noSharing);
        assertEquals("t4", d.pool());
        assertEquals(0, d.slots().get(0).fractionMilli());
        assertEquals(1, d.slots().get(0).devices().size());
    }

    @Test
    void fgdAndPlimsollStrategiesUseThePackingEngineOnThePoolsNodes() {
        for (PackingStrategy strategy : List.of(PackingStrategy.FGD, PackingStrategy.Plimsoll)) {
            ClusterState s = new ClusterState().addPool(gpuPool("t4", "T4", 16, 4, SharingMode.Fractional, 2.0));
            s.addNode(new NodeState("a", "t4", true, 8_000, 64 * GIB, 4, Map.of()));
            s.addNode(new NodeState("b", "t4", true, 32_000, 64 * GIB, 4, Map.of()));
            s.addNode(new NodeState("c", "t4", true, 32_000, 64 * GIB, 4, Map.of()));
            s.node("a").useDevice(0, 600);
            s.node("b").useDevice(0, 500);
            s.node("b").useDevice(1, 1000);
            s.node("c").useResources(30_000, 0);
            s.addRunningShape(TaskShape.of(4000, 1024, 1, 500, "")).addRunningShape(TaskShape.of(8000, 1024, 1, 1000, ""));
            Need n = share(2, 500, 0);
            PhaseRules rules = new PhaseRules(List.of(), PoolOrder.Cheapest, true, strategy);
            PlacementDecision d = engine.place(n, s, rules);

            // The same decision, asked of the packing engine directly on the same nodes.
            TaskShape shape = TaskShape.of(1000, 1024, 1, 500, "");
            var policy = Policies.create(strategy.packingPolicy(), s.typicalWorkload(shape));
            var view = new Cluster(List.of(s.node("a").forPacking("T4"), s.node("b").forPacking("T4"), s.node("c").forPacking("T4")), null);
            List<String> names = List.of("a", "b", "c");
            for (int r = 0; r < 2; r++) {
                var p = view.place(policy, shape);
                assertEquals(names.get(p.nodeIndex()), d.slots().get(r).node(), strategy + " replica " + r);
                assertEquals(List.of(p.devices()[0]), d.slots().get(r).devices(), strategy + " replica " + r);
            }
            assertEquals(0, s.node("b").deviceUsedMilli(2), "the engine's state is left as it was");
        }
    }

    @Test
    void poolUsageReportsAllocationCostAndFragmentation() {
        ClusterState s = t4h100();
        s.addRunningShape(TaskShape.of(1000, 1024, 1, 1000, ""));
        s.node("t4-0").useDevice(0, 1000);
        s.node("t4-0").useDevice(1, 250);
        PoolUsage u = PoolUsage.of(s.pool("t4"), s);
        assertEquals(8, u.devicesTotal());
        assertEquals(1.25, u.devicesAllocated(), 1e-9);
        assertEquals(6, u.devicesFree());
        assertEquals(15.6, u.utilizationPercent(), 1e-9);
        assertEquals(4.0, u.costPerHour(), 1e-9);
        assertEquals(3.38, u.idleCostPerHour(), 1e-9);
        assertEquals(9.4, u.fragmentationPercent(), 1e-9,
                "the typical task needs a whole GPU: the 0.75 left on a partly used device is lost, of 8 devices");
        assertEquals(0, PoolUsage.of(s.pool("t4"), t4h100()).fragmentationPercent(), 1e-9, "nothing runs: no typical workload");
    }
}
