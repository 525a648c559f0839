package io.plimsoll.engine;

/** The phase of the AI lifecycle a workload belongs to; it decides run-to-completion vs long-running. */
public enum WorkloadPhase {
    Training, Inference, Optimization, Workbench;

    /** Training and Optimization run to completion; Inference and Workbench are kept running. */
    public boolean runsToCompletion() {
        return this == Training || this == Optimization;
    }
}
