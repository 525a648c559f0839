package io.plimsoll.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import io.plimsoll.engine.packing.Cluster;
import io.plimsoll.engine.packing.PackingPolicy;
import io.plimsoll.engine.packing.Policies;
import io.plimsoll.engine.packing.TaskShape;

/**
 * Decides where a workload's replicas go. Pure: reads a {@link ClusterState}, never changes it.
 * <p>
 * Among the eligible pools where the need fits (accelerator kind, model, device memory, free devices or a free
 * share of one device, CPU and memory) it picks the cheapest per hour by default; inside a pool it packs (best
 * fit) so that whole devices and whole nodes stay free. Replicas asked for in one call are placed all or nothing
 * in one pool, which is what gang placement of multi-worker training needs.
 */
public final class PlacementEngine {

    /** How one replica uses a pool's devices, once the pool has been matched to the need. */
    private sealed interface DeviceUse permits CpuOnly, Whole, Share, Mig {}
    private record CpuOnly() implements DeviceUse {}
    private record Whole(int count) implements DeviceUse {}
    private record Share(int milli) implements DeviceUse {}
    private record Mig(MigSlice slice) implements DeviceUse {}

    private record Candidate(ReplicaSlot slot, long[] key) {}

    private record PoolFit(PoolProfile pool, List<ReplicaSlot> slots, double costPerHour, int order) {}

    public PlacementDecision place(Need need, ClusterState state, PhaseRules rules) {
        List<Rejection> rejections = new ArrayList<>();
        List<PoolProfile> eligible = eligiblePools(need, state, rules, rejections);
        List<PoolFit> fits = new ArrayList<>();
        for (int i = 0; i < eligible.size(); i++) {
            PoolProfile pool = eligible.get(i);
            Object use = deviceUse(need, pool, rules);
            if (use instanceof String reason) {
                rejections.add(new Rejection(pool.name(), reason));
                continue;
            }
            Object result = placeInPool(need, pool, (DeviceUse) use, state, rules.strategy());
            if (result instanceof String reason) {
                rejections.add(new Rejection(pool.name(), reason));
            } else {
                @SuppressWarnings("unchecked") List<ReplicaSlot> slots = (List<ReplicaSlot>) result;
                fits.add(new PoolFit(pool, slots, Units.round(slots.stream().mapToDouble(ReplicaSlot::costPerHour).sum(), 4), i));
            }
        }
        if (fits.isEmpty()) return PlacementDecision.unplaceable(rejections);
        Comparator<PoolFit> order = rules.poolOrder() == PoolOrder.Preference
                ? Comparator.comparingInt(PoolFit::order)
                : Comparator.comparingDouble(PoolFit::costPerHour).thenComparingInt(PoolFit::order);
        PoolFit best = fits.stream().min(order).orElseThrow();
        return new PlacementDecision(best.pool().name(), best.pool().model(), best.slots(), best.costPerHour(),
                List.copyOf(rejections));
    }

    private static List<PoolProfile> eligiblePools(Need need, ClusterState state, PhaseRules rules,
                                                   List<Rejection> rejections) {
        List<PoolProfile> out = new ArrayList<>();
        if (!rules.pools().isEmpty()) {
            for (String name : rules.pools()) {
                PoolProfile p = state.pool(name);
                if (p == null) {
                    rejections.add(new Rejection(name, "no AcceleratorPool of that name: fix the pools list of the PlacementPolicy or create the pool"));
                } else if (!p.accepts(need.phase())) {
                    rejections.add(new Rejection(name, "does not accept " + need.phase() + " workloads (spec.phases of the pool)"));
                } else {
                    out.add(p);
                }
            }
            return out;
        }
        state.pools().stream().sorted(Comparator.comparing(PoolProfile::name)).forEach(p -> {
            if (p.accepts(need.phase())) out.add(p);
            else rejections.add(new Rejection(p.name(), "does not accept " + need.phase() + " workloads (spec.phases of the pool)"));
        });
        return out;
    }

    /** How the need would use this pool's devices, or a String saying why the pool can never serve it. */
    private static Object deviceUse(Need need, PoolProfile pool, PhaseRules rules) {
        if (!need.wantsAccelerator()) {
            if (pool.type() != AcceleratorType.None) {
                return "carries " + pool.deviceLabel() + " " + pool.type() + "s; CPU-only work goes to CPU pools so accelerators stay free";
            }
            return new CpuOnly();
        }
        if (pool.type() != need.type()) {
            return pool.type() == AcceleratorType.None ? "carries no " + need.type() + "s"
                    : "carries " + pool.type() + "s, the workload asks for a " + need.type();
        }
        if (!need.models().isEmpty() && (pool.model() == null || !need.models().contains(pool.model().toUpperCase(Locale.ROOT)))) {
            return "model " + pool.model() + " is not in the allowed models " + new java.util.TreeSet<>(need.models());
        }
        if (need.topology() != null && !need.topology().equals(pool.topology())) {
            return "slice topology " + (pool.topology() == null ? "unset" : pool.topology()) + ", the workload needs " + need.topology();
        }
        if (!need.fractional()) {
            if (pool.sharing() == SharingMode.MIG) {
                return "MIG pool hands out MIG instances, not whole devices: ask for a fraction";
            }
            if (pool.deviceMemoryGiB() < need.minMemoryGiB()) {
                return "device memory " + Units.gib(pool.deviceMemoryGiB()) + " < " + Units.gib(need.minMemoryGiB()) + " needed";
            }
            if (need.count() > pool.devicesPerNode()) {
                return "needs " + need.count() + " devices per replica, nodes have " + pool.devicesPerNode();
            }
            return new Whole(need.count());
        }
        double shareGiB = need.fractionMilli() / 1000.0 * pool.deviceMemoryGiB();
        if (pool.sharing() == SharingMode.MIG) {
            if (!rules.allowSharing()) {
                return "device sharing is off for " + need.phase() + " in the PlacementPolicy, and this MIG pool only hands out shares";
            }
            double needGiB = Math.max(need.minMemoryGiB(), shareGiB);
            for (MigSlice s : pool.migSlices()) {
                if (s.memoryGiB() >= needGiB) return new Mig(s);
            }
            MigSlice largest = pool.migSlices().isEmpty() ? null : pool.migSlices().get(pool.migSlices().size() - 1);
            return "no MIG profile with " + Units.gib(needGiB) + " or more"
                    + (largest == null ? "" : " (largest: " + largest.name() + ", " + Units.gib(largest.memoryGiB()) + ")");
        }
        if (pool.sharing() == SharingMode.Fractional && rules.allowSharing()) {
            if (shareGiB < need.minMemoryGiB()) {
                return Units.fraction(need.fractionMilli()) + " of a " + Units.gib(pool.deviceMemoryGiB()) + " " + pool.model()
                        + " is " + Units.gib(shareGiB) + " < " + Units.gib(need.minMemoryGiB()) + " needed";
            }
            return new Share(need.fractionMilli());
        }
        // Exclusive pool, or sharing disabled by policy: the fraction takes a whole device.
        if (pool.deviceMemoryGiB() < need.minMemoryGiB()) {
            return "device memory " + Units.gib(pool.deviceMemoryGiB()) + " < " + Units.gib(need.minMemoryGiB()) + " needed";
        }
        return new Whole(1);
    }

    /**
     * Places every replica in this pool on a working copy, or returns why it cannot. Only the nodes that pass
     * {@link NodeConstraints} (schedulable, the pod's nodeSelector, required affinity and tolerations, pod capacity)
     * are considered; the others are counted by reason in the message.
     */
    private static Object placeInPool(Need need, PoolProfile pool, DeviceUse use, ClusterState state,
                                      PackingStrategy strategy) {
        List<NodeState> all = state.nodesOf(pool.name());
        if (all.isEmpty()) return "no nodes match the pool's nodeSelector";
        List<NodeState> eligible = new ArrayList<>();
        var excluded = NodeConstraints.sort(need.constraints(), all, eligible);
        if (eligible.isEmpty()) return NodeConstraints.summary(excluded);
        String alsoExcluded = excluded.isEmpty() ? "" : "; " + NodeConstraints.summary(excluded);
        // The caller's nodes, copied only when a replica is applied to one (a decision touches few of many nodes).
        List<NodeState> ready = new ArrayList<>(eligible);
        java.util.Set<NodeState> copies = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<ReplicaSlot> slots = new ArrayList<>();
        TaskShape shape = packingShape(need, use, pool);
        PackingPolicy packer = shape == null || strategy.packingPolicy() == null ? null
                // Best fit scores nodes by what they have left; only FGD and Plimsoll weigh the typical workload.
                : Policies.create(strategy.packingPolicy(), strategy == PackingStrategy.BestFit ? null : state.typicalWorkload(shape));
        // The nodes the packing policy chooses from: a node leaves the view when a gang has filled its pod slots.
        List<NodeState> roomy = ready;
        for (int r = 0; r < need.replicas(); r++) {
            Candidate best = packer != null ? packed(packer, packingView(roomy, pool), shape, need, use, roomy) : null;
            if (packer == null) {
                for (NodeState n : ready) {
                    if (n.podsFree() <= 0) continue;
                    Candidate c = fit(need, use, n, strategy);
                    if (c != null && (best == null || Arrays.compare(c.key(), best.key()) < 0)) best = c;
                }
            }
            if (best == null) {
                if (r == 0) return shortage(need, use, ready) + alsoExcluded;
                return (need.gang() ? "gang of " : "") + need.replicas() + " replicas, only " + r + " fit at once ("
                        + capacity(use, eligible) + ")" + alsoExcluded;
            }
            int at = indexNamed(ready, best.slot().node());
            NodeState n = ready.get(at);
            if (!copies.contains(n)) {
                NodeState original = n, copy = n.copy();
                copies.add(copy);
                ready.set(at, copy);
                if (roomy != ready) roomy = roomy.stream().map(o -> o == original ? copy : o).toList();
                n = copy;
            }
            slots.add(best.slot().withCost(slotCost(pool, best.slot(), n)));
            n.apply(best.slot());
            if (packer != null && n.podsFree() <= 0 && r + 1 < need.replicas()) {
                NodeState full = n;
                roomy = roomy.stream().filter(o -> o != full).toList();
            }
        }
        return slots;
    }

    private static int indexNamed(List<NodeState> nodes, String name) {
        for (int i = 0; i < nodes.size(); i++) if (nodes.get(i).name().equals(name)) return i;
        throw new IllegalStateException("node " + name + " is not in the pool");
    }

    /** The need as a packing-engine task, for device uses the packing policies handle (whole devices and shares). */
    private static TaskShape packingShape(Need need, DeviceUse use, PoolProfile pool) {
        int cpu = (int) Math.min(Integer.MAX_VALUE, need.cpuMilli());
        long memMib = need.memoryBytes() / (1024L * 1024);
        if (use instanceof Whole w) return TaskShape.of(cpu, memMib, w.count(), TaskShape.MILLI_PER_GPU, "");
        if (use instanceof Share s) return TaskShape.of(cpu, memMib, 1, s.milli(), "");
        return null;
    }

    /** The pool's eligible nodes as the packing engine sees them (same order, so indexes match). */
    private static Cluster packingView(List<NodeState> ready, PoolProfile pool) {
        List<io.plimsoll.engine.packing.NodeState> view = new ArrayList<>();
        for (NodeState n : ready) {
            view.add(n.forPacking(pool.model()));
        }
        return new Cluster(view, null);
    }

    /**
     * Asks a packing policy (best fit, FGD, Plimsoll) for the node and devices of one replica. The view is not changed:
     * the caller applies the slot to its copy of the engine's node, whose packing view the next replica of a gang sees.
     */
    private static Candidate packed(PackingPolicy packer, Cluster view, TaskShape shape, Need need, DeviceUse use,
                                    List<NodeState> ready) {
        io.plimsoll.engine.packing.Placement p = packer.choose(view, shape);
        if (p == null) return null;
        List<Integer> devices = Arrays.stream(p.devices()).boxed().toList();
        int milli = use instanceof Share s ? s.milli() : 0;
        return new Candidate(new ReplicaSlot(ready.get(p.nodeIndex()).name(), devices, milli, null, need.cpuMilli(),
                need.memoryBytes(), 0), new long[0]);
    }

    private static Candidate fit(Need need, DeviceUse use, NodeState n, PackingStrategy strategy) {
        if (n.cpuMilliFree() < need.cpuMilli() || n.memoryBytesFree() < need.memoryBytes()) return null;
        long cpuAfter = n.cpuMilliFree() - need.cpuMilli();
        long memAfter = n.memoryBytesFree() - need.memoryBytes();
        int sign = strategy == PackingStrategy.Spread ? -1 : 1;
        ReplicaSlot slot;
        long[] key;
        if (use instanceof CpuOnly) {
            slot = new ReplicaSlot(n.name(), List.of(), 0, null, need.cpuMilli(), need.memoryBytes(), 0);
            key = new long[]{cpuAfter, memAfter};
        } else if (use instanceof Whole w) {
            List<Integer> free = n.freeDevices();
            if (free.size() < w.count()) return null;
            slot = new ReplicaSlot(n.name(), free.subList(0, w.count()), 0, null, need.cpuMilli(), need.memoryBytes(), 0);
            key = new long[]{free.size() - w.count(), cpuAfter, memAfter};
        } else if (use instanceof Share s) {
            int chosen = -1;
            for (int d = 0; d < n.deviceCount(); d++) {
                int free = n.deviceFreeMilli(d);
                if (free < s.milli()) continue;
                if (chosen < 0 || better(n, d, chosen, strategy)) chosen = d;
            }
            if (chosen < 0) return null;
            boolean fresh = n.deviceUsedMilli(chosen) == 0;
            int wholeAfter = n.wholeDevicesFree() - (fresh ? 1 : 0);
            slot = new ReplicaSlot(n.name(), List.of(chosen), s.milli(), null, need.cpuMilli(), need.memoryBytes(), 0);
            key = new long[]{fresh ? 1 : 0, n.deviceFreeMilli(chosen) - s.milli(), wholeAfter, cpuAfter};
        } else {
            MigSlice slice = ((Mig) use).slice();
            int free = n.migFree(slice.resourceName());
            if (free < 1) return null;
            slot = new ReplicaSlot(n.name(), List.of(), 0, slice, need.cpuMilli(), need.memoryBytes(), 0);
            key = new long[]{free - 1, cpuAfter, memAfter};
        }
        if (sign < 0) for (int i = 0; i < key.length; i++) key[i] = -key[i];
        return new Candidate(slot, key);
    }

    /** Best fit: fill the partly used device with the least room left; spread: the emptiest device. */
    private static boolean better(NodeState n, int d, int current, PackingStrategy strategy) {
        if (strategy == PackingStrategy.Spread) return n.deviceFreeMilli(d) > n.deviceFreeMilli(current);
        boolean dUsed = n.deviceUsedMilli(d) > 0, cUsed = n.deviceUsedMilli(current) > 0;
        if (dUsed != cUsed) return dUsed;
        return n.deviceFreeMilli(d) < n.deviceFreeMilli(current);
    }

    /** What the pool's eligible nodes have free, for messages about several replicas that do not fit together. */
    private static String capacity(DeviceUse use, List<NodeState> ready) {
        if (use instanceof Whole w) {
            int total = ready.stream().mapToInt(NodeState::deviceCount).sum();
            int free = ready.stream().mapToInt(NodeState::wholeDevicesFree).sum();
            long enough = ready.stream().filter(n -> n.wholeDevicesFree() >= w.count()).count();
            return free + " of " + total + " devices free; " + enough + " node(s) have the " + w.count() + " each replica needs";
        }
        if (use instanceof Share s) {
            long holes = 0;
            for (NodeState n : ready) for (int d = 0; d < n.deviceCount(); d++) holes += n.deviceFreeMilli(d) / s.milli();
            return "room for " + holes + " shares of " + Units.fraction(s.milli()) + " on free and partly used devices";
        }
        if (use instanceof Mig m) {
            int free = ready.stream().mapToInt(n -> n.migFree(m.slice().resourceName())).sum();
            return free + " MIG " + m.slice().name() + " instances free";
        }
        long cpu = ready.stream().mapToLong(NodeState::cpuMilliFree).max().orElse(0);
        return "at most " + Units.cores(cpu) + " cores free on a node";
    }

    /** Why no eligible node of the pool can take one more replica, naming the scarce resource. */
    private static String shortage(Need need, DeviceUse use, List<NodeState> ready) {
        List<NodeState> deviceFit = new ArrayList<>();
        if (use instanceof Whole w) {
            int total = 0, free = 0, most = 0;
            for (NodeState n : ready) {
                total += n.deviceCount();
                int f = n.wholeDevicesFree();
                free += f;
                most = Math.max(most, f);
                if (f >= w.count()) deviceFit.add(n);
            }
            if (deviceFit.isEmpty()) {
                return free + " of " + total + " devices free" + (w.count() > 1 || free > 0
                        ? " (needs " + w.count() + " on one node, at most " + most + " free on a node)" : "");
            }
        } else if (use instanceof Share s) {
            int most = 0, whole = 0;
            for (NodeState n : ready) {
                whole += n.wholeDevicesFree();
                for (int d = 0; d < n.deviceCount(); d++) most = Math.max(most, n.deviceFreeMilli(d));
                for (int d = 0; d < n.deviceCount(); d++) {
                    if (n.deviceFreeMilli(d) >= s.milli()) {
                        deviceFit.add(n);
                        break;
                    }
                }
            }
            if (deviceFit.isEmpty()) {
                return "no device has " + Units.fraction(s.milli()) + " free (largest free share " + Units.fraction(most)
                        + ", " + whole + " whole devices free)";
            }
        } else if (use instanceof Mig m) {
            int total = 0, free = 0;
            for (NodeState n : ready) {
                total += n.migFree(m.slice().resourceName()) + n.migUsed(m.slice().resourceName());
                int f = n.migFree(m.slice().resourceName());
                free += f;
                if (f > 0) deviceFit.add(n);
            }
            if (deviceFit.isEmpty()) {
                return free + " of " + total + " MIG " + m.slice().name() + " instances free";
            }
        } else {
            deviceFit.addAll(ready);
        }
        String where = use instanceof CpuOnly ? "a node" : "a node with free devices";
        long mostCpu = deviceFit.stream().mapToLong(NodeState::cpuMilliFree).max().orElse(0);
        if (mostCpu < need.cpuMilli()) {
            return "not enough CPU: needs " + Units.cores(need.cpuMilli()) + " cores, at most " + Units.cores(mostCpu)
                    + " free on " + where;
        }
        long mostMem = deviceFit.stream().filter(n -> n.cpuMilliFree() >= need.cpuMilli())
                .mapToLong(NodeState::memoryBytesFree).max().orElse(0);
        return "not enough memory: needs " + Units.gib(need.memoryBytes() / (double) Units.GIB) + ", at most "
                + Units.gib(mostMem / (double) Units.GIB) + " free on " + where + " with enough CPU";
    }

    /** Dollars per hour of what a slot holds: the node's price times the largest share taken of devices, CPU or memory. */
    public static double slotCost(PoolProfile pool, ReplicaSlot s, NodeState node) {
        double devShare = 0;
        if (pool.devicesPerNode() > 0) {
            double devices = s.mig() != null ? s.mig().computeFraction()
                    : s.fractionMilli() > 0 ? s.fractionMilli() / 1000.0 : s.devices().size();
            devShare = devices / pool.devicesPerNode();
        }
        double cpuShare = node == null || node.cpuMilliCapacity() == 0 ? 0 : (double) s.cpuMilli() / node.cpuMilliCapacity();
        double memShare = node == null || node.memoryBytesCapacity() == 0 ? 0 : (double) s.memoryBytes() / node.memoryBytesCapacity();
        return pool.costPerNodeHour() * Math.min(1.0, Math.max(devShare, Math.max(cpuShare, memShare)));
    }

    /** Summary used by status: "2x H100", "0.25x T4", "1x 1g.10gb", "CPU only". */
    public static String describeDevices(PlacementDecision d, PoolProfile pool) {
        if (d.slots().isEmpty()) return null;
        ReplicaSlot s = d.slots().get(0);
        String per;
        if (s.mig() != null) per = "1x " + pool.model() + " " + s.mig().name();
        else if (s.fractionMilli() > 0) per = Units.fraction(s.fractionMilli()) + "x " + pool.model();
        else if (!s.devices().isEmpty()) per = s.devices().size() + "x " + pool.model();
        else per = "CPU only";
        return d.slots().size() > 1 ? d.slots().size() + " replicas x " + per : per;
    }
}
