package io.plimsoll.engine;

import java.util.Set;

/**
 * What a workload needs, per replica, in engine units.
 *
 * @param replicas      replicas to place in this call
 * @param count         whole devices per replica (0 when fractional or CPU only)
 * @param fractionMilli thousandths of one device per replica (0 when whole devices or CPU only)
 * @param models        allowed accelerator models, upper-cased; empty means any
 * @param gang          all replicas or none
 * @param constraints   where the pod template lets the pods run (nodeSelector, required affinity, tolerations)
 */
public record Need(WorkloadPhase phase, int replicas, long cpuMilli, long memoryBytes, AcceleratorType type,
                   int count, int fractionMilli, double minMemoryGiB, Set<String> models, String topology,
                   boolean gang, PodConstraints constraints) {

    /** A need whose pods may run on any node of a pool. */
    public Need(WorkloadPhase phase, int replicas, long cpuMilli, long memoryBytes, AcceleratorType type,
                int count, int fractionMilli, double minMemoryGiB, Set<String> models, String topology, boolean gang) {
        this(phase, replicas, cpuMilli, memoryBytes, type, count, fractionMilli, minMemoryGiB, models, topology, gang,
                PodConstraints.NONE);
    }

    public Need {
        constraints = constraints == null ? PodConstraints.NONE : constraints;
        models = models == null ? Set.of() : models.stream().map(String::toUpperCase).collect(java.util.stream.Collectors.toUnmodifiableSet());
        if (replicas < 0 || cpuMilli < 0 || memoryBytes < 0 || count < 0 || fractionMilli < 0 || fractionMilli >= 1000) {
            throw new IllegalArgumentException("negative or out-of-range need: " + this);
        }
    }

    public boolean fractional() {
        return fractionMilli > 0;
    }

    public boolean wantsAccelerator() {
        return type != AcceleratorType.None;
    }

    public Need withReplicas(int n) {
        return new Need(phase, n, cpuMilli, memoryBytes, type, count, fractionMilli, minMemoryGiB, models, topology, gang, constraints);
    }

    /** The same need with the pod template's node constraints. */
    public Need withConstraints(PodConstraints c) {
        return new Need(phase, replicas, cpuMilli, memoryBytes, type, count, fractionMilli, minMemoryGiB, models, topology, gang, c);
    }

    /** The same need as a share of one device (a parked replica): {@code milli} thousandths, never a gang. */
    public Need asShare(int milli) {
        return new Need(phase, replicas, cpuMilli, memoryBytes, type, 0, milli, minMemoryGiB, models, topology, false, constraints);
    }

    /** "2x GPU", "0.25x GPU", "CPU only". */
    public String describe() {
        if (!wantsAccelerator()) return "CPU only";
        return (fractional() ? Units.fraction(fractionMilli) : String.valueOf(count)) + "x " + type;
    }
}
