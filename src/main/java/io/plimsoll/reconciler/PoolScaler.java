package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.actuator.NodeActuator;
import io.plimsoll.actuator.PodBinder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.PoolScaling;
import io.plimsoll.api.ScaleAction;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.ConsolidationPlanner;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PackingStrategy;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.PoolOrder;
import io.plimsoll.engine.PoolPlanner;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.events.EventRecorder;
import io.plimsoll.metrics.PlimsollMetrics;
import io.plimsoll.snapshot.ClusterSnapshot;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Node idleness and pool size: a node that holds no workload for {@code scaleDownAfter} is cordoned and the pool
 * shrinks by it (never below {@code minNodes}); pending work that would fit a new node grows a ScaleTarget pool
 * (never above {@code maxNodes}). One node per evaluation, so changes are rate-limited; dry run only reports.
 */
public class PoolScaler {
    /** When Plimsoll first saw the node hold no workload (kept on the node, so it survives restarts). */
    public static final String IDLE_SINCE = "plimsoll.io/idle-since";
    /** When Plimsoll cordoned the node to remove it. */
    public static final String SCALED_DOWN_AT = "plimsoll.io/scaled-down-at";
    static final Duration SCALE_UP_COOLDOWN = Duration.ofMinutes(3);
    static final String MACHINE_API = "cluster.x-k8s.io/v1beta1";

    /** When Plimsoll cordoned the node to move its work elsewhere. */
    public static final String CONSOLIDATED_AT = "plimsoll.io/consolidated-at";

    private final ClusterSnapshot snapshot;
    private final NodeActuator nodes;
    private final PodBinder pods;
    private final EventRecorder events;
    private final PlimsollMetrics metrics;
    private final PlacementEngine engine = new PlacementEngine();
    /**
     * Last scale-up and consolidation per pool, also kept here: the next evaluation may start from a cached pool
     * whose status does not show them yet, and must not act twice.
     */
    private final Map<String, String> lastUpSeen = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, String> lastConsolidationSeen = new java.util.concurrent.ConcurrentHashMap<>();
    /** Nodes this operator removed, in case the node informer has not shown the cordon yet. */
    private final java.util.Set<String> removed = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public PoolScaler(ClusterSnapshot snapshot, NodeActuator nodes, PodBinder pods, EventRecorder events, PlimsollMetrics metrics) {
        this.snapshot = snapshot;
        this.nodes = nodes;
        this.pods = pods;
        this.events = events;
        this.metrics = metrics;
    }

    /**
     * What the evaluation found and did.
     *
     * @param recheckInMs when the next node's idle time runs out (or a default), to look again then
     * @param note        why nothing was done, or how many actions were
     */
    public record Outcome(List<String> idleNodes, List<ScaleAction> actions, String lastScaleUpAt, String lastConsolidationAt,
                          long recheckInMs, String note) {}

    static final long DEFAULT_RECHECK_MS = 30_000;

    /**
     * The pool's {@code growIfParkedWithin} ({@link PoolPlanner#evictionCounts}): null when {@code Always}, the default
     * when unset or unreadable (the pool scaler reports unreadable fields; an eviction must not fail on one).
     */
    public static Duration growIfParkedWithin(PoolScaling s) {
        String v = s == null || s.getGrowIfParkedWithin() == null ? PoolScaling.DEFAULT_GROW_IF_PARKED_WITHIN : s.getGrowIfParkedWithin();
        if ("Always".equals(v)) return null;
        try {
            return IdleScaler.parse("spec.scaling.growIfParkedWithin", v);
        } catch (IllegalArgumentException e) {
            return PoolPlanner.DEFAULT_GROW_IF_PARKED_WITHIN;
        }
    }

    public Outcome evaluate(AcceleratorPool pool, PoolProfile profile, ClusterState state, KubernetesClient client, Instant now) {
        Supplier<List<AIWorkload>> pending = snapshot::workloads;
        PoolScaling s = pool.getSpec().getScaling();
        List<String> idle = new ArrayList<>();
        List<ScaleAction> actions = new ArrayList<>();
        String poolName = pool.getMetadata().getName();
        String lastUp = later(pool.getStatus() == null ? null : pool.getStatus().getLastScaleUpAt(), lastUpSeen.get(poolName));
        String lastConsolidation = later(pool.getStatus() == null ? null : pool.getStatus().getLastConsolidationAt(),
                lastConsolidationSeen.get(poolName));
        if (s == null) return new Outcome(idle, actions, lastUp, lastConsolidation, Long.MAX_VALUE, "no spec.scaling");
        String note = "nothing to scale";
        long recheck = DEFAULT_RECHECK_MS;
        Duration after = IdleScaler.parse("AcceleratorPool " + pool.getMetadata().getName() + " spec.scaling.scaleDownAfter",
                s.getScaleDownAfter() == null ? PoolScaling.DEFAULT_SCALE_DOWN_AFTER : s.getScaleDownAfter());
        Duration lastNodeAfter = IdleScaler.parse("AcceleratorPool " + pool.getMetadata().getName() + " spec.scaling.lastNodeAfter",
                s.getLastNodeAfter() == null ? PoolScaling.DEFAULT_LAST_NODE_AFTER : s.getLastNodeAfter());
        if (s.getGrowIfParkedWithin() != null && !"Always".equals(s.getGrowIfParkedWithin())) {
            // Read where evictions happen (growIfParkedWithin(s)); checked here so a bad value is reported like the others.
            IdleScaler.parse("AcceleratorPool " + pool.getMetadata().getName() + " spec.scaling.growIfParkedWithin", s.getGrowIfParkedWithin());
        }
        boolean dryRun = Boolean.TRUE.equals(s.getDryRun());
        String at = now.truncatedTo(ChronoUnit.SECONDS).toString();
        int min = s.getMinNodes() == null ? 0 : s.getMinNodes();

        // The facts: what each node holds, as the snapshot sees it, and since when it holds nothing (kept on the node).
        List<Node> members = snapshot.nodesOf(pool);
        java.util.Set<String> busy = snapshot.nodesHoldingWorkload();
        java.util.Set<String> onlyParked = snapshot.nodesHoldingOnlyParked();
        List<PoolPlanner.NodeFacts> facts = new ArrayList<>();
        Map<String, Node> byName = new java.util.HashMap<>();
        for (Node n : members) {
            String name = n.getMetadata().getName();
            byName.put(name, n);
            Map<String, String> ann = n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
            boolean cordoned = n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable());
            // Still in the pool: not removed, and not cordoned except by consolidation (which must still remove it).
            boolean inPool = !removed.contains(name)
                    && (!cordoned || (ann.containsKey(CONSOLIDATED_AT) && !ann.containsKey(SCALED_DOWN_AT)));
            Instant since = parseOr(ann.get(IDLE_SINCE), null); // unreadable: marked again from now
            facts.add(new PoolPlanner.NodeFacts(name, inPool, busy.contains(name), since, onlyParked.contains(name)));
        }
        var eviction = snapshot.lastParkedEviction(poolName).orElse(null);
        String parkedOnly = s.getParkedOnlyAfter() == null ? PoolScaling.DEFAULT_PARKED_ONLY_AFTER : s.getParkedOnlyAfter();
        Duration parkedOnlyAfter = "Never".equals(parkedOnly) ? null
                : IdleScaler.parse("AcceleratorPool " + poolName + " spec.scaling.parkedOnlyAfter", parkedOnly);
        PoolPlanner.Rules rules = new PoolPlanner.Rules(after, min, s.getMaxNodes() == null ? 0 : s.getMaxNodes(),
                s.getMode() == PoolScaling.Mode.ScaleTarget && s.getMaxNodes() != null, SCALE_UP_COOLDOWN, parkedOnlyAfter, lastNodeAfter);
        boolean lastNode = facts.stream().filter(PoolPlanner.NodeFacts::inPool).count() == 1;
        PoolPlanner.Plan plan = PoolPlanner.plan(rules, new PoolPlanner.Facts(facts, 0,
                lastUp == null ? null : parseOr(lastUp, Instant.EPOCH),
                () -> pendingThatFitsANewNode(pool, profile, state, pending.get()),
                eviction == null ? null : eviction.at(), eviction == null ? null : eviction.forWorkload()), now);
        for (PoolPlanner.NodeFacts n : plan.idleNodes()) {
            idle.add(n.name() + " (no workload since " + n.idleSince().truncatedTo(ChronoUnit.SECONDS) + ")");
        }
        if (plan.recheckAt() != null) recheck = Math.min(recheck, Duration.between(now, plan.recheckAt()).toMillis() + 500);

        // The actions, applied.
        for (PoolPlanner.Action action : plan.actions()) {
            if (action instanceof PoolPlanner.MarkIdle m) {
                nodes.annotate(m.node(), IDLE_SINCE, m.since().truncatedTo(ChronoUnit.SECONDS).toString());
            } else if (action instanceof PoolPlanner.ClearIdle c) {
                nodes.annotate(c.node(), IDLE_SINCE, null);
            } else if (action instanceof PoolPlanner.ScaleDown d) {
                scaleDown(pool, profile, s, byName.get(d.node()), d, lastNode, min, dryRun, at, actions);
            } else if (action instanceof PoolPlanner.ScaleUp u) {
                lastUp = scaleUp(pool, profile, s, u, dryRun, at, actions, lastUp);
            }
        }
        if (plan.hold() == PoolPlanner.Hold.NothingWaits) note = "no pending workload would fit a new node";
        if (!actions.isEmpty()) recheck = Math.min(recheck, 2_000);
        if (actions.isEmpty() && Boolean.TRUE.equals(s.getConsolidate())) {
            Duration every = IdleScaler.parse("AcceleratorPool " + pool.getMetadata().getName() + " spec.scaling.consolidationInterval",
                    s.getConsolidationInterval() == null ? "10m" : s.getConsolidationInterval());
            if (lastConsolidation == null || parseOr(lastConsolidation, Instant.EPOCH).plus(every).isBefore(now)) {
                String result = consolidate(pool, profile, state, client, s, dryRun, at, actions);
                if (result != null) note = result;
                if (!actions.isEmpty() && !dryRun) {
                    lastConsolidation = at;
                    lastConsolidationSeen.put(poolName, at);
                }
            }
        }
        if (plan.hold() == PoolPlanner.Hold.AtMinNodes && actions.isEmpty() && note.equals("nothing to scale")) {
            note = "idle node(s) kept: the pool is at minNodes " + min;
        }
        return new Outcome(idle, actions, lastUp, lastConsolidation, recheck, actions.isEmpty() ? note : actions.size() + " scale action(s)");
    }

    /** Removes the node from the pool (or, in a dry run, says it would). */
    private void scaleDown(AcceleratorPool pool, PoolProfile profile, PoolScaling s, Node n, PoolPlanner.ScaleDown d, boolean lastNode,
                           int min, boolean dryRun, String at, List<ScaleAction> actions) {
        String name = d.node();
        boolean parkedOnly = d.reason() == PoolPlanner.Reason.OnlyParkedReplicas;
        // The idle start, not a running duration, so a dry run's repeated report stays one event.
        String time = lastNode
                ? "lastNodeAfter " + (s.getLastNodeAfter() == null ? PoolScaling.DEFAULT_LAST_NODE_AFTER : s.getLastNodeAfter()) + ", the pool's last node"
                : parkedOnly ? "parkedOnlyAfter " + (s.getParkedOnlyAfter() == null ? PoolScaling.DEFAULT_PARKED_ONLY_AFTER : s.getParkedOnlyAfter())
                : "scaleDownAfter " + (s.getScaleDownAfter() == null ? PoolScaling.DEFAULT_SCALE_DOWN_AFTER : s.getScaleDownAfter());
        String why = parkedOnly
                ? "held only parked replicas since " + d.idleSince().truncatedTo(ChronoUnit.SECONDS) + " (" + time
                  + "); they are placed again elsewhere, parked, or scaled to zero"
                : "held no workload since " + d.idleSince().truncatedTo(ChronoUnit.SECONDS) + " (" + time + ")";
        actions.add(new ScaleAction("ScaleDown", name, why, profile.costPerNodeHour(), at, dryRun));
        if (dryRun) {
            events.normal(pool, "WouldScaleDown", "dry run: would remove node " + name + ", " + why + ", saving "
                    + io.plimsoll.engine.Units.dollars(profile.costPerNodeHour()));
            return;
        }
        nodes.cordon(name);
        nodes.annotate(name, SCALED_DOWN_AT, at);
        removed.add(name);
        if (parkedOnly) {
            // Their workloads see a replica missing: placed again parked where a share is free (not here: cordoned),
            // else scaled to zero. Only the parked ones: a replica that resumed meanwhile is left to the node's drain.
            for (io.fabric8.kubernetes.api.model.Pod p : snapshot.podsOn(name)) {
                io.plimsoll.snapshot.PodRecord r = snapshot.record(p);
                if (r != null && r.parked()) pods.delete(p);
            }
        }
        String how = "cordoned; removal left to the cluster autoscaler";
        if (s.getMode() == PoolScaling.Mode.ScaleTarget) {
            boolean marked = n != null && nodes.markMachineForDeletion(n.getMetadata().getAnnotations(), MACHINE_API);
            int replicas = nodes.replicas(s.getScaleTargetRef());
            nodes.setReplicas(s.getScaleTargetRef(), Math.max(min, replicas - 1));
            how = "cordoned" + (marked ? ", its Machine marked for deletion" : "") + ", " + s.getScaleTargetRef().getKind()
                    + " " + s.getScaleTargetRef().getName() + " scaled " + replicas + " -> " + Math.max(min, replicas - 1);
        }
        metrics.scaledDown("node", pool.getMetadata().getName());
        events.normal(pool, "ScaledDown", "node " + name + " " + why + ": " + how + ", saving "
                + io.plimsoll.engine.Units.dollars(profile.costPerNodeHour()));
    }

    /** Grows the pool's scale target by one node (or, in a dry run, says it would); returns when it last grew. */
    private String scaleUp(AcceleratorPool pool, PoolProfile profile, PoolScaling s, PoolPlanner.ScaleUp u, boolean dryRun,
                           String at, List<ScaleAction> actions, String lastUp) {
        String poolName = pool.getMetadata().getName();
        String why = u.reason() == PoolPlanner.Reason.ParkedReplicasEvicted
                ? "the pool ran out of room: parked replicas scaled to zero to make room for " + u.forWhom()
                : u.forWhom() + " would fit a new node";
        actions.add(new ScaleAction("ScaleUp", null, why, profile.costPerNodeHour(), at, dryRun));
        if (dryRun) {
            events.normal(pool, "WouldScaleUp", "dry run: would add a node: " + why);
            return lastUp;
        }
        int replicas = nodes.replicas(s.getScaleTargetRef());
        nodes.setReplicas(s.getScaleTargetRef(), replicas + 1);
        lastUpSeen.put(poolName, at);
        metrics.scaledUp(poolName, u.reason() == PoolPlanner.Reason.ParkedReplicasEvicted ? "parked-evicted" : "pending");
        events.normal(pool, "ScaledUp", s.getScaleTargetRef().getKind() + " " + s.getScaleTargetRef().getName()
                + " scaled " + replicas + " -> " + (replicas + 1) + ": " + why);
        return at;
    }

    /**
     * Empties the least used node whose work is all movable and fits on the pool's other nodes: cordons it and
     * evicts its pods (PodDisruptionBudgets respected); their workloads place them again elsewhere. Returns a note
     * when nothing was done, or null.
     */
    private String consolidate(AcceleratorPool pool, PoolProfile profile, ClusterState state, KubernetesClient client,
                               PoolScaling s, boolean dryRun, String at, List<ScaleAction> actions) {
        int below = s.getConsolidateBelowPercent() == null ? ConsolidationPlanner.DEFAULT_BELOW_PERCENT : s.getConsolidateBelowPercent();
        List<ConsolidationPlanner.Node> candidates = new ArrayList<>();
        for (NodeState n : state.nodesOf(profile.name())) {
            if (!n.schedulable() || n.deviceCount() == 0) continue;
            candidates.add(new ConsolidationPlanner.Node(n.name(), n.deviceMilliUsedTotal(), 1000 * n.deviceCount()));
        }
        Map<String, List<io.fabric8.kubernetes.api.model.Pod>> evictions = new java.util.HashMap<>();
        ConsolidationPlanner.Choice choice = ConsolidationPlanner.choose(candidates, below, name -> {
            List<io.fabric8.kubernetes.api.model.Pod> onNode = snapshot.podsOn(name).stream()
                    .filter(p -> p.getMetadata().getOwnerReferences() == null
                            || p.getMetadata().getOwnerReferences().stream().noneMatch(o -> "DaemonSet".equals(o.getKind())))
                    .toList();
            String why = movable(onNode, Instant.parse(at));
            if (why != null) return why;
            // A movable training gang moves whole: its replicas on other nodes are evicted with it.
            List<io.fabric8.kubernetes.api.model.Pod> toEvict = withWholeGangs(onNode);
            String pdb = disruptionBlocked(client, toEvict);
            if (pdb != null) return pdb;
            String misfit = fitsElsewhere(onNode, state.without(name), profile);
            if (misfit != null) return misfit;
            evictions.put(name, toEvict);
            return null;
        });
        if (choice.node() == null) {
            return choice.blocked() == null ? "no lightly used node to consolidate" : "not consolidated: " + choice.blocked();
        }
        NodeState n = state.node(choice.node());
        List<io.fabric8.kubernetes.api.model.Pod> toEvict = evictions.get(choice.node());
        String reason = "moving " + toEvict.size() + " replica(s) off a node " + Math.round(100.0 * n.deviceMilliUsedTotal()
                / (1000.0 * n.deviceCount())) + "% used, so it empties and leaves the pool";
        actions.add(new ScaleAction("Consolidate", n.name(), reason, profile.costPerNodeHour(), at, dryRun));
        if (dryRun) {
            events.normal(pool, "WouldConsolidate", "dry run: would move work off node " + n.name() + ": " + reason);
            return null;
        }
        nodes.cordon(n.name());
        nodes.annotate(n.name(), CONSOLIDATED_AT, at);
        List<String> moved = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (io.fabric8.kubernetes.api.model.Pod p : toEvict) {
            String podKey = p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
            if (pods.evict(p)) moved.add(podKey);
            else refused.add(podKey);
        }
        if (!refused.isEmpty()) {
            // A budget said no after all: give the node back rather than leave it cordoned with work on it.
            nodes.uncordon(n.name());
            nodes.annotate(n.name(), CONSOLIDATED_AT, null);
            events.warning(pool, "ConsolidationRefused", "node " + n.name() + ": eviction of " + refused
                    + " refused (PodDisruptionBudget); " + moved + " moved; node uncordoned");
            return "eviction refused for " + refused;
        }
        metrics.scaledDown("consolidation", pool.getMetadata().getName());
        events.normal(pool, "Consolidated", "node " + n.name() + ": evicted " + moved + " to be placed on other nodes; the node "
                + "leaves the pool once empty, saving " + io.plimsoll.engine.Units.dollars(profile.costPerNodeHour()));
        return null;
    }

    /** The pods, plus every other live replica of the Training gangs among them. */
    private List<io.fabric8.kubernetes.api.model.Pod> withWholeGangs(List<io.fabric8.kubernetes.api.model.Pod> onNode) {
        java.util.LinkedHashMap<String, io.fabric8.kubernetes.api.model.Pod> all = new java.util.LinkedHashMap<>();
        for (var p : onNode) all.put(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), p);
        for (var p : onNode) {
            io.plimsoll.snapshot.PodRecord rec = snapshot.record(p);
            if (rec == null) continue;
            String workload = rec.workloadKey().substring(rec.workloadKey().indexOf('/') + 1);
            AIWorkload owner = snapshot.workload(p.getMetadata().getNamespace(), workload);
            if (owner == null || owner.getSpec() == null || owner.getSpec().getPhase() != io.plimsoll.engine.WorkloadPhase.Training) continue;
            for (var m : snapshot.podsOf(p.getMetadata().getNamespace(), workload)) {
                io.plimsoll.snapshot.PodRecord mr = snapshot.record(m);
                if (mr != null && mr.workloadKey().equals(rec.workloadKey())
                        && m.getMetadata().getDeletionTimestamp() == null && !ClusterSnapshot.terminal(m)) {
                    all.putIfAbsent(m.getMetadata().getNamespace() + "/" + m.getMetadata().getName(), m);
                }
            }
        }
        return new ArrayList<>(all.values());
    }

    /** Whether the workload's PlacementPolicy lets consolidation move its running training gang. */
    private boolean trainingMayMove(AIWorkload w) {
        return snapshot.policy(WorkloadNeeds.policyName(w)).map(p -> p.getSpec() == null ? null : p.getSpec().ruleFor(io.plimsoll.engine.WorkloadPhase.Training))
                .map(r -> Boolean.TRUE.equals(r.getAllowConsolidation())).orElse(false);
    }

    /** A notebook is only moved when nobody has used it for this long. */
    static final Duration WORKBENCH_QUIET = Duration.ofMinutes(15);

    /**
     * Null when every pod on the node is a replica Plimsoll may move: Inference, a Workbench idle for
     * {@link #WORKBENCH_QUIET} (nobody is working in it), or Training whose policy sets allowConsolidation (the
     * whole gang moves); never Optimization. Else why not.
     */
    private String movable(List<io.fabric8.kubernetes.api.model.Pod> onNode, Instant now) {
        for (io.fabric8.kubernetes.api.model.Pod p : onNode) {
            // Plimsoll's record says whose pod it is and the workload says its phase; the pod's labels are the tenant's.
            io.plimsoll.snapshot.PodRecord rec = snapshot.record(p);
            if (rec == null) return "pod " + p.getMetadata().getName() + " is not Plimsoll's";
            String workload = rec.workloadKey().substring(rec.workloadKey().indexOf('/') + 1);
            AIWorkload owner = snapshot.workload(p.getMetadata().getNamespace(), workload);
            String phase = owner == null || owner.getSpec() == null || owner.getSpec().getPhase() == null ? null : owner.getSpec().getPhase().name();
            if ("Workbench".equals(phase)) {
                AIWorkload w = snapshot.workload(p.getMetadata().getNamespace(), workload);
                String last = w == null || w.getMetadata().getAnnotations() == null ? null
                        : w.getMetadata().getAnnotations().get(IdleScaler.LAST_ACTIVITY);
                Instant lastActive = parseOr(last, null);
                if (lastActive == null || lastActive.plus(WORKBENCH_QUIET).isAfter(now)) {
                    return "pod " + p.getMetadata().getName() + " is a notebook in use (or without activity data); it is not moved";
                }
            } else if ("Training".equals(phase)) {
                AIWorkload w = snapshot.workload(p.getMetadata().getNamespace(), workload);
                if (w == null || !trainingMayMove(w)) {
                    return "pod " + p.getMetadata().getName() + " runs Training work, which is moved only when its PlacementPolicy sets training.allowConsolidation";
                }
            } else if (!"Inference".equals(phase)) {
                return "pod " + p.getMetadata().getName() + " runs " + phase + " work, which is never moved";
            }
        }
        return null;
    }

    /** Null when PodDisruptionBudgets allow evicting these pods, else which budget refuses. */
    private static String disruptionBlocked(KubernetesClient client, List<io.fabric8.kubernetes.api.model.Pod> onNode) {
        Map<String, Integer> needed = new java.util.HashMap<>();
        Map<String, io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget> byKey = new java.util.HashMap<>();
        for (io.fabric8.kubernetes.api.model.Pod p : onNode) {
            for (var pdb : client.policy().v1().podDisruptionBudget().inNamespace(p.getMetadata().getNamespace()).list().getItems()) {
                var sel = pdb.getSpec() == null ? null : pdb.getSpec().getSelector();
                Map<String, String> want = sel == null || sel.getMatchLabels() == null ? Map.of() : sel.getMatchLabels();
                Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
                if (want.isEmpty() || !want.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) continue;
                String key = pdb.getMetadata().getNamespace() + "/" + pdb.getMetadata().getName();
                needed.merge(key, 1, Integer::sum);
                byKey.put(key, pdb);
            }
        }
        for (var e : needed.entrySet()) {
            var pdb = byKey.get(e.getKey());
            int allowed = pdb.getStatus() == null || pdb.getStatus().getDisruptionsAllowed() == null ? 0 : pdb.getStatus().getDisruptionsAllowed();
            if (allowed < e.getValue()) {
                return "PodDisruptionBudget " + e.getKey() + " allows " + allowed + " disruption(s), " + e.getValue() + " needed";
            }
        }
        return null;
    }

    /** Null when each pod's replica would be placed on the pool's other nodes (one after the other), else why not. */
    private String fitsElsewhere(List<io.fabric8.kubernetes.api.model.Pod> onNode, ClusterState rest,
                                  PoolProfile profile) {
        PhaseRules only = new PhaseRules(List.of(profile.name()), PoolOrder.Preference, true, PackingStrategy.BestFit);
        java.util.Set<String> gangs = new java.util.HashSet<>();
        for (io.fabric8.kubernetes.api.model.Pod p : onNode) {
            io.plimsoll.snapshot.PodRecord owner = snapshot.record(p);
            AIWorkload w = owner == null ? null : snapshot.workload(p.getMetadata().getNamespace(),
                    owner.workloadKey().substring(owner.workloadKey().indexOf('/') + 1));
            if (w == null) return "pod " + p.getMetadata().getName() + " has no AIWorkload";
            try {
                var need = WorkloadNeeds.parse(w).need();
                if (need.gang()) {
                    // The whole gang is placed again at once (its members elsewhere still count: conservative).
                    if (!gangs.add(p.getMetadata().getNamespace() + "/" + w.getMetadata().getName())) continue;
                } else {
                    need = need.withReplicas(1);
                }
                io.plimsoll.snapshot.PodRecord rec = snapshot.record(p);
                if (rec != null && rec.parked()) {
                    // A parked replica comes back parked: it needs only its share of a device.
                    need = need.asShare(rec.milliPerDevice());
                }
                var d = engine.place(need, rest, only);
                if (!d.placed()) return "a replica of " + w.getMetadata().getName() + " would not fit elsewhere (" + d.explain() + ")";
                rest.apply(d);
            } catch (IllegalArgumentException e) {
                return w.getMetadata().getName() + ": " + e.getMessage();
            }
        }
        return null;
    }

    /** The first pending workload (namespace/name) whose replica would fit an empty node like the pool's others. */
    private String pendingThatFitsANewNode(AcceleratorPool pool, PoolProfile profile, ClusterState state, List<AIWorkload> pending) {
        List<NodeState> existing = state.nodesOf(profile.name());
        if (existing.isEmpty()) return null;
        NodeState model = existing.get(0);
        ClusterState fresh = new ClusterState().addPool(profile).addNode(new NodeState("new-node", profile.name(), true,
                model.cpuMilliCapacity(), model.memoryBytesCapacity(), model.deviceCount(), model.migCapacity())
                .withTraits(model.traits())); // a new node is labelled and tainted like the pool's others
        PhaseRules only = new PhaseRules(List.of(profile.name()), PoolOrder.Preference, true, PackingStrategy.BestFit);
        for (AIWorkload w : pending) {
            // Not yet reconciled (no status) counts too: the pending signal can arrive before the status is written.
            if (w.getStatus() != null && w.getStatus().getState() != null && w.getStatus().getState() != WorkloadState.Pending) continue;
            try {
                var parsed = WorkloadNeeds.parse(w).need();
                if (engine.place(parsed, state, only).placed()) continue; // it fits the pool as it is
                if (engine.place(parsed.withReplicas(1), fresh, only).placed()) {
                    return w.getMetadata().getNamespace() + "/" + w.getMetadata().getName();
                }
            } catch (IllegalArgumentException e) {
                // an invalid spec never asks for capacity
            }
        }
        return null;
    }

    private static String later(String a, String b) {
        if (a == null) return b;
        if (b == null) return a;
        return parseOr(a, Instant.EPOCH).isAfter(parseOr(b, Instant.EPOCH)) ? a : b;
    }

    private static Instant parseOr(String s, Instant fallback) {
        try {
            return s == null ? fallback : Instant.parse(s);
        } catch (RuntimeException e) {
            return fallback;
        }
    }
}
