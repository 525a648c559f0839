package io.plimsoll.api;

/** Where a workload is in its life, as shown in {@code kubectl get aiw}. */
public enum WorkloadState {
    Pending, Placed, Running, Parked, Idle, Succeeded, Failed
}
