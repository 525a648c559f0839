package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.PlacementPolicySpec;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.TenantQuota;
import io.plimsoll.api.TenantSpec;
import io.plimsoll.api.TenantStatus;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.sandbox.EmbeddedKubernetes;
import io.plimsoll.tenancy.TenantUsage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Tenant controller on the embedded API (Fabric8 mock server): status, conditions and namespace counts as
 * namespaces, tenants, pools and published usage change. 9.2 GPU-equivalents of capacity: one H100 node (8 x 1.0)
 * and two T4 nodes (4 x 0.15 each).
 */
class TenantReconcilerTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    EmbeddedKubernetes k8s;
    KubernetesClient client;
    TestOperator operator;

    @BeforeEach
    void start() {
        k8s = new EmbeddedKubernetes();
        client = k8s.client();
        client.resource(Fixtures.gpuPool("h100", "H100", 80, 8, SharingMode.Exclusive, 88.0)).create();
        AcceleratorPool t4 = Fixtures.gpuPool("t4", "T4", 16, 4, SharingMode.Fractional, 2.0);
        t4.getSpec().getAccelerator().setGpuEquivalent(0.15);
        client.resource(t4).create();
        Fixtures.gpuNode(client, "h100-0", "h100", 8);
        Fixtures.gpuNode(client, "t4-0", "t4", 4);
        Fixtures.gpuNode(client, "t4-1", "t4", 4);
        PlacementPolicy policy = new PlacementPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("default").build());
        policy.setSpec(new PlacementPolicySpec());
        client.resource(policy).create();
        namespace("a-1", Map.of("team-a", "yes"));
        namespace("b-1", Map.of("team-b", "yes"));
        namespace("shared", Map.of("team-a", "yes", "team-b", "yes"));
        namespace("loose", Map.of());
        operator = new TestOperator(client, null, null, java.time.Clock.systemUTC(), Optional.of("everyone-else"));
    }

    @AfterEach
    void stop() {
        if (operator != null) operator.close();
        k8s.close();
    }

    void namespace(String name, Map<String, String> labels) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build()).createOr(n -> n.update());
    }

    static Tenant tenant(String name, String selectorKey, double guaranteed, Double limit) {
        Tenant t = new Tenant();
        t.setMetadata(new ObjectMetaBuilder().withName(name).build());
        TenantSpec spec = new TenantSpec();
        spec.setNamespaceSelector(new LabelSelectorBuilder().withMatchLabels(Map.of(selectorKey, "yes")).build());
        spec.setGuaranteed(new TenantQuota(guaranteed, null));
        if (limit != null) spec.setLimit(new TenantQuota(limit, null));
        t.setSpec(spec);
        return t;
    }

    TenantStatus status(String name) {
        Tenant t = client.resources(Tenant.class).withName(name).get();
        assertNotNull(t.getStatus(), name + " has no status yet");
        return t.getStatus();
    }

    static Condition condition(TenantStatus s, String type) {
        Condition c = Conditions.get(s.getConditions(), type);
        assertNotNull(c, "no " + type + " condition in " + s.getConditions());
        return c;
    }

    @Test
    void statusShowsGuaranteeNamespacesConflictsAndUnknownPolicies() {
        Tenant a = tenant("team-a", "team-a", 4, 8.0);
        a.getSpec().setPlacementPolicies(List.of("default", "premium"));
        client.resource(a).create();
        client.resource(tenant("team-b", "team-b", 3, null)).create();
        await().atMost(WAIT).untilAsserted(() -> {
            TenantStatus s = status("team-a");
            assertEquals(4.0, s.getGuaranteed());
            assertEquals(1, s.getNamespaces(), "a-1; shared is claimed twice");
            assertEquals(1L, s.getObservedGeneration());
            Condition ready = condition(s, "Ready");
            assertEquals("True", ready.getStatus(), ready.getMessage());
            assertEquals(1L, ready.getObservedGeneration());
            Condition conflict = condition(s, "NamespaceConflict");
            assertEquals("True", conflict.getStatus());
            assertEquals("namespace(s) shared also selected by another tenant: they belong to the default tenant until only one"
                    + " tenant's spec.namespaceSelector selects each", conflict.getMessage());
            assertEquals("True", condition(s, "UnknownPlacementPolicy").getStatus());
            assertEquals("spec.placementPolicies names 'premium', which is not a PlacementPolicy: create it or remove it from the list",
                    condition(s, "UnknownPlacementPolicy").getMessage());
            Condition cap = condition(s, "GuaranteesExceedCapacity");
            assertEquals("False", cap.getStatus());
            assertEquals("the tenants' guarantees add up to 7.00 of the cluster's 9.20 GPU-eq", cap.getMessage());
            assertNull(s.getUsed(), "nothing published usage yet");
            TenantStatus b = status("team-b");
            assertEquals("True", condition(b, "NamespaceConflict").getStatus());
            assertFalse(condition(b, "NamespaceConflict").getMessage().contains("team-a"), "names only the namespace");
            assertEquals("False", condition(b, "UnknownPlacementPolicy").getStatus());
        });
        // The conflict ends when one selector leaves the namespace out; a relabelled namespace moves.
        namespace("shared", Map.of("team-b", "yes"));
        namespace("loose", Map.of("team-a", "yes"));
        await().atMost(WAIT).untilAsserted(() -> {
            assertEquals(2, status("team-a").getNamespaces());
            assertEquals("False", condition(status("team-a"), "NamespaceConflict").getStatus());
            assertEquals(2, status("team-b").getNamespaces());
        });
    }

    @Test
    void guaranteesAboveCapacityAreScaledAndSaySo() {
        client.resource(tenant("team-a", "team-a", 4, null)).create();
        client.resource(tenant("team-b", "team-b", 8, null)).create();
        await().atMost(WAIT).untilAsserted(() -> {
            TenantStatus a = status("team-a");
            assertEquals(3.067, a.getGuaranteed(), "4 x 9.2 / 12");
            Condition c = condition(a, "GuaranteesExceedCapacity");
            assertEquals("True", c.getStatus());
            assertEquals("the tenants' guarantees add up to 12.00 GPU-eq, more than the cluster's 9.20: each is scaled to 77%"
                    + " (status.guaranteed); lower spec.guaranteed.gpuEquivalents or add nodes to the pools", c.getMessage());
            assertEquals(6.133, status("team-b").getGuaranteed());
        });
        // More capacity (another H100 node) brings them back.
        Fixtures.gpuNode(client, "h100-1", "h100", 8);
        await().atMost(WAIT).untilAsserted(() -> {
            assertEquals(4.0, status("team-a").getGuaranteed());
            assertEquals("False", condition(status("team-b"), "GuaranteesExceedCapacity").getStatus());
        });
    }

    @Test
    void aBadTenantIsReportedAndBlocksNoOther() {
        // The mock server runs no CEL: limit below guaranteed gets through, as under an old CRD.
        client.resource(tenant("broken", "team-b", 100, 1.0)).create();
        client.resource(tenant("team-a", "team-a", 4, null)).create();
        await().atMost(WAIT).untilAsserted(() -> {
            TenantStatus bad = status("broken");
            Condition ready = condition(bad, "Ready");
            assertEquals("False", ready.getStatus());
            assertEquals("InvalidSpec", ready.getReason());
            assertEquals("spec.limit.gpuEquivalents (1.0) is below spec.guaranteed.gpuEquivalents (100.0): raise the limit to at"
                    + " least the guarantee, or lower the guarantee (until fixed, the tenant is guaranteed nothing)", ready.getMessage());
            assertEquals(0.0, bad.getGuaranteed());
            TenantStatus a = status("team-a");
            assertEquals("True", condition(a, "Ready").getStatus());
            assertEquals(4.0, a.getGuaranteed(), "the broken tenant's 100 does not count");
            assertEquals("False", condition(a, "GuaranteesExceedCapacity").getStatus());
        });
    }

    @Test
    void publishedUsageIsWrittenAndTheDefaultTenantSaysItIsOne() {
        client.resource(tenant("team-a", "team-a", 4, 8.0)).create();
        client.resource(tenant("everyone-else", "nobody", 0, null)).create();
        await().atMost(WAIT).untilAsserted(() -> assertNotNull(status("team-a")));
        operator.tenantUsage.publish(Map.of("team-a", new TenantUsage.Usage(5.5, 1.5, 0, 2.25)));
        await().atMost(WAIT).untilAsserted(() -> {
            TenantStatus a = status("team-a");
            assertEquals(5.5, a.getUsed());
            assertEquals(1.5, a.getBorrowed());
            assertEquals(0.0, a.getLent());
            assertEquals(2.25, a.getPending());
            Condition d = condition(status("everyone-else"), "Ready");
            assertTrue(d.getMessage().contains("every namespace no tenant selects (default tenant)"), d.getMessage());
        });
    }
}
