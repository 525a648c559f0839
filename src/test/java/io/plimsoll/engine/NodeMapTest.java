package io.plimsoll.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** {@link NodeMap} keeps exactly what a LinkedHashMap would, in its order, across copies of copies. */
class NodeMapTest {

    static NodeState node(String name) {
        return new NodeState(name, "p", true, 1000, 1 << 30, 1, Map.of());
    }

    /** Each map beside the LinkedHashMap it must equal. */
    record Pair(NodeMap map, LinkedHashMap<String, NodeState> model) {}

    static void assertSameContent(Pair p, String step) {
        List<NodeState> got = new ArrayList<>(p.map().values());
        List<NodeState> want = new ArrayList<>(p.model().values());
        assertEquals(want.size(), got.size(), step + ": size");
        assertEquals(want.size(), p.map().size(), step + ": size()");
        for (int i = 0; i < want.size(); i++) assertSame(want.get(i), got.get(i), step + ": entry " + i);
        for (String name : p.model().keySet()) assertSame(p.model().get(name), p.map().get(name), step + ": get " + name);
    }

    @Test
    void randomPutsRemovesAndCopiesMatchALinkedHashMap() {
        Random r = new Random(7);
        List<Pair> pairs = new ArrayList<>();
        pairs.add(new Pair(new NodeMap(), new LinkedHashMap<>()));
        for (int step = 0; step < 20_000; step++) {
            Pair p = pairs.get(r.nextInt(pairs.size()));
            String name = "n" + r.nextInt(300);
            int op = r.nextInt(10);
            if (op < 5) { // replace or add
                NodeState n = node(name);
                assertSame(p.model().put(name, n), p.map().put(name, n), "put " + name);
            } else if (op < 8) {
                assertSame(p.model().remove(name), p.map().remove(name), "remove " + name);
            } else if (op == 8 && pairs.size() < 40) {
                pairs.add(new Pair(p.map().copy(), new LinkedHashMap<>(p.model())));
            } else {
                assertSame(p.model().get(name), p.map().get(name), "get " + name);
            }
            if (step % 97 == 0) for (Pair q : pairs) assertSameContent(q, "step " + step);
        }
        for (Pair q : pairs) assertSameContent(q, "end");
    }

    @Test
    void aCopySeesNoLaterChangeOfTheOriginalNorTheOriginalOneOfTheCopy() {
        NodeMap a = new NodeMap();
        NodeState x = node("x"), y = node("y"), z = node("z");
        a.put("x", x);
        a.put("y", y);
        NodeMap b = a.copy();
        a.put("x", node("x"));
        a.remove("y");
        b.put("z", z);
        assertSame(x, b.get("x"));
        assertSame(y, b.get("y"));
        assertEquals(List.of(x, y, z), new ArrayList<>(b.values()));
        assertEquals(1, a.size());
        assertEquals(null, a.get("z"));
    }

    @Test
    void aNodeRemovedAndPutAgainGoesToTheEnd() {
        NodeMap a = new NodeMap();
        NodeState x = node("x"), y = node("y");
        a.put("x", x);
        a.put("y", y);
        NodeMap b = a.copy();
        b.remove("x");
        NodeState x2 = node("x");
        b.put("x", x2);
        assertEquals(List.of(y, x2), new ArrayList<>(b.values()));
        assertEquals(List.of(x, y), new ArrayList<>(a.values()));
    }

    @Test
    void aNodeReplacedWhileIteratingShowsAsInALinkedHashMap() {
        NodeMap a = new NodeMap();
        for (int i = 0; i < 5; i++) a.put("n" + i, node("n" + i));
        NodeMap b = a.copy();
        NodeState later = node("n3");
        List<NodeState> seen = new ArrayList<>();
        for (NodeState n : b.values()) {
            if (n.name().equals("n1")) b.put("n3", later);
            seen.add(n);
        }
        assertSame(later, seen.get(3));
    }
}
