package io.plimsoll.engine.packing;

import java.util.Arrays;

/**
 * Mutable, incrementally maintained state of one node: free CPU milli, free memory MiB and the free milli-GPU
 * of each device (index order matters for device assignment). Nothing leaves in the replay, but
 * {@link #release} exists for the operator.
 */
public final class NodeState {
    private final String name;
    private final String model;
    private final int cpuCapacity;
    private final long memCapacity;
    private final int[] free;
    private int cpuFree;
    private long memFree;
    private int freeGpuTotal;
    private int fullDevices;
    private long version;

    public NodeState(String name, int cpuMilli, long memMib, int gpuCount, String model) {
        if (cpuMilli < 0 || memMib < 0 || gpuCount < 0) {
            throw new IllegalArgumentException("negative capacity for node " + name);
        }
        this.name = name;
        this.model = model == null ? "" : model;
        this.cpuCapacity = cpuMilli;
        this.memCapacity = memMib;
        this.cpuFree = cpuMilli;
        this.memFree = memMib;
        this.free = new int[gpuCount];
        Arrays.fill(free, TaskShape.MILLI_PER_GPU);
        this.freeGpuTotal = gpuCount * TaskShape.MILLI_PER_GPU;
        this.fullDevices = gpuCount;
    }

    /**
     * A node already partly in use, as the operator sees it: capacities, what is free, and the free milli-GPU of
     * each device.
     */
    public static NodeState inUse(String name, String model, int cpuCapacity, int cpuFree, long memCapacity, long memFree,
                                  int[] freePerDevice) {
        NodeState s = new NodeState(name, cpuCapacity, memCapacity, freePerDevice.length, model);
        s.cpuFree = Math.max(0, Math.min(cpuCapacity, cpuFree));
        s.memFree = Math.max(0, Math.min(memCapacity, memFree));
        s.freeGpuTotal = 0;
        s.fullDevices = 0;
        for (int d = 0; d < freePerDevice.length; d++) {
            int f = Math.max(0, Math.min(TaskShape.MILLI_PER_GPU, freePerDevice[d]));
            s.free[d] = f;
            s.freeGpuTotal += f;
            if (f == TaskShape.MILLI_PER_GPU) s.fullDevices++;
        }
        return s;
    }

    /** A deep copy (for what-if evaluation). */
    public NodeState copy() {
        NodeState c = new NodeState(name, cpuCapacity, memCapacity, free.length, model);
        c.cpuFree = cpuFree;
        c.memFree = memFree;
        System.arraycopy(free, 0, c.free, 0, free.length);
        c.freeGpuTotal = freeGpuTotal;
        c.fullDevices = fullDevices;
        return c;
    }

    public String name() { return name; }
    public String model() { return model; }
    public int cpuCapacity() { return cpuCapacity; }
    public long memCapacity() { return memCapacity; }
    public int cpuFree() { return cpuFree; }
    public long memFree() { return memFree; }
    public int gpuCount() { return free.length; }
    public int freeOf(int device) { return free[device]; }
    /** Direct read access to the per-device free array; callers must not modify it. */
    int[] freeArray() { return free; }
    public int[] freeGpus() { return free.clone(); }
    /** Sum of free milli-GPU over all devices. */
    public int freeGpuTotal() { return freeGpuTotal; }
    /** Number of devices with all 1000 milli free. */
    public int fullDevices() { return fullDevices; }
    public int gpuCapacityMilli() { return free.length * TaskShape.MILLI_PER_GPU; }
    /** Increments on every change; used to invalidate caches. */
    public long version() { return version; }

    /** GPU part of feasibility (model, device shape), METHOD.md section 2 item 3. */
    public boolean gpuFits(TaskShape t) {
        if (t.isCpuOnly()) return true;
        if (!t.accessible(model)) return false;
        if (t.isFractional()) {
            int m = t.gpuMilli();
            for (int f : free) if (f >= m) return true;
            return false;
        }
        return fullDevices >= t.numGpu();
    }

    /** Full feasibility, METHOD.md section 2: CPU, memory, then model and devices. */
    public boolean fits(TaskShape t) {
        return t.cpuMilli() <= cpuFree && t.memMib() <= memFree && gpuFits(t);
    }

    /** The n lowest-index fully free devices (whole-GPU tasks), or null if there are fewer. */
    public int[] lowestFullDevices(int n) {
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i < free.length && k < n; i++) {
            if (free[i] == TaskShape.MILLI_PER_GPU) out[k++] = i;
        }
        return k == n ? out : null;
    }

    /** Copies {@code free} into {@code into} with the n lowest-index fully free devices taken (a whole-GPU task's effect). */
    static void takeFullDevices(int[] free, int[] into, int n) {
        System.arraycopy(free, 0, into, 0, free.length);
        for (int i = 0; i < into.length && n > 0; i++) {
            if (into[i] == TaskShape.MILLI_PER_GPU) {
                into[i] = 0;
                n--;
            }
        }
    }

    /**
     * The device whose use by a share of {@code milli} scores highest, the score computed on the free vector after
     * it; ties go to the lowest index. Devices with the same free amount give the same vector, so only the first is
     * scored. Writes the device into {@code deviceOut[0]} (-1 if none fits) and returns its score.
     */
    static long bestShare(int[] free, int[] scratch, int milli, java.util.function.ToLongFunction<int[]> scoreAfter,
                          int[] deviceOut) {
        long best = Long.MIN_VALUE;
        deviceOut[0] = -1;
        for (int i = 0; i < free.length; i++) {
            if (free[i] < milli) continue;
            boolean dup = false;
            for (int j = 0; j < i; j++) if (free[j] == free[i]) { dup = true; break; }
            if (dup) continue;
            System.arraycopy(free, 0, scratch, 0, free.length);
            scratch[i] -= milli;
            long s = scoreAfter.applyAsLong(scratch);
            if (deviceOut[0] < 0 || s > best) {
                best = s;
                deviceOut[0] = i;
            }
        }
        return best;
    }

    /** Tightest fit: smallest free >= m, ties to the lowest index; -1 if none. */
    public int tightestDevice(int m) {
        int best = -1;
        for (int i = 0; i < free.length; i++) {
            if (free[i] >= m && (best < 0 || free[i] < free[best])) best = i;
        }
        return best;
    }

    /** Devices a task would use under the default rule (whole: lowest full; fractional: tightest; CPU-only: none). */
    public int[] defaultDevices(TaskShape t) {
        if (t.isCpuOnly()) return new int[0];
        if (t.isFractional()) {
            int d = tightestDevice(t.gpuMilli());
            return d < 0 ? null : new int[] {d};
        }
        return lowestFullDevices(t.numGpu());
    }

    /** Bind a task: subtract CPU, memory and the given devices' share. Throws if it does not fit. */
    public void bind(TaskShape t, int[] devices) {
        if (!fits(t)) throw new IllegalStateException("task " + t + " does not fit node " + name);
        int need = t.isCpuOnly() ? 0 : t.numGpu();
        if (devices == null || devices.length != need) {
            throw new IllegalArgumentException("task " + t + " needs " + need + " devices, got "
                    + (devices == null ? "null" : devices.length));
        }
        for (int i = 0; i < devices.length; i++) {
            int d = devices[i];
            if (d < 0 || d >= free.length || free[d] < t.gpuMilli()) {
                throw new IllegalArgumentException("device " + d + " of node " + name + " cannot hold " + t);
            }
            for (int j = 0; j < i; j++) {
                if (devices[j] == d) throw new IllegalArgumentException("device " + d + " given twice");
            }
        }
        cpuFree -= t.cpuMilli();
        memFree -= t.memMib();
        for (int d : devices) {
            if (free[d] == TaskShape.MILLI_PER_GPU) fullDevices--;
            free[d] -= t.gpuMilli();
            freeGpuTotal -= t.gpuMilli();
            if (free[d] == TaskShape.MILLI_PER_GPU) fullDevices++;
        }
        version++;
    }

    /** Release a previously bound task (operator use; the replay never calls it). */
    public void release(TaskShape t, int[] devices) {
        cpuFree = Math.min(cpuCapacity, cpuFree + t.cpuMilli());
        memFree = Math.min(memCapacity, memFree + t.memMib());
        for (int d : devices) {
            if (free[d] == TaskShape.MILLI_PER_GPU) fullDevices--;
            int nf = Math.min(TaskShape.MILLI_PER_GPU, free[d] + t.gpuMilli());
            freeGpuTotal += nf - free[d];
            free[d] = nf;
            if (free[d] == TaskShape.MILLI_PER_GPU) fullDevices++;
        }
        version++;
    }

    @Override
    public String toString() {
        return name + "[" + model + " cpu=" + cpuFree + "/" + cpuCapacity + " mem=" + memFree + "/" + memCapacity
                + " gpu=" + Arrays.toString(free) + "]";
    }
}
