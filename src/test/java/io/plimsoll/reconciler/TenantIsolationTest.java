package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.ReplicaPlacement;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.plimsoll.reconciler.Fixtures.NS;
import static io.plimsoll.reconciler.Fixtures.get;
import static io.plimsoll.reconciler.Fixtures.workload;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device accounting believes only what the API server enforces and Plimsoll's own records: annotations a tenant
 * writes (in a template, on its own pod, on a plain pod) never make a device look free.
 */
class TenantIsolationTest extends OperatorOnEmbeddedApi {

    static AIWorkload t4(String name, Map<String, String> templateAnnotations) {
        AIWorkload w = workload(name, WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        w.getSpec().getResources().getAccelerator().setModels(List.of("T4"));
        w.getSpec().setIdleTimeout("Never");
        w.getSpec().getTemplate().setMetadata(new ObjectMetaBuilder().withAnnotations(templateAnnotations).build());
        return w;
    }

    /** Every (node, device) held by a recorded replica, summed over all workloads: never more than one whole device. */
    void assertNoDeviceHandedOutTwice() {
        Map<String, Double> held = new HashMap<>();
        for (AIWorkload w : client.resources(AIWorkload.class).inAnyNamespace().list().getItems()) {
            if (w.getStatus() == null || w.getStatus().getPlacement() == null) continue;
            for (ReplicaPlacement rp : w.getStatus().getPlacement().getReplicas()) {
                for (Integer d : rp.getDevices()) {
                    held.merge(rp.getNode() + "/" + d, rp.getFraction() == null ? 1.0 : rp.getFraction(), Double::sum);
                }
            }
        }
        held.forEach((device, used) -> assertTrue(used <= 1.0 + 1e-9, device + " handed out " + used + " times over: " + held));
    }

    @Test
    void annotationsATenantWritesNeverFreeADevice() {
        Map<String, String> lies = Map.of("plimsoll.io/gpu-milli", "0", "plimsoll.io/devices", "0", "plimsoll.io/pool", "t4");
        for (int i = 0; i < 8; i++) client.resource(t4("liar-" + i, lies)).create();
        for (int i = 0; i < 8; i++) awaitState("liar-" + i, WorkloadState.Running);
        assertNoDeviceHandedOutTwice();
        // A tenant annotates its own running pod to look like a tiny share.
        Pod own = Fixtures.pod(client, NS, "liar-0", 0);
        client.pods().inNamespace(NS).withName(own.getMetadata().getName()).edit(p -> {
            p.getMetadata().getAnnotations().put("plimsoll.io/gpu-milli", "1");
            return p;
        });
        // A plain pod carrying Plimsoll's annotations but no pool, on a T4 node: no device, no crash.
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("plain").withNamespace(NS)
                .withAnnotations(Map.of("plimsoll.io/devices", "0,1", "plimsoll.io/gpu-milli", "x")).endMetadata()
                .withNewSpec().withNodeName("t4-0").addNewContainer().withName("c").withImage("i").endContainer().endSpec().build()).create();
        client.resource(t4("ninth", Map.of())).create();
        AIWorkload ninth = awaitState("ninth", WorkloadState.Pending);
        assertTrue(ninth.getStatus().getMessage().contains("t4"), ninth.getStatus().getMessage());
        assertNoDeviceHandedOutTwice();
    }

    @Test
    void aPodThatNamesDevicesInItsEnvironmentHoldsThem() {
        // A pod another scheduler bound to t4-0 with all its devices made visible: the runtime gives it all four.
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("other").withNamespace(NS).endMetadata()
                .withNewSpec().withNodeName("t4-0").addNewContainer().withName("c").withImage("i")
                .withEnv(new EnvVar("NVIDIA_VISIBLE_DEVICES", "all", null)).endContainer().endSpec().build()).create();
        // Once the operator's informer has shown it (else the first workload can be placed before the pod is known).
        await().atMost(WAIT).until(() -> {
            var n = operator.snapshot.state().node("t4-0");
            return n != null && n.wholeDevicesFree() == 0;
        });
        for (int i = 0; i < 4; i++) client.resource(t4("w-" + i, Map.of())).create();
        for (int i = 0; i < 4; i++) {
            AIWorkload w = awaitState("w-" + i, WorkloadState.Running);
            assertEquals("t4-1", w.getStatus().getPlacement().getReplicas().get(0).getNode());
        }
        client.resource(t4("w-4", Map.of())).create();
        awaitState("w-4", WorkloadState.Pending);
    }

    @Test
    void aPodForgedToLookLikeAReplicaIsDeletedAndTheRealOneRecorded() {
        AIWorkload w = client.resource(t4("victim", Map.of())).create();
        awaitState("victim", WorkloadState.Running);
        String realPod = get(client, "victim").getStatus().getPlacement().getReplicas().get(0).getPod();
        // A second pod with the workload's labels and owner reference, made by the tenant, not by Plimsoll.
        client.pods().inNamespace(NS).resource(new PodBuilder().withMetadata(new ObjectMetaBuilder().withName("forged").withNamespace(NS)
                .withLabels(Map.of("plimsoll.io/workload", "victim", "plimsoll.io/replica", "0"))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("plimsoll.io/v1alpha1").withKind("AIWorkload")
                        .withName("victim").withUid(w.getMetadata().getUid()).withController(true).build()).build())
                .withNewSpec().withNodeName("t4-1").addNewContainer().withName("c").withImage("i").endContainer().endSpec().build()).create();
        await().atMost(WAIT).until(() -> client.pods().inNamespace(NS).withName("forged").get() == null
                || client.pods().inNamespace(NS).withName("forged").get().getMetadata().getDeletionTimestamp() != null);
        AIWorkload after = get(client, "victim");
        assertEquals(realPod, after.getStatus().getPlacement().getReplicas().get(0).getPod(), "the real replica is untouched");
        assertNotNull(after.getStatus().getPlacement().getReplicas().get(0).getPodUid());
    }

    @Test
    void aRestartedOperatorFindsItsRecordsInStatusAndHandsNothingOutTwice() {
        for (int i = 0; i < 6; i++) client.resource(t4("r-" + i, Map.of())).create();
        for (int i = 0; i < 6; i++) awaitState("r-" + i, WorkloadState.Running);
        Map<String, String> podsBefore = new HashMap<>();
        for (int i = 0; i < 6; i++) podsBefore.put("r-" + i, get(client, "r-" + i).getStatus().getPlacement().getReplicas().get(0).getPod());
        operator.close();
        operator = new TestOperator(client);
        for (int i = 6; i < 9; i++) client.resource(t4("r-" + i, Map.of())).create();
        // Two devices were left: two of the three new workloads run, one waits (which one is not ordered here).
        await().atMost(WAIT).until(() -> java.util.stream.IntStream.range(6, 9).mapToObj(i -> get(client, "r-" + i))
                .map(w -> w.getStatus() == null ? null : w.getStatus().getState()).toList().stream()
                .filter(st -> st == WorkloadState.Running).count() == 2);
        await().atMost(WAIT).until(() -> java.util.stream.IntStream.range(6, 9).mapToObj(i -> get(client, "r-" + i))
                .anyMatch(w -> w.getStatus() != null && w.getStatus().getState() == WorkloadState.Pending));
        for (int i = 0; i < 6; i++) {
            assertEquals(podsBefore.get("r-" + i), get(client, "r-" + i).getStatus().getPlacement().getReplicas().get(0).getPod(),
                    "r-" + i + " keeps its pod across the restart");
        }
        assertNoDeviceHandedOutTwice();
    }
}
