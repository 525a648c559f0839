package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.PhaseRule;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.PlacementPolicySpec;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.plimsoll.reconciler.Fixtures.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parked replicas make room only for work of equal or higher priority, and no message names another namespace. */
class ParkedPreemptionTest extends OperatorOnEmbeddedApi {

    AIWorkload onPoolOne(String ns, String name, int priority, Instant lastActivity) {
        AIWorkload w = workload(name, WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        w.getMetadata().setNamespace(ns);
        w.getSpec().setPolicy("only-one");
        Fixtures.withPriority(client, w, priority);
        w.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", lastActivity.toString()));
        return client.resource(w).create();
    }

    AIWorkload in(String ns, String name) {
        return client.resources(AIWorkload.class).inNamespace(ns).withName(name).get();
    }

    void onePool() {
        client.resource(Fixtures.gpuPool("one", "L4", 24, 1, SharingMode.Fractional, 1.0)).create();
        Fixtures.gpuNode(client, "one-0", "one", 1);
        PlacementPolicy only = new PlacementPolicy();
        only.setMetadata(new ObjectMetaBuilder().withName("only-one").build());
        only.setSpec(new PlacementPolicySpec());
        PhaseRule rule = new PhaseRule();
        rule.setPools(List.of("one"));
        only.getSpec().setInference(rule);
        client.resource(only).create();
    }

    AIWorkload await(String ns, String name, WorkloadState state) {
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> in(ns, name) != null && in(ns, name).getStatus() != null
                && in(ns, name).getStatus().getState() == state);
        return in(ns, name);
    }

    List<Event> events(String ns) {
        return client.v1().events().inNamespace(ns).list().getItems();
    }

    @Test
    void lowerPriorityWorkNeverTakesAParkedReplicaOfHigherPriority() {
        onePool();
        onPoolOne("team-a", "vip", 1000, Instant.now().minusSeconds(60));
        await("team-a", "vip", WorkloadState.Parked);
        onPoolOne("team-b", "low", -1000, Instant.now());
        AIWorkload low = await("team-b", "low", WorkloadState.Pending);
        assertEquals(WorkloadState.Parked, in("team-a", "vip").getStatus().getState(), "the parked vip keeps its device");
        assertTrue(events("team-b").stream().noneMatch(e -> "MadeRoom".equals(e.getReason())));
        assertFalse(low.getStatus().getMessage().contains("team-a"), low.getStatus().getMessage());
    }

    @Test
    void equalOrHigherPriorityWorkTakesItAndNeitherSideNamesTheOther() {
        onePool();
        onPoolOne("team-a", "sleeper", 0, Instant.now().minusSeconds(60));
        await("team-a", "sleeper", WorkloadState.Parked);
        onPoolOne("team-b", "worker", 500, Instant.now());
        await("team-b", "worker", WorkloadState.Running);
        AIWorkload idle = await("team-a", "sleeper", WorkloadState.Idle);
        for (Event e : events("team-b")) assertFalse(e.getMessage().contains("team-a") || e.getMessage().contains("sleeper"), e.getMessage());
        for (Event e : events("team-a")) assertFalse(e.getMessage().contains("team-b") || e.getMessage().contains("worker"), e.getMessage());
        assertFalse(idle.getStatus().getMessage().contains("worker"), idle.getStatus().getMessage());
        assertTrue(events("team-b").stream().anyMatch(e -> "MadeRoom".equals(e.getReason())
                && e.getMessage().contains("workloads in other namespaces")));
    }
}
