package io.plimsoll.tenancy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.TenantSpec;
import io.plimsoll.tenancy.TenantDirectory.How;
import io.plimsoll.tenancy.TenantDirectory.View;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TenantDirectoryTest {
    static Namespace ns(String name, Map<String, String> labels) {
        return new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build();
    }

    static Tenant tenant(String name, LabelSelector selector) {
        Tenant t = new Tenant();
        t.setMetadata(new ObjectMetaBuilder().withName(name).build());
        t.setSpec(new TenantSpec());
        t.getSpec().setNamespaceSelector(selector);
        return t;
    }

    static LabelSelector team(String team) {
        return new LabelSelectorBuilder().withMatchLabels(Map.of("plimsoll.io/tenant", team)).build();
    }

    static final List<Namespace> NAMESPACES = List.of(
            ns("a-1", Map.of("plimsoll.io/tenant", "team-a")),
            ns("a-2", Map.of("plimsoll.io/tenant", "team-a", "env", "prod")),
            ns("b-1", Map.of("plimsoll.io/tenant", "team-b")),
            ns("shared", Map.of("plimsoll.io/tenant", "team-b", "env", "prod")),
            ns("kube-system", Map.of()));

    @Test
    void eachNamespaceGoesToTheOneTenantThatSelectsItElseTheDefault() {
        View v = TenantDirectory.compute(NAMESPACES, List.of(tenant("team-a", team("team-a")), tenant("team-b", team("team-b")),
                tenant("everyone-else", team("nobody"))), Optional.of("everyone-else"));
        assertEquals("team-a", v.tenantOf("a-1").tenantName());
        assertEquals(How.Selected, v.tenantOf("a-1").how());
        assertEquals("team-b", v.tenantOf("shared").tenantName());
        assertEquals(List.of("a-1", "a-2"), v.namespacesOf("team-a"));
        assertEquals(List.of("b-1", "shared"), v.namespacesOf("team-b"));
        assertEquals("everyone-else", v.tenantOf("kube-system").tenantName());
        assertEquals(How.Unclaimed, v.tenantOf("kube-system").how());
        assertEquals(List.of(), v.namespacesOf("everyone-else"), "the default tenant's own selector selects nothing here");
        assertEquals(How.NotSeenYet, v.tenantOf("brand-new").how());
        assertEquals("everyone-else", v.tenantOf("brand-new").tenantName());
    }

    @Test
    void withoutADefaultTenantUnclaimedNamespacesAreUnlimited() {
        View none = TenantDirectory.compute(NAMESPACES, List.of(tenant("team-a", team("team-a"))), Optional.empty());
        assertTrue(none.tenantOf("kube-system").unlimited());
        assertNull(none.tenantOf("b-1").tenantName());
        View missing = TenantDirectory.compute(NAMESPACES, List.of(tenant("team-a", team("team-a"))), Optional.of("not-created"));
        assertTrue(missing.tenantOf("kube-system").unlimited(), "a default tenant that does not exist limits nothing");
    }

    @Test
    void aNamespaceTwoTenantsSelectGoesToTheDefaultAndBothReportItWhateverTheOrder() {
        Tenant a = tenant("team-a", team("team-a"));
        Tenant prod = tenant("prod", new LabelSelectorBuilder().withMatchLabels(Map.of("env", "prod")).build());
        Tenant dflt = tenant("default-tenant", team("nobody"));
        View v = TenantDirectory.compute(NAMESPACES, List.of(a, prod, dflt), Optional.of("default-tenant"));
        assertEquals(How.Conflict, v.tenantOf("a-2").how());
        assertEquals("default-tenant", v.tenantOf("a-2").tenantName(), "neither claim wins");
        assertEquals(List.of("a-2"), v.conflictsOf("team-a"));
        assertEquals(List.of("a-2"), v.conflictsOf("prod"));
        assertEquals(List.of("a-1"), v.namespacesOf("team-a"));
        assertEquals(List.of("shared"), v.namespacesOf("prod"));
        // Same answer whatever order the informers list things in.
        List<Tenant> tenants = new ArrayList<>(List.of(dflt, prod, a));
        List<Namespace> namespaces = new ArrayList<>(NAMESPACES);
        Collections.reverse(namespaces);
        assertEquals(v, TenantDirectory.compute(namespaces, tenants, Optional.of("default-tenant")));
    }

    @Test
    void matchExpressionsWorkAndABadOrEmptySelectorSelectsNothing() {
        Tenant prodNotA = tenant("prod", new LabelSelectorBuilder()
                .addNewMatchExpression().withKey("env").withOperator("Exists").endMatchExpression()
                .addNewMatchExpression().withKey("plimsoll.io/tenant").withOperator("NotIn").withValues("team-a").endMatchExpression().build());
        Tenant bad = tenant("bad", new LabelSelectorBuilder().addNewMatchExpression().withKey("env").withOperator("Equals")
                .withValues("prod").endMatchExpression().build());
        Tenant empty = tenant("empty", new LabelSelector());
        View v = TenantDirectory.compute(NAMESPACES, List.of(prodNotA, bad, empty), Optional.empty());
        assertEquals(List.of("shared"), v.namespacesOf("prod"));
        assertEquals(Map.of(
                "bad", "spec.namespaceSelector.matchExpressions[0].operator is 'Equals': use In, NotIn, Exists or DoesNotExist",
                "empty", "spec.namespaceSelector is empty, which would select every namespace: add matchLabels or matchExpressions"
                        + " (e.g. matchLabels: {plimsoll.io/tenant: team-a})"), v.selectorProblems());
        assertTrue(v.tenantOf("a-1").unlimited(), "an empty selector does not claim every namespace");
    }

    @Test
    void selectorOperatorsFollowKubernetes() {
        Map<String, String> labels = Map.of("tier", "gold");
        assertTrue(Selectors.matches("s", new LabelSelectorBuilder().addNewMatchExpression().withKey("tier").withOperator("In")
                .withValues("gold", "silver").endMatchExpression().build(), labels));
        assertTrue(Selectors.matches("s", new LabelSelectorBuilder().addNewMatchExpression().withKey("zone")
                .withOperator("DoesNotExist").endMatchExpression().build(), labels));
        assertTrue(!Selectors.matches("s", new LabelSelectorBuilder().addNewMatchExpression().withKey("tier").withOperator("NotIn")
                .withValues("gold").endMatchExpression().build(), labels));
        assertEquals("s.matchExpressions[0] uses In with no values: list at least one value", assertThrows(IllegalArgumentException.class,
                () -> Selectors.check("s", new LabelSelectorBuilder().addNewMatchExpression().withKey("tier").withOperator("In")
                        .endMatchExpression().build())).getMessage());
    }
}
