package io.plimsoll.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link ClusterState#nodesOf} keeps its answers between asks and follows every change: a node replaced, copied to be
 * changed, removed, added or moved to another pool, in any of several copies of copies. It must always be what the
 * state's nodes say now, the same objects in the same order, and a copy must never see a change of its original (nor
 * the other way round).
 */
class ClusterStateNodesOfTest {
    private static final List<String> POOLS = List.of("a", "b", "c");

    private static NodeState node(String name, String pool) {
        return new NodeState(name, pool, true, 4000, 1L << 34, 2, Map.of());
    }

    private static void assertCurrent(ClusterState s, String step) {
        for (String pool : POOLS) {
            List<NodeState> want = s.nodes().stream().filter(n -> pool.equals(n.pool())).toList();
            List<NodeState> got = s.nodesOf(pool);
            assertEquals(want.size(), got.size(), step + ": pool " + pool + " size");
            for (int i = 0; i < want.size(); i++) assertSame(want.get(i), got.get(i), step + ": pool " + pool + " entry " + i);
        }
    }

    @Test
    void randomChangesAndCopiesAlwaysReadAsTheNodesNow() {
        Random r = new Random(11);
        List<ClusterState> states = new ArrayList<>();
        ClusterState first = new ClusterState();
        for (int i = 0; i < 60; i++) first.addNode(node("n" + i, POOLS.get(i % POOLS.size())));
        states.add(first);
        for (int step = 0; step < 20_000; step++) {
            ClusterState s = states.get(r.nextInt(states.size()));
            String name = "n" + r.nextInt(80);
            int op = r.nextInt(12);
            if (op < 4) { // changed through node(): copied on first change when shared
                NodeState n = s.node(name);
                if (n != null) n.useResources(1, 1);
            } else if (op < 6) { // replaced in its pool
                NodeState old = s.nodes().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
                s.addNode(node(name, old != null ? old.pool() : POOLS.get(r.nextInt(POOLS.size()))));
            } else if (op == 6) { // moved to another pool
                s.addNode(node(name, POOLS.get(r.nextInt(POOLS.size()))));
            } else if (op == 7) {
                s.removeNode(name);
            } else if (op == 8 && states.size() < 30) {
                states.add(r.nextBoolean() ? s.copy() : s.excluding(java.util.Set.of(name, "n" + r.nextInt(80))));
            } else {
                s.nodesOf(POOLS.get(r.nextInt(POOLS.size()))); // made and kept
            }
            if (step % 37 == 0) for (int i = 0; i < states.size(); i++) assertCurrent(states.get(i), "step " + step + " state " + i);
        }
        for (int i = 0; i < states.size(); i++) assertCurrent(states.get(i), "end, state " + i);
    }

    @Test
    void aCopysChangeIsNotSeenByItsOriginalNorTheOriginalsByTheCopy() {
        ClusterState a = new ClusterState();
        a.addNode(node("x", "a")).addNode(node("y", "a"));
        List<NodeState> before = List.copyOf(a.nodesOf("a"));
        ClusterState b = a.copy();
        NodeState bx = b.node("x");
        bx.useResources(1000, 0);
        assertSame(bx, b.nodesOf("a").get(0), "the copy reads its own changed node");
        assertSame(before.get(0), a.nodesOf("a").get(0), "the original still reads its node");
        NodeState ay = a.node("y");
        ay.useResources(500, 0);
        assertSame(ay, a.nodesOf("a").get(1));
        assertSame(before.get(1), b.nodesOf("a").get(1), "the copy does not see the original's change");
        assertEquals(4000, a.nodesOf("a").get(0).cpuMilliFree());
        assertThrows(UnsupportedOperationException.class, () -> a.nodesOf("a").clear(), "for reading only");
    }
}
