package io.plimsoll.realapi;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.LeaderElectionManager;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.reconciler.TestOperator;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Helm chart on a real API server: the operator, run in-process as the chart's ServiceAccount with exactly the
 * chart's RBAC and leader election on, starts, takes the Lease and places work; without update on leases it refuses
 * to start; the operator pod passes Pod Security admission at the restricted level.
 */
@RealApi
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartOnRealApiTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @Order(1)
    void operatorAsTheChartsServiceAccountTakesTheLeaseAndPlacesWork(RealApiServer api) {
        KubernetesClient admin = api.adminClient();
        for (PlacementPolicy p : api.rendered(PlacementPolicy.class)) admin.resource(p).create();
        admin.resource(Fixtures.gpuPool("l4", "L4", 24, 4, SharingMode.Fractional, 3.6)).create();
        FakeNodes.gpuNode(admin, "l4-0", "l4", 4);
        String ns = api.createNamespace("chart");
        try (SimulatedKubelet kubelet = new SimulatedKubelet(admin);
             TestOperator operator = api.startOperator("chart-test-0")) {
            await().atMost(WAIT).untilAsserted(() -> {
                Lease lease = admin.leases().inNamespace(RealApiServer.NAMESPACE).withName(api.leaseName()).get();
                assertNotNull(lease, "Lease " + api.leaseName() + " in " + RealApiServer.NAMESPACE);
                assertEquals("chart-test-0", lease.getSpec().getHolderIdentity());
            });
            AIWorkload w = Fixtures.workload("chat", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null);
            w.getMetadata().setNamespace(ns);
            admin.resource(w).create();
            await().atMost(WAIT).untilAsserted(() -> {
                AIWorkload got = admin.resources(AIWorkload.class).inNamespace(ns).withName("chat").get();
                assertNotNull(got.getStatus(), "no status yet");
                assertEquals(WorkloadState.Running, got.getStatus().getState(), got.getStatus().getMessage());
                assertEquals("l4", got.getStatus().getPlacement().getPool());
            });
            Pod pod = admin.pods().inNamespace(ns).withLabel(Annotations.WORKLOAD, "chat").list().getItems().get(0);
            assertEquals("l4-0", pod.getSpec().getNodeName());
            assertEquals("Running", pod.getStatus().getPhase());
            assertTrue(admin.v1().events().inNamespace(ns).list().getItems().stream().anyMatch(e -> "Placed".equals(e.getReason())),
                    "the operator may write events");
        }
    }

    @Test
    @Order(2)
    void operatorPodPassesPodSecurityRestricted(RealApiServer api) {
        KubernetesClient admin = api.adminClient();
        Deployment d = api.rendered(Deployment.class).get(0);
        Pod pod = new PodBuilder().withMetadata(d.getSpec().getTemplate().getMetadata()).editMetadata()
                .withName("operator-pod-security").withNamespace(RealApiServer.NAMESPACE).endMetadata()
                .withSpec(d.getSpec().getTemplate().getSpec()).build();
        // Server-side dry run: admission (Pod Security restricted on plimsoll-system) runs, nothing is stored.
        assertNotNull(admin.pods().inNamespace(RealApiServer.NAMESPACE).resource(pod).dryRun().create());
        Pod root = new PodBuilder(pod).editMetadata().withName("root-pod").endMetadata().editSpec().withSecurityContext(null)
                .editFirstContainer().withSecurityContext(null).endContainer().endSpec().build();
        KubernetesClientException e = assertThrows(KubernetesClientException.class,
                () -> admin.pods().inNamespace(RealApiServer.NAMESPACE).resource(root).dryRun().create());
        assertTrue(e.getMessage().contains("violates PodSecurity \"restricted"), "the namespace enforces restricted: " + e.getMessage());
    }

    @Test
    @Order(3)
    void withoutUpdateOnLeasesTheOperatorRefusesToStart(RealApiServer api) {
        KubernetesClient admin = api.adminClient();
        String sa = "plimsoll-no-lease-update";
        // The chart's RBAC for another ServiceAccount, its leader-election Role without update.
        List<HasMetadata> copies = new ArrayList<>();
        for (HasMetadata o : api.chartRbac()) {
            if (o instanceof ServiceAccount s) {
                copies.add(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder(s).editMetadata().withName(sa).endMetadata().build());
            } else if (o instanceof Role r) {
                Role copy = new io.fabric8.kubernetes.api.model.rbac.RoleBuilder(r).editMetadata().withName(sa).endMetadata().build();
                copy.getRules().forEach(rule -> rule.setVerbs(rule.getVerbs().stream().filter(v -> !v.equals("update")).toList()));
                copies.add(copy);
            } else if (o instanceof RoleBinding b) {
                copies.add(new io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder(b).editMetadata().withName(sa).endMetadata()
                        .editRoleRef().withName(sa).endRoleRef().editFirstSubject().withName(sa).endSubject().build());
            } else if (o instanceof ClusterRoleBinding b) {
                copies.add(new io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder(b).editMetadata().withName(sa).endMetadata()
                        .editFirstSubject().withName(sa).endSubject().build());
            }
        }
        copies.forEach(o -> admin.resource(o).create());
        KubernetesClient client = api.serviceAccountClient(RealApiServer.NAMESPACE, sa);
        RuntimeException e = assertThrows(RuntimeException.class, () -> new TestOperator(client, api.leaderElection("no-update")).close());
        String messages = messages(e);
        assertTrue(messages.contains(LeaderElectionManager.NO_PERMISSION_TO_LEASE_RESOURCE_MESSAGE), "JOSDK's lease check: " + messages);
        System.err.println("without update on leases: " + messages);
    }

    static String messages(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) b.append(b.length() == 0 ? "" : " <- ").append(t);
        return b.toString();
    }
}
