package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.PodConstraints;
import io.plimsoll.engine.PodConstraints.Operator;
import io.plimsoll.engine.PodConstraints.Requirement;
import io.plimsoll.engine.PodConstraints.Term;
import io.plimsoll.engine.PodConstraints.Toleration;
import io.plimsoll.engine.Taint;
import io.plimsoll.engine.WorkloadPhase;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WorkloadNeeds reads the template's nodeSelector, required node affinity and tolerations into the engine's PodConstraints. */
class TemplateConstraintsTest {

    static AIWorkload workload() {
        return Fixtures.workload("w", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null);
    }

    static PodSpec spec(AIWorkload w) {
        return w.getSpec().getTemplate().getSpec();
    }

    static void affinity(AIWorkload w, io.fabric8.kubernetes.api.model.NodeSelectorTerm... terms) {
        spec(w).setAffinity(new AffinityBuilder().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .withNodeSelectorTerms(terms).endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().build());
    }

    static NodeSelectorTermBuilder term(String key, String op, String... values) {
        return new NodeSelectorTermBuilder().addNewMatchExpression().withKey(key).withOperator(op).withValues(values).endMatchExpression();
    }

    @Test
    void aTemplateWithoutConstraintsHasNone() {
        assertEquals(PodConstraints.NONE, WorkloadNeeds.parse(workload()).need().constraints());
    }

    @Test
    void selectorAffinityAndTolerationsAreRead() {
        AIWorkload w = workload();
        spec(w).setNodeSelector(Map.of("disk", "ssd"));
        affinity(w, term("zone", "NotIn", "a", "b").addNewMatchExpression().withKey("cores").withOperator("Gt").withValues("8").endMatchExpression().build(),
                new NodeSelectorTermBuilder().addNewMatchField().withKey("metadata.name").withOperator("In").withValues("n1").endMatchField().build());
        spec(w).setTolerations(List.of(
                new TolerationBuilder().withKey("gpu").withValue("reserved").withEffect("NoSchedule").build(),
                new TolerationBuilder().withOperator("Exists").build()));
        PodConstraints c = WorkloadNeeds.parse(w).need().constraints();
        assertEquals(Map.of("disk", "ssd"), c.nodeSelector());
        assertEquals(List.of(
                new Term(List.of(new Requirement("zone", Operator.NotIn, List.of("a", "b")), new Requirement("cores", Operator.Gt, List.of("8"))), List.of()),
                new Term(List.of(), List.of(new Requirement("metadata.name", Operator.In, List.of("n1"))))), c.requiredAffinity());
        assertEquals(List.of(Toleration.equal("gpu", "reserved", Taint.Effect.NoSchedule), Toleration.exists("", null)), c.tolerations());
    }

    @Test
    void whatTheApiServerWouldRefuseIsAnInvalidSpec() {
        String terms = "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";
        record Case(java.util.function.Consumer<AIWorkload> edit, String message) {}
        List<Case> cases = List.of(
                new Case(w -> affinity(w, term("zone", "Near", "a").build()), terms + "[0].matchExpressions[0].operator 'Near' is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt"),
                new Case(w -> affinity(w, term("zone", "In").build()), terms + "[0].matchExpressions[0].values is empty: In needs at least one value"),
                new Case(w -> affinity(w, term("zone", "Exists", "a").build()), terms + "[0].matchExpressions[0].values must be empty for Exists"),
                new Case(w -> affinity(w, term("cores", "Lt", "1", "2").build()), terms + "[0].matchExpressions[0].values must be one integer for Lt, e.g. [\"8\"]"),
                new Case(w -> affinity(w), terms + " is empty: add at least one term, or remove requiredDuringSchedulingIgnoredDuringExecution"),
                new Case(w -> affinity(w, new NodeSelectorTermBuilder().addNewMatchField().withKey("metadata.labels").withOperator("In")
                        .withValues("x").endMatchField().build()), terms + "[0].matchFields[0].key 'metadata.labels' is not a node field that can be matched: use metadata.name"),
                new Case(w -> spec(w).setTolerations(List.of(new TolerationBuilder().withOperator("Equal").withValue("x").build())),
                        "spec.template.spec.tolerations[0] has no key: an empty key needs operator Exists (tolerates every taint)"),
                new Case(w -> spec(w).setTolerations(List.of(new TolerationBuilder().withKey("k").withOperator("Exists").withValue("x").build())),
                        "spec.template.spec.tolerations[0].value must be empty with operator Exists"),
                new Case(w -> spec(w).setTolerations(List.of(new TolerationBuilder().withKey("k").withEffect("Sometimes").build())),
                        "spec.template.spec.tolerations[0].effect 'Sometimes' is not NoSchedule, PreferNoSchedule or NoExecute (or empty: all)"));
        for (Case c : cases) {
            AIWorkload w = workload();
            c.edit().accept(w);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WorkloadNeeds.parse(w));
            assertEquals(c.message(), e.getMessage());
        }
    }

    @Test
    void constraintsCarryOverToDerivedNeeds() {
        AIWorkload w = workload();
        spec(w).setNodeSelector(Map.of("disk", "ssd"));
        var need = WorkloadNeeds.parse(w).need();
        assertTrue(need.withReplicas(3).constraints().nodeSelector().containsKey("disk"));
        assertTrue(need.asShare(100).constraints().nodeSelector().containsKey("disk"));
    }
}
