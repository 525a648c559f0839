package io.plimsoll.snapshot;

import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.AcceleratorPoolSpec;
import io.plimsoll.api.MigProfile;
import io.plimsoll.api.PoolAccelerator;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.MigSlice;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.SharingMode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Translates AcceleratorPool resources into the engine's pool profiles. */
public final class PoolProfiles {
    private PoolProfiles() {}

    public static PoolProfile of(AcceleratorPool pool) {
        AcceleratorPoolSpec spec = pool.getSpec();
        PoolAccelerator acc = spec.getAccelerator() == null ? new PoolAccelerator() : spec.getAccelerator();
        AcceleratorType type = acc.getType() == null ? AcceleratorType.None : acc.getType();
        int memory = acc.getMemoryGiB() == null ? 0 : Math.max(0, Math.min(65536, acc.getMemoryGiB()));
        List<MigSlice> slices = new ArrayList<>();
        if (acc.getMigProfiles() != null) {
            for (MigProfile p : acc.getMigProfiles()) {
                if (p.getName() == null || p.getMemoryGiB() == null) continue;
                double compute = p.getComputeFraction() != null ? p.getComputeFraction()
                        : memory > 0 ? Math.min(1.0, p.getMemoryGiB() / (double) memory) : 1.0;
                slices.add(new MigSlice(p.getName(), p.effectiveResourceName(), p.getMemoryGiB(), compute));
            }
        }
        return new PoolProfile(pool.getMetadata().getName(), type, acc.getModel(), memory,
                acc.getDevicesPerNode() == null ? 0 : Math.max(0, Math.min(256, acc.getDevicesPerNode())), acc.getResourceName(),
                acc.getSharing() == null ? SharingMode.Exclusive : acc.getSharing(), slices, acc.getTopology(),
                bounded(spec.getCostPerNodeHour(), MAX_COST_PER_NODE_HOUR),
                spec.getPhases() == null ? null : java.util.Set.copyOf(spec.getPhases()));
    }

    /** The CRD's bound on spec.costPerNodeHour (dollars); an older object past it is read at the bound. */
    public static final double MAX_COST_PER_NODE_HOUR = 100_000;

    private static double bounded(Double v, double max) {
        if (v == null || !(v > 0)) return 0;
        return Math.min(v, max);
    }

    public static boolean selects(AcceleratorPool pool, Map<String, String> nodeLabels) {
        Map<String, String> sel = pool.getSpec() == null ? null : pool.getSpec().getNodeSelector();
        if (sel == null || sel.isEmpty()) return false;
        Map<String, String> labels = nodeLabels == null ? Map.of() : nodeLabels;
        for (var e : sel.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) return false;
        }
        return true;
    }
}
