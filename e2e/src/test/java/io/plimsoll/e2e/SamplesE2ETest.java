package io.plimsoll.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.reconciler.TestOperator;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end: the samples from deploy/samples on the demo cluster's fake nodes, with the operator running.
 * Runs against PLIMSOLL_E2E_KUBECONFIG if set, else against the embedded API (what CI runs).
 */
class SamplesE2ETest {
    static final Duration WAIT = Duration.ofSeconds(60);
    static E2ECluster cluster;
    static SimulatedKubelet kubelet;
    static TestOperator operator;

    /** Where each sample must land on the demo cluster: the cheapest pool that satisfies its need. */
    static final Map<String, String> EXPECTED_POOL = Map.of(
            "llama-finetune", "a100",
            "sdxl-serving", "t4",
            "llama-quantize", "a100",
            "notebook-alice", "a100-mig",
            "jax-tpu-train", "tpu-v5e",
            "embed-prune-cpu", "cpu");

    @BeforeAll
    static void setUp() throws Exception {
        cluster = new E2ECluster();
        cluster.addDemoNodes();
        kubelet = new SimulatedKubelet(cluster.client);
        operator = new TestOperator(cluster.client);
        cluster.applySamples();
    }

    @AfterAll
    static void tearDown() {
        if (operator != null) operator.close();
        if (kubelet != null) kubelet.close();
        if (cluster != null) cluster.close();
    }

    static AIWorkload get(String name) {
        return cluster.client.resources(AIWorkload.class).inNamespace("default").withName(name).get();
    }

    @Test
    void everySamplePhaseRunsOnTheCheapestPoolThatFits() {
        EXPECTED_POOL.forEach((name, pool) -> await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload w = get(name);
            assertNotNull(w.getStatus(), name + " has no status");
            assertEquals(WorkloadState.Running, w.getStatus().getState(), name + ": " + w.getStatus().getMessage());
            assertEquals(pool, w.getStatus().getPlacement().getPool(), name);
        }));
        AIWorkload nb = get("notebook-alice");
        assertEquals("1g.10gb", nb.getStatus().getPlacement().getReplicas().get(0).getMigProfile(), "smallest MIG profile that fits");
        Pod nbPod = Fixtures.pod(cluster.client, "default", "notebook-alice", 0);
        assertEquals("1", nbPod.getSpec().getContainers().get(0).getResources().getRequests().get("nvidia.com/mig-1g.10gb").toString());
        Pod tpuPod = Fixtures.pod(cluster.client, "default", "jax-tpu-train", 0);
        assertEquals("2x2", tpuPod.getSpec().getNodeSelector().get("cloud.google.com/gke-tpu-topology"));
        assertEquals("4", tpuPod.getSpec().getContainers().get(0).getResources().getRequests().get("google.com/tpu").toString());
        Pod cpuPod = Fixtures.pod(cluster.client, "default", "embed-prune-cpu", 0);
        assertEquals(null, cpuPod.getMetadata().getAnnotations().get(Annotations.DEVICES));
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
        assertTrue(cluster.client.pods().inNamespace("default").withLabel(Annotations.WORKLOAD, "giant-pretrain").list().getItems().isEmpty(),
                "a gang that does not fit holds nothing");
    }

    @Test
    void decisionsAreEventsAndPoolsReportAllocationAndCost() {
        await().atMost(WAIT).untilAsserted(() -> {
            var events = cluster.client.v1().events().inNamespace("default").list().getItems();
            assertTrue(events.stream().anyMatch(e -> "Placed".equals(e.getReason()) && "sdxl-serving".equals(e.getInvolvedObject().getName())));
            assertTrue(events.stream().anyMatch(e -> "Unschedulable".equals(e.getReason()) && "giant-pretrain".equals(e.getInvolvedObject().getName())));
        });
        await().atMost(WAIT).untilAsserted(() -> {
            AcceleratorPool t4 = cluster.client.resources(AcceleratorPool.class).withName("t4").get();
            assertNotNull(t4.getStatus());
            assertEquals(2, t4.getStatus().getNodeCount());
            assertEquals(1.5, t4.getStatus().getDevicesAllocated(), 1e-9, "three half-GPU replicas");
            assertEquals(4.0, t4.getStatus().getCostPerHour(), 1e-9);
            AcceleratorPool h100 = cluster.client.resources(AcceleratorPool.class).withName("h100").get();
            assertNotNull(h100.getStatus());
            assertEquals(176.0, h100.getStatus().getIdleCostPerHour(), 1e-9, "nothing runs on the H100s: all of it idles");
        });
        // Metrics: what the operator exports on /q/metrics in production, read from its registry.
        await().atMost(WAIT).untilAsserted(() -> {
            assertEquals(3.0, operator.registry.get("plimsoll.placements").tags("phase", "Inference", "pool", "t4").counter().count());
            assertEquals(1.0, operator.registry.get("plimsoll.workloads.pending").tags("phase", "Training", "reason", "Unschedulable").gauge().value());
            assertEquals(176.0, operator.registry.get("plimsoll.pool.idle.cost.dollars.per.hour").tags("pool", "h100").gauge().value(), 1e-9);
        });
    }

    @Test
    void anIdleInferenceReplicaParksInPlaceAndTakesItsDeviceBackOnActivity() {
        io.plimsoll.api.PlacementPolicy policy = new io.plimsoll.api.PlacementPolicy();
        policy.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("e2e-park").build());
        policy.setSpec(new io.plimsoll.api.PlacementPolicySpec());
        io.plimsoll.api.PhaseRule inference = new io.plimsoll.api.PhaseRule();
        inference.setPools(java.util.List.of("l4"));
        policy.getSpec().setInference(inference);
        cluster.client.resource(policy).create();
        AIWorkload w = Fixtures.workload("e2e-chat", io.plimsoll.engine.WorkloadPhase.Inference, 1,
                io.plimsoll.engine.AcceleratorType.GPU, 1, null, null);
        w.getMetadata().setNamespace("default");
        w.getSpec().setPolicy("e2e-park");
        // active 5 s ago: placed whole, parked in place when the adaptive rule's 10 s warm window ends
        w.getMetadata().setAnnotations(Map.of(io.plimsoll.reconciler.IdleScaler.LAST_ACTIVITY, java.time.Instant.now().minusSeconds(5).toString()));
        cluster.client.resource(w).create();
        try {
            await().atMost(WAIT).until(() -> get("e2e-chat").getStatus() != null && get("e2e-chat").getStatus().getState() == WorkloadState.Running);
            String pod = Fixtures.pod(cluster.client, "default", "e2e-chat", 0).getMetadata().getName();
            await().atMost(WAIT).untilAsserted(() -> {
                assertEquals(WorkloadState.Parked, get("e2e-chat").getStatus().getState());
                Pod p = Fixtures.pod(cluster.client, "default", "e2e-chat", 0);
                assertEquals(pod, p.getMetadata().getName(), "parked in place");
                assertEquals("250", p.getMetadata().getAnnotations().get(Annotations.GPU_MILLI));
                AcceleratorPool l4 = cluster.client.resources(AcceleratorPool.class).withName("l4").get();
                assertEquals(0.25, l4.getStatus().getDevicesAllocated(), 1e-9);
            });
            cluster.client.resources(AIWorkload.class).inNamespace("default").withName("e2e-chat").edit(x -> {
                x.getMetadata().setAnnotations(Map.of(io.plimsoll.reconciler.IdleScaler.LAST_ACTIVITY, java.time.Instant.now().toString()));
                return x;
            });
            await().atMost(WAIT).untilAsserted(() -> {
                Pod p = Fixtures.pod(cluster.client, "default", "e2e-chat", 0);
                assertEquals(pod, p.getMetadata().getName(), "resumed in place");
                assertEquals(null, p.getMetadata().getAnnotations().get(Annotations.GPU_MILLI));
                assertTrue(cluster.client.v1().events().inNamespace("default").list().getItems().stream()
                        .anyMatch(e -> "Resumed".equals(e.getReason()) && "e2e-chat".equals(e.getInvolvedObject().getName())));
            });
        } finally {
            cluster.client.resources(AIWorkload.class).inNamespace("default").withName("e2e-chat").delete();
            cluster.client.resources(io.plimsoll.api.PlacementPolicy.class).withName("e2e-park").delete();
        }
    }
}
