package io.plimsoll.engine;

import java.util.ArrayList;
import java.util.List;

import io.plimsoll.engine.packing.FragmentationModel;
import io.plimsoll.engine.packing.TypicalDistribution;

/**
 * What a pool holds and uses right now, in the units an admin reads: devices, percent, dollars per hour.
 * For MIG pools "devices" are MIG instances; for CPU pools utilization is of CPU.
 */
public record PoolUsage(String pool, List<String> nodes, int devicesTotal, double devicesAllocated, int devicesFree,
                        double utilizationPercent, double costPerHour, double idleCostPerHour,
                        double fragmentationPercent) {

    /**
     * FGD's fragmentation of the pool's devices: the free GPU capacity that the typical workload (the shapes of the
     * accelerator work running now) could not use, given each node's free devices and CPU, in percent of the pool's
     * GPU capacity. Zero for CPU and MIG pools and when nothing runs yet.
     */
    static double fragmentation(PoolProfile pool, ClusterState state) {
        if (pool.type() == AcceleratorType.None || pool.sharing() == SharingMode.MIG) return 0;
        TypicalDistribution typical = state.typicalWorkload(null);
        if (typical == null) return 0;
        List<io.plimsoll.engine.packing.NodeState> view = new ArrayList<>();
        for (NodeState n : state.nodesOf(pool.name())) {
            view.add(n.forPacking(pool.model()));
        }
        return FragmentationModel.measure(view, typical).fragPctOfCapacity();
    }

    public static PoolUsage of(PoolProfile pool, ClusterState state) {
        List<String> names = new ArrayList<>();
        int total = 0, free = 0;
        long usedMilli = 0;
        long cpuCap = 0, cpuUsed = 0;
        for (NodeState n : state.nodesOf(pool.name())) {
            names.add(n.name());
            cpuCap += n.cpuMilliCapacity();
            cpuUsed += n.cpuMilliCapacity() - n.cpuMilliFree();
            if (pool.sharing() == SharingMode.MIG) {
                for (var e : n.migCapacity().entrySet()) {
                    total += e.getValue();
                    int used = n.migUsed(e.getKey());
                    usedMilli += 1000L * used;
                    free += e.getValue() - used;
                }
            } else {
                total += n.deviceCount();
                free += n.wholeDevicesFree();
                for (int d = 0; d < n.deviceCount(); d++) {
                    int u = n.deviceUsedMilli(d);
                    usedMilli += u;
                }
            }
        }
        double allocated = usedMilli / 1000.0;
        double util = pool.type() == AcceleratorType.None
                ? (cpuCap == 0 ? 0 : 100.0 * cpuUsed / cpuCap)
                : (total == 0 ? 0 : 100.0 * allocated / total);
        double cost = names.size() * pool.costPerNodeHour();
        double idle = cost * (1 - util / 100.0);
        double frag = fragmentation(pool, state);
        return new PoolUsage(pool.name(), names, total, Units.round(allocated, 3), free, Units.round(util, 1),
                Units.round(cost, 2), Units.round(idle, 2), Units.round(frag, 1));
    }
}
