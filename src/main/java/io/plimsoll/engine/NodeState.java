package io.plimsoll.engine;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Capacity and use of one node: CPU, memory, and per device the thousandths in use (1000 = whole device).
 * Use comes from every pod on the node, Plimsoll's and others'.
 */
public final class NodeState {
    private final String name;
    private final String pool;
    private final boolean schedulable;
    private final long cpuMilliCapacity;
    private final long memoryBytesCapacity;
    private long cpuMilliUsed;
    private long memoryBytesUsed;
    private final int[] deviceUsedMilli;
    /** MIG resource name to instances advertised (never changed, so copies share it) / in use (copied when changed). */
    private final Map<String, Integer> migCapacity;
    private Map<String, Integer> migUsed;
    private boolean migUsedShared;
    /** Pods the node admits (its allocatable {@code pods}); unlimited unless set. */
    private int podCapacity = Integer.MAX_VALUE;
    private int podsUsed;
    /** Labels and taints, matched against the pod's nodeSelector, affinity and tolerations. */
    private NodeTraits traits = NodeTraits.NONE;
    /** The node as the packing policies see it, made on first use and dropped on every change (never changed itself). */
    private volatile io.plimsoll.engine.packing.NodeState packing; // read by several threads' copies

    public NodeState(String name, String pool, boolean schedulable, long cpuMilliCapacity, long memoryBytesCapacity,
                     int devices, Map<String, Integer> migCapacity) {
        this.name = name;
        this.pool = pool;
        this.schedulable = schedulable;
        this.cpuMilliCapacity = cpuMilliCapacity;
        this.memoryBytesCapacity = memoryBytesCapacity;
        this.deviceUsedMilli = new int[Math.max(0, devices)];
        this.migCapacity = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(migCapacity == null ? Map.of() : migCapacity));
        this.migUsed = new LinkedHashMap<>();
    }

    private NodeState(NodeState o) {
        this.name = o.name;
        this.pool = o.pool;
        this.schedulable = o.schedulable;
        this.cpuMilliCapacity = o.cpuMilliCapacity;
        this.memoryBytesCapacity = o.memoryBytesCapacity;
        this.cpuMilliUsed = o.cpuMilliUsed;
        this.memoryBytesUsed = o.memoryBytesUsed;
        this.deviceUsedMilli = o.deviceUsedMilli.clone();
        // Copies are made for every what-if: share what they do not change (most nodes have no MIG at all).
        this.migCapacity = o.migCapacity;
        this.migUsed = o.migUsed;
        this.migUsedShared = true;
        o.migUsedShared = true;
        this.podCapacity = o.podCapacity;
        this.podsUsed = o.podsUsed;
        this.traits = o.traits;
        this.packing = o.packing; // the same node until one of them changes
    }

    public NodeState copy() {
        return new NodeState(this);
    }

    public String name() { return name; }
    public String pool() { return pool; }
    public boolean schedulable() { return schedulable; }
    public long cpuMilliCapacity() { return cpuMilliCapacity; }
    public long memoryBytesCapacity() { return memoryBytesCapacity; }
    public long cpuMilliFree() { return cpuMilliCapacity - cpuMilliUsed; }
    public long memoryBytesFree() { return memoryBytesCapacity - memoryBytesUsed; }
    /** Pods the node can still admit (its allocatable pods minus the pods bound to it). */
    public int podsFree() { return podCapacity == Integer.MAX_VALUE ? Integer.MAX_VALUE : Math.max(0, podCapacity - podsUsed); }
    public int podCapacity() { return podCapacity; }

    /** Limits the pods the node admits (the kubelet refuses more than its allocatable {@code pods}). */
    public NodeState limitPods(int capacity) {
        packing = null;
        this.podCapacity = Math.max(0, capacity);
        return this;
    }

    /** Sets the node's labels and taints (none unless set). */
    public NodeState withTraits(NodeTraits traits) {
        packing = null;
        this.traits = traits == null ? NodeTraits.NONE : traits;
        return this;
    }

    public NodeTraits traits() { return traits; }

    /** Counts one more pod bound to the node. */
    public void usePod() {
        packing = null;
        podsUsed++;
    }
    public int deviceCount() { return deviceUsedMilli.length; }
    public int deviceUsedMilli(int device) { return deviceUsedMilli[device]; }
    public int deviceFreeMilli(int device) { return 1000 - deviceUsedMilli[device]; }
    public Map<String, Integer> migCapacity() { return Map.copyOf(migCapacity); }

    public int migFree(String resource) {
        return migCapacity.getOrDefault(resource, 0) - migUsed.getOrDefault(resource, 0);
    }

    public int migUsed(String resource) {
        return migUsed.getOrDefault(resource, 0);
    }

    public int wholeDevicesFree() {
        int n = 0;
        for (int u : deviceUsedMilli) if (u == 0) n++;
        return n;
    }

    public int deviceMilliUsedTotal() {
        int n = 0;
        for (int u : deviceUsedMilli) n += u;
        return n;
    }

    /** Records CPU and memory used by a pod (Plimsoll's or not). */
    public void useResources(long cpuMilli, long memoryBytes) {
        packing = null;
        // Saturating: requests are bounded when read, but a sum of many must not wrap round to free capacity.
        cpuMilliUsed = saturatingAdd(cpuMilliUsed, cpuMilli);
        memoryBytesUsed = saturatingAdd(memoryBytesUsed, memoryBytes);
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + Math.max(0, b);
        return r < a ? Long.MAX_VALUE : r;
    }

    /**
     * Records device use. Devices outside the node's range are ignored, and a device never goes above a whole
     * one, so a stale or foreign annotation cannot corrupt the count.
     */
    public void useDevice(int device, int milli) {
        packing = null;
        if (device < 0 || device >= deviceUsedMilli.length) return;
        deviceUsedMilli[device] = Math.min(1000, deviceUsedMilli[device] + milli);
    }

    /** What-if: the device as if nothing held it (its holders are about to go). */
    public void freeDevice(int device) {
        packing = null;
        if (device >= 0 && device < deviceUsedMilli.length) deviceUsedMilli[device] = 0;
    }

    /** Marks {@code n} whole devices used, lowest free first, for pods whose devices are not known (not placed by Plimsoll). */
    public void useAnyWholeDevices(int n) {
        packing = null;
        for (int i = 0; i < deviceUsedMilli.length && n > 0; i++) {
            if (deviceUsedMilli[i] == 0) {
                deviceUsedMilli[i] = 1000;
                n--;
            }
        }
    }

    public void useMig(String resource, int n) {
        packing = null;
        if (migUsedShared) {
            migUsed = new LinkedHashMap<>(migUsed);
            migUsedShared = false;
        }
        migUsed.merge(resource, n, Integer::sum);
    }

    /** Applies a slot chosen by the engine. */
    public void apply(ReplicaSlot slot) {
        packing = null;
        usePod();
        useResources(slot.cpuMilli(), slot.memoryBytes());
        if (slot.mig() != null) {
            useMig(slot.mig().resourceName(), 1);
        } else {
            int milli = slot.fractionMilli() > 0 ? slot.fractionMilli() : 1000;
            for (int d : slot.devices()) useDevice(d, milli);
        }
    }

    /**
     * Gives back what {@link #apply} took for a slot (what-if: its replica is about to go, e.g. preempted). Never goes
     * below nothing, so releasing a slot this node did not hold cannot make capacity appear.
     */
    public void release(ReplicaSlot slot) {
        packing = null;
        podsUsed = Math.max(0, podsUsed - 1);
        cpuMilliUsed = Math.max(0, cpuMilliUsed - Math.max(0, slot.cpuMilli()));
        memoryBytesUsed = Math.max(0, memoryBytesUsed - Math.max(0, slot.memoryBytes()));
        if (slot.mig() != null) {
            if (migUsedShared) {
                migUsed = new LinkedHashMap<>(migUsed);
                migUsedShared = false;
            }
            migUsed.computeIfPresent(slot.mig().resourceName(), (k, v) -> v <= 1 ? null : v - 1);
        } else {
            int milli = slot.fractionMilli() > 0 ? slot.fractionMilli() : 1000;
            for (int d : slot.devices()) {
                if (d >= 0 && d < deviceUsedMilli.length) deviceUsedMilli[d] = Math.max(0, deviceUsedMilli[d] - milli);
            }
        }
    }

    /**
     * This node as the packing engine (FGD, Plimsoll policies, fragmentation) sees it. Made once per state of the node
     * and shared: read it, or bind a {@code copy()} of it.
     */
    public io.plimsoll.engine.packing.NodeState forPacking(String model) {
        io.plimsoll.engine.packing.NodeState p = packing;
        if (p != null && p.model().equals(model == null ? "" : model)) return p;
        int[] free = new int[deviceUsedMilli.length];
        for (int d = 0; d < free.length; d++) free[d] = 1000 - deviceUsedMilli[d];
        p = io.plimsoll.engine.packing.NodeState.inUse(name, model, (int) Math.min(Integer.MAX_VALUE, cpuMilliCapacity),
                (int) Math.min(Integer.MAX_VALUE, cpuMilliFree()), memoryBytesCapacity / (1024L * 1024),
                memoryBytesFree() / (1024L * 1024), free);
        packing = p;
        return p;
    }

    /** Free device indexes, lowest first. */
    public List<Integer> freeDevices() {
        java.util.ArrayList<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; i < deviceUsedMilli.length; i++) if (deviceUsedMilli[i] == 0) out.add(i);
        return out;
    }

    /** The same node holding nothing (what-if). */
    public NodeState emptied() {
        NodeState n = new NodeState(name, pool, schedulable, cpuMilliCapacity, memoryBytesCapacity, deviceUsedMilli.length, migCapacity);
        n.podCapacity = podCapacity;
        n.traits = traits;
        return n;
    }

    @Override
    public String toString() {
        return name + "{pool=" + pool + ", pods=" + podsUsed + "/" + (podCapacity == Integer.MAX_VALUE ? "-" : podCapacity) + ", cpu=" + cpuMilliUsed + "/" + cpuMilliCapacity + ", devices="
                + Arrays.toString(deviceUsedMilli) + ", mig=" + migUsed + "/" + migCapacity + "}";
    }
}
