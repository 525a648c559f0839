package io.plimsoll.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plimsoll.engine.ReplicaPlanner.DeletePod;
import io.plimsoll.engine.ReplicaPlanner.DeleteReason;
import io.plimsoll.engine.ReplicaPlanner.Input;
import io.plimsoll.engine.ReplicaPlanner.Outcome;
import io.plimsoll.engine.ReplicaPlanner.Park;
import io.plimsoll.engine.ReplicaPlanner.PodPhase;
import io.plimsoll.engine.ReplicaPlanner.Replica;
import io.plimsoll.engine.ReplicaPlanner.Resume;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What happens to a workload's existing replicas, decided without any API server. */
class ReplicaPlannerTest {
    static Replica pod(int i, PodPhase phase) {
        boolean terminal = phase == PodPhase.Succeeded || phase == PodPhase.Failed;
        return new Replica(i, "ns/w-" + i, phase, terminal, true, false, true, true, 250, List.of(), true);
    }

    static Replica parked(int i, List<String> others, boolean othersAllParked) {
        return new Replica(i, "ns/w-" + i, PodPhase.Running, false, true, true, true, false, 250, others, othersAllParked);
    }

    static Input longRunning(int desired, boolean park, boolean hold, Replica... pods) {
        return new Input(false, true, true, desired, park, hold, List.of(pods), Set.of());
    }

    @Test
    void aParkedShareIsNeverSmallerThanTheMemoryItsModelHolds() {
        assertEquals(250, ReplicaPlanner.parkedShare(2, 250, 16), "a small model: the policy's parkFraction");
        assertEquals(625, ReplicaPlanner.parkedShare(10, 250, 16), "10 of 16 GiB");
        assertEquals(1000, ReplicaPlanner.parkedShare(16, 250, 16), "fills the device: parking gains nothing");
        assertEquals(1000, ReplicaPlanner.parkedShare(40, 250, 16), "more than the device");
    }

    /**
     * Random work on a Fractional pool: whole-device replicas that later park in place (their device then counts for
     * their parked share only, with their model still in its memory), active shares and parked replicas placed by the
     * engine. No device ever holds more model memory, parked and active together, than it has.
     */
    @Test
    void aDeviceNeverHoldsMoreParkedAndActiveMemoryThanItHas() {
        int deviceGiB = 16;
        PoolProfile pool = new PoolProfile("t4", AcceleratorType.GPU, "T4", deviceGiB, 4, "nvidia.com/gpu", SharingMode.Fractional,
                List.of(), null, 2.0, Set.of(WorkloadPhase.Inference));
        ClusterState state = new ClusterState().addPool(pool);
        for (int i = 0; i < 8; i++) state.addNode(new NodeState("t4-" + i, "t4", true, 64_000, 256L << 30, 4, java.util.Map.of()));
        PhaseRules rules = new PhaseRules(List.of(), PoolOrder.Cheapest, true, PackingStrategy.BestFit);
        java.util.Map<String, Double> memoryOnDevice = new java.util.HashMap<>();
        record Whole(String node, int device, double modelGiB) {}
        List<Whole> running = new java.util.ArrayList<>();
        java.util.Random random = new java.util.Random(7);
        PlacementEngine engine = new PlacementEngine();
        int placed = 0, parkedInPlace = 0;
        for (int step = 0; step < 600; step++) {
            double modelGiB = 0.5 + random.nextInt(30) / 2.0; // 0.5 .. 15 GiB
            int kind = random.nextInt(4);
            if (kind == 0 && !running.isEmpty()) {
                // An idle whole-device replica parks in place: the operator's ReplicaPlanner gives the share.
                Whole w = running.remove(random.nextInt(running.size()));
                int share = ReplicaPlanner.parkedShare(w.modelGiB(), 250, deviceGiB);
                if (share >= 1000) continue;
                NodeState n = state.node(w.node());
                n.freeDevice(w.device());
                n.useDevice(w.device(), share);
                parkedInPlace++;
                continue;
            }
            Need need;
            if (kind == 1) {
                need = PlacementEngineTest.gpus(WorkloadPhase.Inference, 1, 1, modelGiB);
            } else if (kind == 2) {
                int parkedMilli = ReplicaPlanner.parkedShare(modelGiB, 250, deviceGiB);
                if (parkedMilli >= 1000) continue;
                need = PlacementEngineTest.share(1, 500, modelGiB).asShare(parkedMilli); // a parked replica that moved
            } else {
                int milli = (int) Math.ceil(modelGiB * 1000 / deviceGiB / 50) * 50; // an active share big enough for its model
                if (milli >= 1000) continue;
                need = PlacementEngineTest.share(1, milli, modelGiB);
            }
            PlacementDecision d = engine.place(need, state, rules);
            if (!d.placed()) continue;
            placed++;
            state.apply(d);
            ReplicaSlot slot = d.slots().get(0);
            if (kind == 1) running.add(new Whole(slot.node(), slot.devices().get(0), modelGiB));
            String device = slot.node() + "/" + slot.devices().get(0);
            double total = memoryOnDevice.merge(device, modelGiB, Double::sum);
            assertTrue(total <= deviceGiB + 1e-9, "step " + step + ": " + device + " holds " + total + " GiB of " + deviceGiB);
        }
        assertTrue(placed > 50 && parkedInPlace > 10, placed + " placed, " + parkedInPlace + " parked in place");
    }

    @Test
    void aFailedGangMemberFailsTheWorkloadAndFreesTheOthers() {
        var plan = ReplicaPlanner.plan(new Input(true, true, false, 3, false, false,
                List.of(pod(0, PodPhase.Running), pod(1, PodPhase.Failed), pod(2, PodPhase.Succeeded)), Set.of()));
        assertEquals(Outcome.Failed, plan.outcome());
        assertEquals(1, plan.failed().index());
        assertEquals(List.of(new DeletePod(0, "ns/w-0", DeleteReason.GangMemberFailed)), plan.actions(), "only live members go");
        assertEquals(List.of(), plan.missing(), "nothing is placed again");
    }

    @Test
    void runToCompletionSucceedsWhenEveryWantedReplicaSucceeded() {
        var plan = ReplicaPlanner.plan(new Input(true, true, false, 2, false, false,
                List.of(pod(0, PodPhase.Succeeded), pod(1, PodPhase.Succeeded)), Set.of()));
        assertEquals(Outcome.Succeeded, plan.outcome());
        assertEquals(List.of(), plan.actions());
        // One still running: active, and a finished replica is not placed again.
        plan = ReplicaPlanner.plan(new Input(true, true, false, 2, false, false,
                List.of(pod(0, PodPhase.Succeeded), pod(1, PodPhase.Running)), Set.of()));
        assertEquals(Outcome.Active, plan.outcome());
        assertEquals(List.of(), plan.missing());
        assertNull(plan.failed());
    }

    @Test
    void longRunningReplicasThatEndAreReplacedAndThoseAboveTheCountGo() {
        var plan = ReplicaPlanner.plan(new Input(false, true, true, 2, false, false,
                List.of(pod(0, PodPhase.Failed), pod(1, PodPhase.Running), pod(2, PodPhase.Running), pod(3, PodPhase.Pending)), Set.of()));
        assertEquals(List.of(new DeletePod(0, "ns/w-0", DeleteReason.ReplicaEnded),
                new DeletePod(2, "ns/w-2", DeleteReason.AboveDesiredReplicas),
                new DeletePod(3, "ns/w-3", DeleteReason.AboveDesiredReplicas)), plan.actions());
        assertEquals(Set.of(1), plan.remaining());
        assertEquals(List.of(0), plan.missing());
    }

    @Test
    void aReplicaBeingCreatedIsNotMissing() {
        var plan = ReplicaPlanner.plan(new Input(false, false, false, 3, false, false, List.of(pod(0, PodPhase.Running)), Set.of(1)));
        assertEquals(List.of(2), plan.missing());
    }

    @Test
    void idleRunningWholeReplicasParkInPlaceOthersDoNot() {
        Replica notPinned = new Replica(1, "ns/w-1", PodPhase.Running, false, true, false, false, true, 250, List.of(), true);
        Replica starting = pod(2, PodPhase.Pending);
        Replica fills = new Replica(3, "ns/w-3", PodPhase.Running, false, true, false, true, true, 1000, List.of(), true);
        Replica unrecorded = new Replica(4, "ns/w-4", PodPhase.Running, false, false, false, false, false, 1000, List.of(), true);
        var plan = ReplicaPlanner.plan(longRunning(5, true, false, pod(0, PodPhase.Running), notPinned, starting, fills, unrecorded));
        assertEquals(List.of(new Park(0, "ns/w-0", 250)), plan.actions());
        assertEquals(Set.of(0), plan.parked());
        // Not parkable (parking off, or not one whole GPU): nothing parks.
        plan = ReplicaPlanner.plan(new Input(false, true, false, 1, true, false, List.of(pod(0, PodPhase.Running)), Set.of()));
        assertEquals(List.of(), plan.actions());
    }

    @Test
    void aParkedReplicaResumesInPlaceMovingOtherParkedOffOrIsReplacedWhenActiveWorkShares() {
        var resume = ReplicaPlanner.plan(longRunning(1, false, false, parked(0, List.of("other/x-0"), true)));
        assertEquals(List.of(new Resume(0, "ns/w-0", List.of("other/x-0"))), resume.actions());
        assertEquals(Set.of(), resume.parked());

        var replace = ReplicaPlanner.plan(longRunning(1, false, false, parked(0, List.of("other/y-0"), false)));
        assertEquals(List.of(new DeletePod(0, "ns/w-0", DeleteReason.ParkedDeviceShared)), replace.actions());
        assertEquals(List.of(0), replace.missing(), "placed again, whole");
    }

    @Test
    void parkedReplicasStayParkedWhileIdleOrWithoutASignal() {
        for (boolean[] parkHold : new boolean[][]{{true, false}, {false, true}}) {
            var plan = ReplicaPlanner.plan(longRunning(1, parkHold[0], parkHold[1], parked(0, List.of(), true)));
            assertEquals(List.of(), plan.actions());
            assertEquals(Set.of(0), plan.parked());
        }
    }
}
