package io.plimsoll.engine;

import java.util.List;

/**
 * Where one replica goes.
 *
 * @param devices       device indexes on the node (whole devices, or the one device a fraction is pinned to)
 * @param fractionMilli thousandths of the device for a fractional replica, else 0
 * @param mig           the MIG profile for a MIG pool, else null
 * @param costPerHour   dollars per hour of what the slot holds (the node's price times its largest share taken)
 */
public record ReplicaSlot(String node, List<Integer> devices, int fractionMilli, MigSlice mig, long cpuMilli,
                          long memoryBytes, double costPerHour) {
    public ReplicaSlot {
        devices = List.copyOf(devices);
    }

    public ReplicaSlot withCost(double dollarsPerHour) {
        return new ReplicaSlot(node, devices, fractionMilli, mig, cpuMilli, memoryBytes, dollarsPerHour);
    }
}
