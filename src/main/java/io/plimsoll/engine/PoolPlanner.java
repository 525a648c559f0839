package io.plimsoll.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Pool sizing as a pure function: from what a pool's nodes hold and when they emptied, what to do now. The operator's
 * pool scaler ({@code PoolScaler}) applies the actions to nodes and scale targets; {@code simulate serving} applies them
 * to its replayed nodes. Both call this, so the replay's node-hours come from the operator's own rule.
 * <ul>
 *   <li>A node that holds no work is marked idle when first seen so; one idle for {@code scaleDownAfter} is removed,
 *       one per evaluation, never below {@code minNodes}.</li>
 *   <li>With {@code parkedOnlyAfter} set, a node whose work is all parked replicas serves nothing either: it is marked
 *       idle too, and once it has served nothing for {@code parkedOnlyAfter} it is removed, its parked replicas
 *       placed elsewhere or scaled to zero. A parked replica costs its model's next request a few seconds; a node kept
 *       up only for parked replicas costs the whole node. Empty nodes go first.</li>
 *   <li>Otherwise, when the pool may grow, is below {@code maxNodes} and the last growth is a cooldown ago, it grows by
 *       one node if work waits that a new node would take, or if parked replicas had to be scaled to zero to make room
 *       since it last grew (the pool is short of warm capacity) and no node is starting.</li>
 * </ul>
 */
public final class PoolPlanner {
    private PoolPlanner() {}

    /*
     * The operator's defaults (AcceleratorPool spec.scaling), which are also Plimsoll's pool rule in
     * simulate serving. Chosen by replaying the serving trace (docs/serving-results.md, "Measured with the default pool rule"):
     * nodes that serve nothing leave quickly, except the pool's last one, which the next request would otherwise
     * wait 3 minutes for; the pool grows after an eviction only when the evicted model was in use a moment ago.
     */
    /** The operator's default {@code scaleDownAfter}. */
    public static final Duration DEFAULT_SCALE_DOWN_AFTER = Duration.ofMinutes(2);
    /** The operator's default {@code parkedOnlyAfter}. */
    public static final Duration DEFAULT_PARKED_ONLY_AFTER = Duration.ofMinutes(8);
    /** The operator's default {@code lastNodeAfter}. */
    public static final Duration DEFAULT_LAST_NODE_AFTER = Duration.ofMinutes(17);
    /** The operator's default {@code growIfParkedWithin}. */
    public static final Duration DEFAULT_GROW_IF_PARKED_WITHIN = Duration.ofMinutes(8);

    /**
     * @param scaleDownAfter how long a node holds no work before it is removed
     * @param minNodes       the pool never shrinks below this
     * @param maxNodes       the pool never grows to more than this
     * @param canGrow        whether the pool can grow at all (it has something to scale)
     * @param scaleUpCooldown the least time between two growths
     * @param parkedOnlyAfter how long a node holding only parked replicas is kept (null: as long as they stay parked)
     * @param lastNodeAfter  how long the pool's last node is kept once it serves nothing, empty or parked-only, instead
     *                       of the two times above, when minNodes is 0 (null: no special case)
     */
    public record Rules(Duration scaleDownAfter, int minNodes, int maxNodes, boolean canGrow, Duration scaleUpCooldown,
                        Duration parkedOnlyAfter, Duration lastNodeAfter) {
        public Rules(Duration scaleDownAfter, int minNodes, int maxNodes, boolean canGrow, Duration scaleUpCooldown,
                     Duration parkedOnlyAfter) {
            this(scaleDownAfter, minNodes, maxNodes, canGrow, scaleUpCooldown, parkedOnlyAfter, null);
        }

        /** Rules that keep a node as long as any replica is on it, parked or not. */
        public Rules(Duration scaleDownAfter, int minNodes, int maxNodes, boolean canGrow, Duration scaleUpCooldown) {
            this(scaleDownAfter, minNodes, maxNodes, canGrow, scaleUpCooldown, null, null);
        }
    }

    /**
     * @param name      the node
     * @param inPool    still counted in the pool (not being removed)
     * @param holdsWork some workload's pod is on it
     * @param idleSince when it was first seen serving nothing (null: not marked yet)
     * @param onlyParked every pod on it is a parked replica (it holds work but serves none)
     */
    public record NodeFacts(String name, boolean inPool, boolean holdsWork, Instant idleSince, boolean onlyParked) {
        public NodeFacts(String name, boolean inPool, boolean holdsWork, Instant idleSince) {
            this(name, inPool, holdsWork, idleSince, false);
        }
    }

    /**
     * @param nodes              the pool's nodes, in the order removal candidates are taken
     * @param starting           nodes asked for that are not in the pool yet
     * @param lastScaleUp        when the pool last grew (null: never)
     * @param waitingForNewNode  asked only when the pool may grow now: who waits that a new node would take, or null
     * @param lastParkedEviction when parked replicas were last scaled to zero to make room in the pool (null: never)
     * @param evictedFor         for whom
     */
    public record Facts(List<NodeFacts> nodes, int starting, Instant lastScaleUp, Supplier<String> waitingForNewNode,
                        Instant lastParkedEviction, String evictedFor) {}

    /** Why a pool changes size. */
    public enum Reason {
        /** The node held no work for scaleDownAfter. */
        NodeIdle,
        /** The node held only parked replicas for parkedOnlyAfter: they move or scale to zero, and it goes. */
        OnlyParkedReplicas,
        /** Pending work would fit a new node. */
        PendingFitsNewNode,
        /** Parked replicas were scaled to zero to make room: the pool is short of warm capacity. */
        ParkedReplicasEvicted
    }

    /** What to do to a pool. */
    public sealed interface Action permits MarkIdle, ClearIdle, ScaleDown, ScaleUp {}

    /** Remember that the node holds no work since {@code since}. */
    public record MarkIdle(String node, Instant since) implements Action {}

    /** The node holds work again. */
    public record ClearIdle(String node) implements Action {}

    /** Remove the node from the pool. */
    public record ScaleDown(String node, Instant idleSince, Reason reason) implements Action {}

    /** Add one node; {@code forWhom} is the waiting workload, or the one parked replicas made room for. */
    public record ScaleUp(Reason reason, String forWhom) implements Action {}

    /** Why a plan changes the pool's size in no way. */
    public enum Hold { None, NothingToScale, AtMinNodes, NothingWaits }

    /**
     * @param actions   in order
     * @param idleNodes the nodes holding no work, with since when
     * @param recheckAt when an idle node's time runs out next (null: nothing to wait for)
     * @param hold      why the size does not change, when it does not
     */
    public record Plan(List<Action> actions, List<NodeFacts> idleNodes, Instant recheckAt, Hold hold) {
        public boolean resizes() {
            return actions.stream().anyMatch(a -> a instanceof ScaleDown || a instanceof ScaleUp);
        }
    }

    /**
     * Whether scaling a parked replica to zero to make room counts as an eviction the pool grows for
     * ({@link Facts#lastParkedEviction()}): with {@code growIfParkedWithin} set, only a replica that parked less than that
     * before {@code now} (its model was in use a moment ago, so its next request is likely soon) counts; one parked
     * longer ago was close to its horizon anyway.
     *
     * @param growIfParkedWithin null: every eviction counts
     * @param parkedAt           when the evicted replica parked
     */
    public static boolean evictionCounts(Duration growIfParkedWithin, Instant parkedAt, Instant now) {
        return growIfParkedWithin == null || now.isBefore(parkedAt.plus(growIfParkedWithin));
    }

    public static Plan plan(Rules rules, Facts facts, Instant now) {
        List<Action> actions = new ArrayList<>();
        List<NodeFacts> idle = new ArrayList<>();
        NodeFacts empty = null, parkedOnly = null;
        Instant recheckAt = null;
        int inPool = 0;
        for (NodeFacts n : facts.nodes()) if (n.inPool()) inPool++;
        // With minNodes 1 or more a node stays anyway: the last node's own time is for pools that may go to zero.
        boolean last = inPool == 1 && rules.minNodes() == 0 && rules.lastNodeAfter() != null;
        for (NodeFacts n : facts.nodes()) {
            boolean servesNothing = !n.holdsWork() || (n.onlyParked() && rules.parkedOnlyAfter() != null);
            if (!servesNothing) {
                if (n.idleSince() != null) actions.add(new ClearIdle(n.name()));
                continue;
            }
            Instant since = n.idleSince();
            if (since == null) {
                since = now;
                actions.add(new MarkIdle(n.name(), now));
            }
            NodeFacts marked = new NodeFacts(n.name(), n.inPool(), n.holdsWork(), since, n.onlyParked());
            idle.add(marked);
            Instant due = since.plus(last && n.inPool() ? rules.lastNodeAfter()
                    : n.holdsWork() ? rules.parkedOnlyAfter() : rules.scaleDownAfter());
            if (!n.inPool()) continue;
            if (now.isAfter(due) || now.equals(due)) {
                if (!n.holdsWork() && empty == null) empty = marked;
                if (n.holdsWork() && parkedOnly == null) parkedOnly = marked;
            } else if (recheckAt == null || due.isBefore(recheckAt)) {
                recheckAt = due;
            }
        }
        NodeFacts candidate = empty != null ? empty : parkedOnly;
        if (candidate != null && inPool - 1 >= rules.minNodes()) {
            actions.add(new ScaleDown(candidate.name(), candidate.idleSince(),
                    candidate.holdsWork() ? Reason.OnlyParkedReplicas : Reason.NodeIdle));
            return new Plan(actions, idle, recheckAt, Hold.None);
        }
        Hold hold = candidate != null ? Hold.AtMinNodes : Hold.NothingToScale;
        boolean cooled = facts.lastScaleUp() == null || !now.isBefore(facts.lastScaleUp().plus(rules.scaleUpCooldown()));
        if (rules.canGrow() && facts.nodes().size() + facts.starting() < rules.maxNodes() && cooled) {
            String waiting = facts.waitingForNewNode() == null ? null : facts.waitingForNewNode().get();
            if (waiting != null) {
                actions.add(new ScaleUp(Reason.PendingFitsNewNode, waiting));
                return new Plan(actions, idle, recheckAt, Hold.None);
            }
            Instant evicted = facts.lastParkedEviction();
            // One growth per eviction: only an eviction since the last growth, and recent (within a cooldown) counts.
            if (evicted != null && facts.starting() == 0 && now.isBefore(evicted.plus(rules.scaleUpCooldown()).plusMillis(1))
                    && (facts.lastScaleUp() == null || evicted.isAfter(facts.lastScaleUp()))) {
                actions.add(new ScaleUp(Reason.ParkedReplicasEvicted, facts.evictedFor()));
                return new Plan(actions, idle, recheckAt, Hold.None);
            }
            if (hold == Hold.NothingToScale) hold = Hold.NothingWaits;
        }
        return new Plan(actions, idle, recheckAt, hold);
    }
}
