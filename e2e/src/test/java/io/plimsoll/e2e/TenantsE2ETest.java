package io.plimsoll.e2e;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.reconciler.Conditions;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.reconciler.TestOperator;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * End to end, two tenants on the demo cluster's H100 pool (two nodes of 8): e2e-borrower (guaranteed 4, limit 16)
 * fills both nodes with four 4-GPU jobs, borrowing e2e-lender's unused guarantee; e2e-lender (guaranteed 8) submits a
 * 4-GPU job; the borrower's most recent job is preempted and the lender's runs. Runs against PLIMSOLL_E2E_KUBECONFIG
 * if set, else against the embedded API.
 */
class TenantsE2ETest {
    static final Duration WAIT = Duration.ofSeconds(60);
    static E2ECluster cluster;
    static SimulatedKubelet kubelet;
    static TestOperator operator;

    @BeforeAll
    static void setUp() throws Exception {
        cluster = new E2ECluster();
        cluster.addDemoNodes();
        kubelet = new SimulatedKubelet(cluster.client);
        operator = new TestOperator(cluster.client);
        for (String f : List.of("pools.yaml", "policy.yaml")) {
            for (var o : io.plimsoll.sandbox.SampleLoader.load(f)) cluster.client.resource(o).createOr(x -> x.update());
        }
    }

    @AfterAll
    static void tearDown() {
        if (cluster != null) {
            for (String t : List.of("e2e-borrower", "e2e-lender")) {
                cluster.client.resources(AIWorkload.class).inNamespace(t).delete();
                cluster.client.resources(Tenant.class).withName(t).delete();
            }
        }
        if (operator != null) operator.close();
        if (kubelet != null) kubelet.close();
        if (cluster != null) cluster.close();
    }

    static Tenant tenant(String name, double guaranteed, double limit) {
        return Fixtures.tenant(name, "e2e-tenant", guaranteed, limit);
    }

    static void job(String ns, String name) {
        AIWorkload w = Fixtures.workload(name, WorkloadPhase.Training, 1, AcceleratorType.GPU, 4, null, null);
        w.getMetadata().setNamespace(ns);
        w.getSpec().getResources().getAccelerator().setModels(List.of("H100"));
        Fixtures.withPriority(cluster.client, w, 100);
        cluster.client.resource(w).create();
    }

    static WorkloadState state(String ns, String name) {
        AIWorkload w = cluster.client.resources(AIWorkload.class).inNamespace(ns).withName(name).get();
        return w == null || w.getStatus() == null ? null : w.getStatus().getState();
    }

    static String message(String ns, String name) {
        AIWorkload w = cluster.client.resources(AIWorkload.class).inNamespace(ns).withName(name).get();
        return w == null || w.getStatus() == null ? "no status" : w.getStatus().getMessage();
    }

    @Test
    void theLenderGetsItsGuaranteeBackFromTheBorrower() {
        for (String t : List.of("e2e-borrower", "e2e-lender")) {
            cluster.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(t)
                    .withLabels(Map.of("e2e-tenant", t)).endMetadata().build()).createOr(n -> n.update());
        }
        cluster.client.resource(tenant("e2e-borrower", 4, 16)).create();
        cluster.client.resource(tenant("e2e-lender", 8, 16)).create();
        await().atMost(WAIT).until(() -> operator.tenancy.tenants().size() >= 2);
        for (int i = 0; i < 4; i++) {
            String name = "big-" + i;
            job("e2e-borrower", name);
            await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Running, state("e2e-borrower", name), () -> message("e2e-borrower", name)));
        }
        job("e2e-lender", "mine");
        await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Running, state("e2e-lender", "mine"), () -> message("e2e-lender", "mine")));
        // the victim's condition is written by its own reconcile, a moment after its pods were deleted
        await().atMost(WAIT).untilAsserted(() -> {
            List<String> preempted = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                AIWorkload w = cluster.client.resources(AIWorkload.class).inNamespace("e2e-borrower").withName("big-" + i).get();
                Condition c = Conditions.get(w.getStatus().getConditions(), "Preempted");
                if (c != null && "True".equals(c.getStatus())) preempted.add(w.getMetadata().getName());
            }
            assertEquals(List.of("big-3"), preempted, "the borrower's most recent job gives the lender's guarantee back");
        });
        await().atMost(WAIT).untilAsserted(() -> {
            Tenant lender = cluster.client.resources(Tenant.class).withName("e2e-lender").get();
            assertNotNull(lender.getStatus());
            assertEquals(4.0, lender.getStatus().getUsed());
            assertEquals(12.0, cluster.client.resources(Tenant.class).withName("e2e-borrower").get().getStatus().getUsed());
        });
    }
}
