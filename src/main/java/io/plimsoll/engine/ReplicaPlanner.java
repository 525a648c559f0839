package io.plimsoll.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What to do with a workload's existing replica pods, as a pure function: finish a run-to-completion workload, replace
 * ended replicas, remove those above the desired count, park idle ones in place or bring parked ones back, and say
 * which replicas are missing. The reconciler gathers the facts from the API and Plimsoll's records, asks this, and
 * applies the actions; the placement loop places the missing replicas.
 */
public final class ReplicaPlanner {
    private ReplicaPlanner() {}

    /** A pod's phase as the planner needs it. */
    public enum PodPhase { Pending, Running, Succeeded, Failed, Unknown }

    /**
     * One existing replica pod (not being deleted).
     *
     * @param index       the replica index
     * @param pod         its pod (namespace/name)
     * @param phase       the pod's phase
     * @param terminal    it ended (Succeeded or Failed)
     * @param recorded    Plimsoll has a record of creating it (else nothing about its devices is known)
     * @param parked      the record says it is parked
     * @param pinnedOne   pinned by Plimsoll to one device of a Fractional pool, so it can park and resume in place
     * @param whole       it holds its device(s) whole (not a share)
     * @param parkShare   the share of its device it would be counted for parked (1000 or more: parking gains nothing)
     * @param othersOnDevice the other pods on its (one) device
     * @param othersAllParked every other pod on its device is a parked replica
     */
    public record Replica(int index, String pod, PodPhase phase, boolean terminal, boolean recorded, boolean parked,
                          boolean pinnedOne, boolean whole, int parkShare, List<String> othersOnDevice, boolean othersAllParked) {}

    /**
     * @param runsToCompletion Training and Optimization: they finish; others are replaced when they end
     * @param wantsAccelerator only accelerator replicas park
     * @param parkable         the workload's replicas may park (one whole GPU each, parking on)
     * @param desired          how many replicas it should have now (0 when scaled to zero)
     * @param park             the idle rule says park now
     * @param holdParked       the activity signal is missing or bad: parked replicas stay parked
     * @param replicas         its replica pods, any order
     * @param reserved         replica indexes whose pods are being created
     */
    public record Input(boolean runsToCompletion, boolean wantsAccelerator, boolean parkable, int desired, boolean park,
                        boolean holdParked, List<Replica> replicas, Set<Integer> reserved) {}

    /** Why a pod is deleted. */
    public enum DeleteReason {
        /** A member of a run-to-completion gang failed: the others cannot go on and free their devices. */
        GangMemberFailed,
        /** A long-running replica ended: it is placed again. */
        ReplicaEnded,
        /** The replica's index is at or above the desired count. */
        AboveDesiredReplicas,
        /** A parked replica's device now also serves another workload's active share: it is placed again whole. */
        ParkedDeviceShared
    }

    /** What to do. */
    public sealed interface Action permits DeletePod, Park, Resume {}

    public record DeletePod(int index, String pod, DeleteReason reason) implements Action {}

    /** Park the replica in place, counted for {@code share} thousandths of its device. */
    public record Park(int index, String pod, int share) implements Action {}

    /** Bring the parked replica back to its whole device, in place; the parked pods of others on it move off. */
    public record Resume(int index, String pod, List<String> moveOff) implements Action {}

    /** Where the workload stands. */
    public enum Outcome {
        /** A replica of a run-to-completion workload failed. */
        Failed,
        /** Every replica of a run-to-completion workload succeeded. */
        Succeeded,
        /** It runs, or should. */
        Active
    }

    /**
     * @param outcome   where the workload stands
     * @param failed    the failed replica (Failed only)
     * @param actions   in order
     * @param remaining the replica indexes whose pods stay
     * @param parked    the replica indexes parked once the actions are applied
     * @param missing   replica indexes below the desired count with no pod and none being created
     */
    public record Plan(Outcome outcome, Replica failed, List<Action> actions, Set<Integer> remaining, Set<Integer> parked,
                       List<Integer> missing) {}

    /**
     * The share of one device a parked replica is counted for: the policy's parkFraction ({@code parkMilli}), or the
     * memory its model keeps on the device if that is more (a parked replica keeps its weights in device memory, so it
     * never counts for less than the memory it holds). 1000 or more: parking gains nothing.
     */
    public static int parkedShare(double modelMemoryGiB, int parkMilli, int deviceMemoryGiB) {
        double milli = Math.ceil(Math.max(0, modelMemoryGiB) * 1000 / Math.max(1, deviceMemoryGiB));
        return (int) Math.min(1000, Math.max(parkMilli, milli));
    }

    public static Plan plan(Input in) {
        List<Replica> replicas = new ArrayList<>(in.replicas());
        replicas.sort(java.util.Comparator.comparingInt(Replica::index));
        List<Action> actions = new ArrayList<>();
        if (in.runsToCompletion()) {
            Replica failed = replicas.stream().filter(r -> r.phase() == PodPhase.Failed).findFirst().orElse(null);
            if (failed != null) {
                for (Replica r : replicas) {
                    if (!r.terminal()) actions.add(new DeletePod(r.index(), r.pod(), DeleteReason.GangMemberFailed));
                }
                return new Plan(Outcome.Failed, failed, actions, Set.of(), Set.of(), List.of());
            }
            long done = replicas.stream().filter(r -> r.index() < in.desired() && r.phase() == PodPhase.Succeeded).count();
            if (in.desired() > 0 && done == in.desired()) {
                return new Plan(Outcome.Succeeded, null, actions, indexes(replicas), Set.of(), List.of());
            }
        }
        List<Replica> kept = new ArrayList<>();
        for (Replica r : replicas) {
            if (!in.runsToCompletion() && r.terminal()) {
                actions.add(new DeletePod(r.index(), r.pod(), DeleteReason.ReplicaEnded));
            } else if (r.index() >= in.desired()) {
                actions.add(new DeletePod(r.index(), r.pod(), DeleteReason.AboveDesiredReplicas));
            } else {
                kept.add(r);
            }
        }
        Set<Integer> parked = new TreeSet<>();
        if (!in.runsToCompletion() && in.wantsAccelerator()) {
            for (java.util.Iterator<Replica> it = kept.iterator(); it.hasNext(); ) {
                Replica r = it.next();
                if (!r.recorded()) continue;
                if (r.parked()) {
                    if (in.park() || in.holdParked() || !r.pinnedOne()) {
                        parked.add(r.index());
                    } else if (r.othersAllParked()) {
                        actions.add(new Resume(r.index(), r.pod(), r.othersOnDevice()));
                    } else {
                        actions.add(new DeletePod(r.index(), r.pod(), DeleteReason.ParkedDeviceShared));
                        it.remove();
                    }
                } else if (in.park() && in.parkable() && r.pinnedOne() && r.whole() && r.phase() == PodPhase.Running
                        && r.parkShare() < 1000) {
                    actions.add(new Park(r.index(), r.pod(), r.parkShare()));
                    parked.add(r.index());
                }
            }
        }
        Set<Integer> remaining = indexes(kept);
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < in.desired(); i++) {
            if (!remaining.contains(i) && !in.reserved().contains(i)) missing.add(i);
        }
        return new Plan(Outcome.Active, null, actions, remaining, parked, missing);
    }

    private static Set<Integer> indexes(List<Replica> replicas) {
        Set<Integer> out = new TreeSet<>();
        for (Replica r : replicas) out.add(r.index());
        return out;
    }
}
