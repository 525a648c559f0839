package io.plimsoll.realapi;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness itself: CRDs served, the operator client is the chart's ServiceAccount, fake nodes, the kubelet. */
@RealApi
class RealApiHarnessTest {

    @Test
    void operatorClientIsTheChartsServiceAccountAndRbacApplies(RealApiServer api) {
        KubernetesClient sa = api.operatorClient();
        SelfSubjectReview me = sa.resource(new SelfSubjectReview()).create();
        assertEquals(api.serviceAccountUser(), me.getStatus().getUserInfo().getUsername());
        assertNotNull(sa.nodes().list(), "the chart lets the operator list nodes");
        assertNotNull(sa.resources(AIWorkload.class).inAnyNamespace().list(), "and its custom resources (CRDs installed)");
        KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> sa.nodes().withName("x").delete());
        assertEquals(403, e.getCode());
        KubernetesClientException secrets = assertThrows(KubernetesClientException.class, () -> sa.secrets().inNamespace("default").list());
        assertEquals(403, secrets.getCode());
    }

    @Test
    void fakeNodesHaveCapacityAndTheKubeletStartsPodsBoundToThem(RealApiServer api) {
        KubernetesClient admin = api.adminClient();
        Node n = FakeNodes.gpuNode(admin, "harness-gpu-0", "harness", 4);
        assertEquals("4", n.getStatus().getAllocatable().get("nvidia.com/gpu").toString());
        assertEquals("4", admin.nodes().withName("harness-gpu-0").get().getStatus().getCapacity().get("nvidia.com/gpu").toString());
        String ns = api.createNamespace("harness");
        try (SimulatedKubelet kubelet = new SimulatedKubelet(admin)) {
            Pod p = admin.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("p").endMetadata()
                    .withNewSpec().withNodeName("harness-gpu-0").addNewContainer().withName("main").withImage("example.org/x:1")
                    .endContainer().endSpec().build()).create();
            await().atMost(Duration.ofSeconds(10)).until(() -> "Running".equals(
                    admin.pods().inNamespace(ns).withName(p.getMetadata().getName()).get().getStatus().getPhase()));
            // Deleted with a grace period, it terminates until the kubelet removes it when the grace period ends.
            long deleted = System.nanoTime();
            admin.pods().inNamespace(ns).withName("p").withGracePeriod(3).delete();
            assertNotNull(admin.pods().inNamespace(ns).withName("p").get().getMetadata().getDeletionTimestamp(), "terminating");
            await().atMost(Duration.ofSeconds(15)).until(() -> admin.pods().inNamespace(ns).withName("p").get() == null);
            long tookMs = (System.nanoTime() - deleted) / 1_000_000;
            assertTrue(tookMs >= 1500, "removed after its grace period (deletionTimestamp has whole seconds), not at once: " + tookMs + " ms");
        }
        assertTrue(FakeNodes.setReady(admin, "harness-gpu-0", false).getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "False".equals(c.getStatus())));
    }
}
