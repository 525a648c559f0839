package io.plimsoll.realapi;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.plimsoll.actuator.PodBinder;
import io.plimsoll.api.Annotations;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.QueueStatus;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.reconciler.Conditions;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.reconciler.TestOperator;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tenants on a real API server, the operator running as the chart's ServiceAccount: rq-a borrows rq-b's unused
 * guarantee, a job above rq-a's limit waits for quota, rq-b submits and rq-a's most recent borrowed jobs are preempted
 * (their pods deleted with their grace period; a reaper finishes the deletion as a kubelet would) and rq-b's job is
 * placed. Every request the operator made was allowed by the chart's RBAC.
 */
@RealApi
class TenantPreemptionOnRealApiTest {
    static final Duration WAIT = Duration.ofSeconds(40);

    static Tenant tenant(String name, double guaranteed, double limit) {
        return Fixtures.tenant(name, "rq-tenant", guaranteed, limit);
    }

    static AIWorkload job(KubernetesClient admin, String ns, String name, int gpus) {
        AIWorkload w = Fixtures.workload(name, WorkloadPhase.Training, 1, AcceleratorType.GPU, gpus, null, null);
        w.getMetadata().setNamespace(ns);
        w.getSpec().getResources().getAccelerator().setModels(List.of("RQ100"));
        Fixtures.withPriority(admin, w, 100);
        return admin.resource(w).create();
    }

    static AIWorkload get(KubernetesClient admin, String ns, String name) {
        return admin.resources(AIWorkload.class).inNamespace(ns).withName(name).get();
    }

    static WorkloadState state(KubernetesClient admin, String ns, String name) {
        AIWorkload w = get(admin, ns, name);
        return w == null || w.getStatus() == null ? null : w.getStatus().getState();
    }

    static boolean placed(KubernetesClient admin, String ns, String name) {
        WorkloadState s = state(admin, ns, name);
        return s == WorkloadState.Placed || s == WorkloadState.Running; // no kubelet: pods stay Pending once bound
    }

    @Test
    void aBorrowerIsPreemptedForATenantWithinItsGuarantee(RealApiServer api) {
        KubernetesClient admin = api.adminClient();
        admin.resource(Fixtures.gpuPool("rq", "RQ100", 80, 4, SharingMode.Exclusive, 40.0)).create();
        FakeNodes.gpuNode(admin, "rq-0", "rq", 4);
        for (String t : List.of("rq-a", "rq-b")) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(t).withLabels(Map.of("rq-tenant", t))
                    .endMetadata().build()).createOr(n -> n.update());
        }
        admin.resource(tenant("rq-a", 2, 4)).create();
        admin.resource(tenant("rq-b", 2, 4)).create();
        try (TestOperator operator = api.startOperator("tenants-rq");
             HostileInputsTest.PodReaper reaper = new HostileInputsTest.PodReaper(admin)) {
            await().atMost(WAIT).until(() -> operator.tenancy.tenants().stream().filter(t -> t.getMetadata().getName().startsWith("rq-")).count() == 2);
            for (int i = 0; i < 4; i++) {
                String name = "burst-" + i;
                job(admin, "rq-a", name, 1);
                await().atMost(WAIT).until(() -> placed(admin, "rq-a", name));
            }
            job(admin, "rq-a", "over", 1);
            await().atMost(WAIT).untilAsserted(() -> {
                AIWorkload w = get(admin, "rq-a", "over");
                assertNotNull(w.getStatus());
                assertNotNull(w.getStatus().getQueue(), w.getStatus().getMessage());
                assertEquals(QueueStatus.Reason.Quota, w.getStatus().getQueue().getReason(), w.getStatus().getMessage());
            });

            // A condition the kubelet set on the pods that will be preempted (the two most recent): marking them
            // DisruptionTarget must keep it (a strategic merge by condition type, not a list replaced from a copy).
            Map<String, List<PodCondition>> seen = new java.util.concurrent.ConcurrentHashMap<>();
            for (String n : List.of("burst-2", "burst-3")) {
                for (Pod p : admin.pods().inNamespace("rq-a").withLabel(Annotations.WORKLOAD, n).list().getItems()) {
                    admin.pods().inNamespace("rq-a").withName(p.getMetadata().getName()).subresource("status").patch(
                            PatchContext.of(PatchType.JSON_MERGE),
                            "{\"status\":{\"conditions\":[{\"type\":\"PodReadyToStartContainers\",\"status\":\"True\"}]}}");
                }
            }
            // An informer, not a bare watch: this API server refuses a watch with no resource version to start from.
            SharedIndexInformer<Pod> podInformer = admin.pods().inNamespace("rq-a").inform(new ResourceEventHandler<>() {
                @Override public void onAdd(Pod pod) { note(pod); }
                @Override public void onUpdate(Pod old, Pod pod) { note(pod); }
                @Override public void onDelete(Pod pod, boolean unknown) { }
                private void note(Pod pod) {
                    if (PodBinder.preemptedBy(pod) != null) {
                        seen.put(pod.getMetadata().getLabels().get(Annotations.WORKLOAD), List.copyOf(pod.getStatus().getConditions()));
                    }
                }
            });
            job(admin, "rq-b", "claim", 2);
            await().atMost(WAIT).untilAsserted(() -> assertTrue(placed(admin, "rq-b", "claim"),
                    () -> String.valueOf(get(admin, "rq-b", "claim").getStatus())));
            List<String> preempted = List.of("burst-2", "burst-3");
            await().atMost(WAIT).untilAsserted(() -> { // each victim's condition comes with its own next reconcile
                List<String> now = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    AIWorkload w = get(admin, "rq-a", "burst-" + i);
                    Condition c = Conditions.get(w.getStatus().getConditions(), "Preempted");
                    if (c != null && "True".equals(c.getStatus())) now.add(w.getMetadata().getName());
                }
                assertEquals(preempted, now);
            });
            for (String n : preempted) assertFalse(placed(admin, "rq-a", n), n + " waits in line again");
            await().atMost(WAIT).untilAsserted(() -> assertEquals(java.util.Set.copyOf(preempted), seen.keySet()));
            podInformer.close();
            for (var e : seen.entrySet()) {
                java.util.Set<String> types = e.getValue().stream().map(PodCondition::getType).collect(java.util.stream.Collectors.toSet());
                assertEquals(java.util.Set.of("PodReadyToStartContainers", "DisruptionTarget"), types, e.getKey() + ": " + e.getValue());
                assertFalse(PodBinder.preemptedBy(new PodBuilder().withNewStatus().withConditions(e.getValue()).endStatus().build())
                        .getMessage().contains("claim"), "a message never names another namespace's objects");
            }
            await().atMost(WAIT).untilAsserted(() -> {
                Tenant b = admin.resources(Tenant.class).withName("rq-b").get();
                assertNotNull(b.getStatus());
                assertEquals(2.0, b.getStatus().getUsed());
                assertEquals(2.0, admin.resources(Tenant.class).withName("rq-a").get().getStatus().getUsed());
            });
        } finally {
            // Other classes share this API server: no tenant of this test may outlive it.
            admin.resources(Tenant.class).withName("rq-a").delete();
            admin.resources(Tenant.class).withName("rq-b").delete();
        }
        assertEquals(List.of(), api.forbidden());
    }
}
