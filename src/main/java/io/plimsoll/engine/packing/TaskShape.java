package io.plimsoll.engine.packing;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The resource shape of one task (pod): CPU milli-cores, memory MiB, number of GPUs, milli-GPU per GPU
 * and the allowed GPU models. Normalised as in METHOD.md section 1: a CPU-only task ({@code numGpu == 0})
 * has {@code gpuMilli == 0} and no model constraint whatever the input said; for GPU tasks the per-GPU milli
 * is clamped to 0..1000 and the model list is normalised (empty entries dropped).
 */
public final class TaskShape {
    public static final int MILLI_PER_GPU = 1000;

    private final String name;
    private final int cpuMilli;
    private final long memMib;
    private final int numGpu;
    private final int gpuMilli;
    private final String gpuSpec;
    private final String[] allowedModels;

    public TaskShape(String name, int cpuMilli, long memMib, int numGpu, int gpuMilli, String gpuSpec) {
        if (cpuMilli < 0) throw new IllegalArgumentException("cpuMilli must be >= 0, got " + cpuMilli);
        if (memMib < 0) throw new IllegalArgumentException("memMib must be >= 0, got " + memMib);
        if (numGpu < 0) throw new IllegalArgumentException("numGpu must be >= 0, got " + numGpu);
        this.name = name == null ? "" : name;
        this.cpuMilli = cpuMilli;
        this.memMib = memMib;
        this.numGpu = numGpu;
        if (numGpu == 0) {
            this.gpuMilli = 0;
            this.gpuSpec = "";
            this.allowedModels = new String[0];
        } else {
            this.gpuMilli = Math.max(0, Math.min(MILLI_PER_GPU, gpuMilli));
            List<String> parts = new ArrayList<>();
            if (gpuSpec != null) {
                for (String p : gpuSpec.split("\\|", -1)) {
                    if (!p.isEmpty()) parts.add(p);
                }
            }
            this.gpuSpec = String.join("|", parts);
            this.allowedModels = parts.toArray(new String[0]);
        }
    }

    /** Convenience constructor for a task without a name. */
    public static TaskShape of(int cpuMilli, long memMib, int numGpu, int gpuMilli, String gpuSpec) {
        return new TaskShape("", cpuMilli, memMib, numGpu, gpuMilli, gpuSpec);
    }

    public String name() { return name; }
    public int cpuMilli() { return cpuMilli; }
    public long memMib() { return memMib; }
    public int numGpu() { return numGpu; }
    /** Milli-GPU per requested GPU (1000 = whole GPU). */
    public int gpuMilli() { return gpuMilli; }
    /** Normalised allowed models joined by '|', empty = any model. */
    public String gpuSpec() { return gpuSpec; }
    public List<String> allowedModels() { return List.of(allowedModels); }

    public boolean isCpuOnly() { return numGpu == 0; }
    /** One GPU shared with others (gpuMilli < 1000). */
    public boolean isFractional() { return numGpu == 1 && gpuMilli < MILLI_PER_GPU; }
    /** One or more whole GPUs. */
    public boolean isWholeGpu() { return numGpu >= 1 && gpuMilli == MILLI_PER_GPU; }
    /** GPU demand n*m in milli-GPU. */
    public long gpuDemand() { return (long) numGpu * gpuMilli; }

    /** METHOD.md section 1: empty spec = any model; otherwise exact, case-sensitive match of one entry. */
    public boolean accessible(String nodeModel) {
        if (allowedModels.length == 0) return true;
        for (String m : allowedModels) {
            if (m.equals(nodeModel)) return true;
        }
        return false;
    }

    /** The shape key used for the typical-task distribution: (cpu, gpuMilli, numGpu, spec); memory excluded. */
    public ShapeKey key() { return new ShapeKey(cpuMilli, gpuMilli, numGpu, gpuSpec); }

    /** Shape key (memory is not part of it). */
    public record ShapeKey(int cpuMilli, int gpuMilli, int numGpu, String gpuSpec) {
        public ShapeKey {
            Objects.requireNonNull(gpuSpec);
        }
    }

    /** A copy with another name (clones). */
    public TaskShape withName(String newName) {
        return new TaskShape(newName, cpuMilli, memMib, numGpu, gpuMilli, gpuSpec);
    }

    @Override
    public String toString() {
        return "Task[" + (name.isEmpty() ? "" : name + " ") + "cpu=" + cpuMilli + " mem=" + memMib + " gpu=" + numGpu
                + "x" + gpuMilli + (gpuSpec.isEmpty() ? "" : " spec=" + gpuSpec) + "]";
    }
}
