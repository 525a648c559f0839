package io.plimsoll.reconciler;

import io.plimsoll.api.AIWorkloadStatus;
import io.plimsoll.api.PoolRejection;
import io.plimsoll.api.QueueStatus;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.scheduling.PlacementLoop;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Set;

/**
 * What a workload's status says, from what its reconcile found: the placement loop's last answer and place in line
 * for a workload that waits, its pods and idle state for one that is placed. Pure: it fills in the status and returns
 * what else is due (the pending metric's reason, an event, when to look again); the reconciler does those. Unit-tested
 * without an API server ({@code WorkloadStatusComposerTest}).
 */
final class WorkloadStatusComposer {
    private WorkloadStatusComposer() {}

    /**
     * Why a workload is Pending: the {@code Placed} condition's reason and the pending metric's reason. The first four
     * are refusals found before the workload reaches the placement loop; the others are the loop's answers.
     */
    enum PendingReason {
        PolicyNotFound, PolicyNotAllowed, PriorityClassNotFound, QuotaUnknown, QuotaExceeded, Unschedulable, Preempting
    }

    /** A Normal event that is due. */
    record Note(String reason, String message) {}

    /**
     * What is due besides the status.
     *
     * @param pending    the reason it waits, for the pending metric; null when it waits for no reason yet (queued)
     * @param recheckAt  when to look again at the latest (epoch ms; Long.MAX_VALUE: the retry interval)
     * @param nowPending it just became Pending by this reason: others waiting on it are told
     * @param note       a Normal event to send, or null
     */
    record Shown(PendingReason pending, long recheckAt, boolean nowPending, Note note) {}

    /**
     * What the placement loop has said about a workload that still misses replicas.
     *
     * @param missing          replicas not placed
     * @param replicas         replicas wanted
     * @param needDescription  the need, as people read it ({@code Need.describe()})
     * @param standing         its place in line and the loop's last answer
     * @param hold             the room held for it while work preempted for it stops, or null
     * @param before           its state before this reconcile
     * @param queuedRecheckMs  how soon a workload the loop has not answered for is looked at again
     */
    record Waiting(int missing, int replicas, String needDescription, PlacementLoop.Standing standing,
                   TenantPreemption.Hold hold, WorkloadState before, long now, long queuedRecheckMs) {}

    /** Status of a workload that misses replicas: why it waits, and where in line. */
    static Shown waiting(AIWorkloadStatus status, Waiting w, Long gen) {
        PlacementLoop.Standing standing = w.standing();
        PlacementLoop.Result last = standing.last();
        QueueStatus queue = new QueueStatus();
        queue.setPosition(standing.position() == 0 ? null : standing.position());
        queue.setOf(standing.waiting() == 0 ? null : standing.waiting());
        status.setQueue(queue);
        boolean wasPending = w.before() == WorkloadState.Pending;
        if (last != null && last.outcome() == PlacementLoop.Outcome.QUOTA) {
            queue.setReason(QueueStatus.Reason.Quota);
            queue.setMessage(last.detail());
            String msg = "waiting for quota: " + last.detail();
            pending(status, PendingReason.QuotaExceeded, last.detail(), msg, gen);
            return new Shown(PendingReason.QuotaExceeded, Long.MAX_VALUE, !wasPending,
                    wasPending ? null : new Note("WaitingForQuota", last.detail()));
        }
        if (last != null && last.outcome() == PlacementLoop.Outcome.UNPLACEABLE && last.decision() != null) {
            PlacementDecision unplaced = last.decision();
            queue.setReason(standing.nominatedNodes() > 0 ? QueueStatus.Reason.Nominated : QueueStatus.Reason.Unschedulable);
            queue.setNominatedNodes(standing.nominatedNodes() > 0 ? standing.nominatedNodes() : null);
            String msg = "cannot place " + w.missing() + " of " + w.replicas() + " replica(s) (" + w.needDescription() + "): "
                    + unplaced.explain();
            status.setUnplaceable(unplaced.rejections().stream().map(r -> new PoolRejection(r.pool(), r.reason()))
                    .collect(java.util.stream.Collectors.toList()));
            pending(status, PendingReason.Unschedulable, unplaced.explain(), msg, gen);
            return new Shown(PendingReason.Unschedulable, Long.MAX_VALUE, !wasPending, null);
        }
        TenantPreemption.Hold hold = w.hold();
        if (last != null && last.outcome() == PlacementLoop.Outcome.WAITING && hold != null) {
            queue.setReason(QueueStatus.Reason.Preempting);
            queue.setMessage(hold.detail());
            queue.setHeldNodes(hold.nodes().stream().sorted().toList());
            queue.setHeldUntil(Instant.ofEpochMilli(hold.until()).truncatedTo(ChronoUnit.SECONDS).toString());
            String msg = "waiting for the work preempted for it to stop: " + hold.detail();
            status.setUnplaceable(new ArrayList<>());
            pending(status, PendingReason.Preempting, hold.detail(), msg, gen);
            // Those waiting on it are not told: it holds room, and gives it back only when it is placed or lets go.
            return new Shown(PendingReason.Preempting, hold.until(), false, null);
        }
        // Not tried yet (the loop is usually a few milliseconds behind): the state stays what it was until the loop has
        // placed it or found no room; status.queue says where it waits meanwhile.
        queue.setReason(QueueStatus.Reason.Queued);
        return new Shown(null, w.now() + w.queuedRecheckMs(), false, null);
    }

    /**
     * A workload that cannot reach the placement loop (its policy or priority class is missing or refused, its
     * tenant's quota cannot be computed): Pending with the reason and a message that says what to fix.
     */
    static void notAdmitted(AIWorkloadStatus status, PendingReason reason, String message, Long gen) {
        setState(status, WorkloadState.Pending, message);
        Conditions.set(status.getConditions(), "Placed", false, reason.name(), message, gen);
    }

    /** Its spec cannot be read: Failed for this generation, with what is wrong in it. */
    static void invalid(AIWorkloadStatus status, String message, Long gen) {
        setState(status, WorkloadState.Failed, "invalid spec: " + message);
        Conditions.set(status.getConditions(), "Placed", false, "InvalidSpec", message, gen);
    }

    /** A replica failed: the workload is Failed for this generation, with which one and why. */
    static void failed(AIWorkloadStatus status, String message, Long gen) {
        setState(status, WorkloadState.Failed, message);
        Conditions.set(status.getConditions(), "Complete", false, "Failed", message, gen);
        Conditions.set(status.getConditions(), "Ready", false, "Failed", message, gen);
        status.setReadyReplicas(0);
    }

    /** Every replica succeeded: the workload is done and holds no devices. Returns what is said of it. */
    static String succeeded(AIWorkloadStatus status, int replicas, Long gen) {
        String message = "all " + replicas + " replicas succeeded";
        setState(status, WorkloadState.Succeeded, message);
        Conditions.set(status.getConditions(), "Complete", true, "Succeeded", message, gen);
        Conditions.set(status.getConditions(), "Ready", false, "Succeeded", "finished; devices released", gen);
        status.setReadyReplicas(0);
        return message;
    }

    /**
     * What a workload with every replica placed is doing.
     *
     * @param replicas      replicas wanted (0 when scaled to zero)
     * @param ready         replicas whose pod runs
     * @param pool          the pool they are on, or null
     * @param idleAtZero    it is at zero because it was idle
     * @param parked        the indexes of its replicas parked in place
     * @param placed        the indexes of its replicas that have a pod
     * @param idleMessage   the Idle condition's message
     * @param runsToCompletion its phase finishes (Training, Optimization)
     */
    record Placed(int replicas, int ready, String pool, boolean idleAtZero, Set<Integer> parked, Set<Integer> placed,
                  String idleMessage, boolean runsToCompletion) {}

    /** Status of a workload whose replicas all have their pods. */
    static void placed(AIWorkloadStatus status, Placed p, Long gen) {
        status.setQueue(null);
        status.setUnplaceable(new ArrayList<>());
        String where = p.pool() == null ? "no pool" : "pool " + p.pool();
        int replicas = p.replicas();
        Conditions.set(status.getConditions(), "Placed", true, "Placed",
                replicas == 0 ? "scaled to zero replicas" : "all " + replicas + " replica(s) placed on " + where, gen);
        if (p.idleAtZero()) {
            setState(status, WorkloadState.Idle, p.idleMessage());
            Conditions.set(status.getConditions(), "Ready", false, "Idle", "scaled to zero while idle", gen);
        } else if (replicas > 0 && !p.parked().isEmpty() && p.parked().containsAll(p.placed())) {
            setState(status, WorkloadState.Parked, p.idleMessage());
            Conditions.set(status.getConditions(), "Ready", true, "Parked",
                    p.parked().size() + " replica(s) parked on " + where + "; they take their whole device back on the next activity", gen);
        } else if (replicas == 0) {
            setState(status, WorkloadState.Placed, "scaled to zero replicas; no devices held");
            Conditions.set(status.getConditions(), "Ready", true, "ScaledToZero", "no replicas requested", gen);
        } else if (p.ready() == replicas) {
            setState(status, WorkloadState.Running, "all " + replicas + " replica(s) running on " + where);
            Conditions.set(status.getConditions(), "Ready", true, "Running", "all replicas running", gen);
        } else {
            setState(status, WorkloadState.Placed, p.ready() + " of " + replicas + " replica(s) running on " + where);
            Conditions.set(status.getConditions(), "Ready", false, "Starting", "waiting for pods to run", gen);
        }
        if (p.runsToCompletion()) {
            Conditions.set(status.getConditions(), "Complete", false, "Running", "not finished", gen);
        }
    }

    private static void pending(AIWorkloadStatus status, PendingReason reason, String placedMessage, String message, Long gen) {
        setState(status, WorkloadState.Pending, message);
        Conditions.set(status.getConditions(), "Placed", false, reason.name(), placedMessage, gen);
        Conditions.set(status.getConditions(), "Ready", false, "Pending", message, gen);
    }

    static void setState(AIWorkloadStatus status, WorkloadState state, String message) {
        status.setState(state);
        status.setMessage(message);
    }
}
