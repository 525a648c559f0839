package io.plimsoll.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
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
    void valuesSchemaRefusesNonsense() {
        Exception e = assertThrows(IllegalStateException.class, () -> Chart.template(Map.of("replicaCount", 0)));
        assertTrue(e.getMessage().contains("replicaCount"), e.getMessage());
        Exception typo = assertThrows(IllegalStateException.class, () -> Chart.template(Map.of("replicas", 3)));
        assertTrue(typo.getMessage().contains("replicas"), typo.getMessage());
    }

    @Test
    void chartCrdsAreTheGeneratedOnes() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("crds"))) {
            List<Path> crds = s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
            assertEquals(3, crds.size());
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
                "plimsoll_placement_duration_seconds_bucket")) {
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
