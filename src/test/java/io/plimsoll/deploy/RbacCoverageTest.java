package io.plimsoll.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.reconciler.TestOperator;
import io.plimsoll.sandbox.DemoCluster;
import io.plimsoll.sandbox.EmbeddedKubernetes;
import io.plimsoll.sandbox.SampleLoader;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chart's RBAC, derived from the code: runs the operator through the samples, deletions, failures and leader
 * election on the embedded API, records every call its client makes, and checks the rendered chart allows each.
 */
class RbacCoverageTest {
    static final String AGENT = "plimsoll-operator-under-test";
    /** Every authenticated user may ask what it may do (system:basic-user); leader election asks before taking a Lease. */
    static final Set<String> ALWAYS_ALLOWED = Set.of("create authorization.k8s.io/selfsubjectrulesreviews");

    @Test
    void chartAllowsEveryCallTheOperatorMakes() throws Exception {
        Set<ApiCall> calls = ConcurrentHashMap.newKeySet();
        try (EmbeddedKubernetes k8s = new EmbeddedKubernetes()) {
            k8s.dispatcher().observe(r -> {
                if (AGENT.equals(r.getHeader("User-Agent"))) calls.add(ApiCall.of(r.getMethod(), r.getPath()));
            });
            KubernetesClient client = k8s.client();
            DemoCluster.seed(client);
            try (KubernetesClient operatorClient = k8s.newClient(AGENT);
                 SimulatedKubelet kubelet = new SimulatedKubelet(client);
                 TestOperator operator = new TestOperator(operatorClient, new LeaderElectionConfiguration(
                         "plimsoll-leader", "plimsoll-system", Duration.ofSeconds(4), Duration.ofSeconds(3),
                         Duration.ofMillis(500), "rbac-test", null, false))) {
                for (HasMetadata o : SampleLoader.files().stream().flatMap(f -> SampleLoader.load(f).stream()).toList()) {
                    // A workload made by an earlier build carries its finalizer, which the operator removes (patch).
                    if (o instanceof AIWorkload w && "notebook-alice".equals(w.getMetadata().getName())) {
                        w.getMetadata().setFinalizers(java.util.List.of(io.plimsoll.api.Annotations.FINALIZER));
                    }
                    client.resource(o).create();
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> state(client, "sdxl-serving") == WorkloadState.Running
                        && state(client, "llama-quantize") == WorkloadState.Running);
                // Node scale-down: idle-since annotations and a cordon.
                io.plimsoll.api.PoolScaling scaling = new io.plimsoll.api.PoolScaling();
                scaling.setScaleDownAfter("1s");
                scaling.setMinNodes(1);
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                    client.resources(io.plimsoll.api.AcceleratorPool.class).withName("l4").edit(p -> { p.getSpec().setScaling(scaling); return p; });
                    return true;
                });
                await().atMost(Duration.ofSeconds(30)).until(() -> client.nodes().list().getItems().stream()
                        .anyMatch(n -> n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable())));
                // Parking in place and back: an idle whole-GPU Inference replica on a Fractional pool (pod get + patch).
                AIWorkload idle = Fixtures.workload("rbac-park", io.plimsoll.engine.WorkloadPhase.Inference, 1,
                        io.plimsoll.engine.AcceleratorType.GPU, 1, null, null);
                idle.getMetadata().setNamespace("default");
                idle.getMetadata().setAnnotations(java.util.Map.of("plimsoll.io/last-activity", java.time.Instant.now().minusSeconds(8).toString()));
                client.resource(idle).create();
                await().atMost(Duration.ofSeconds(30)).until(() -> state(client, "rbac-park") == WorkloadState.Parked);
                client.resources(AIWorkload.class).inNamespace("default").withName("rbac-park").edit(w -> {
                    w.getMetadata().setAnnotations(java.util.Map.of("plimsoll.io/last-activity", java.time.Instant.now().toString()));
                    return w;
                });
                await().atMost(Duration.ofSeconds(30)).until(() -> state(client, "rbac-park") == WorkloadState.Running);
                // Tenancy: a Tenant's status (namespaces and PriorityClasses are listed and watched from the start).
                for (HasMetadata o : SampleLoader.load("tenants/tenants.yaml")) {
                    client.resource(o).create();
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    var t = client.resources(io.plimsoll.api.Tenant.class).withName("team-a").get();
                    return t != null && t.getStatus() != null && !t.getStatus().getConditions().isEmpty();
                });
                // Failure, scale-down and deletion paths: pod deletes, events.
                SimulatedKubelet.finish(client, "default", Fixtures.pod(client, "default", "llama-quantize", 0).getMetadata().getName(), false);
                client.resources(AIWorkload.class).inNamespace("default").withName("sdxl-serving").edit(w -> { w.getSpec().setReplicas(1); return w; });
                client.resources(AIWorkload.class).inNamespace("default").withName("notebook-alice").delete();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertEquals(WorkloadState.Failed, state(client, "llama-quantize"));
                    assertEquals(null, client.resources(AIWorkload.class).inNamespace("default").withName("notebook-alice").get());
                    assertEquals(1, client.pods().inNamespace("default").withLabel("plimsoll.io/workload", "sdxl-serving").list().getItems().size());
                });
            }
        }
        List<PolicyRule> rules = new java.util.ArrayList<>();
        // The scenario scales a pool (spec.scaling on l4: idle-since annotations, a cordon), which patches nodes:
        // the chart grants that only with scaling.nodes (or consolidation / clusterApi).
        for (HasMetadata o : Chart.render(java.util.Map.of("scaling.nodes", true))) {
            if (o instanceof ClusterRole cr) rules.addAll(cr.getRules());
            if (o instanceof Role r) rules.addAll(r.getRules());
        }
        Set<String> denied = new TreeSet<>();
        Set<String> seen = new TreeSet<>();
        for (ApiCall c : calls) {
            String key = c.verb() + " " + (c.group().isEmpty() ? "" : c.group() + "/") + c.resource();
            seen.add(key);
            if (ALWAYS_ALLOWED.contains(key)) continue;
            boolean ok = rules.stream().anyMatch(r -> r.getApiGroups().contains(c.group()) && r.getResources().contains(c.resource())
                    && r.getVerbs().contains(c.verb()));
            if (!ok) denied.add(key);
        }
        System.out.println("API calls made by the operator: " + seen);
        assertTrue(seen.contains("create pods") && seen.contains("delete pods") && seen.contains("patch plimsoll.io/aiworkloads/status")
                && seen.contains("patch coordination.k8s.io/leases"), "the scenario exercised the operator: " + seen);
        assertEquals(Set.of(), denied, "calls the chart's RBAC does not allow");
        Set<String> unlisted = new TreeSet<>(seen);
        unlisted.removeAll(OperatorApiCalls.with(true, false, false));
        assertEquals(Set.of(), unlisted, "calls missing from OperatorApiCalls (the real-API RBAC test checks that list)");
        // Least privilege: nothing granted that the operator was not seen to use (reading a single custom resource
        // happens only on some paths, e.g. a fresh read after a conflict, so it may not show in one run).
        Set<String> unused = new TreeSet<>();
        for (PolicyRule r : rules) {
            for (String g : r.getApiGroups()) for (String res : r.getResources()) for (String v : r.getVerbs()) {
                String key = v + " " + (g.isEmpty() ? "" : g + "/") + res;
                if (!seen.contains(key) && !(v.equals("get") && g.equals("plimsoll.io"))
                        && !OperatorApiCalls.REQUIRED_NOT_CALLED.contains(key)) unused.add(key);
            }
        }
        assertEquals(Set.of(), unused, "granted but never used: remove from helm/plimsoll/templates");
        for (PolicyRule r : rules) {
            assertTrue(!r.getVerbs().contains("*") && !r.getResources().contains("*") && !r.getApiGroups().contains("*"),
                    "no wildcard grants: " + r);
        }
    }

    static WorkloadState state(KubernetesClient client, String name) {
        AIWorkload w = client.resources(AIWorkload.class).inNamespace("default").withName(name).get();
        return w == null || w.getStatus() == null ? null : w.getStatus().getState();
    }
}
