package io.plimsoll.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.plimsoll.actuator.PodBinder;
import io.plimsoll.events.EventRecorder;
import io.plimsoll.snapshot.ClusterSnapshot;

/**
 * Plimsoll's controllers on a plain JOSDK operator, without Quarkus: the same reconcilers, snapshot and
 * actuators the application wires, so tests can start, stop and restart the operator in-process.
 */
public final class TestOperator implements AutoCloseable {
    public final ClusterSnapshot snapshot;
    private final Operator operator;

    public TestOperator(KubernetesClient client) {
        snapshot = new ClusterSnapshot(client);
        operator = new Operator(o -> o.withKubernetesClient(client)
                .withCloseClientOnStop(false)
                .withUseSSAToPatchPrimaryResource(false));
        operator.register(new AIWorkloadReconciler(snapshot, new PodBinder(client), new EventRecorder(client)));
        operator.register(new AcceleratorPoolReconciler(snapshot));
        operator.register(new PlacementPolicyReconciler(snapshot));
        operator.start();
    }

    @Override
    public void close() {
        operator.stop();
        snapshot.stop();
    }
}
