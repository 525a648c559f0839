package io.plimsoll.engine.idle;

/** What the operator should do with an idle replica of a workload. */
public enum Action {
    /** Leave the replica as it is (warm on its own GPU, or parked if it already is). */
    KEEP,
    /** Keep the replica warm but shrink it to a shared fraction of a GPU (weights stay in GPU memory). */
    PARK,
    /** Remove the replica; the next request pays a cold start. */
    SCALE_TO_ZERO,
    /** A workload at zero should start a replica now because a request is expected soon. */
    PREWARM
}
