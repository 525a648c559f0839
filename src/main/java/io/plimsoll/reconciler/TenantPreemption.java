package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Pod;
import io.plimsoll.actuator.PodBinder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.ReplicaSlot;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.tenancy.ReclaimPlanner;
import io.plimsoll.engine.tenancy.TenantLedger;
import io.plimsoll.events.EventRecorder;
import io.plimsoll.metrics.PlimsollMetrics;
import io.plimsoll.snapshot.ClusterSnapshot;
import io.plimsoll.tenancy.TenantAccounting;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Applies the engine's {@link ReclaimPlanner}: for a workload its tenant's quota admits but that finds no room, takes
 * back capacity that other tenants borrow above their guarantees (reclaim), or preempts the tenant's own lower-priority
 * work. Victims' pods are deleted with their own termination grace period (a Training workload that declares
 * {@code spec.training.checkpointsOnTermination} uses it to checkpoint: its message says so, and it counts no lost
 * GPU-hours); their workloads go back in line and get a {@code Preempted} condition and event. Messages never
 * name another namespace's objects. While victims stop, the waiting workload is not given more victims.
 */
final class TenantPreemption {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(TenantPreemption.class);
    /** What the planner assumes a victim takes to stop when its pods say nothing (Kubernetes' default grace period). */
    static final long DEFAULT_GRACE_SECONDS = 30;

    private final ClusterSnapshot snapshot;
    private final TenantAccounting tenants;
    private final PodBinder binder;
    private final EventRecorder events;
    private final PlimsollMetrics metrics;
    private final PlacementEngine engine = new PlacementEngine();
    /** Victim workload -> the message its next reconcile reports (condition and event), then forgets. */
    private final Map<String, Taken> taken = new ConcurrentHashMap<>();

    /** Why a workload was preempted, and when (wall-clock seconds, as conditions' lastTransitionTime has it). */
    private record Taken(String why, java.time.Instant at) {}
    /** Victim workloads being stopped, until when (epoch ms): never chosen twice, their holdings already leaving. */
    private final Map<String, Long> stopping = new ConcurrentHashMap<>();
    /** Waiting workloads whose victims are stopping, until when: no second round of preemption meanwhile. */
    private final Map<String, Long> waitingFor = new ConcurrentHashMap<>();

    TenantPreemption(ClusterSnapshot snapshot, TenantAccounting tenants, PodBinder binder, EventRecorder events, PlimsollMetrics metrics) {
        this.snapshot = snapshot;
        this.tenants = tenants;
        this.binder = binder;
        this.events = events;
        this.metrics = metrics;
    }

    /**
     * Nodes where work was preempted for a waiting workload: kept from everyone else until it is placed or time runs
     * out (epoch ms); {@code detail} says what was preempted, for its status; {@code freed} the victims' slots by pod,
     * {@code need} and {@code rules} what they were freed for (none, null, null when read back after a restart).
     */
    record Hold(Set<String> nodes, long until, String detail, Map<String, ReplicaSlot> freed, Need need, PhaseRules rules, long seq) {}

    /** Orders holds by when they were made: an older hold's workload comes first on a node two holds share. */
    private final java.util.concurrent.atomic.AtomicLong holdSeq = new java.util.concurrent.atomic.AtomicLong();

    private final Map<String, Hold> reserved = new ConcurrentHashMap<>();
    /** A hold read back from a status after a restart lasts at most this long from then (a status is not proof of time). */
    static final long MAX_HOLD_AFTER_RESTART_MS = 10 * 60_000;
    private final java.util.concurrent.atomic.AtomicBoolean readBack = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Once, after a (re)start: the holds that workloads' statuses show (queue reason Preempting, heldUntil not passed),
     * so a restarted operator keeps the room its victims free for the workload that preempted them, and does not
     * preempt for it a second time. The status is written only by the operator (status subresource).
     */
    private void readBackHolds() {
        if (readBack.get() || !readBack.compareAndSet(false, true)) return;
        long now = snapshot.clock().millis();
        for (AIWorkload w : snapshot.workloads()) {
            var q = w.getStatus() == null ? null : w.getStatus().getQueue();
            if (q == null || q.getReason() != io.plimsoll.api.QueueStatus.Reason.Preempting || q.getHeldUntil() == null) continue;
            long until;
            try {
                until = java.time.Instant.parse(q.getHeldUntil()).toEpochMilli();
            } catch (java.time.format.DateTimeParseException e) {
                continue;
            }
            if (until <= now) continue;
            until = Math.min(until, now + MAX_HOLD_AFTER_RESTART_MS);
            String key = w.getMetadata().getNamespace() + "/" + w.getMetadata().getName();
            Set<String> nodes = q.getHeldNodes() == null ? Set.of() : Set.copyOf(q.getHeldNodes());
            // The victims' slots are not in a status: while they stop, their pods still hold them in the records.
            reserved.putIfAbsent(key, new Hold(nodes, until, q.getMessage() == null ? "preempting; the victims stop within their grace period" : q.getMessage(),
                    Map.of(), null, null, holdSeq.incrementAndGet()));
            waitingFor.putIfAbsent(key, until);
        }
    }

    /** Key of {@link #beingDeleted} among a ledger's derived values. */
    private static final Object BEING_DELETED = new Object();

    /**
     * The workloads the ledger charges that have a pod being deleted (as of the ledger, which is at most a second old:
     * this process's own preemptions are in {@link #stopping} at once).
     */
    private Set<String> beingDeleted(TenantLedger ledger) {
        Set<String> out = new java.util.HashSet<>();
        for (String w : snapshot.workloadsBeingDeleted()) if (ledger.byWorkload().containsKey(w)) out.add(w);
        return Set.copyOf(out);
    }

    /** The hold for this workload while its victims stop, or null. */
    Hold holdOf(String workloadKey) {
        readBackHolds();
        Hold h = reserved.get(workloadKey);
        return h == null || h.until() < snapshot.clock().millis() ? null : h;
    }

    /** The nodes reserved for workloads other than this one (every reserved node when {@code workloadKey} is null). */
    Set<String> reservedAgainst(String workloadKey) {
        readBackHolds();
        if (reserved.isEmpty()) return Set.of();
        long now = snapshot.clock().millis();
        reserved.values().removeIf(r -> r.until() < now);
        Set<String> out = new java.util.HashSet<>();
        reserved.forEach((k, r) -> { if (!k.equals(workloadKey)) out.addAll(r.nodes()); });
        // A node held for this workload too is open to it: each hold's victims freed room for their own waiting workload
        // (a victim is never chosen twice), so two holds on one node must not keep each other out until both expire.
        Hold mine = workloadKey == null ? null : reserved.get(workloadKey);
        if (mine != null) out.removeAll(mine.nodes());
        return out;
    }

    /**
     * The cluster as the loop must show it to {@code workloadKey} when it places: without the nodes held for other
     * workloads, except the ones held for this workload too, where every older hold's workload counts as placed first
     * (see {@link #withHoldsPlaced}). Two plans on one node may each have counted on its free room; the older is served
     * first, so the two never keep each other out until their holds expire.
     */
    ClusterState asSeenBy(ClusterState state, String workloadKey) {
        Set<String> others = reservedAgainst(workloadKey);
        Hold mine = workloadKey == null ? null : holdOf(workloadKey);
        if (mine != null) {
            List<Hold> older = new ArrayList<>();
            for (var e : reserved.entrySet()) {
                Hold h = e.getValue();
                if (!e.getKey().equals(workloadKey) && h.seq() < mine.seq() && !java.util.Collections.disjoint(h.nodes(), mine.nodes())) older.add(h);
            }
            state = withHoldsPlaced(state, older);
        }
        return others.isEmpty() ? state : state.excluding(others);
    }

    /** The workload is placed: what was reserved for it is free for anyone. */
    void placed(String workloadKey) {
        reserved.remove(workloadKey);
        waitingFor.remove(workloadKey);
    }

    /**
     * Why the workload was preempted, until its status shows it ({@code current}, its Preempted condition as the cache
     * has it): a reconcile that started from a status older than its own last write would otherwise write the condition
     * away for good. Null once shown, or when nothing was taken from it.
     */
    String takenFrom(String workloadKey, io.fabric8.kubernetes.api.model.Condition current) {
        Taken t = taken.get(workloadKey);
        if (t == null) return null;
        if (current != null && (("True".equals(current.getStatus()) && t.why().equals(current.getMessage()))
                || movedSince(current, t.at()))) {
            taken.remove(workloadKey, t); // shown, or the condition moved on since (placed again)
            return null;
        }
        return t.why();
    }

    private static boolean movedSince(io.fabric8.kubernetes.api.model.Condition c, java.time.Instant at) {
        try {
            return java.time.Instant.parse(c.getLastTransitionTime()).isAfter(at);
        } catch (RuntimeException unreadable) {
            return false;
        }
    }

    /** The workload is gone: nothing to tell it, nothing held for it. */
    void forget(String workloadKey) {
        taken.remove(workloadKey);
        placed(workloadKey);
    }

    /**
     * Preempts what the planner chooses so {@code wl} fits; returns what was done (for the waiting workload's event),
     * or null when nothing may be taken or nothing taken would make it fit.
     */
    String makeRoom(AIWorkload wl, Need need, PhaseRules rules, int priority, String tenant) {
        readBackHolds();
        long now = snapshot.clock().millis();
        stopping.values().removeIf(until -> until < now);
        waitingFor.values().removeIf(until -> until < now);
        String me = wl.getMetadata().getNamespace() + "/" + wl.getMetadata().getName();
        if (waitingFor.containsKey(me)) return null; // its victims are still stopping: the loop tries again when they are gone
        TenantLedger ledger = tenants.ledger();
        // Which phases may go is the victim tenant's (TenantAccounting leaves the phase off a charge that may not).
        ReclaimPlanner planner = new ReclaimPlanner(engine, tenants.charges(), EnumSet.allOf(WorkloadPhase.class), DEFAULT_GRACE_SECONDS);
        // Victims already stopping: those this process preempted, and every workload with a pod being deleted (preempted
        // before a restart, or deleted by anyone): choosing them again frees nothing, and they no longer borrow.
        Set<String> terminating = new java.util.HashSet<>(stopping.keySet());
        terminating.addAll(ledger.derived(BEING_DELETED, this::beingDeleted));
        // The state (with every other hold's workload placed) only when some work may be taken: most waiting work has
        // nothing it could take, and placing every hold's workload costs an engine call each.
        ClusterState[] state = new ClusterState[1];
        Optional<ReclaimPlanner.Preempt> plan = planner.plan(new ReclaimPlanner.Waiting(tenant, me, priority, need, rules, 0, now),
                ledger, () -> state[0] != null ? state[0] : (state[0] = roomHeldForOthersTaken(me, now)), terminating);
        if (plan.isEmpty()) return null;
        ReclaimPlanner.Preempt p = plan.get();
        String myNs = wl.getMetadata().getNamespace();
        long grace = DEFAULT_GRACE_SECONDS;
        Set<String> sameNs = new LinkedHashSet<>();
        int elsewhere = 0;
        for (String victim : p.workloads()) {
            String vNs = victim.substring(0, victim.indexOf('/'));
            String vName = victim.substring(victim.indexOf('/') + 1);
            boolean mine = vNs.equals(myNs);
            if (mine) sameNs.add(vName);
            else elsewhere++;
            String why = p.reason() == ReclaimPlanner.Reason.Reclaim
                    ? "preempted: its tenant borrowed capacity above its guarantee, and a tenant within its guarantee needed it back"
                    + (mine ? " (workload " + wl.getMetadata().getName() + ")" : "")
                    : "preempted by higher-priority work of the same tenant" + (mine ? " (workload " + wl.getMetadata().getName() + ")" : "");
            double lost = 0;
            String victimTenant = null;
            boolean checkpoints = false;
            for (TenantLedger.Charge c : p.replicas()) {
                if (!c.workload().equals(victim)) continue;
                victimTenant = ledger.tenantOf(c.tenant());
                checkpoints = c.checkpoints();
                // A workload that checkpoints on SIGTERM resumes from its checkpoint: nothing is lost.
                if (!c.checkpoints()) lost += c.gpuEq() * Math.max(0, now - c.startMillis()) / 3_600_000.0;
            }
            taken.put(victim, new Taken(why + (checkpoints
                    ? "; its pods were given their termination grace period to checkpoint (spec.training.checkpointsOnTermination), and it waits in line again to resume from its checkpoint"
                    : "; it waits in line again"), java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
            metrics.preempted(victimTenant == null ? "default" : victimTenant, p.reason().name(), lost);
        }
        for (TenantLedger.Charge c : p.replicas()) {
            String podNs = c.key().substring(0, c.key().indexOf('/'));
            String podName = c.key().substring(c.key().indexOf('/') + 1);
            Pod pod = snapshot.podsOf(podNs, c.workload().substring(c.workload().indexOf('/') + 1)).stream()
                    .filter(x -> x.getMetadata().getName().equals(podName)).findFirst().orElse(null);
            if (pod == null) continue;
            Long podGrace = pod.getSpec() == null ? null : pod.getSpec().getTerminationGracePeriodSeconds();
            if (podGrace != null) grace = Math.max(grace, podGrace);
            try {
                Taken t = taken.get(c.workload());
                binder.markDisrupted(pod, t == null ? "preempted" : t.why());
            } catch (RuntimeException e) { // best effort: the deletion below is what frees the room
                LOG.warnf("could not mark %s as preempted: %s", c.key(), e.getMessage());
            }
            binder.delete(pod); // the pod's own terminationGracePeriodSeconds applies
        }
        long until = now + (grace + 30) * 1000;
        for (String victim : p.workloads()) {
            stopping.put(victim, until);
            snapshot.workloadPending(victim.substring(0, victim.indexOf('/')), victim.substring(victim.indexOf('/') + 1));
        }
        waitingFor.put(me, until);
        Set<String> nodes = new java.util.HashSet<>();
        for (TenantLedger.Charge c : p.replicas()) if (c.slot() != null) nodes.add(c.slot().node());
        String whose = p.reason() == ReclaimPlanner.Reason.Reclaim ? "borrowed above another tenant's guarantee" : "of lower priority";
        String detail = String.format(Locale.ROOT, "preempting %d workload(s) %s (%.1f GPU-eq)%s%s; they stop within their grace period",
                p.workloads().size(), whose, p.gpuEq(),
                sameNs.isEmpty() ? "" : ": " + sameNs,
                elsewhere == 0 ? "" : (sameNs.isEmpty() ? ": " : " and ") + elsewhere + " in other namespaces");
        Map<String, ReplicaSlot> freed = new java.util.HashMap<>();
        for (TenantLedger.Charge c : p.replicas()) if (c.slot() != null) freed.put(c.key(), c.slot());
        reserved.put(me, new Hold(Set.copyOf(nodes), until, detail, Map.copyOf(freed), need, rules, holdSeq.incrementAndGet()));
        return detail;
    }

    /**
     * The cluster as a plan for {@code me} must see it: every other hold's workload counted as placed on its held nodes
     * (see {@link #withHoldsPlaced}), as kube-scheduler counts a nominated pod on its node when it preempts for another.
     * Otherwise this plan could count on room another plan counted on (room its victims free, or room that was free
     * besides them), its own hold on the node would let it in (two holds on a node share it), and the workload the room
     * was meant for would find it gone and preempt again.
     */
    private ClusterState roomHeldForOthersTaken(String me, long now) {
        List<Hold> others = new ArrayList<>();
        for (var e : reserved.entrySet()) if (!e.getKey().equals(me) && e.getValue().until() >= now) others.add(e.getValue());
        return withHoldsPlaced(snapshot.state(), others);
    }

    /**
     * {@code state} with each hold's workload (the oldest hold first) placed on its held nodes, on the room its victims
     * leave: their slots are given back first, whether they are gone or still stopping. Where it cannot be placed there,
     * its victims' slots stay taken instead. A hold read back after a restart knows neither its victims' slots nor its
     * workload's need: its victims, still terminating, hold their slots in the records anyway.
     */
    private ClusterState withHoldsPlaced(ClusterState state, List<Hold> holds) {
        if (holds.isEmpty()) return state;
        List<Hold> oldestFirst = new ArrayList<>(holds);
        oldestFirst.sort(java.util.Comparator.comparingLong(Hold::seq));
        ClusterState out = state.copy();
        for (Hold h : oldestFirst) {
            if (h.need() == null || h.freed().isEmpty()) continue;
            // Given back only where the state counts the victim (asked after it: a yes now was a yes then). Its record
            // alone would give back twice the slot of a victim that finished, or that the informer dropped before its
            // delete handler ran: the state no longer counts it, and its room would look free twice.
            h.freed().forEach((pod, slot) -> {
                NodeState n = snapshot.countsPod(pod) ? out.node(slot.node()) : null;
                if (n != null) n.release(slot);
            });
            ClusterState heldOnly = new ClusterState();
            out.pools().forEach(heldOnly::addPool);
            for (String n : h.nodes()) {
                NodeState node = out.node(n); // this copy's own node: placing on heldOnly changes it
                if (node != null) heldOnly.addNode(node);
            }
            PlacementDecision d = engine.place(h.need(), heldOnly, h.rules());
            if (d.placed()) {
                heldOnly.apply(d);
                continue;
            }
            // Every victim's slot taken again, stopping or gone: the room stays the held workload's.
            for (ReplicaSlot slot : h.freed().values()) {
                NodeState n = out.node(slot.node());
                if (n != null) n.apply(slot);
            }
        }
        return out;
    }
}
