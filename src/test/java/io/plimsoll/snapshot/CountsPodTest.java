package io.plimsoll.snapshot;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.ReplicaSlot;
import io.plimsoll.reconciler.Fixtures;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ClusterSnapshot#countsPod} says what the state counts, not what the records hold: a preemption plan gives a
 * stopping victim's slot back on the state only where the state still counts it. A victim that finished keeps its record
 * until its pod is deleted; giving its slot back then would free its room twice.
 */
class CountsPodTest {
    private static final String POD = Fixtures.NS + "/victim-0";
    @AutoClose
    private final OneT4Node cluster = new OneT4Node(); // one per test: JUnit makes an instance per test method
    private final ClusterSnapshot snapshot = cluster.snapshot;

    private int usedMilliOfDevice0() {
        return cluster.usedMilliOfDevice0();
    }

    private boolean recorded() {
        return snapshot.records().stream().anyMatch(r -> r.podKey().equals(POD));
    }

    @Test
    void aFinishedVictimWithARecordLeftIsNotCounted() {
        ReplicaSlot slot = new ReplicaSlot("t4-0", List.of(0), 250, null, 100, 1L << 30, 0.5);
        PlacementDecision d = snapshot.placeAndReserve(state -> new PlacementDecision("t4", "T4", List.of(slot), 0.5, List.of()),
                List.of(new ClusterSnapshot.PodClaim(POD, Fixtures.NS + "/victim", 0)));
        assertTrue(d.placed());
        assertEquals(250, usedMilliOfDevice0());
        assertTrue(snapshot.countsPod(POD), "a placement whose pod is being created counts");

        Pod pod = cluster.k8s.client().pods().inNamespace(Fixtures.NS).resource(new PodBuilder()
                .withNewMetadata().withNamespace(Fixtures.NS).withName("victim-0").endMetadata()
                .withNewSpec().withNodeName("t4-0").endSpec().withNewStatus().withPhase("Running").endStatus().build()).create();
        await().atMost(Duration.ofSeconds(20)).until(() -> snapshot.podsOn("t4-0").size() == 1);
        assertTrue(snapshot.countsPod(POD));
        assertEquals(250, usedMilliOfDevice0(), "counted once, by its record");

        pod.getStatus().setPhase("Failed");
        cluster.k8s.client().pods().inNamespace(Fixtures.NS).resource(pod).updateStatus();
        await().atMost(Duration.ofSeconds(20)).until(() -> usedMilliOfDevice0() == 0);
        assertTrue(recorded(), "the record stays until the pod is deleted");
        assertFalse(snapshot.countsPod(POD), "the state no longer counts it: its slot must not be given back again");

        cluster.k8s.client().pods().inNamespace(Fixtures.NS).withName("victim-0").delete();
        await().atMost(Duration.ofSeconds(20)).until(() -> !recorded());
        assertFalse(snapshot.countsPod(POD));
    }
}
