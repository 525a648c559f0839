package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A node removed from, or added to, a pool (or that would be, in dry run). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ScaleAction {
    @JsonPropertyDescription("ScaleDown or ScaleUp.")
    private String action;
    @JsonPropertyDescription("The node removed (scale-down).")
    private String node;
    @JsonPropertyDescription("Why, e.g. idle for 12m.")
    private String reason;
    @JsonPropertyDescription("Dollars per hour saved (scale-down) or added (scale-up).")
    private Double dollarsPerHour;
    @JsonPropertyDescription("When it happened (or was evaluated, in dry run).")
    private String at;
    @JsonPropertyDescription("True when nothing was done (dry run).")
    private Boolean dryRun;

    public ScaleAction() {}

    public ScaleAction(String action, String node, String reason, double dollarsPerHour, String at, boolean dryRun) {
        this.action = action;
        this.node = node;
        this.reason = reason;
        this.dollarsPerHour = dollarsPerHour;
        this.at = at;
        this.dryRun = dryRun;
    }

    public String getAction() { return action; }
    public void setAction(String action) { this.action = action; }
    public String getNode() { return node; }
    public void setNode(String node) { this.node = node; }
    public String getReason() { return reason; }
    public void setReason(String reason) { this.reason = reason; }
    public Double getDollarsPerHour() { return dollarsPerHour; }
    public void setDollarsPerHour(Double dollarsPerHour) { this.dollarsPerHour = dollarsPerHour; }
    public String getAt() { return at; }
    public void setAt(String at) { this.at = at; }
    public Boolean getDryRun() { return dryRun; }
    public void setDryRun(Boolean dryRun) { this.dryRun = dryRun; }
}
