package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Pod;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.snapshot.ClusterSnapshot;
import io.plimsoll.snapshot.PodRecord;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static io.plimsoll.reconciler.Fixtures.pods;
import static io.plimsoll.reconciler.Fixtures.workload;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A record read back from a workload's status after a restart starts when the API server created its pod, not when
 * it was read back: preemption takes the most recently started work first, and a restart must not reorder it.
 */
class RecordReadBackTest extends OperatorOnEmbeddedApi {

    PodRecord readBack(Pod pod) {
        ClusterSnapshot fresh = new ClusterSnapshot(client, clock);
        try {
            fresh.start();
            await().atMost(WAIT).until(() -> fresh.podsOn(pod.getSpec().getNodeName()).stream()
                    .anyMatch(p -> p.getMetadata().getName().equals(pod.getMetadata().getName())));
            Pod cached = fresh.podsOn(pod.getSpec().getNodeName()).stream()
                    .filter(p -> p.getMetadata().getName().equals(pod.getMetadata().getName())).findFirst().orElseThrow();
            return fresh.record(cached);
        } finally {
            fresh.stop();
        }
    }

    @Test
    void aRecordReadBackStartsWhenItsPodWasCreated() {
        client.resource(workload("serve", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null)).create();
        awaitState("serve", WorkloadState.Running);
        Pod pod = pods(client, "serve").get(0);
        operator.close();
        operator = null;

        // The operator comes back an hour later (its clock moved on): the record starts when the pod was created.
        clock.advance(java.time.Duration.ofHours(1));
        Instant created = Instant.parse(client.pods().inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName()).get().getMetadata().getCreationTimestamp());
        PodRecord r = readBack(pod);
        assertNotNull(r, "the record is read back from the workload's status");
        assertEquals(created, r.at());
    }
}
