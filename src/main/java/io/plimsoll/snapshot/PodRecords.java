package io.plimsoll.snapshot;

import io.plimsoll.api.ReplicaPlacement;
import io.plimsoll.engine.MigSlice;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.ReplicaSlot;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The one codec of Plimsoll's pod records: to the workload's {@code status.placement.replicas[]} (written by the
 * reconciler) and back (read by the snapshot after a restart). Every number read back is bounded.
 */
public final class PodRecords {
    private PodRecords() {}

    /** The status entry for a record. */
    public static ReplicaPlacement toStatus(PodRecord r, String podName) {
        ReplicaPlacement rp = new ReplicaPlacement();
        rp.setIndex(r.replica());
        rp.setPod(podName);
        rp.setPodUid(r.podUid());
        rp.setPool(r.pool());
        rp.setNode(r.node());
        if (r.slot().mig() == null && !r.slot().devices().isEmpty()) rp.setDevices(new ArrayList<>(r.slot().devices()));
        if (r.milliPerDevice() < 1000 && r.slot().mig() == null && !r.slot().devices().isEmpty()) {
            rp.setFraction(r.milliPerDevice() / 1000.0);
        }
        if (r.slot().mig() != null) rp.setMigProfile(r.slot().mig().name());
        if (r.parked()) rp.setParked(true);
        rp.setCostPerHour(io.plimsoll.engine.Units.round(r.costPerHour(), 4));
        return rp;
    }

    /** The record a status entry stands for, or null when it does not read (a MIG profile the pool lacks, ...). */
    static PodRecord fromStatus(ReplicaPlacement rp, String podKey, String podUid, String workloadKey,
                                Function<String, Optional<PoolProfile>> pools, Instant now) {
        if (rp.getPool() == null || rp.getNode() == null || rp.getIndex() == null) return null;
        PoolProfile pool = pools.apply(rp.getPool()).orElse(null);
        if (pool == null) return null;
        MigSlice mig = null;
        if (rp.getMigProfile() != null) {
            mig = pool.migSlices().stream().filter(s -> s.name().equals(rp.getMigProfile())).findFirst().orElse(null);
            if (mig == null) return null;
        }
        List<Integer> devices = new ArrayList<>();
        if (mig == null && rp.getDevices() != null) {
            for (Integer d : rp.getDevices()) if (d != null && d >= 0 && d < 4096 && !devices.contains(d)) devices.add(d);
        }
        int milli = rp.getFraction() == null || !(rp.getFraction() > 0) ? 1000
                : (int) Math.max(1, Math.min(1000, Math.round(rp.getFraction() * 1000)));
        boolean parked = Boolean.TRUE.equals(rp.getParked()) && milli < 1000;
        double cost = rp.getCostPerHour() == null || !(rp.getCostPerHour() > 0) ? 0
                : Math.min(rp.getCostPerHour(), PoolProfiles.MAX_COST_PER_NODE_HOUR);
        if (parked) cost = pool.devicesPerNode() == 0 ? 0 : pool.costPerNodeHour() / pool.devicesPerNode();
        ReplicaSlot slot = new ReplicaSlot(rp.getNode(), devices, parked || milli >= 1000 ? 0 : milli, mig, 0, 0, cost);
        return new PodRecord(podKey, podUid, workloadKey, rp.getIndex(), rp.getPool(), slot, parked ? milli : 0,
                null, now);
    }
}
