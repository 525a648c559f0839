package io.plimsoll.reconciler;

import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.plimsoll.reconciler.Fixtures.NS;
import static io.plimsoll.reconciler.Fixtures.get;
import static io.plimsoll.reconciler.Fixtures.workload;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The one placement loop: priority first, then arrival, and the first in line is not starved by smaller work. */
class PlacementOrderTest extends OperatorOnEmbeddedApi {

    AIWorkload h100Job(String name, WorkloadPhase phase, int replicas, int gpus, int priority) {
        AIWorkload w = workload(name, phase, replicas, AcceleratorType.GPU, gpus, null, null);
        w.getSpec().getResources().getAccelerator().setModels(List.of("H100"));
        Fixtures.withPriority(client, w, priority);
        return client.resource(w).create();
    }

    WorkloadState state(String name) {
        AIWorkload w = get(client, name);
        return w == null || w.getStatus() == null ? null : w.getStatus().getState();
    }

    void finish(String name) {
        SimulatedKubelet.finish(client, NS, Fixtures.pod(client, NS, name, 0).getMetadata().getName(), true);
        awaitState(name, WorkloadState.Succeeded);
    }

    @Test
    void aHighPriorityWorkloadSubmittedAfterAHundredLowOnesIsPlacedFirst() {
        for (int i = 0; i < 8; i++) h100Job("fill-" + i, WorkloadPhase.Optimization, 1, 1, 0);
        for (int i = 0; i < 8; i++) awaitState("fill-" + i, WorkloadState.Running);
        for (int i = 0; i < 100; i++) h100Job("low-" + i, WorkloadPhase.Optimization, 1, 1, 0);
        // Every low one waits, status written, before high comes (low-99's status first does not mean the others' are).
        await().atMost(WAIT).until(() -> java.util.stream.IntStream.range(0, 100).allMatch(i -> state("low-" + i) == WorkloadState.Pending));
        h100Job("high", WorkloadPhase.Optimization, 1, 1, 1000);
        AIWorkload high = awaitState("high", WorkloadState.Pending);
        assertNotNull(high.getStatus().getQueue());
        assertEquals(1, high.getStatus().getQueue().getPosition(), "first in line");
        finish("fill-0");
        awaitState("high", WorkloadState.Running);
        for (int i = 0; i < 100; i++) assertEquals(WorkloadState.Pending, state("low-" + i), "low-" + i + " waits behind high");
        AIWorkload low = get(client, "low-0");
        assertNotNull(low.getStatus().getQueue(), "a waiting workload shows where it waits");
    }

    @Test
    void aGangIsNotStarvedByAStreamOfSmallJobs() {
        Fixtures.gpuNode(client, "h100-1", "h100", 8);
        for (int i = 0; i < 16; i++) h100Job("early-" + i, WorkloadPhase.Optimization, 1, 1, 100);
        for (int i = 0; i < 16; i++) awaitState("early-" + i, WorkloadState.Running);
        // A gang of two whole nodes arrives, then small jobs of the same priority keep arriving as others finish.
        h100Job("gang", WorkloadPhase.Training, 2, 8, 100);
        AIWorkload gang = awaitState("gang", WorkloadState.Pending);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(io.plimsoll.api.QueueStatus.Reason.Nominated,
                get(client, "gang").getStatus().getQueue().getReason()));
        for (int i = 0; i < 16; i++) {
            h100Job("late-" + i, WorkloadPhase.Optimization, 1, 1, 100);
            finish("early-" + i);
        }
        awaitState("gang", WorkloadState.Running);
        // The small jobs that came after it waited: they backfill what the gang leaves, never the gang's nodes first.
        assertEquals(WorkloadState.Pending, state("late-15"));
        assertEquals(2, gang.getSpec().getReplicas());
    }
}
