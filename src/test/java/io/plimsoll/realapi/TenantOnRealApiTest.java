package io.plimsoll.realapi;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.TenantQuota;
import io.plimsoll.api.TenantSpec;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.reconciler.Conditions;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.reconciler.TestOperator;
import io.plimsoll.sandbox.SampleLoader;
import io.plimsoll.tenancy.PriorityResolver;
import io.plimsoll.tenancy.TenancyInformers;
import io.plimsoll.tenancy.TenantDirectory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Tenant API on a real API server: the CRD's OpenAPI bounds and CEL rules refuse bad tenants (and pools) with
 * messages that name the field and the fix, the chart's RBAC lets the operator read namespaces, PriorityClasses and
 * tenants and write tenants' status, and the operator, as the chart's ServiceAccount, keeps the sample tenants' status.
 */
@RealApi
class TenantOnRealApiTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    static Tenant tenant(String name, Consumer<TenantSpec> change) {
        Tenant t = new Tenant();
        t.setMetadata(new ObjectMetaBuilder().withName(name).build());
        TenantSpec spec = new TenantSpec();
        spec.setNamespaceSelector(new LabelSelectorBuilder().withMatchLabels(Map.of("plimsoll.io/tenant", name)).build());
        spec.setGuaranteed(new TenantQuota(8.0, 16.0));
        spec.setLimit(new TenantQuota(12.0, 32.0));
        t.setSpec(spec);
        change.accept(spec);
        return t;
    }

    /** The API server's 422 message for creating this object. */
    static String refused(KubernetesClient admin, HasMetadata o) {
        KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> admin.resource(o).create(),
                () -> o.getMetadata().getName() + " was accepted");
        assertEquals(422, e.getCode(), e.getMessage());
        return e.getStatus().getMessage();
    }

    static void assertContains(String expected, String actual) {
        assertTrue(actual.contains(expected), () -> "expected to contain <" + expected + "> but was <" + actual + ">");
    }

    @Test
    void theCrdRefusesBadTenantsNamingTheFieldAndTheFix(RealApiServer api) {
        KubernetesClient admin = api.adminClient();
        assertNotNull(admin.resource(tenant("fine", s -> {})).create());
        // The samples pass (server-side dry run: validation and CEL run, nothing is stored); their whole numbers in
        // number fields are compared as numbers by CEL too.
        for (HasMetadata o : SampleLoader.load("tenants/tenants.yaml")) {
            o.getMetadata().setName("dry-run-" + o.getMetadata().getName()); // another test creates the samples themselves
            assertNotNull(admin.resource(o).dryRun().create());
        }

        assertContains("spec.limit.gpuEquivalents: Invalid value: \"object\": spec.limit.gpuEquivalents is below"
                + " spec.guaranteed.gpuEquivalents: raise the limit to at least the guarantee, or lower the guarantee",
                refused(admin, tenant("low-limit", s -> s.getLimit().setGpuEquivalents(4.0))));
        assertContains("spec.limit.cpuCores is below spec.guaranteed.cpuCores",
                refused(admin, tenant("low-cpu-limit", s -> s.getLimit().setCpuCores(1.0))));
        assertContains("spec.weight: Invalid value: 0: spec.weight in body should be greater than or equal to 1",
                refused(admin, tenant("weightless", s -> s.setWeight(0))));
        assertContains("spec.weight: Invalid value: 1001: spec.weight in body should be less than or equal to 1000",
                refused(admin, tenant("heavy", s -> s.setWeight(1001))));
        assertContains("spec.namespaceSelector is empty, which would select every namespace: add matchLabels or matchExpressions",
                refused(admin, tenant("everything", s -> s.setNamespaceSelector(new LabelSelector()))));
        assertContains("spec.guaranteed.gpuEquivalents in body should be greater than or equal to 0",
                refused(admin, tenant("negative", s -> s.getGuaranteed().setGpuEquivalents(-1.0))));
        assertContains("spec.poolCaps names a pool more than once: keep one entry per pool",
                refused(admin, tenant("twice", s -> s.setPoolCaps(List.of(new io.plimsoll.api.PoolCap("h100", 1.0),
                        new io.plimsoll.api.PoolCap("h100", 2.0))))));
        assertContains("spec.maxIdleTimeout in body should match", refused(admin, tenant("never", s -> s.setMaxIdleTimeout("Never"))));
    }

    @Test
    void theCrdRefusesAWorthlessDeviceAndAPriorityClassNameThatCannotBeOne(RealApiServer api) {
        KubernetesClient admin = api.adminClient();
        AcceleratorPool zero = Fixtures.gpuPool("zero", "L4", 24, 4, SharingMode.Fractional, 1.0);
        zero.getSpec().getAccelerator().setGpuEquivalent(0.0);
        assertContains("spec.accelerator.gpuEquivalent in body should be greater than 0", refused(admin, zero));
        AcceleratorPool cpu = new AcceleratorPool();
        cpu.setMetadata(new ObjectMetaBuilder().withName("cpu-worth").build());
        cpu.setSpec(new io.plimsoll.api.AcceleratorPoolSpec());
        cpu.getSpec().setNodeSelector(Map.of("pool", "cpu"));
        cpu.getSpec().getAccelerator().setGpuEquivalent(1.0);
        assertContains("gpuEquivalent applies only to GPU and TPU pools: remove it", refused(admin, cpu));
        AcceleratorPool l4 = Fixtures.gpuPool("l4-worth", "L4", 24, 4, SharingMode.Fractional, 1.0);
        l4.getSpec().getAccelerator().setGpuEquivalent(0.25);
        assertEquals(0.25, admin.resource(l4).create().getSpec().getAccelerator().getGpuEquivalent());

        String ns = api.createNamespace("prio");
        AIWorkload w = Fixtures.workload("bad-class", WorkloadPhase.Training, 1, AcceleratorType.GPU, 1, null, null);
        w.getMetadata().setNamespace(ns);
        w.getSpec().setPriorityClassName("High Priority");
        assertContains("spec.priorityClassName in body should match", refused(admin, w));
    }

    @Test
    void theChartsRbacLetsTheOperatorReadWhatTenancyNeedsAndNoMore(RealApiServer api) {
        for (String verb : List.of("list", "watch")) {
            assertTrue(api.operatorMay(verb, "", "namespaces", null), verb + " namespaces");
            assertTrue(api.operatorMay(verb, "scheduling.k8s.io", "priorityclasses", null), verb + " priorityclasses");
            assertTrue(api.operatorMay(verb, "plimsoll.io", "tenants", null), verb + " tenants");
        }
        assertTrue(api.operatorMay("patch", "plimsoll.io", "tenants/status", null));
        for (String[] denied : new String[][] {{"patch", "", "namespaces"}, {"create", "scheduling.k8s.io", "priorityclasses"},
                {"create", "plimsoll.io", "tenants"}, {"patch", "plimsoll.io", "tenants"}, {"delete", "plimsoll.io", "tenants"}}) {
            assertFalse(api.operatorMay(denied[0], denied[1], denied[2], null), String.join(" ", denied));
        }
        KubernetesClient sa = api.operatorClient();
        assertNotNull(sa.namespaces().list());
        assertNotNull(sa.scheduling().v1().priorityClasses().list());
        assertNotNull(sa.resources(Tenant.class).list());
    }

    @Test
    void theOperatorKeepsTheSampleTenantsStatusAndResolvesPriorityClasses(RealApiServer api) {
        KubernetesClient admin = api.adminClient();
        for (String f : List.of("policy.yaml", "tenants/priorityclasses.yaml", "tenants/namespaces.yaml")) {
            for (HasMetadata o : SampleLoader.load(f)) admin.resource(o).createOr(x -> x.update());
        }
        for (HasMetadata o : SampleLoader.load("tenants/tenants.yaml")) {
            if (admin.resources(Tenant.class).withName(o.getMetadata().getName()).get() == null) admin.resource(o).create();
        }
        try (TestOperator operator = api.startOperator("tenants-0")) {
            await().atMost(WAIT).untilAsserted(() -> {
                Tenant a = admin.resources(Tenant.class).withName("team-a").get();
                assertNotNull(a.getStatus(), "team-a has no status yet");
                Condition ready = Conditions.get(a.getStatus().getConditions(), "Ready");
                assertNotNull(ready);
                assertEquals("True", ready.getStatus(), ready.getMessage());
                assertEquals(1, a.getStatus().getNamespaces());
                assertEquals("False", Conditions.get(a.getStatus().getConditions(), "NamespaceConflict").getStatus());
                assertEquals("False", Conditions.get(a.getStatus().getConditions(), "UnknownPlacementPolicy").getStatus(),
                        "team-a allows the policy 'default' (deploy/samples/policy.yaml)");
            });
            // What the placement path will call, as the chart's ServiceAccount sees it.
            TenancyInformers tenancy = new TenancyInformers(api.operatorClient());
            try {
                assertEquals("team-a", new TenantDirectory(tenancy, Optional.empty()).tenantOf("team-a").tenantName());
                AIWorkload w = Fixtures.workload("serving", WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
                w.getSpec().setPriorityClassName("ai-serving");
                assertEquals(new PriorityResolver.Resolution(1000, PriorityResolver.Source.PriorityClass, "ai-serving", null, null),
                        PriorityResolver.of(tenancy).resolve(w, null));
            } finally {
                tenancy.stop();
            }
        }
        assertEquals(List.of(), api.forbidden());
    }
}
