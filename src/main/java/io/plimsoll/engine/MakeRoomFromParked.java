package io.plimsoll.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The rule for taking a whole device from parked replicas, so a waiting replica that needs one device (or a share)
 * can start: the operator ({@code AIWorkloadReconciler}) and {@code simulate serving} both call it.
 * <p>
 * A device may be taken only when everything that uses it is parked replicas of <em>other</em> workloads, none of
 * higher priority than the one waiting. Among those devices the one whose parked shares add up to the least goes
 * first (the least warm capacity lost), then the one whose oldest parked replica parked earliest (it has waited
 * longest for a request); the caller's order breaks remaining ties. A device is chosen only if the waiting replica
 * would then fit ({@code fits}), so nothing is scaled to zero in vain.
 */
public final class MakeRoomFromParked {
    private MakeRoomFromParked() {}

    /**
     * One replica on a device.
     *
     * @param replica     which replica it is (the pod's namespace/name in the operator)
     * @param workload    its workload (namespace/name in the operator)
     * @param parked      whether it is parked
     * @param priority    its workload's priority
     * @param milli       what it holds of the device, in thousandths
     * @param parkedSince when it parked (epoch ms; Long.MIN_VALUE when unknown, which counts as oldest)
     */
    public record Holder(String replica, String workload, boolean parked, int priority, int milli, long parkedSince) {}

    /**
     * A device and what holds it.
     *
     * @param usedMilli what the device has in use in all, in thousandths; more than the holders' sum means something
     *                  else (a foreign pod, a record not listed) holds part of it
     */
    public record Device(String node, int device, int usedMilli, List<Holder> holders) {}

    /** The device to take, with the parked replicas that go (scaled to zero) and their summed share. */
    public record Choice(String node, int device, List<Holder> victims, int parkedMilli) {}

    /**
     * @param devices     the candidate devices, in the caller's order
     * @param requester   the waiting workload (its own parked replicas are never taken for it)
     * @param priority    its priority
     * @param fits        whether the waiting replica would be placed with the chosen device free
     * @return the device to take, or empty when none may be taken or none would make it fit
     */
    public static Optional<Choice> choose(Iterable<Device> devices, String requester, int priority, Predicate<Choice> fits) {
        List<Ranked> takeable = new ArrayList<>();
        int order = 0;
        for (Device d : devices) {
            Ranked r = takeable(d, requester, priority, order++);
            if (r != null) takeable.add(r);
        }
        takeable.sort(Comparator.comparingInt((Ranked r) -> r.choice().parkedMilli()).thenComparingLong(Ranked::oldest)
                .thenComparingInt(Ranked::order));
        for (Ranked r : takeable) {
            if (fits.test(r.choice())) return Optional.of(r.choice());
        }
        return Optional.empty();
    }

    /**
     * Whether {@code need} (one replica) would be placed on {@code state} once the chosen device is free. The state is
     * not changed; CPU and memory of the parked pods are not counted back (conservative).
     */
    public static boolean fitsOnceFree(Choice c, PlacementEngine engine, Need need, ClusterState state, PhaseRules rules) {
        ClusterState whatIf = state.copy();
        NodeState n = whatIf.node(c.node());
        if (n == null) return false;
        n.freeDevice(c.device());
        return engine.place(need.withReplicas(1), whatIf, rules).placed();
    }

    private record Ranked(Choice choice, long oldest, int order) {}

    /** The device as a choice, or null when it may not be taken for the requester. */
    private static Ranked takeable(Device d, String requester, int priority, int order) {
        if (d.holders().isEmpty()) return null;
        int sum = 0;
        long oldest = Long.MAX_VALUE;
        for (Holder h : d.holders()) {
            if (!h.parked() || h.workload().equals(requester) || h.priority() > priority) return null;
            sum += h.milli();
            oldest = Math.min(oldest, h.parkedSince());
        }
        if (sum < d.usedMilli()) return null; // something that is not a parked replica holds part of it
        return new Ranked(new Choice(d.node(), d.device(), List.copyOf(d.holders()), sum), oldest, order);
    }
}
