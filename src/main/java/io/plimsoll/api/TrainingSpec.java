package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What a Training workload declares about itself (spec.training). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TrainingSpec {

    @JsonPropertyDescription("Whether the job saves a checkpoint when its pods get SIGTERM and resumes from it when it starts again. A preempted job is always given its pods' terminationGracePeriodSeconds to stop (set it long enough to write the checkpoint); declaring this makes it a cheaper victim: among equally few victims of comparable size, checkpointing work is preempted before work that would lose its progress, and its preemption counts no lost GPU-hours. Default false.")
    private Boolean checkpointsOnTermination;

    public Boolean getCheckpointsOnTermination() { return checkpointsOnTermination; }
    public void setCheckpointsOnTermination(Boolean checkpointsOnTermination) { this.checkpointsOnTermination = checkpointsOnTermination; }

    /** Whether the workload declares it checkpoints on SIGTERM. */
    public boolean checkpoints() { return Boolean.TRUE.equals(checkpointsOnTermination); }
}
