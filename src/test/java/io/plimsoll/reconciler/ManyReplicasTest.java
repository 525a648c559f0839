package io.plimsoll.reconciler;

import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.plimsoll.reconciler.Fixtures.NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A workload with more replicas than fit: the loop places what fits and the pods are created off the loop; the status
 * that says Pending lists every replica placed, never only those whose pods happened to exist when it was written.
 */
class ManyReplicasTest extends OperatorOnEmbeddedApi {

    @Test
    void pendingListsEveryPlacedReplica() {
        // Two T4 nodes of 4 devices: 32 quarters. 34 quarter replicas: 32 placed, 2 pending.
        AIWorkload w = Fixtures.workload("many", WorkloadPhase.Inference, 34, AcceleratorType.GPU, null, 0.25, null);
        w.getSpec().getResources().getAccelerator().setModels(List.of("T4"));
        client.resource(w).create();
        AIWorkload pending = awaitState("many", WorkloadState.Pending);
        assertEquals(32, pending.getStatus().getPlacement().getReplicas().size(), pending.getStatus().getMessage());
        assertTrue(pending.getStatus().getMessage().startsWith("cannot place 2 of 34"), pending.getStatus().getMessage());
        assertEquals(32, client.pods().inNamespace(NS).list().getItems().size(), "one pod per placed replica, no more");
    }
}
