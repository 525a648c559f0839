package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Node;
import io.plimsoll.actuator.NodeActuator;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.PoolScaling;
import io.plimsoll.api.ScaleAction;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PackingStrategy;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.PoolOrder;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.events.EventRecorder;
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

    private final ClusterSnapshot snapshot;
    private final NodeActuator nodes;
    private final EventRecorder events;
    private final PlacementEngine engine = new PlacementEngine();

    public PoolScaler(ClusterSnapshot snapshot, NodeActuator nodes, EventRecorder events) {
        this.snapshot = snapshot;
        this.nodes = nodes;
        this.events = events;
    }

    /** What the evaluation found and did. */
    /** @param recheckInMs when the next node's idle time runs out (or a default), to look again then */
    public record Outcome(List<String> idleNodes, List<ScaleAction> actions, String lastScaleUpAt, long recheckInMs, String note) {}

    static final long DEFAULT_RECHECK_MS = 30_000;

    public Outcome evaluate(AcceleratorPool pool, PoolProfile profile, ClusterState state, Supplier<List<AIWorkload>> pending,
                            Instant now) {
        PoolScaling s = pool.getSpec().getScaling();
        List<String> idle = new ArrayList<>();
        List<ScaleAction> actions = new ArrayList<>();
        String lastUp = pool.getStatus() == null ? null : pool.getStatus().getLastScaleUpAt();
        if (s == null) return new Outcome(idle, actions, lastUp, Long.MAX_VALUE, "no spec.scaling");
        String note = "nothing to scale";
        long recheck = DEFAULT_RECHECK_MS;
        Duration after = IdleScaler.parse("AcceleratorPool " + pool.getMetadata().getName() + " spec.scaling.scaleDownAfter",
                s.getScaleDownAfter() == null ? "10m" : s.getScaleDownAfter());
        boolean dryRun = Boolean.TRUE.equals(s.getDryRun());
        String at = now.truncatedTo(ChronoUnit.SECONDS).toString();

        List<Node> members = snapshot.nodesOf(pool);
        List<Node> candidates = new ArrayList<>();
        int schedulable = 0;
        for (Node n : members) {
            String name = n.getMetadata().getName();
            Map<String, String> ann = n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
            boolean cordoned = n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable());
            if (!cordoned) schedulable++;
            if (!snapshot.holdsNoWorkload(name)) {
                if (ann.containsKey(IDLE_SINCE)) nodes.annotate(name, IDLE_SINCE, null);
                continue;
            }
            Instant since = parseOr(ann.get(IDLE_SINCE), null);
            if (since == null) {
                nodes.annotate(name, IDLE_SINCE, at);
                since = now;
            }
            idle.add(name + " (no workload since " + since.truncatedTo(ChronoUnit.SECONDS) + ")");
            Duration left = after.minus(Duration.between(since, now));
            if (!cordoned && !left.isNegative()) recheck = Math.min(recheck, left.toMillis() + 500);
            if (!cordoned && left.isNegative()) candidates.add(n);
        }
        int min = s.getMinNodes() == null ? 0 : s.getMinNodes();
        if (!candidates.isEmpty() && schedulable - 1 >= min) {
            Node n = candidates.get(0);
            String name = n.getMetadata().getName();
            String why = "held no workload for " + IdleScaler.human(Duration.between(
                    parseOr(n.getMetadata().getAnnotations() == null ? null : n.getMetadata().getAnnotations().get(IDLE_SINCE), now), now))
                    + " (scaleDownAfter " + s.getScaleDownAfter() + ")";
            actions.add(new ScaleAction("ScaleDown", name, why, profile.costPerNodeHour(), at, dryRun));
            if (dryRun) {
                events.normal(pool, "WouldScaleDown", "dry run: would remove node " + name + ", " + why + ", saving "
                        + io.plimsoll.engine.Units.dollars(profile.costPerNodeHour()));
            } else {
                nodes.cordon(name);
                nodes.annotate(name, SCALED_DOWN_AT, at);
                String how = "cordoned; removal left to the cluster autoscaler";
                if (s.getMode() == PoolScaling.Mode.ScaleTarget) {
                    boolean marked = nodes.markMachineForDeletion(n.getMetadata().getAnnotations(), MACHINE_API);
                    int replicas = nodes.replicas(s.getScaleTargetRef());
                    nodes.setReplicas(s.getScaleTargetRef(), Math.max(min, replicas - 1));
                    how = "cordoned" + (marked ? ", its Machine marked for deletion" : "") + ", " + s.getScaleTargetRef().getKind()
                            + " " + s.getScaleTargetRef().getName() + " scaled " + replicas + " -> " + Math.max(min, replicas - 1);
                }
                events.normal(pool, "ScaledDown", "node " + name + " " + why + ": " + how + ", saving "
                        + io.plimsoll.engine.Units.dollars(profile.costPerNodeHour()));
            }
        } else if (s.getMode() == PoolScaling.Mode.ScaleTarget && s.getMaxNodes() != null && members.size() < s.getMaxNodes()
                && (lastUp == null || parseOr(lastUp, Instant.EPOCH).plus(SCALE_UP_COOLDOWN).isBefore(now))) {
            String waiting = pendingThatFitsANewNode(pool, profile, state, pending.get());
            if (waiting == null) note = "no pending workload would fit a new node";
            if (waiting != null) {
                actions.add(new ScaleAction("ScaleUp", null, waiting + " would fit a new node", profile.costPerNodeHour(), at, dryRun));
                if (dryRun) {
                    events.normal(pool, "WouldScaleUp", "dry run: would add a node for " + waiting);
                } else {
                    int replicas = nodes.replicas(s.getScaleTargetRef());
                    nodes.setReplicas(s.getScaleTargetRef(), replicas + 1);
                    lastUp = at;
                    events.normal(pool, "ScaledUp", s.getScaleTargetRef().getKind() + " " + s.getScaleTargetRef().getName()
                            + " scaled " + replicas + " -> " + (replicas + 1) + " for pending " + waiting);
                }
            }
        }
        if (!actions.isEmpty()) recheck = Math.min(recheck, 2_000);
        if (!candidates.isEmpty() && actions.isEmpty() && note.equals("nothing to scale")) {
            note = "idle node(s) kept: the pool is at minNodes " + min;
        }
        return new Outcome(idle, actions, lastUp, recheck, actions.isEmpty() ? note : actions.size() + " scale action(s)");
    }

    /** The first pending workload (namespace/name) whose replica would fit an empty node like the pool's others. */
    private String pendingThatFitsANewNode(AcceleratorPool pool, PoolProfile profile, ClusterState state, List<AIWorkload> pending) {
        List<NodeState> existing = state.nodesOf(profile.name());
        if (existing.isEmpty()) return null;
        NodeState model = existing.get(0);
        ClusterState fresh = new ClusterState().addPool(profile).addNode(new NodeState("new-node", profile.name(), true,
                model.cpuMilliCapacity(), model.memoryBytesCapacity(), model.deviceCount(), model.migCapacity()));
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

    private static Instant parseOr(String s, Instant fallback) {
        try {
            return s == null ? fallback : Instant.parse(s);
        } catch (RuntimeException e) {
            return fallback;
        }
    }
}
