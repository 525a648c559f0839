package io.plimsoll.api;

import io.plimsoll.engine.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Per-phase placement rules. A phase left out uses the defaults: all pools, cheapest first, best fit, sharing allowed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlacementPolicySpec {
    @JsonPropertyDescription("Dry run: idle scale-downs of workloads using this policy are reported (Idle condition reason WouldScaleToZero, WouldScaleToZero events, with the dollars per hour it would save) but not done.")
    private Boolean dryRun;
    @JsonPropertyDescription("Rules for Training workloads.")
    private PhaseRule training;
    @JsonPropertyDescription("Rules for Inference workloads.")
    private PhaseRule inference;
    @JsonPropertyDescription("Rules for Optimization workloads (quantization, distillation, pruning).")
    private PhaseRule optimization;
    @JsonPropertyDescription("Rules for Workbench workloads (notebooks).")
    private PhaseRule workbench;

    public Boolean getDryRun() { return dryRun; }
    public void setDryRun(Boolean dryRun) { this.dryRun = dryRun; }
    public PhaseRule getTraining() { return training; }
    public void setTraining(PhaseRule training) { this.training = training; }
    public PhaseRule getInference() { return inference; }
    public void setInference(PhaseRule inference) { this.inference = inference; }
    public PhaseRule getOptimization() { return optimization; }
    public void setOptimization(PhaseRule optimization) { this.optimization = optimization; }
    public PhaseRule getWorkbench() { return workbench; }
    public void setWorkbench(PhaseRule workbench) { this.workbench = workbench; }

    /** The rule for a phase, or null when the policy leaves it to the defaults. */
    public PhaseRule ruleFor(WorkloadPhase phase) {
        return switch (phase) {
            case Training -> training;
            case Inference -> inference;
            case Optimization -> optimization;
            case Workbench -> workbench;
        };
    }
}
