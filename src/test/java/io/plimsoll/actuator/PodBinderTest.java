package io.plimsoll.actuator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.plimsoll.sandbox.EmbeddedKubernetes;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A preempted pod's {@code DisruptionTarget} condition. A real API server merges it by type (strategic merge patch,
 * {@code TenantPreemptionOnRealApiTest}); the embedded one refuses that patch type (415), and the condition is then
 * written by a read and a patch of the edited list, with the same result.
 */
class PodBinderTest {
    @Test
    void aPreemptedPodIsMarkedOnceAndKeepsItsOtherConditions() {
        try (EmbeddedKubernetes k = new EmbeddedKubernetes()) {
            var c = k.client();
            Pod pod = c.resource(new PodBuilder().withNewMetadata().withName("p").withNamespace("ns").endMetadata()
                    .withNewSpec().addNewContainer().withName("c").withImage("i").endContainer().endSpec().build()).create();
            c.pods().inNamespace("ns").withName("p").editStatus(p -> new PodBuilder(p).withNewStatus().addNewCondition()
                    .withType("Ready").withStatus("True").endCondition().endStatus().build());
            PodBinder binder = new PodBinder(c);
            binder.markDisrupted(pod, "first");
            binder.markDisrupted(pod, "second"); // a second mark replaces the first
            Pod after = c.pods().inNamespace("ns").withName("p").get();
            assertEquals(List.of("Ready", "DisruptionTarget"), after.getStatus().getConditions().stream().map(PodCondition::getType).toList());
            PodCondition mark = PodBinder.preemptedBy(after);
            assertEquals("second", mark.getMessage());
            assertEquals(PodBinder.PREEMPTED_BY_PLIMSOLL, mark.getReason());
        }
    }

    @Test
    void onAnApiServerThatMergesByTypeItIsOnePatchAndNoRead() throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(false);
        server.start();
        try (var c = server.createClient()) {
            Pod pod = new PodBuilder().withNewMetadata().withName("p").withNamespace("ns").endMetadata().build();
            server.expect().patch().withPath("/api/v1/namespaces/ns/pods/p/status").andReturn(200, pod).always();
            new PodBinder(c).markDisrupted(pod, "why");
            assertEquals(1, server.getRequestCount(), "no GET before the patch");
            RecordedRequest r = server.takeRequest();
            assertEquals("PATCH", r.getMethod());
            assertTrue(r.getHeader("Content-Type").startsWith("application/strategic-merge-patch+json"), r.getHeader("Content-Type"));
            String body = r.getBody().readUtf8();
            assertTrue(body.contains("\"type\":\"DisruptionTarget\"") && body.contains("\"message\":\"why\""), body);
        } finally {
            server.destroy();
        }
    }
}
