package io.plimsoll.engine;

import java.util.List;
import java.util.Set;

/**
 * What the nodes of one pool carry and cost, as the engine sees it.
 *
 * @param phases accepted phases; empty means all
 * @param migSlices for MIG pools, ordered by memory ascending
 */
public record PoolProfile(String name, AcceleratorType type, String model, int deviceMemoryGiB, int devicesPerNode,
                          String resourceName, SharingMode sharing, List<MigSlice> migSlices, String topology,
                          double costPerNodeHour, Set<WorkloadPhase> phases) {

    public PoolProfile {
        migSlices = migSlices == null ? List.of()
                : migSlices.stream().sorted(java.util.Comparator.comparingInt(MigSlice::memoryGiB)).toList();
        phases = phases == null ? Set.of() : Set.copyOf(phases);
    }

    /** A CPU-only pool. */
    public static PoolProfile cpu(String name, double costPerNodeHour) {
        return new PoolProfile(name, AcceleratorType.None, null, 0, 0, null, SharingMode.Exclusive, List.of(), null,
                costPerNodeHour, Set.of());
    }

    public boolean accepts(WorkloadPhase phase) {
        return phases.isEmpty() || phases.contains(phase);
    }

    /** Human label of one device, e.g. "T4" or "TPU v5e". */
    public String deviceLabel() {
        if (type == AcceleratorType.None) return "CPU";
        return model == null ? type.name() : model;
    }
}
