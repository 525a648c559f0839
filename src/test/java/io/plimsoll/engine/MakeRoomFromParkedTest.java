package io.plimsoll.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plimsoll.engine.MakeRoomFromParked.Device;
import io.plimsoll.engine.MakeRoomFromParked.Holder;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shared rule that the operator and {@code simulate serving} use to take a device from parked replicas. */
class MakeRoomFromParkedTest {
    static Holder parked(String id, String workload, int priority, int milli, long since) {
        return new Holder(id, workload, true, priority, milli, since);
    }

    static Device device(String node, int d, Holder... holders) {
        int used = 0;
        for (Holder h : holders) used += h.milli();
        return new Device(node, d, used, List.of(holders));
    }

    @Test
    void takesTheDeviceWithTheLeastParkedShareThenTheOldestParking() {
        var choice = MakeRoomFromParked.choose(List.of(
                device("a", 0, parked("p1", "ns/x", 0, 250, 100), parked("p2", "ns/y", 0, 250, 100)),
                device("a", 1, parked("p3", "ns/z", 0, 250, 500)),
                device("b", 0, parked("p4", "ns/w", 0, 250, 200))), "ns/me", 0, c -> true);
        assertEquals("b", choice.orElseThrow().node(), "250 parked on both a/1 and b/0; b/0 parked earlier");
        assertEquals(List.of("p4"), choice.get().victims().stream().map(Holder::replica).toList());
        assertEquals(250, choice.get().parkedMilli());
    }

    @Test
    void neverTakesFromActiveWorkHigherPriorityItselfOrADevicePartlyHeldByAnythingElse() {
        var active = device("a", 0, parked("p1", "ns/x", 0, 250, 0), new Holder("p2", "ns/y", false, 0, 500, Long.MIN_VALUE));
        var higher = device("a", 1, parked("p3", "ns/vip", 10, 250, 0));
        var mine = device("a", 2, parked("p4", "ns/me", 0, 250, 0));
        var foreign = new Device("a", 3, 1000, List.of(parked("p5", "ns/x", 0, 250, 0))); // a foreign pod holds the rest
        assertTrue(MakeRoomFromParked.choose(List.of(active, higher, mine, foreign), "ns/me", 5, c -> true).isEmpty());
        // At priority 10 the VIP's parked replica may go.
        assertEquals(1, MakeRoomFromParked.choose(List.of(active, higher, mine, foreign), "ns/me", 10, c -> true)
                .orElseThrow().device());
    }

    @Test
    void skipsADeviceWhoseFreeingWouldNotLetTheReplicaFit() {
        var cheap = device("small", 0, parked("p1", "ns/x", 0, 250, 0));
        var dearer = device("big", 0, parked("p2", "ns/y", 0, 500, 0));
        var choice = MakeRoomFromParked.choose(List.of(cheap, dearer), "ns/me", 0, c -> c.node().equals("big"));
        assertEquals("big", choice.orElseThrow().node());
    }

    @Test
    void theFitCheckAsksTheEngineWithTheDeviceFreedAndLeavesTheStateAlone() {
        PoolProfile pool = new PoolProfile("t4", AcceleratorType.GPU, "T4", 16, 1, "nvidia.com/gpu", SharingMode.Fractional,
                List.of(), null, 1.0, Set.of(WorkloadPhase.Inference));
        NodeState node = new NodeState("n0", "t4", true, 8_000, 32L << 30, 1, Map.of());
        node.useDevice(0, 250);
        ClusterState state = new ClusterState().addPool(pool).addNode(node);
        PhaseRules rules = new PhaseRules(List.of("t4"), PoolOrder.Cheapest, true, PackingStrategy.BestFit);
        Need whole = new Need(WorkloadPhase.Inference, 1, 0, 0, AcceleratorType.GPU, 1, 0, 0, Set.of(), null, false);
        var choice = new MakeRoomFromParked.Choice("n0", 0, List.of(parked("p", "ns/x", 0, 250, 0)), 250);
        assertTrue(MakeRoomFromParked.fitsOnceFree(choice, new PlacementEngine(), whole, state, rules));
        assertEquals(250, state.node("n0").deviceUsedMilli(0), "the caller's state is not changed");
    }
}
