package io.plimsoll.engine;

/** How the devices of a pool may be shared between workloads. */
public enum SharingMode {
    /** One workload per device. */
    Exclusive,
    /** Several workloads share one device, each pinned to it with a fraction of its memory and compute. */
    Fractional,
    /** Devices are partitioned into MIG instances; a workload gets the smallest profile that fits. */
    MIG
}
