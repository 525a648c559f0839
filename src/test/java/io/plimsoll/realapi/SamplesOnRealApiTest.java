package io.plimsoll.realapi;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.PhaseRule;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.PlacementPolicySpec;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.e2e.E2ECluster;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.reconciler.IdleScaler;
import io.plimsoll.reconciler.TestOperator;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The e2e samples scenario (e2e/.../SamplesE2ETest) on a real API server: the demo cluster's fake nodes, the
 * samples from deploy/samples, and the operator in-process as the chart's ServiceAccount with leader election on,
 * so the API server's validation (OpenAPI schema, CEL rules), RBAC and status subresources all apply.
 */
@RealApi
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SamplesOnRealApiTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static E2ECluster cluster;
    static KubernetesClient admin;
    static SimulatedKubelet kubelet;
    static TestOperator operator;

    @BeforeAll
    static void setUp(RealApiServer api) throws Exception {
        admin = api.adminClient();
        cluster = new E2ECluster(admin);
        cluster.addDemoNodes();
        kubelet = new SimulatedKubelet(admin);
        operator = api.startOperator("samples-0");
        cluster.applySamples();
    }

    @AfterAll
    static void tearDown() {
        if (operator != null) operator.close();
        if (kubelet != null) kubelet.close();
        if (cluster != null) cluster.close();
    }

    static AIWorkload get(String name) {
        return admin.resources(AIWorkload.class).inNamespace("default").withName(name).get();
    }

    @Test
    void everySamplePhaseRunsOnTheCheapestPoolThatFits() {
        Map.of("llama-finetune", "a100", "sdxl-serving", "t4", "llama-quantize", "a100", "notebook-alice", "a100-mig",
                "jax-tpu-train", "tpu-v5e", "embed-prune-cpu", "cpu").forEach((name, pool) -> await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload w = get(name);
            assertNotNull(w.getStatus(), name + " has no status");
            assertEquals(WorkloadState.Running, w.getStatus().getState(), name + ": " + w.getStatus().getMessage());
            assertEquals(pool, w.getStatus().getPlacement().getPool(), name);
            Pod p = Fixtures.pod(admin, "default", name, 0);
            assertEquals("Running", p.getStatus().getPhase(), name + " pod started by the kubelet stand-in");
        }));
        AIWorkload nb = get("notebook-alice");
        assertEquals("1g.10gb", nb.getStatus().getPlacement().getReplicas().get(0).getMigProfile());
        Pod nbPod = Fixtures.pod(admin, "default", "notebook-alice", 0);
        assertEquals("1", nbPod.getSpec().getContainers().get(0).getResources().getRequests().get("nvidia.com/mig-1g.10gb").toString());
        Pod tpuPod = Fixtures.pod(admin, "default", "jax-tpu-train", 0);
        assertEquals("2x2", tpuPod.getSpec().getNodeSelector().get("cloud.google.com/gke-tpu-topology"));
        assertEquals("4", tpuPod.getSpec().getContainers().get(0).getResources().getRequests().get("google.com/tpu").toString());
    }

    @Test
    void tooBigWorkloadWaitsAndSaysWhyForEveryPool() {
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload w = get("giant-pretrain");
            assertNotNull(w.getStatus());
            assertEquals(WorkloadState.Pending, w.getStatus().getState());
            assertEquals(7, w.getStatus().getUnplaceable().size(), w.getStatus().getMessage());
            assertTrue(w.getStatus().getMessage().contains("h100: gang of 4 replicas, only 2 fit at once"), w.getStatus().getMessage());
        });
        assertTrue(admin.pods().inNamespace("default").withLabel(Annotations.WORKLOAD, "giant-pretrain").list().getItems().isEmpty());
    }

    @Test
    void decisionsAreEventsAndPoolsReportAllocationAndCost() {
        await().atMost(WAIT).untilAsserted(() -> {
            var events = admin.v1().events().inNamespace("default").list().getItems();
            assertTrue(events.stream().anyMatch(e -> "Placed".equals(e.getReason()) && "sdxl-serving".equals(e.getInvolvedObject().getName())));
            assertTrue(events.stream().anyMatch(e -> "Unschedulable".equals(e.getReason()) && "giant-pretrain".equals(e.getInvolvedObject().getName())));
        });
        await().atMost(WAIT).untilAsserted(() -> {
            AcceleratorPool t4 = admin.resources(AcceleratorPool.class).withName("t4").get();
            assertNotNull(t4.getStatus());
            assertEquals(2, t4.getStatus().getNodeCount());
            assertEquals(1.5, t4.getStatus().getDevicesAllocated(), 1e-9, "three half-GPU replicas");
            AcceleratorPool h100 = admin.resources(AcceleratorPool.class).withName("h100").get();
            assertNotNull(h100.getStatus());
            assertEquals(176.0, h100.getStatus().getIdleCostPerHour(), 1e-9);
        });
        await().atMost(WAIT).untilAsserted(() ->
                assertEquals(3.0, operator.registry.get("plimsoll.placements").tags("phase", "Inference", "pool", "t4").counter().count()));
    }

    @Test
    void anIdleInferenceReplicaParksInPlaceAndTakesItsDeviceBackOnActivity() {
        PlacementPolicy policy = new PlacementPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName("e2e-park").build());
        policy.setSpec(new PlacementPolicySpec());
        PhaseRule inference = new PhaseRule();
        inference.setPools(List.of("l4"));
        policy.getSpec().setInference(inference);
        admin.resource(policy).create();
        AIWorkload w = Fixtures.workload("e2e-chat", WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        w.getMetadata().setNamespace("default");
        w.getSpec().setPolicy("e2e-park");
        w.getMetadata().setAnnotations(Map.of(IdleScaler.LAST_ACTIVITY, Instant.now().minusSeconds(5).toString()));
        admin.resource(w).create();
        await().atMost(WAIT).until(() -> get("e2e-chat").getStatus() != null && get("e2e-chat").getStatus().getState() == WorkloadState.Running);
        String pod = Fixtures.pod(admin, "default", "e2e-chat", 0).getMetadata().getName();
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload got = get("e2e-chat");
            assertEquals(WorkloadState.Parked, got.getStatus().getState(), got.getStatus().getMessage());
            Pod p = Fixtures.pod(admin, "default", "e2e-chat", 0);
            assertEquals(pod, p.getMetadata().getName(), "parked in place");
            assertEquals("250", p.getMetadata().getAnnotations().get(Annotations.GPU_MILLI));
        });
        admin.resources(AIWorkload.class).inNamespace("default").withName("e2e-chat").edit(x -> {
            x.getMetadata().setAnnotations(Map.of(IdleScaler.LAST_ACTIVITY, Instant.now().toString()));
            return x;
        });
        await().atMost(WAIT).untilAsserted(() -> {
            Pod p = Fixtures.pod(admin, "default", "e2e-chat", 0);
            assertEquals(pod, p.getMetadata().getName(), "resumed in place");
            assertEquals(null, p.getMetadata().getAnnotations().get(Annotations.GPU_MILLI));
            assertEquals(WorkloadState.Running, get("e2e-chat").getStatus().getState());
        });
    }

    /** Last: in all of the above the API server never refused the operator for lack of RBAC. */
    @Test
    @Order(Integer.MAX_VALUE)
    void theChartsRbacNeverForbadeTheOperator(RealApiServer api) {
        assertEquals(List.of(), api.forbidden());
        api.unexpectedFailures().forEach(f -> System.err.println("operator request refused during the samples scenario: " + f));
    }
}
