package io.plimsoll.reconciler;

import io.plimsoll.api.AIWorkloadStatus;
import io.plimsoll.api.QueueStatus;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.Rejection;
import io.plimsoll.reconciler.WorkloadStatusComposer.PendingReason;
import io.plimsoll.scheduling.PlacementLoop;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The status a workload shows, from the loop's answer and its pods, without an API server. */
class WorkloadStatusComposerTest {
    private static final long NOW = 1_000_000;
    private static final Long GEN = 3L;

    private static WorkloadStatusComposer.Waiting waiting(PlacementLoop.Standing standing, TenantPreemption.Hold hold, WorkloadState before) {
        return new WorkloadStatusComposer.Waiting(2, 4, "4x 1 GPU", standing, hold, before, NOW, 5_000);
    }

    private static String reason(AIWorkloadStatus s, String type) {
        return Conditions.get(s.getConditions(), type).getReason();
    }

    @Test
    void aWorkloadTheLoopHasNotAnsweredForIsQueuedWithItsPlaceAndNoState() {
        AIWorkloadStatus s = new AIWorkloadStatus();
        var shown = WorkloadStatusComposer.waiting(s, waiting(new PlacementLoop.Standing(7, 40, null, 0), null, null), GEN);
        assertNull(s.getState(), "no state until the loop has answered");
        assertEquals(QueueStatus.Reason.Queued, s.getQueue().getReason());
        assertEquals(7, s.getQueue().getPosition());
        assertEquals(40, s.getQueue().getOf());
        assertNull(shown.pending());
        assertFalse(shown.nowPending());
        assertEquals(NOW + 5_000, shown.recheckAt());
    }

    @Test
    void aQuotaAnswerIsPendingForQuotaAndTellsOnceWhenItStartsWaiting() {
        AIWorkloadStatus s = new AIWorkloadStatus();
        var last = new PlacementLoop.Result(PlacementLoop.Outcome.QUOTA, null, "team-a uses 12.0 of 12.0 GPU-eq");
        var shown = WorkloadStatusComposer.waiting(s, waiting(new PlacementLoop.Standing(1, 2, last, 0), null, WorkloadState.Placed), GEN);
        assertEquals(WorkloadState.Pending, s.getState());
        assertEquals("waiting for quota: team-a uses 12.0 of 12.0 GPU-eq", s.getMessage());
        assertEquals(QueueStatus.Reason.Quota, s.getQueue().getReason());
        assertEquals("team-a uses 12.0 of 12.0 GPU-eq", s.getQueue().getMessage());
        assertEquals("QuotaExceeded", reason(s, "Placed"));
        assertEquals(GEN, Conditions.get(s.getConditions(), "Placed").getObservedGeneration());
        assertEquals(PendingReason.QuotaExceeded, shown.pending());
        assertTrue(shown.nowPending());
        assertEquals("WaitingForQuota", shown.note().reason());

        var again = WorkloadStatusComposer.waiting(s, waiting(new PlacementLoop.Standing(1, 2, last, 0), null, WorkloadState.Pending), GEN);
        assertFalse(again.nowPending(), "already pending: nothing new to tell");
        assertNull(again.note());
    }

    @Test
    void anUnplaceableAnswerListsEachPoolsRefusalAndSaysWhenNodesAreNominated() {
        AIWorkloadStatus s = new AIWorkloadStatus();
        var d = PlacementDecision.unplaceable(List.of(new Rejection("t4", "0 of 8 devices free"), new Rejection("a100", "device memory 40 GiB < 80 GiB needed")));
        var last = new PlacementLoop.Result(PlacementLoop.Outcome.UNPLACEABLE, d, "ignored");
        var shown = WorkloadStatusComposer.waiting(s, waiting(new PlacementLoop.Standing(1, 1, last, 0), null, null), GEN);
        assertEquals(WorkloadState.Pending, s.getState());
        assertEquals("cannot place 2 of 4 replica(s) (4x 1 GPU): " + d.explain(), s.getMessage());
        assertEquals(QueueStatus.Reason.Unschedulable, s.getQueue().getReason());
        assertNull(s.getQueue().getNominatedNodes());
        assertEquals(List.of("a100", "t4"), s.getUnplaceable().stream().map(r -> r.getPool()).toList());
        assertEquals("Unschedulable", reason(s, "Placed"));
        assertEquals("Pending", reason(s, "Ready"));
        assertEquals(PendingReason.Unschedulable, shown.pending());
        assertTrue(shown.nowPending());
        assertNull(shown.note(), "the loop sent the warning already");

        WorkloadStatusComposer.waiting(s, waiting(new PlacementLoop.Standing(1, 1, last, 3), null, WorkloadState.Pending), GEN);
        assertEquals(QueueStatus.Reason.Nominated, s.getQueue().getReason());
        assertEquals(3, s.getQueue().getNominatedNodes());
    }

    @Test
    void workWaitingForItsVictimsSaysWhichNodesAreHeldUntilWhenAndLooksAgainThen() {
        AIWorkloadStatus s = new AIWorkloadStatus();
        s.setUnplaceable(new java.util.ArrayList<>(List.of(new io.plimsoll.api.PoolRejection("t4", "full"))));
        var hold = new TenantPreemption.Hold(Set.of("node-b", "node-a"), 1_700_000_000_500L, "preempted 2 replica(s) of a borrower",
                Map.of(), null, null, 1);
        var last = new PlacementLoop.Result(PlacementLoop.Outcome.WAITING, null, "x");
        var shown = WorkloadStatusComposer.waiting(s, waiting(new PlacementLoop.Standing(1, 1, last, 0), hold, null), GEN);
        assertEquals(QueueStatus.Reason.Preempting, s.getQueue().getReason());
        assertEquals(List.of("node-a", "node-b"), s.getQueue().getHeldNodes());
        assertEquals("2023-11-14T22:13:20Z", s.getQueue().getHeldUntil());
        assertTrue(s.getUnplaceable().isEmpty());
        assertEquals("Preempting", reason(s, "Placed"));
        assertEquals(PendingReason.Preempting, shown.pending());
        assertFalse(shown.nowPending(), "it holds room: those waiting behind it are not woken");
        assertEquals(1_700_000_000_500L, shown.recheckAt());

        // WAITING without a hold (room made from parked replicas, a back-off): queued, not preempting.
        AIWorkloadStatus t = new AIWorkloadStatus();
        WorkloadStatusComposer.waiting(t, waiting(new PlacementLoop.Standing(1, 1, last, 0), null, null), GEN);
        assertEquals(QueueStatus.Reason.Queued, t.getQueue().getReason());
    }

    @Test
    void aPlacedWorkloadIsRunningStartingParkedIdleOrAtZero() {
        AIWorkloadStatus s = new AIWorkloadStatus();
        s.setQueue(new QueueStatus());
        WorkloadStatusComposer.placed(s, new WorkloadStatusComposer.Placed(2, 2, "t4", false, Set.of(), Set.of(0, 1), null, true), GEN);
        assertEquals(WorkloadState.Running, s.getState());
        assertEquals("all 2 replica(s) running on pool t4", s.getMessage());
        assertNull(s.getQueue());
        assertEquals("Running", reason(s, "Complete"), "a Training workload that runs is not complete");

        WorkloadStatusComposer.placed(s, new WorkloadStatusComposer.Placed(2, 1, "t4", false, Set.of(), Set.of(0, 1), null, false), GEN);
        assertEquals(WorkloadState.Placed, s.getState());
        assertEquals("Starting", reason(s, "Ready"));

        WorkloadStatusComposer.placed(s, new WorkloadStatusComposer.Placed(2, 2, "t4", false, Set.of(0, 1), Set.of(0, 1), "idle since x", false), GEN);
        assertEquals(WorkloadState.Parked, s.getState());
        assertEquals("idle since x", s.getMessage());

        WorkloadStatusComposer.placed(s, new WorkloadStatusComposer.Placed(2, 2, "t4", false, Set.of(0), Set.of(0, 1), "idle since x", false), GEN);
        assertEquals(WorkloadState.Running, s.getState(), "one replica still serves whole: not parked");

        WorkloadStatusComposer.placed(s, new WorkloadStatusComposer.Placed(0, 0, null, true, Set.of(), Set.of(), "idle for 5m", false), GEN);
        assertEquals(WorkloadState.Idle, s.getState());
        assertEquals("Idle", reason(s, "Ready"));

        WorkloadStatusComposer.placed(s, new WorkloadStatusComposer.Placed(0, 0, null, false, Set.of(), Set.of(), null, false), GEN);
        assertEquals(WorkloadState.Placed, s.getState());
        assertEquals("ScaledToZero", reason(s, "Ready"));
        assertEquals("scaled to zero replicas", Conditions.get(s.getConditions(), "Placed").getMessage());
    }

    @Test
    void aRefusalIsPendingWithItsReasonAndAFailedOrSucceededRunSaysSo() {
        AIWorkloadStatus s = new AIWorkloadStatus();
        WorkloadStatusComposer.notAdmitted(s, PendingReason.PriorityClassNotFound, "PriorityClass 'gold' not found", GEN);
        assertEquals(WorkloadState.Pending, s.getState());
        assertEquals("PriorityClassNotFound", reason(s, "Placed"));

        WorkloadStatusComposer.failed(s, "replica 1 (pod p-1) failed: OOMKilled", GEN);
        assertEquals(WorkloadState.Failed, s.getState());
        assertEquals("Failed", reason(s, "Complete"));
        assertEquals(0, s.getReadyReplicas());

        assertEquals("all 3 replicas succeeded", WorkloadStatusComposer.succeeded(s, 3, GEN));
        assertEquals(WorkloadState.Succeeded, s.getState());
        assertEquals("True", Conditions.get(s.getConditions(), "Complete").getStatus());

        WorkloadStatusComposer.invalid(s, "spec.replicas: must be at least 0", GEN);
        assertEquals(WorkloadState.Failed, s.getState());
        assertEquals("invalid spec: spec.replicas: must be at least 0", s.getMessage());
        assertEquals("InvalidSpec", reason(s, "Placed"));
    }
}
