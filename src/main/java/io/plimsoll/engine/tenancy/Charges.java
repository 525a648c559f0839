package io.plimsoll.engine.tenancy;

import io.plimsoll.engine.MigSlice;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.ReplicaSlot;

import java.util.Map;

/**
 * What a replica is charged to its tenant, in GPU-equivalents: the admin's worth of one device of the pool (H100 1.0,
 * A100 0.6, L4 0.25, T4 0.15, one TPU v5e chip 0.5; 1.0 when the admin set none) times what the replica holds of a
 * device: whole devices, its fraction, a MIG slice's compute fraction, or for a parked replica its parked share. So a
 * share on a cheap old GPU is not counted as a whole new one (Gavel's point: fair shares on mixed generations must be
 * normalised by what each device is worth). Replicas on CPU pools are charged CPU cores instead. Pure.
 */
public final class Charges {
    public static final double DEFAULT_WORTH = 1.0;

    private final Map<String, Double> worth;

    /** @param worthByPool pool name to what one of its devices is worth in GPU-equivalents (> 0) */
    public Charges(Map<String, Double> worthByPool) {
        for (var e : worthByPool.entrySet()) {
            if (e.getValue() == null || !(e.getValue() > 0) || e.getValue().isInfinite()) {
                throw new IllegalArgumentException("pool " + e.getKey() + ": gpuEquivalent " + e.getValue()
                        + " must be a number > 0 (H100 = 1.0)");
            }
        }
        this.worth = Map.copyOf(worthByPool);
    }

    /** What one device of the pool is worth (1.0 unless the admin set it). */
    public double worth(String pool) {
        return worth.getOrDefault(pool, DEFAULT_WORTH);
    }

    /** One replica's charge in GPU-equivalents from what it holds: whole devices, thousandths of one, or a MIG slice. */
    public double gpuEq(String pool, int wholeDevices, int fractionMilli, MigSlice mig) {
        double devices = mig != null ? mig.computeFraction() : fractionMilli > 0 ? fractionMilli / 1000.0 : wholeDevices;
        return worth(pool) * devices;
    }

    /** A placed replica's charge (its slot in the pool). */
    public double gpuEq(String pool, ReplicaSlot slot) {
        return gpuEq(pool, slot.devices().size(), slot.fractionMilli(), slot.mig());
    }

    /** A parked replica's charge: its parked share of one device. */
    public double parked(String pool, int parkedMilli) {
        return gpuEq(pool, 0, parkedMilli, null);
    }

    /** What a whole placement decision charges (every replica it places), 0 when it places nothing. */
    public double gpuEq(PlacementDecision d) {
        double sum = 0;
        for (ReplicaSlot s : d.slots()) sum += gpuEq(d.pool(), s);
        return sum;
    }

    /** What the need charges if placed in the pool (every replica), before the engine has chosen the slots. */
    public double gpuEq(String pool, Need need) {
        if (!need.wantsAccelerator()) return 0;
        return need.replicas() * gpuEq(pool, need.count(), need.fractionMilli(), null);
    }

    /** CPU cores a replica on a CPU pool is charged. */
    public static double cpuCores(long cpuMilli) {
        return cpuMilli / 1000.0;
    }
}
