package io.plimsoll.snapshot;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.ReplicaSlot;
import io.plimsoll.reconciler.Fixtures;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A parked replica goes back to its whole device only if nothing else took a share of that device since its reconciler
 * looked: the placement loop may have reserved one there a moment before (its pod not created yet). Resuming anyway
 * would hand the device out twice.
 */
class ResumeUnderPlacementLockTest {
    @AutoClose
    private final OneT4Node cluster = new OneT4Node(); // one per test: JUnit makes an instance per test method
    private final ClusterSnapshot snapshot = cluster.snapshot;

    /** Reserves a quarter of device 0 of t4-0 for the pod {@code ns/name}. */
    private void reserveQuarter(String name, String workload) {
        ReplicaSlot slot = new ReplicaSlot("t4-0", List.of(0), 250, null, 100, 1L << 30, 0.5);
        PlacementDecision d = snapshot.placeAndReserve(state -> new PlacementDecision("t4", "T4", List.of(slot), 0.5, List.of()),
                List.of(new ClusterSnapshot.PodClaim(Fixtures.NS + "/" + name, Fixtures.NS + "/" + workload, 0)));
        assertTrue(d.placed());
    }

    private static Pod pod(String name) {
        return new PodBuilder().withNewMetadata().withNamespace(Fixtures.NS).withName(name).endMetadata()
                .withNewSpec().withNodeName("t4-0").endSpec().build();
    }

    private int usedMilliOfDevice0() {
        return cluster.usedMilliOfDevice0();
    }

    @Test
    void aShareReservedAfterThePlanLookedKeepsTheReplicaParked() {
        reserveQuarter("parked-0", "parked");
        reserveQuarter("newcomer-0", "newcomer"); // the placement loop, between the plan's look and the resume
        assertEquals(500, usedMilliOfDevice0());

        assertFalse(snapshot.unpark(pod("parked-0"), 0.5, Set.of()), "the newcomer's share would be handed out twice");
        assertEquals(500, usedMilliOfDevice0(), "nothing changed");

        // The plan, made again, moves the newcomer off (it is parked too): now the device is the replica's.
        assertTrue(snapshot.unpark(pod("parked-0"), 0.5, Set.of(Fixtures.NS + "/newcomer-0")));
        assertEquals(1000, usedMilliOfDevice0(), "the device is full: whole for the resumed replica");
    }
}
