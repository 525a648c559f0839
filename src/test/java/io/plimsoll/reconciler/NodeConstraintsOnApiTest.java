package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.sandbox.DemoCluster;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.plimsoll.reconciler.Fixtures.pods;
import static io.plimsoll.reconciler.Fixtures.workload;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The pod template's nodeSelector, required node affinity and tolerations, and the nodes' pod capacity, on the
 * embedded API (one H100 node h100-0, two T4 nodes t4-0 and t4-1; a share of a T4 is the cheapest placement).
 */
class NodeConstraintsOnApiTest extends OperatorOnEmbeddedApi {

    AIWorkload share(String name, int replicas, double fraction) {
        return workload(name, WorkloadPhase.Inference, replicas, AcceleratorType.GPU, null, fraction, null);
    }

    AIWorkload create(AIWorkload w) {
        return client.resource(w).create();
    }

    /**
     * Sets the node's taints and waits until the operator's model shows them: its node informer may lag, and a
     * workload created before it catches up is placed on the node as it was (as kube-scheduler would place it).
     */
    void taint(String node, Taint... taints) {
        client.nodes().withName(node).edit(n -> {
            n.getSpec().setTaints(List.of(taints));
            return n;
        });
        awaitModel(node, n -> n.traits().taints().size() == taints.length);
    }

    void label(String node, String key, String value) {
        client.nodes().withName(node).edit(n -> {
            n.getMetadata().getLabels().put(key, value);
            return n;
        });
        awaitModel(node, n -> value.equals(n.traits().labels().get(key)));
    }

    void podCapacity(String node, int pods) {
        client.nodes().withName(node).editStatus(n -> {
            n.getStatus().getAllocatable().put("pods", new Quantity(String.valueOf(pods)));
            return n;
        });
        awaitModel(node, n -> n.podCapacity() == pods);
    }

    void awaitModel(String node, java.util.function.Predicate<io.plimsoll.engine.NodeState> seen) {
        await().atMost(WAIT).until(() -> {
            var n = operator.snapshot.state().node(node);
            return n != null && seen.test(n);
        });
    }

    static Taint taint(String key, String value, String effect) {
        return new TaintBuilder().withKey(key).withValue(value).withEffect(effect).build();
    }

    static AIWorkload tolerating(AIWorkload w, Toleration... tolerations) {
        w.getSpec().getTemplate().getSpec().setTolerations(List.of(tolerations));
        return w;
    }

    static AIWorkload selecting(AIWorkload w, Map<String, String> selector) {
        w.getSpec().getTemplate().getSpec().setNodeSelector(selector);
        return w;
    }

    /** A required node affinity of one term with one expression. */
    static AIWorkload requiring(AIWorkload w, String key, String operator, String value) {
        w.getSpec().getTemplate().getSpec().setAffinity(new AffinityBuilder().withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm().addNewMatchExpression().withKey(key).withOperator(operator).withValues(value).endMatchExpression()
                .endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().build());
        return w;
    }

    Set<String> nodesOf(String workload) {
        return pods(client, workload).stream().map(p -> p.getSpec().getNodeName()).collect(Collectors.toSet());
    }

    String message(String workload) {
        return Fixtures.get(client, workload).getStatus().getMessage();
    }

    @Test
    void taintedNodesAreAvoidedUnlessTolerated() {
        taint("h100-0", taint("gpu", "reserved", "NoSchedule"));
        taint("t4-0", taint("gpu", "reserved", "NoSchedule"), taint("spot", "true", "PreferNoSchedule"));
        taint("t4-1", taint("maint", null, "NoExecute"));

        create(share("plain", 1, 0.5));
        awaitState("plain", WorkloadState.Pending);
        assertEquals("cannot place 1 of 1 replica(s) (0.5x GPU): h100: 1 node has taint gpu=reserved:NoSchedule that the pod does not tolerate; "
                + "t4: 1 node has taint gpu=reserved:NoSchedule that the pod does not tolerate; "
                + "1 node has taint maint:NoExecute that the pod does not tolerate", message("plain"), "equal counts: alphabetical");
        assertEquals(List.of(), pods(client, "plain"));

        // Tolerating gpu=reserved:NoSchedule opens t4-0 (its PreferNoSchedule taint is only a preference).
        create(tolerating(share("tolerant", 1, 0.5), new TolerationBuilder().withKey("gpu").withOperator("Equal")
                .withValue("reserved").withEffect("NoSchedule").build()));
        awaitState("tolerant", WorkloadState.Running);
        assertEquals(Set.of("t4-0"), nodesOf("tolerant"));
        Pod pod = pods(client, "tolerant").get(0);
        assertEquals("gpu", pod.getSpec().getTolerations().get(0).getKey(), "the pod carries the template's tolerations");

        // An empty key with operator Exists tolerates every taint.
        create(tolerating(share("anything", 2, 0.5), new TolerationBuilder().withOperator("Exists").build()));
        awaitState("anything", WorkloadState.Running);

        // Taken off t4-1, the NoExecute taint no longer keeps the plain workload out.
        taint("t4-1");
        awaitState("plain", WorkloadState.Running);
        assertEquals(Set.of("t4-1"), nodesOf("plain"));
    }

    @Test
    void nodeSelectorSteersToTheMatchingNodeAndAMatchForNoNodeStaysPending() {
        label("t4-1", "disk", "ssd");
        create(selecting(share("steered", 3, 0.25), Map.of("disk", "ssd")));
        awaitState("steered", WorkloadState.Running);
        assertEquals(Set.of("t4-1"), nodesOf("steered"));
        assertEquals("ssd", pods(client, "steered").get(0).getSpec().getNodeSelector().get("disk"));

        create(selecting(share("nowhere", 1, 0.25), Map.of("disk", "nvme")));
        awaitState("nowhere", WorkloadState.Pending);
        assertEquals("cannot place 1 of 1 replica(s) (0.25x GPU): h100: 1 node does not match nodeSelector disk=nvme; "
                + "t4: 2 nodes do not match nodeSelector disk=nvme", message("nowhere"));
        label("t4-0", "disk", "nvme");
        awaitState("nowhere", WorkloadState.Running);
        assertEquals(Set.of("t4-0"), nodesOf("nowhere"));
    }

    @Test
    void requiredAffinityNotInExcludesANode() {
        label("t4-0", "zone", "a");
        label("t4-1", "zone", "b");
        AIWorkload w = share("not-a", 2, 0.25);
        requiring(w, "zone", "NotIn", "a");
        create(w);
        awaitState("not-a", WorkloadState.Running);
        assertEquals(Set.of("t4-1"), nodesOf("not-a"));
    }

    @Test
    void aCordonedNodeStaysOutEvenForAPodToleratingTheCordonTaint() {
        client.nodes().withName("t4-1").edit(n -> {
            n.getSpec().setUnschedulable(true);
            n.getSpec().setTaints(List.of(taint("node.kubernetes.io/unschedulable", null, "NoSchedule")));
            return n;
        });
        awaitModel("t4-1", n -> !n.schedulable());
        label("t4-0", "zone", "a");
        AIWorkload w = tolerating(share("cordon-tolerant", 1, 0.25), new TolerationBuilder().withOperator("Exists").build());
        w.getSpec().getTemplate().getSpec().setNodeSelector(Map.of(DemoCluster.POOL_LABEL, "t4"));
        requiring(w, "zone", "NotIn", "a");
        create(w);
        awaitState("cordon-tolerant", WorkloadState.Pending);
        assertEquals("cannot place 1 of 1 replica(s) (0.25x GPU): h100: 1 node does not match nodeSelector plimsoll.io/pool=t4; "
                + "t4: 1 node is cordoned or not ready; 1 node does not match the required node affinity zone NotIn [a]",
                message("cordon-tolerant"));
    }

    @Test
    void aNodeAtItsPodCapacityIsSkipped() {
        podCapacity("t4-0", 0);
        create(share("first", 1, 0.25));
        awaitState("first", WorkloadState.Running);
        assertEquals(Set.of("t4-1"), nodesOf("first"));

        podCapacity("t4-1", 1);
        create(selecting(share("second", 1, 0.25), Map.of(DemoCluster.POOL_LABEL, "t4")));
        awaitState("second", WorkloadState.Pending);
        assertEquals("cannot place 1 of 1 replica(s) (0.25x GPU): h100: 1 node does not match nodeSelector plimsoll.io/pool=t4; "
                + "t4: 2 nodes are at their pod capacity (status.allocatable.pods)", message("second"));
        podCapacity("t4-0", 110);
        awaitState("second", WorkloadState.Running);
        assertEquals(Set.of("t4-0"), nodesOf("second"));
    }

    @Test
    void aTemplateTheApiServerWouldRefuseFailsNamingTheField() {
        AIWorkload w = share("bad", 1, 0.25);
        requiring(w, "cores", "Gt", "many");
        create(w);
        awaitState("bad", WorkloadState.Failed);
        assertEquals("invalid spec: spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
                + ".nodeSelectorTerms[0].matchExpressions[0].values must be one integer for Gt, e.g. [\"8\"]", message("bad"));
    }
}
