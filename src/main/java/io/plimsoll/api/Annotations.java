package io.plimsoll.api;

/** Labels and annotations Plimsoll puts on the pods it creates; the snapshot reads them back after a restart. */
public final class Annotations {
    private Annotations() {}

    public static final String PREFIX = "plimsoll.io/";
    /** Label: name of the owning AIWorkload. */
    public static final String WORKLOAD = PREFIX + "workload";
    /** Label: replica index. */
    public static final String REPLICA = PREFIX + "replica";
    /** Label: workload phase. */
    public static final String PHASE = PREFIX + "phase";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGER = "plimsoll";
    /** Annotation: pool the pod was placed on. */
    public static final String POOL = PREFIX + "pool";
    /** Annotation: device indexes on the node, comma separated. */
    public static final String DEVICES = PREFIX + "devices";
    /** Annotation: thousandths of the device for a fractional replica. */
    public static final String GPU_MILLI = PREFIX + "gpu-milli";
    /** Annotation: MIG profile name. */
    public static final String MIG_PROFILE = PREFIX + "mig-profile";
    /** Annotation: dollars per hour of what this pod holds. */
    public static final String COST = PREFIX + "cost-per-hour";
    /** Annotation: when the replica was parked (RFC 3339); while set, {@link #GPU_MILLI} is its parked share. */
    public static final String PARKED = PREFIX + "parked-since";
    /** Annotation on a parked pod: its {@link #COST} before it was parked, restored when it resumes. */
    public static final String SERVING_COST = PREFIX + "serving-cost-per-hour";
    /** Scheduler name on Plimsoll's pods, so the default scheduler never races Plimsoll for them. */
    public static final String SCHEDULER_NAME = "plimsoll";
    /**
     * Finalizer that earlier builds added to every workload; workloads carry none now, and the operator removes this
     * one where it finds it ({@code WorkloadFinalizers}), so such a workload can still be deleted.
     */
    public static final String FINALIZER = PREFIX + "release-devices";
}
