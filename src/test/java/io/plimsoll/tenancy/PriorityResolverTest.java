package io.plimsoll.tenancy;

import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.PhaseRule;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.PlacementPolicySpec;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.tenancy.PriorityResolver.Resolution;
import io.plimsoll.tenancy.PriorityResolver.Source;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PriorityResolverTest {
    static PriorityClass pc(String name, int value, boolean globalDefault) {
        return new PriorityClassBuilder().withNewMetadata().withName(name).endMetadata().withValue(value)
                .withGlobalDefault(globalDefault).build();
    }

    static AIWorkload workload(String priorityClassName, Integer priority) {
        AIWorkload w = Fixtures.workload("w", WorkloadPhase.Training, 1, AcceleratorType.GPU, 1, null, null);
        w.getSpec().setPriorityClassName(priorityClassName);
        w.getSpec().setPriority(priority);
        return w;
    }

    static PlacementPolicy policyWithTrainingDefault(int priority) {
        PlacementPolicy p = new PlacementPolicy();
        p.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("default").build());
        p.setSpec(new PlacementPolicySpec());
        PhaseRule r = new PhaseRule();
        r.setDefaultPriority(priority);
        p.getSpec().setTraining(r);
        return p;
    }

    static PriorityResolver resolver(PriorityClass... classes) {
        return PriorityResolver.of(PriorityResolver.PriorityClasses.of(List.of(classes)));
    }

    @Test
    void theNamedPriorityClassDecides() {
        Resolution r = resolver(pc("ai-serving", 1000, false), pc("ai-batch", 100, true))
                .resolve(workload("ai-serving", null), policyWithTrainingDefault(5));
        assertEquals(new Resolution(1000, Source.PriorityClass, "ai-serving", null, null), r);
        assertTrue(r.ok());
    }

    @Test
    void withoutANameTheGlobalDefaultThenThePolicyThenZero() {
        assertEquals(new Resolution(100, Source.GlobalDefault, "ai-batch", null, null),
                resolver(pc("ai-serving", 1000, false), pc("ai-batch", 100, true)).resolve(workload(null, null), policyWithTrainingDefault(5)));
        assertEquals(new Resolution(5, Source.PolicyDefault, null, null, null),
                resolver(pc("ai-serving", 1000, false)).resolve(workload(null, null), policyWithTrainingDefault(5)));
        assertEquals(new Resolution(0, Source.None, null, null, null), resolver().resolve(workload(null, null), null));
        assertEquals(new Resolution(0, Source.None, null, null, null), resolver().resolve(workload("  ", null), null), "blank is unset");
    }

    @Test
    void twoGlobalDefaultsTakeTheLowestValueAndSystemClassesNeverCount() {
        assertEquals(new Resolution(10, Source.GlobalDefault, "low", null, null),
                resolver(pc("system-cluster-critical", 2_000_000_000, true), pc("high", 500, true), pc("low", 10, true))
                        .resolve(workload(null, null), null));
    }

    @Test
    void anUnknownNameIsAnErrorNamingTheFieldAndTheFix() {
        Resolution r = resolver(pc("ai-batch", 100, true)).resolve(workload("ai-urgent", null), null);
        assertFalse(r.ok());
        assertEquals("spec.priorityClassName 'ai-urgent' is not a PriorityClass: ask your cluster admin to create it, or name an"
                + " existing one (kubectl get priorityclasses), or remove the field", r.error());
        assertEquals(100, r.priority(), "what it would get without the name, for display");
    }

    @Test
    void systemClassesAreRefusedEvenWhenTheyExist() {
        Resolution r = resolver(pc("system-node-critical", 2_000_001_000, false)).resolve(workload("system-node-critical", null), null);
        assertFalse(r.ok());
        assertTrue(r.error().startsWith("spec.priorityClassName 'system-node-critical' is reserved for the cluster's own components"), r.error());
    }

    @Test
    void rawSpecPriorityIsIgnoredWithAWarningWherePriorityClassesAreRead() {
        Resolution r = resolver().resolve(workload(null, 2_147_483), policyWithTrainingDefault(5));
        assertEquals(5, r.priority());
        assertEquals(Source.PolicyDefault, r.source());
        assertTrue(r.ok());
        assertEquals("spec.priority 2147483 is ignored (a workload's priority comes from a PriorityClass the cluster admin owns):"
                + " remove it and set spec.priorityClassName (kubectl get priorityclasses)", r.warning());
        Resolution named = resolver(pc("ai-batch", 100, false)).resolve(workload("ai-batch", 999), null);
        assertEquals(100, named.priority());
        assertTrue(named.warning() != null);
    }

    @Test
    void withoutPriorityClassMachinerySpecPriorityIsHonouredAndANameRefused() {
        PriorityResolver legacy = PriorityResolver.withoutPriorityClasses();
        assertEquals(new Resolution(42, Source.SpecPriority, null, null, null), legacy.resolve(workload(null, 42), policyWithTrainingDefault(5)));
        assertEquals(new Resolution(5, Source.PolicyDefault, null, null, null), legacy.resolve(workload(null, null), policyWithTrainingDefault(5)));
        Resolution r = legacy.resolve(workload("ai-batch", null), null);
        assertFalse(r.ok());
        assertNull(r.warning());
    }

    @Test
    void valuesAreBoundedToWhatAUserPriorityClassMayHold() {
        // A PriorityClass above 1e9 can only be a system one; a policy default is already bounded by the CRD.
        assertEquals(PriorityResolver.MAX_USER_PRIORITY,
                resolver(pc("huge", 2_000_000_000, false)).resolve(workload("huge", null), null).priority());
    }
}
