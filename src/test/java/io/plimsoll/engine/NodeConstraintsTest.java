package io.plimsoll.engine;

import io.plimsoll.engine.PodConstraints.Operator;
import io.plimsoll.engine.PodConstraints.Requirement;
import io.plimsoll.engine.PodConstraints.Term;
import io.plimsoll.engine.PodConstraints.Toleration;
import io.plimsoll.engine.Taint.Effect;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pod's nodeSelector, required node affinity and tolerations against node labels and taints, without Kubernetes. */
class NodeConstraintsTest {
    static final long GIB = Units.GIB;
    static final Map<String, String> LABELS = Map.of("zone", "a", "disk", "ssd", "cores", "16", "odd", "x1");

    static Requirement req(String key, Operator op, String... values) {
        return new Requirement(key, op, List.of(values));
    }

    static boolean matches(Requirement r) {
        return NodeConstraints.matches(r, LABELS);
    }

    @Test
    void inAndNotIn() {
        assertTrue(matches(req("zone", Operator.In, "a", "b")));
        assertFalse(matches(req("zone", Operator.In, "b")));
        assertFalse(matches(req("rack", Operator.In, "a")), "In needs the label");
        assertTrue(matches(req("zone", Operator.NotIn, "b")));
        assertFalse(matches(req("zone", Operator.NotIn, "a", "b")));
        assertTrue(matches(req("rack", Operator.NotIn, "a")), "NotIn matches a node without the label");
    }

    @Test
    void existsAndDoesNotExist() {
        assertTrue(matches(req("disk", Operator.Exists)));
        assertFalse(matches(req("rack", Operator.Exists)));
        assertTrue(matches(req("rack", Operator.DoesNotExist)));
        assertFalse(matches(req("disk", Operator.DoesNotExist)));
    }

    @Test
    void gtAndLtCompareIntegers() {
        assertTrue(matches(req("cores", Operator.Gt, "8")));
        assertFalse(matches(req("cores", Operator.Gt, "16")), "strictly greater");
        assertTrue(matches(req("cores", Operator.Lt, "32")));
        assertFalse(matches(req("cores", Operator.Lt, "16")));
        assertTrue(matches(req("cores", Operator.Gt, "-1")));
        assertFalse(matches(req("odd", Operator.Gt, "0")), "a label that is not an integer never matches");
        assertFalse(matches(req("odd", Operator.Lt, "100")));
        assertFalse(matches(req("rack", Operator.Lt, "100")), "Lt needs the label");
        assertFalse(matches(req("cores", Operator.Gt, "x")), "a value that is not an integer never matches");
    }

    @Test
    void termsAreOredAndExpressionsAnded() {
        Term ssdInB = Term.of(req("disk", Operator.In, "ssd"), req("zone", Operator.In, "b"));
        Term zoneA = Term.of(req("zone", Operator.In, "a"));
        assertFalse(NodeConstraints.matches(ssdInB, "n", LABELS), "both expressions of a term must match");
        assertTrue(NodeConstraints.matchesAny(List.of(ssdInB, zoneA), "n", LABELS), "one term is enough");
        assertFalse(NodeConstraints.matchesAny(List.of(ssdInB), "n", LABELS));
        assertFalse(NodeConstraints.matches(new Term(List.of(), List.of()), "n", LABELS), "an empty term matches nothing");
    }

    @Test
    void matchFieldsNameTheNode() {
        Term onlyN1 = new Term(List.of(), List.of(req(NodeConstraints.NAME_FIELD, Operator.In, "n1")));
        assertTrue(NodeConstraints.matches(onlyN1, "n1", LABELS));
        assertFalse(NodeConstraints.matches(onlyN1, "n2", LABELS));
        Term notN1 = new Term(List.of(req("zone", Operator.In, "a")), List.of(req(NodeConstraints.NAME_FIELD, Operator.NotIn, "n1")));
        assertFalse(NodeConstraints.matches(notN1, "n1", LABELS));
        assertTrue(NodeConstraints.matches(notN1, "n2", LABELS));
    }

    @Test
    void tolerationsAgainstTaints() {
        Taint reserved = new Taint("gpu", "reserved", Effect.NoSchedule);
        assertTrue(NodeConstraints.tolerates(Toleration.equal("gpu", "reserved", Effect.NoSchedule), reserved));
        assertTrue(NodeConstraints.tolerates(Toleration.equal("gpu", "reserved", null), reserved), "no effect: every effect");
        assertFalse(NodeConstraints.tolerates(Toleration.equal("gpu", "other", Effect.NoSchedule), reserved), "Equal needs the value");
        assertFalse(NodeConstraints.tolerates(Toleration.equal("gpu", "reserved", Effect.NoExecute), reserved), "another effect");
        assertTrue(NodeConstraints.tolerates(Toleration.exists("gpu", null), reserved), "Exists: any value");
        assertFalse(NodeConstraints.tolerates(Toleration.exists("tpu", null), reserved), "Exists: the key still counts");
        assertTrue(NodeConstraints.tolerates(Toleration.exists("", null), reserved), "empty key with Exists tolerates everything");
        assertTrue(NodeConstraints.tolerates(Toleration.exists("", null), new Taint("x", "", Effect.NoExecute)));
        assertFalse(NodeConstraints.tolerates(Toleration.exists("", Effect.NoExecute), reserved), "... of its effect");
    }

    @Test
    void noScheduleAndNoExecuteKeepPodsOffPreferNoScheduleDoesNot() {
        Taint soft = new Taint("spot", "true", Effect.PreferNoSchedule);
        Taint evict = new Taint("maint", "", Effect.NoExecute);
        Taint block = new Taint("gpu", "reserved", Effect.NoSchedule);
        assertNull(NodeConstraints.untolerated(List.of(), List.of(soft)), "PreferNoSchedule is only a preference");
        assertEquals(evict, NodeConstraints.untolerated(List.of(), List.of(soft, evict, block)));
        assertEquals(block, NodeConstraints.untolerated(List.of(Toleration.exists("maint", Effect.NoExecute)), List.of(soft, evict, block)));
        assertNull(NodeConstraints.untolerated(List.of(Toleration.exists("maint", null), Toleration.equal("gpu", "reserved", null)),
                List.of(soft, evict, block)));
        assertEquals("maint:NoExecute", evict.toString());
        assertEquals("gpu=reserved:NoSchedule", block.toString());
    }

    @Test
    void firstFailingCheckIsNamed() {
        NodeState n = node("n1", new NodeTraits(LABELS, List.of(new Taint("gpu", "reserved", Effect.NoSchedule))));
        PodConstraints pod = new PodConstraints(Map.of("disk", "hdd"), List.of(Term.of(req("zone", Operator.NotIn, "a"))), List.of());
        assertEquals("1 node does not match nodeSelector disk=hdd", NodeConstraints.exclusion(pod, n).count(1));
        pod = pod.withNodeSelector(Map.of("disk", "ssd"));
        assertEquals("2 nodes do not match the required node affinity zone NotIn [a]", NodeConstraints.exclusion(pod, n).count(2));
        pod = pod.withRequiredAffinity(List.of(Term.of(req("zone", Operator.In, "b")), Term.of(req("cores", Operator.Gt, "32"))));
        assertEquals("1 node matches none of the 2 terms of the required node affinity", NodeConstraints.exclusion(pod, n).count(1));
        pod = pod.withRequiredAffinity(List.of(Term.of(req("cores", Operator.Gt, "8"))));
        assertEquals("3 nodes have taint gpu=reserved:NoSchedule that the pod does not tolerate", NodeConstraints.exclusion(pod, n).count(3));
        pod = pod.withTolerations(List.of(Toleration.exists("gpu", null)));
        assertNull(NodeConstraints.exclusion(pod, n));
        n.limitPods(0);
        assertEquals("1 node is at its pod capacity (status.allocatable.pods)", NodeConstraints.exclusion(pod, n).count(1));
        NodeState cordoned = new NodeState("c", "p", false, 1000, GIB, 0, Map.of());
        assertEquals("2 nodes are cordoned or not ready", NodeConstraints.exclusion(PodConstraints.NONE, cordoned).count(2));
    }

    static NodeState node(String name, NodeTraits traits) {
        return new NodeState(name, "t4", true, 64_000, 512 * GIB, 4, Map.of()).withTraits(traits);
    }

    static NodeTraits tainted() {
        return new NodeTraits(Map.of("disk", "ssd"), List.of(new Taint("gpu", "reserved", Effect.NoSchedule)));
    }

    /** Pool t4: t4-0..2 tainted gpu=reserved:NoSchedule (disk=ssd), t4-3..4 disk=hdd, t4-5 disk=ssd untainted. */
    static ClusterState pool() {
        ClusterState s = new ClusterState().addPool(PlacementEngineTest.gpuPool("t4", "T4", 16, 4, SharingMode.Fractional, 2.0));
        for (int i = 0; i < 3; i++) s.addNode(node("t4-" + i, tainted()));
        for (int i = 3; i < 5; i++) s.addNode(node("t4-" + i, new NodeTraits(Map.of("disk", "hdd"), List.of())));
        s.addNode(node("t4-5", new NodeTraits(Map.of("disk", "ssd"), List.of(new Taint("spot", "", Effect.PreferNoSchedule)))));
        return s;
    }

    static Need share(int replicas, PodConstraints c) {
        return PlacementEngineTest.share(replicas, 500, 0).withConstraints(c);
    }

    @Test
    void thePoolsRejectionCountsExcludedNodesByReason() {
        ClusterState s = pool();
        s.node("t4-5").limitPods(0);
        PlacementDecision d = new PlacementEngine().place(share(1, new PodConstraints(Map.of("disk", "ssd"), List.of(), List.of())),
                s, PhaseRules.DEFAULT);
        assertFalse(d.placed());
        assertEquals("t4: 3 nodes have taint gpu=reserved:NoSchedule that the pod does not tolerate; "
                + "2 nodes do not match nodeSelector disk=ssd; 1 node is at its pod capacity (status.allocatable.pods)", d.explain());
    }

    @Test
    void onlyEligibleNodesAreUsedByEveryStrategy() {
        for (PackingStrategy strategy : PackingStrategy.values()) {
            PhaseRules rules = new PhaseRules(List.of(), PoolOrder.Cheapest, true, strategy);
            PlacementDecision d = new PlacementEngine().place(share(4, new PodConstraints(Map.of("disk", "ssd"), List.of(), List.of())),
                    pool(), rules);
            assertTrue(d.placed(), strategy + ": " + d.explain());
            for (ReplicaSlot slot : d.slots()) assertEquals("t4-5", slot.node(), strategy + ": the only untainted ssd node");

            PodConstraints tolerant = new PodConstraints(Map.of("disk", "ssd"), List.of(), List.of(Toleration.exists("gpu", null)));
            d = new PlacementEngine().place(share(12, tolerant), pool(), rules);
            assertTrue(d.placed(), strategy + ": " + d.explain());
            Set<String> used = new HashSet<>();
            for (ReplicaSlot slot : d.slots()) used.add(slot.node());
            assertFalse(used.contains("t4-3") || used.contains("t4-4"), strategy + ": hdd nodes are never used: " + used);

            d = new PlacementEngine().place(share(9, new PodConstraints(Map.of("disk", "ssd"), List.of(), List.of())), pool(), rules);
            assertFalse(d.placed(), strategy + ": one ssd node holds 8 halves");
            assertTrue(d.explain().endsWith("; 3 nodes have taint gpu=reserved:NoSchedule that the pod does not tolerate; "
                    + "2 nodes do not match nodeSelector disk=ssd"), strategy + ": " + d.explain());
        }
    }

    @Test
    void aGangMovesOnWhenItHasFilledANodesPodSlotsWithEveryStrategy() {
        for (PackingStrategy strategy : PackingStrategy.values()) {
            ClusterState s = new ClusterState().addPool(PlacementEngineTest.gpuPool("t4", "T4", 16, 4, SharingMode.Exclusive, 2.0))
                    .addNode(new NodeState("tight", "t4", true, 64_000, 512 * GIB, 4, Map.of()).limitPods(1))
                    .addNode(new NodeState("roomy", "t4", true, 64_000, 512 * GIB, 4, Map.of()));
            s.node("tight").useDevice(0, 1000); // the fuller node: best fit starts there
            Need gang = PlacementEngineTest.gpus(WorkloadPhase.Training, 2, 1, 8);
            PlacementDecision d = new PlacementEngine().place(gang, s, new PhaseRules(List.of(), PoolOrder.Cheapest, true, strategy));
            assertTrue(d.placed(), strategy + ": " + d.explain());
            assertTrue(d.slots().stream().filter(x -> x.node().equals("tight")).count() <= 1, strategy + ": one pod slot on tight: " + d.slots());
        }
    }

    @Test
    void requiredAffinityNotInExcludesANodeAndTheShortageSaysSo() {
        ClusterState s = new ClusterState().addPool(PlacementEngineTest.gpuPool("h100", "H100", 80, 8, SharingMode.Exclusive, 88.0))
                .addNode(new NodeState("h-0", "h100", true, 64_000, 512 * GIB, 8, Map.of()).withTraits(new NodeTraits(Map.of("zone", "a"), List.of())))
                .addNode(new NodeState("h-1", "h100", true, 64_000, 512 * GIB, 8, Map.of()).withTraits(new NodeTraits(Map.of("zone", "b"), List.of())));
        PodConstraints notA = PodConstraints.NONE.withRequiredAffinity(List.of(Term.of(req("zone", Operator.NotIn, "a"))));
        Need one = PlacementEngineTest.gpus(WorkloadPhase.Training, 1, 8, 40).withConstraints(notA);
        PlacementDecision d = new PlacementEngine().place(one, s, PhaseRules.DEFAULT);
        assertEquals("h-1", d.slots().get(0).node());
        d = new PlacementEngine().place(one.withReplicas(2), s, PhaseRules.DEFAULT);
        assertEquals("h100: gang of 2 replicas, only 1 fit at once (8 of 8 devices free; 1 node(s) have the 8 each replica needs); "
                + "1 node does not match the required node affinity zone NotIn [a]", d.explain());
    }

    @Test
    void constraintsSurviveCopiesAndDerivedNeeds() {
        PodConstraints c = new PodConstraints(Map.of("disk", "ssd"), List.of(), List.of(Toleration.exists("", null)));
        Need n = share(2, c);
        assertEquals(c, n.withReplicas(1).constraints());
        assertEquals(c, n.asShare(250).constraints());
        assertEquals(PodConstraints.NONE, PlacementEngineTest.share(1, 500, 0).constraints());
        NodeState node = node("n", tainted());
        assertEquals(tainted(), node.copy().traits());
        assertEquals(NodeTraits.NONE, new NodeState("m", "p", true, 1, 1, 0, Map.of()).traits());
    }
}
