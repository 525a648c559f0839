package io.plimsoll.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.sandbox.EmbeddedKubernetes;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.time.Duration;

import static io.plimsoll.reconciler.Fixtures.get;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Base of API-level tests: the embedded API with one H100 node and two T4 nodes, a kubelet and the operator. */
abstract class OperatorOnEmbeddedApi {
    static final Duration WAIT = Duration.ofSeconds(20);

    EmbeddedKubernetes k8s;
    KubernetesClient client;
    TestOperator operator;
    SimulatedKubelet kubelet;
    /** The operator's time: real time until a test moves it forward. */
    final SettableClock clock = new SettableClock();

    @BeforeEach
    void start() {
        k8s = new EmbeddedKubernetes();
        client = k8s.client();
        Fixtures.h100AndT4(client, 1, 2);
        kubelet = new SimulatedKubelet(client);
        operator = new TestOperator(client, null, null, clock);
    }

    @AfterEach
    void stop() {
        if (operator != null) operator.close();
        kubelet.close();
        k8s.close();
    }

    AIWorkload awaitState(String name, WorkloadState state) {
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload w = get(client, name);
            assertNotNull(w.getStatus(), name + " has no status yet");
            assertEquals(state, w.getStatus().getState(), () -> name + ": " + w.getStatus().getMessage());
        });
        return get(client, name);
    }
}
