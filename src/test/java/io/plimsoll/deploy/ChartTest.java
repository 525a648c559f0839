package io.plimsoll.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.PlacementPolicy;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Helm chart, linted and rendered without a cluster (helm-java embeds Helm). */
class ChartTest {

    @Test
    void lintsCleanly() {
        LintResult r = new Helm(Chart.DIR).lint().strict().call();
        assertFalse(r.isFailed(), () -> "helm lint: " + r.getMessages());
    }

    @Test
    void deploymentIsLockedDownAndProbedOnHealthEndpoints() {
        Deployment d = only(Chart.render(Map.of()), Deployment.class);
        assertEquals(2, d.getSpec().getReplicas());
        var pod = d.getSpec().getTemplate().getSpec();
        assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        Container c = pod.getContainers().get(0);
        assertEquals(Boolean.FALSE, c.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem());
        assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
        assertEquals("/q/health/live", c.getLivenessProbe().getHttpGet().getPath());
        assertEquals("/q/health/ready", c.getReadinessProbe().getHttpGet().getPath());
        assertNotNull(c.getResources().getRequests().get("cpu"));
        assertNotNull(c.getResources().getLimits().get("memory"));
        assertEquals("true", env(c, "PLIMSOLL_LEADER_ELECTION_ENABLED"));
        assertEquals("JOSDK_ALL_NAMESPACES", env(c, "QUARKUS_OPERATOR_SDK_CONTROLLERS_AIWORKLOAD_NAMESPACES"));
        assertEquals("team-a,team-b", env(only(Chart.render(Map.of("watchNamespaces[0]", "team-a", "watchNamespaces[1]", "team-b")), Deployment.class)
                .getSpec().getTemplate().getSpec().getContainers().get(0), "QUARKUS_OPERATOR_SDK_CONTROLLERS_AIWORKLOAD_NAMESPACES"));
        assertTrue(c.getEnv().stream().noneMatch(e -> e.getName().equals("PLIMSOLL_TENANCY_DEFAULT_TENANT")), "no default tenant by default");
        assertEquals("everyone-else", env(only(Chart.render(Map.of("tenancy.defaultTenant", "everyone-else")), Deployment.class)
                .getSpec().getTemplate().getSpec().getContainers().get(0), "PLIMSOLL_TENANCY_DEFAULT_TENANT"));
    }

    @Test
    void optionalPartsFollowTheirValues() {
        List<HasMetadata> defaults = Chart.render(Map.of());
        assertTrue(defaults.stream().noneMatch(o -> o.getKind().equals("ServiceMonitor")));
        assertTrue(defaults.stream().anyMatch(o -> o.getKind().equals("Role")), "leader election Role");
        assertEquals("default", only(defaults, PlacementPolicy.class).getMetadata().getName());
        List<HasMetadata> tuned = Chart.render(Map.of("serviceMonitor.enabled", true, "leaderElection.enabled", false,
                "defaultPolicy.create", false, "pools[0].name", "l4", "pools[0].spec.nodeSelector.pool", "l4",
                "pools[0].spec.costPerNodeHour", "3.6"));
        assertTrue(tuned.stream().anyMatch(o -> o.getKind().equals("ServiceMonitor")));
        assertTrue(tuned.stream().noneMatch(o -> o.getKind().equals("Role")));
        assertTrue(tuned.stream().noneMatch(o -> o instanceof PlacementPolicy));
        AcceleratorPool pool = only(tuned, AcceleratorPool.class);
        assertEquals("l4", pool.getMetadata().getName());
        assertEquals(Map.of("pool", "l4"), pool.getSpec().getNodeSelector());
    }

    @Test
    void leaderElectionRoleGrantsWhatTheOperatorChecksAtStartUp() {
        Role role = only(Chart.render(Map.of()), Role.class);
        assertEquals("plimsoll-system", role.getMetadata().getNamespace());
        PolicyRule leases = role.getRules().stream().filter(r -> r.getResources().contains("leases")).findFirst().orElseThrow();
        assertEquals(List.of("coordination.k8s.io"), leases.getApiGroups());
        // JOSDK refuses to start ("No permission to lease resource") without get, create and update; Fabric8 renews with patch.
        assertTrue(leases.getVerbs().containsAll(List.of("get", "create", "update", "patch")), leases.getVerbs().toString());
    }

    @Test
    void nodesArePatchedOnlyWhenPoolScalingIsOn() {
        assertEquals(List.of("get", "list", "watch"), nodeVerbs(Map.of()));
        assertEquals(List.of("get", "list", "watch", "patch"), nodeVerbs(Map.of("scaling.nodes", true)));
        assertEquals(List.of("get", "list", "watch", "patch"), nodeVerbs(Map.of("scaling.consolidation", true)), "consolidation cordons");
        assertEquals(List.of("get", "list", "watch", "patch"), nodeVerbs(Map.of("scaling.clusterApi", true)), "ScaleTarget cordons");
    }

    static List<String> nodeVerbs(Map<String, Object> values) {
        return only(Chart.render(values), ClusterRole.class).getRules().stream().filter(r -> r.getResources().contains("nodes"))
                .flatMap(r -> r.getVerbs().stream()).toList();
    }

    @Test
    void replicasSpreadOverNodesAndKeepOneUpThroughDrains() {
        List<HasMetadata> defaults = Chart.render(Map.of());
        PodDisruptionBudget pdb = only(defaults, PodDisruptionBudget.class);
        assertEquals(1, pdb.getSpec().getMinAvailable().getIntVal());
        Deployment d = only(defaults, Deployment.class);
        assertEquals(d.getSpec().getSelector().getMatchLabels(), pdb.getSpec().getSelector().getMatchLabels());
        var anti = d.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity();
        var term = anti.getPreferredDuringSchedulingIgnoredDuringExecution().get(0).getPodAffinityTerm();
        assertEquals("kubernetes.io/hostname", term.getTopologyKey());
        assertEquals(d.getSpec().getSelector().getMatchLabels(), term.getLabelSelector().getMatchLabels());
        assertTrue(Chart.render(Map.of("replicaCount", 1)).stream().noneMatch(PodDisruptionBudget.class::isInstance), "no PDB for one replica");
        assertTrue(Chart.render(Map.of("podDisruptionBudget.enabled", false)).stream().noneMatch(PodDisruptionBudget.class::isInstance));
        assertEquals("kubernetes.io/hostname", only(Chart.render(Map.of("podAntiAffinity", "required")), Deployment.class).getSpec()
                .getTemplate().getSpec().getAffinity().getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().get(0).getTopologyKey());
        assertEquals(null, only(Chart.render(Map.of("podAntiAffinity", "none")), Deployment.class).getSpec().getTemplate().getSpec().getAffinity());
        var custom = only(Chart.render(Map.of("affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key", "pool",
                "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator", "Exists")),
                Deployment.class).getSpec().getTemplate().getSpec().getAffinity();
        assertNotNull(custom.getNodeAffinity());
        assertEquals(null, custom.getPodAntiAffinity(), "a given affinity replaces the default");
    }

    @Test
    void networkPolicyIsOptionalAndAdmitsOnlyTheHttpPort() {
        assertTrue(Chart.render(Map.of()).stream().noneMatch(NetworkPolicy.class::isInstance));
        NetworkPolicy np = only(Chart.render(Map.of("networkPolicy.enabled", true)), NetworkPolicy.class);
        assertEquals(List.of("Ingress"), np.getSpec().getPolicyTypes(), "egress open by default");
        assertEquals("http", np.getSpec().getIngress().get(0).getPorts().get(0).getPort().getStrVal());
        assertEquals(Map.of("app.kubernetes.io/name", "prometheus"),
                np.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector().getMatchLabels());
        assertEquals(only(Chart.render(Map.of()), Deployment.class).getSpec().getSelector().getMatchLabels(), np.getSpec().getPodSelector().getMatchLabels());
        NetworkPolicy locked = only(Chart.render(Map.of("networkPolicy.enabled", true,
                "networkPolicy.egress[0].to[0].ipBlock.cidr", "10.0.0.10/32", "networkPolicy.egress[0].ports[0].port", 6443)), NetworkPolicy.class);
        assertEquals(List.of("Ingress", "Egress"), locked.getSpec().getPolicyTypes());
        assertEquals("10.0.0.10/32", locked.getSpec().getEgress().get(0).getTo().get(0).getIpBlock().getCidr());
    }

    @Test
    void valuesSchemaRefusesNonsense() {
        Exception e = assertThrows(IllegalStateException.class, () -> Chart.template(Map.of("replicaCount", 0)));
        assertTrue(e.getMessage().contains("replicaCount"), e.getMessage());
        Exception typo = assertThrows(IllegalStateException.class, () -> Chart.template(Map.of("replicas", 3)));
        assertTrue(typo.getMessage().contains("replicas"), typo.getMessage());
        Exception anti = assertThrows(IllegalStateException.class, () -> Chart.template(Map.of("podAntiAffinity", "sometimes")));
        assertTrue(anti.getMessage().contains("podAntiAffinity"), anti.getMessage());
        Exception nodes = assertThrows(IllegalStateException.class, () -> Chart.template(Map.of("scaling.nodes", "yes")));
        assertTrue(nodes.getMessage().contains("nodes"), nodes.getMessage());
    }

    @Test
    void chartCrdsAreTheGeneratedOnes() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("crds"))) {
            List<Path> crds = s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
            assertEquals(4, crds.size(), "aiworkloads, acceleratorpools, placementpolicies, tenants");
            for (Path p : crds) {
                assertEquals(Files.readString(p), Files.readString(Chart.DIR.resolve("crds").resolve(p.getFileName())),
                        "helm/plimsoll/crds/" + p.getFileName() + " differs from crds/: copy crds/*.yml into helm/plimsoll/crds/");
            }
        }
    }

    @Test
    void dashboardIsShippedForTheGrafanaSidecarAndQueriesOurMetrics() throws Exception {
        ConfigMap cm = only(Chart.render(Map.of()), ConfigMap.class);
        assertEquals("1", cm.getMetadata().getLabels().get("grafana_dashboard"));
        JsonNode dash = new ObjectMapper().readTree(cm.getData().get("plimsoll.json"));
        String queries = dash.get("panels").findValuesAsText("expr").toString();
        for (String metric : List.of("plimsoll_pool_cost_dollars_per_hour", "plimsoll_pool_idle_cost_dollars_per_hour",
                "plimsoll_pool_devices", "plimsoll_pool_fragmentation_percent", "plimsoll_workloads_pending",
                "plimsoll_placement_duration_seconds_bucket", "plimsoll_tenant_used", "plimsoll_tenant_guaranteed",
                "plimsoll_tenant_borrowed", "plimsoll_tenant_pending", "plimsoll_tenant_preemptions_total",
                "plimsoll_tenant_preempted_gpu_hours_total")) {
            assertTrue(queries.contains(metric), metric + " not on the dashboard");
        }
    }

    static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow().getValue();
    }

    static <T> T only(List<HasMetadata> objects, Class<T> type) {
        List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertEquals(1, found.size(), "one " + type.getSimpleName());
        return found.get(0);
    }
}
