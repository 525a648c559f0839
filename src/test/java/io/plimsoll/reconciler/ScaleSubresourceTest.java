package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.ReplicaPlacement;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.plimsoll.reconciler.Fixtures.NS;
import static io.plimsoll.reconciler.Fixtures.get;
import static io.plimsoll.reconciler.Fixtures.workload;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * status.replicas and status.selector, which the /scale subresource hands to autoscalers, and an autoscaler's
 * writes to spec.replicas (through /scale, as the embedded API emulates it) on the embedded API.
 */
class ScaleSubresourceTest extends OperatorOnEmbeddedApi {

    Scale scale(String name) {
        return client.resources(AIWorkload.class).inNamespace(NS).withName(name).scale();
    }

    void scaleTo(String name, int replicas) {
        client.resources(AIWorkload.class).inNamespace(NS).withName(name).scale(replicas);
    }

    /** Names of the live pods the selector matches, as an autoscaler would list them. */
    Set<String> selected(String selector) {
        return client.pods().inNamespace(NS).list(new ListOptionsBuilder().withLabelSelector(selector).build()).getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
    }

    static Set<String> placedPods(AIWorkload w) {
        return w.getStatus().getPlacement().getReplicas().stream().map(ReplicaPlacement::getPod).collect(Collectors.toSet());
    }

    @Test
    void scaleReportsTheLivePodsAndASelectorThatMatchesExactlyThem() {
        // A neighbour whose template claims the first workload's labels: Plimsoll drops plimsoll.io/ keys and sets
        // managed-by itself, so its pods must not match the first workload's selector.
        AIWorkload neighbour = workload("neighbour", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null);
        neighbour.getSpec().getTemplate().setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                .withLabels(Map.of(Annotations.WORKLOAD, "serve", Annotations.MANAGED_BY, "someone-else")).build());
        client.resource(neighbour).create();
        client.resource(workload("serve", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null)).create();
        awaitState("neighbour", WorkloadState.Running);
        awaitState("serve", WorkloadState.Running);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(1, get(client, "serve").getStatus().getReplicas()));
        AIWorkload w = get(client, "serve");
        assertEquals("app.kubernetes.io/managed-by=plimsoll,plimsoll.io/workload=serve", w.getStatus().getSelector());
        assertEquals(placedPods(w), selected(w.getStatus().getSelector()), "the selector matches the workload's pod, not the neighbour's");
        Scale s = scale("serve");
        assertEquals(1, s.getSpec().getReplicas());
        assertEquals(1, s.getStatus().getReplicas());
        assertEquals(w.getStatus().getSelector(), s.getStatus().getSelector());

        scaleTo("serve", 3);
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload got = get(client, "serve");
            assertEquals(3, got.getSpec().getReplicas());
            assertEquals(WorkloadState.Running, got.getStatus().getState(), got.getStatus().getMessage());
            assertEquals(3, got.getStatus().getReplicas());
            assertEquals(3, got.getStatus().getPlacement().getReplicas().size());
            assertEquals(placedPods(got), selected(got.getStatus().getSelector()), "exactly the three replicas' pods");
        });
        assertEquals(1, selected(get(client, "neighbour").getStatus().getSelector()).size(), "the neighbour still has its one pod");

        scaleTo("serve", 0);
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload got = get(client, "serve");
            assertEquals(0, got.getStatus().getReplicas());
            assertEquals(Set.of(), selected(got.getStatus().getSelector()));
            assertEquals(0, scale("serve").getStatus().getReplicas());
        });
        assertEquals(0, get(client, "serve").getSpec().getReplicas(), "Plimsoll left spec.replicas where the autoscaler put it");
    }

    @Test
    void aWorkloadIdledToZeroKeepsSpecReplicasAndAnAutoscalersNewCountBringsItBack() {
        AIWorkload w = workload("chat", WorkloadPhase.Inference, 2, AcceleratorType.GPU, null, 0.5, null);
        w.getMetadata().setAnnotations(Map.of(IdleScaler.LAST_ACTIVITY, Instant.now().minus(Duration.ofHours(2)).toString()));
        w.getSpec().setIdleTimeout("30m");
        client.resource(w).create();
        awaitState("chat", WorkloadState.Idle);
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload got = get(client, "chat");
            assertEquals(0, got.getStatus().getReplicas(), "no pods while idle at zero");
            assertEquals(2, got.getSpec().getReplicas(), "the autoscaler's count is kept");
            assertEquals(2, scale("chat").getSpec().getReplicas());
            assertEquals(0, scale("chat").getStatus().getReplicas());
        });
        scaleTo("chat", 3);
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload got = get(client, "chat");
            assertEquals(WorkloadState.Running, got.getStatus().getState(), got.getStatus().getMessage());
            assertEquals(3, got.getStatus().getReplicas());
        });
        List<Pod> pods = Fixtures.pods(client, "chat");
        assertEquals(3, pods.size());
        // The new count counts as activity: not sent back to zero on its two-hour-old activity time.
        assertEquals(1, client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "chat".equals(e.getInvolvedObject().getName()) && "ScaledToZero".equals(e.getReason())).count());
        assertEquals("Active", Conditions.get(get(client, "chat").getStatus().getConditions(), "Idle").getReason());
    }
}
