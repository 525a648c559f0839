package io.plimsoll.realapi;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.ReplicaPlacement;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.reconciler.TestOperator;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The AIWorkload's /scale subresource on a real kube-apiserver, with the operator running as the chart's ServiceAccount:
 * what the API server serves as the autoscaling/v1 Scale (spec.replicas, status.replicas, status.selector), the
 * schema's bounds on a scale write, and an autoscaler's writes, made as the HPA controller's own ServiceAccount with
 * the API server's bootstrap RBAC: 1 to 3 replicas gives three pods and a selector for exactly them, 3 to 0 removes them.
 * One Fractional T4 node; {@link SimulatedKubelet} runs bound pods and {@link HostileInputsTest.PodReaper} finishes
 * the deletion of terminating ones, as a kubelet would.
 */
@RealApi
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleOnRealApiTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    /** The HPA controller's identity when kube-controller-manager runs with --use-service-account-credentials. */
    static final String HPA_NAMESPACE = "kube-system";
    static final String HPA_ACCOUNT = "horizontal-pod-autoscaler";

    static RealApiServer api;
    static KubernetesClient admin;
    static SimulatedKubelet kubelet;
    static HostileInputsTest.PodReaper reaper;
    static TestOperator operator;
    static String ns;

    @BeforeAll
    static void setUp(RealApiServer server) {
        api = server;
        admin = server.adminClient();
        admin.resource(Fixtures.gpuPool("t4", "T4", 16, 4, SharingMode.Fractional, 2.0)).create();
        FakeNodes.gpuNode(admin, "t4-0", "t4", 4);
        kubelet = new SimulatedKubelet(admin);
        reaper = new HostileInputsTest.PodReaper(admin);
        operator = api.startOperator("scale-0");
        ns = api.createNamespace("scale");
    }

    @AfterAll
    static void tearDown() {
        if (operator != null) operator.close();
        if (reaper != null) reaper.close();
        if (kubelet != null) kubelet.close();
    }

    static Resource<AIWorkload> workload(KubernetesClient client, String name) {
        return client.resources(AIWorkload.class).inNamespace(ns).withName(name);
    }

    /** An Inference workload of half a T4 per replica, placed by the operator and running. */
    static AIWorkload running(String name, Map<String, String> templateLabels) {
        AIWorkload w = Fixtures.workload(name, WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null);
        w.getMetadata().setNamespace(ns);
        if (templateLabels != null) w.getSpec().getTemplate().setMetadata(new ObjectMetaBuilder().withLabels(templateLabels).build());
        admin.resource(w).create();
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload got = workload(admin, name).get();
            assertTrue(got.getStatus() != null && got.getStatus().getState() == WorkloadState.Running,
                    () -> name + ": " + (got.getStatus() == null ? "no status" : got.getStatus().getMessage()));
            assertEquals(1, got.getStatus().getReplicas(), name + " status.replicas");
        });
        return workload(admin, name).get();
    }

    /**
     * Sets the replicas as the HPA controller does: read the Scale, write it back with the new count (with its
     * resourceVersion). Only /scale: the HPA controller may not read the workload itself.
     */
    static void scaleAs(KubernetesClient client, String name, int replicas) {
        Scale s = workload(client, name).scale();
        s.getSpec().setReplicas(replicas);
        workload(client, name).scale(s);
    }

    /** The pods a selector matches, as an autoscaler lists them (terminating ones left out). */
    static Set<String> selected(String selector) {
        return admin.pods().inNamespace(ns).list(new ListOptionsBuilder().withLabelSelector(selector).build()).getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).map(p -> p.getMetadata().getName())
                .collect(Collectors.toSet());
    }

    static Set<String> placedPods(AIWorkload w) {
        return w.getStatus().getPlacement() == null ? Set.of()
                : w.getStatus().getPlacement().getReplicas().stream().map(ReplicaPlacement::getPod).collect(Collectors.toSet());
    }

    @Test
    @Order(1)
    void theApiServerServesTheScaleAndRefusesReplicasOutsideTheSchemasBounds() {
        running("bounds", null);
        Scale s = workload(admin, "bounds").scale();
        assertEquals("autoscaling/v1", s.getApiVersion());
        assertEquals("Scale", s.getKind());
        assertEquals(1, s.getSpec().getReplicas());
        assertEquals(1, s.getStatus().getReplicas());
        assertEquals("app.kubernetes.io/managed-by=plimsoll,plimsoll.io/workload=bounds", s.getStatus().getSelector());

        KubernetesClientException tooMany = assertThrows(KubernetesClientException.class, () -> workload(admin, "bounds").scale(513));
        assertEquals(422, tooMany.getCode(), tooMany.getMessage());
        assertTrue(tooMany.getMessage().contains("spec.replicas") && tooMany.getMessage().contains("512"),
                "the refusal names the field and the bound: " + tooMany.getMessage());
        KubernetesClientException negative = assertThrows(KubernetesClientException.class, () -> workload(admin, "bounds").scale(-1));
        assertEquals(422, negative.getCode(), negative.getMessage());
        assertTrue(negative.getMessage().contains("spec.replicas") && negative.getMessage().contains("greater than or equal to 0"),
                negative.getMessage());

        AIWorkload after = workload(admin, "bounds").get();
        assertEquals(1, after.getSpec().getReplicas(), "a refused scale changes nothing");
        assertEquals(1L, after.getMetadata().getGeneration());
        workload(admin, "bounds").scale(2);
        AIWorkload two = workload(admin, "bounds").get();
        assertEquals(2, two.getSpec().getReplicas());
        assertEquals(2L, two.getMetadata().getGeneration(), "a scale write is a spec change: a new generation");
        workload(admin, "bounds").delete();
    }

    @Test
    @Order(2)
    void theHpaControllersBootstrapRbacMayScaleAWorkloadAndPlimsollFollows() {
        String hpaUser = "system:serviceaccount:" + HPA_NAMESPACE + ":" + HPA_ACCOUNT;
        assertTrue(api.may(hpaUser, "get", "plimsoll.io", "aiworkloads/scale", ns), "HPA controller may read the scale");
        assertTrue(api.may(hpaUser, "update", "plimsoll.io", "aiworkloads/scale", ns), "HPA controller may write the scale");
        if (admin.serviceAccounts().inNamespace(HPA_NAMESPACE).withName(HPA_ACCOUNT).get() == null) {
            admin.serviceAccounts().inNamespace(HPA_NAMESPACE).resource(new ServiceAccountBuilder().withNewMetadata()
                    .withName(HPA_ACCOUNT).endMetadata().build()).create();
        }
        KubernetesClient hpa = api.serviceAccountClient(HPA_NAMESPACE, HPA_ACCOUNT);

        // A neighbour whose template claims chat's labels: Plimsoll drops plimsoll.io/ keys and sets managed-by itself.
        running("neighbour", Map.of(Annotations.WORKLOAD, "chat", Annotations.MANAGED_BY, "someone-else"));
        AIWorkload chat = running("chat", null);
        String selector = chat.getStatus().getSelector();
        assertEquals(placedPods(chat), selected(selector), "the selector matches chat's one pod, not the neighbour's");

        scaleAs(hpa, "chat", 3);
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload w = workload(admin, "chat").get();
            assertEquals(3, w.getSpec().getReplicas());
            assertEquals(WorkloadState.Running, w.getStatus().getState(), w.getStatus().getMessage());
            assertEquals(3, w.getStatus().getReplicas());
            Scale s = workload(hpa, "chat").scale();
            assertEquals(3, s.getSpec().getReplicas());
            assertEquals(3, s.getStatus().getReplicas());
            Set<String> pods = selected(s.getStatus().getSelector());
            assertEquals(3, pods.size(), "three pods: " + pods);
            assertEquals(placedPods(w), pods, "the selector matches exactly the three replicas' pods");
            for (String p : pods) assertEquals("Running", admin.pods().inNamespace(ns).withName(p).get().getStatus().getPhase(), p);
        });
        assertEquals(1, selected(workload(admin, "neighbour").get().getStatus().getSelector()).size(), "the neighbour keeps its one pod");

        scaleAs(hpa, "chat", 0);
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload w = workload(admin, "chat").get();
            assertEquals(0, w.getStatus().getReplicas());
            assertEquals(WorkloadState.Placed, w.getStatus().getState(), w.getStatus().getMessage());
            assertEquals(0, workload(hpa, "chat").scale().getStatus().getReplicas());
            List<Pod> left = admin.pods().inNamespace(ns).withLabel(Annotations.WORKLOAD, "chat").list().getItems();
            assertEquals(List.of(), left.stream().map(p -> p.getMetadata().getName()).toList(), "chat's pods are gone");
        });
        assertEquals(0, workload(admin, "chat").get().getSpec().getReplicas(), "Plimsoll left spec.replicas where the autoscaler put it");
    }

    /** The HPA sample is a valid autoscaling/v2 object, and its target's /scale answers for the sample workload. */
    @Test
    @Order(3)
    void theHpaSampleIsAcceptedAndItsTargetsScaleAnswers() throws IOException {
        AIWorkload target;
        try (InputStream in = Files.newInputStream(Path.of("deploy/samples/inference.yaml"))) {
            target = Serialization.unmarshal(in, AIWorkload.class);
        }
        HorizontalPodAutoscaler hpa;
        try (InputStream in = Files.newInputStream(Path.of("deploy/samples/autoscaling/hpa.yaml"))) {
            hpa = Serialization.unmarshal(in, HorizontalPodAutoscaler.class);
        }
        target.getMetadata().setNamespace(ns);
        hpa.getMetadata().setNamespace(ns);
        admin.resource(target).create();
        HorizontalPodAutoscaler made = admin.resource(hpa).create();
        var ref = made.getSpec().getScaleTargetRef();
        assertEquals(AIWorkload.GROUP + "/" + AIWorkload.VERSION, ref.getApiVersion());
        assertEquals("AIWorkload", ref.getKind());
        assertEquals(target.getMetadata().getName(), ref.getName());
        // What the HPA controller does with the reference: read the target's scale.
        Scale s = workload(admin, ref.getName()).scale();
        assertEquals(target.getSpec().getReplicas(), s.getSpec().getReplicas());
    }

    /** Last: the operator was never refused for lack of RBAC, and neither was the HPA controller's account. */
    @Test
    @Order(Integer.MAX_VALUE)
    void nothingWasForbidden() {
        assertEquals(List.of(), api.forbidden());
    }
}
