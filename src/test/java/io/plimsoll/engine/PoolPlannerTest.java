package io.plimsoll.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plimsoll.engine.PoolPlanner.Facts;
import io.plimsoll.engine.PoolPlanner.NodeFacts;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool sizing rule that the operator's pool scaler and {@code simulate serving} share, without any API server. */
class PoolPlannerTest {
    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    static final PoolPlanner.Rules RULES = new PoolPlanner.Rules(Duration.ofMinutes(10), 1, 4, true, Duration.ofMinutes(3));

    static Facts facts(List<NodeFacts> nodes, Instant lastUp, String waiting, Instant evicted) {
        return new Facts(nodes, 0, lastUp, () -> waiting, evicted, "ns/w");
    }

    @Test
    void marksNewlyIdleNodesClearsBusyOnesAndRemovesOneDueNodeAboveMinNodes() {
        var plan = PoolPlanner.plan(RULES, facts(List.of(
                new NodeFacts("busy", true, true, NOW.minusSeconds(60)),
                new NodeFacts("fresh", true, false, null),
                new NodeFacts("due-1", true, false, NOW.minus(Duration.ofMinutes(11))),
                new NodeFacts("due-2", true, false, NOW.minus(Duration.ofMinutes(12))),
                new NodeFacts("waiting", true, false, NOW.minus(Duration.ofMinutes(4)))), null, null, null), NOW);
        assertEquals(List.of(new PoolPlanner.ClearIdle("busy"), new PoolPlanner.MarkIdle("fresh", NOW),
                new PoolPlanner.ScaleDown("due-1", NOW.minus(Duration.ofMinutes(11)), PoolPlanner.Reason.NodeIdle)), plan.actions());
        assertEquals(NOW.plus(Duration.ofMinutes(6)), plan.recheckAt(), "the next idle node is due in 6 minutes");
        assertEquals(4, plan.idleNodes().size());
    }

    @Test
    void thePoolsLastNodeStaysLastNodeAfterOthersGoAfterTheirOwnTimes() {
        // Empty nodes go after 2 min, parked-only ones after 5 min, but the pool's last node stays 17 min either way.
        var rules = new PoolPlanner.Rules(Duration.ofMinutes(2), 0, 4, true, Duration.ofMinutes(3), Duration.ofMinutes(5),
                Duration.ofMinutes(17));
        Instant parked6 = NOW.minus(Duration.ofMinutes(6)), empty3 = NOW.minus(Duration.ofMinutes(3));
        // Two nodes: both due by their own times; the empty one goes first.
        var two = PoolPlanner.plan(rules, facts(List.of(
                new NodeFacts("a", true, true, parked6, true),
                new NodeFacts("b", true, false, empty3, false)), null, null, null), NOW);
        assertEquals(List.of(new PoolPlanner.ScaleDown("b", empty3, PoolPlanner.Reason.NodeIdle)), two.actions());
        // Then "a" is the last node: parked-only for 6 min is not 17, so it stays, due 11 min from now.
        var last = PoolPlanner.plan(rules, facts(List.of(new NodeFacts("a", true, true, parked6, true)), null, null, null), NOW);
        assertEquals(List.of(), last.actions());
        assertEquals(NOW.plus(Duration.ofMinutes(11)), last.recheckAt());
        Instant parked17 = NOW.minus(Duration.ofMinutes(17));
        var due = PoolPlanner.plan(rules, facts(List.of(new NodeFacts("a", true, true, parked17, true)), null, null, null), NOW);
        assertEquals(List.of(new PoolPlanner.ScaleDown("a", parked17, PoolPlanner.Reason.OnlyParkedReplicas)), due.actions());
        // An empty last node too: 3 min of 17.
        var empty = PoolPlanner.plan(rules, facts(List.of(new NodeFacts("b", true, false, empty3, false)), null, null, null), NOW);
        assertEquals(NOW.plus(Duration.ofMinutes(14)), empty.recheckAt());
        assertFalse(empty.resizes());
        // A node leaving the pool (not inPool) does not count: the one that stays is the last.
        var leaving = PoolPlanner.plan(rules, facts(List.of(
                new NodeFacts("gone", false, false, empty3, false),
                new NodeFacts("a", true, true, parked6, true)), null, null, null), NOW);
        assertFalse(leaving.resizes());
        // With minNodes 1 the last node stays for good: its own time does not apply, and the plan says why it stays.
        var kept = new PoolPlanner.Rules(Duration.ofMinutes(2), 1, 4, true, Duration.ofMinutes(3), Duration.ofMinutes(5),
                Duration.ofMinutes(17));
        var atMin = PoolPlanner.plan(kept, facts(List.of(new NodeFacts("b", true, false, empty3, false)), null, null, null), NOW);
        assertEquals(PoolPlanner.Hold.AtMinNodes, atMin.hold());
    }

    @Test
    void onlyEvictionsOfRecentlyParkedReplicasCountForGrowthWhenAsked() {
        Duration within = Duration.ofMinutes(8);
        assertTrue(PoolPlanner.evictionCounts(within, NOW.minus(Duration.ofMinutes(5)), NOW), "parked 5 min ago: its model was in use");
        assertFalse(PoolPlanner.evictionCounts(within, NOW.minus(Duration.ofMinutes(9)), NOW), "parked 9 min ago");
        assertFalse(PoolPlanner.evictionCounts(within, NOW.minus(within), NOW), "exactly 8 min: no longer within");
        assertTrue(PoolPlanner.evictionCounts(null, NOW.minus(Duration.ofHours(5)), NOW), "no limit: every eviction counts");
    }

    @Test
    void aNodeHoldingOnlyParkedReplicasLeavesAfterParkedOnlyAfterEmptyNodesFirst() {
        var rules = new PoolPlanner.Rules(Duration.ofMinutes(10), 0, 4, true, Duration.ofMinutes(3), Duration.ofMinutes(20));
        Instant since = NOW.minus(Duration.ofMinutes(25));
        // Parked only for 25 minutes: due. A serving node is never a candidate, nor one parked-only for 5 minutes.
        var plan = PoolPlanner.plan(rules, facts(List.of(
                new NodeFacts("serving", true, true, null, false),
                new NodeFacts("parked-new", true, true, null, true),
                new NodeFacts("parked-recent", true, true, NOW.minus(Duration.ofMinutes(5)), true),
                new NodeFacts("parked-long", true, true, since, true)), null, null, null), NOW);
        assertEquals(List.of(new PoolPlanner.MarkIdle("parked-new", NOW),
                new PoolPlanner.ScaleDown("parked-long", since, PoolPlanner.Reason.OnlyParkedReplicas)), plan.actions());
        assertEquals(NOW.plus(Duration.ofMinutes(15)), plan.recheckAt(), "parked-recent is due in 15 minutes");
        // An empty node due at the same time goes first: nothing has to move.
        var both = PoolPlanner.plan(rules, facts(List.of(
                new NodeFacts("parked-long", true, true, since, true),
                new NodeFacts("empty", true, false, NOW.minus(Duration.ofMinutes(11)), false)), null, null, null), NOW);
        assertEquals(new PoolPlanner.ScaleDown("empty", NOW.minus(Duration.ofMinutes(11)), PoolPlanner.Reason.NodeIdle),
                both.actions().get(both.actions().size() - 1));
        // A parked-only node that serves again is no longer idle.
        var back = PoolPlanner.plan(rules, facts(List.of(new NodeFacts("parked-long", true, true, since, false)), null, null, null), NOW);
        assertEquals(List.of(new PoolPlanner.ClearIdle("parked-long")), back.actions());
    }

    @Test
    void withoutParkedOnlyAfterParkedReplicasKeepTheirNode() {
        var plan = PoolPlanner.plan(RULES, facts(List.of(new NodeFacts("a", true, true, null, true),
                new NodeFacts("b", true, true, null, true)), null, null, null), NOW);
        assertTrue(plan.actions().isEmpty());
        assertTrue(plan.idleNodes().isEmpty());
    }

    @Test
    void keepsTheLastNodeAtMinNodesAndDoesNotCountNodesLeavingThePool() {
        var plan = PoolPlanner.plan(RULES, facts(List.of(
                new NodeFacts("leaving", false, false, NOW.minus(Duration.ofHours(1))),
                new NodeFacts("last", true, false, NOW.minus(Duration.ofHours(1)))), null, null, null), NOW);
        assertFalse(plan.resizes());
        assertEquals(PoolPlanner.Hold.AtMinNodes, plan.hold());
    }

    @Test
    void growsForWaitingWorkOnlyAfterTheCooldownAndBelowMaxNodes() {
        List<NodeFacts> one = List.of(new NodeFacts("n0", true, true, null));
        assertEquals(List.of(new PoolPlanner.ScaleUp(PoolPlanner.Reason.PendingFitsNewNode, "ns/big")),
                PoolPlanner.plan(RULES, facts(one, NOW.minus(Duration.ofMinutes(3)), "ns/big", null), NOW).actions());
        assertFalse(PoolPlanner.plan(RULES, facts(one, NOW.minus(Duration.ofMinutes(2)), "ns/big", null), NOW).resizes(), "cooldown");
        List<NodeFacts> four = List.of(new NodeFacts("a", true, true, null), new NodeFacts("b", true, true, null),
                new NodeFacts("c", true, true, null), new NodeFacts("d", true, true, null));
        assertFalse(PoolPlanner.plan(RULES, facts(four, null, "ns/big", null), NOW).resizes(), "maxNodes");
        assertEquals(PoolPlanner.Hold.NothingWaits, PoolPlanner.plan(RULES, facts(one, null, null, null), NOW).hold());
    }

    @Test
    void growsOnceAfterParkedReplicasWereEvictedUnlessANodeIsStarting() {
        List<NodeFacts> one = List.of(new NodeFacts("n0", true, true, null));
        Instant evicted = NOW.minusSeconds(30);
        var plan = PoolPlanner.plan(RULES, facts(one, NOW.minus(Duration.ofHours(1)), null, evicted), NOW);
        assertEquals(List.of(new PoolPlanner.ScaleUp(PoolPlanner.Reason.ParkedReplicasEvicted, "ns/w")), plan.actions());
        // Grown since that eviction: not again for it.
        assertTrue(PoolPlanner.plan(RULES, facts(one, evicted.plusSeconds(1), null, evicted), NOW.plus(Duration.ofMinutes(4)))
                .actions().isEmpty());
        // A node already starting takes the room the eviction showed was missing.
        assertFalse(PoolPlanner.plan(RULES, new Facts(one, 1, null, () -> null, evicted, "ns/w"), NOW).resizes());
        // An eviction older than a cooldown no longer says the pool is short now.
        assertFalse(PoolPlanner.plan(RULES, facts(one, null, null, NOW.minus(Duration.ofMinutes(4))), NOW).resizes());
    }

    @Test
    void aPoolThatCannotGrowNeverAsksWhoWaits() {
        var rules = new PoolPlanner.Rules(Duration.ofMinutes(10), 0, 0, false, Duration.ofMinutes(3));
        var plan = PoolPlanner.plan(rules, new Facts(List.of(new NodeFacts("n0", true, true, null)), 0, null,
                () -> { throw new AssertionError("asked"); }, null, null), NOW);
        assertEquals(PoolPlanner.Hold.NothingToScale, plan.hold());
    }
}
