package io.plimsoll.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
