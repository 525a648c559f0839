package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where a workload waits in the placement queue, and why. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class QueueStatus {
    /** Why a workload waits. */
    public enum Reason {
        /** Waiting for its turn in the placement loop. */
        Queued,
        /** Tried: no pool has room now (status.unplaceable says why for each pool). */
        Unschedulable,
        /** First in line and does not fit yet: nodes are held for it so that smaller work does not take them. */
        Nominated,
        /** The API server refused its pods; retried after a back-off. */
        Refused,
        /** Its tenant's quota says wait (message gives the tenant's figures); asked again as usage changes. */
        Quota,
        /**
         * Work was preempted for it (reclaim, or its tenant's lower priority): the nodes it frees are held for it until
         * it is placed or heldUntil passes, while the victims stop within their grace period.
         */
        Preempting
    }

    @JsonPropertyDescription("Position in the placement queue, 1 = served first (highest priority, then oldest).")
    private Integer position;
    @JsonPropertyDescription("Workloads waiting in all.")
    private Integer of;
    @JsonPropertyDescription("Why it waits: Queued, Unschedulable, Nominated, Refused, Quota or Preempting.")
    private Reason reason;
    @JsonPropertyDescription("For reason Quota: the tenant's figures, e.g. team-a uses 12.0 of 12.0 GPU-eq; needs to borrow 4.0, 2.0 available. For reason Preempting: what is being preempted for it.")
    private String message;
    @JsonPropertyDescription("Nodes held for this workload while it is first in line (a nomination).")
    private Integer nominatedNodes;
    @JsonPropertyDescription("For reason Preempting: the nodes its victims free, held for it (a restarted operator keeps holding them).")
    private java.util.List<String> heldNodes;
    @JsonPropertyDescription("For reason Preempting: until when the nodes are held (RFC 3339): the victims' grace period plus 30 s.")
    private String heldUntil;

    public Integer getPosition() { return position; }
    public void setPosition(Integer position) { this.position = position; }
    public Integer getOf() { return of; }
    public void setOf(Integer of) { this.of = of; }
    public Reason getReason() { return reason; }
    public void setReason(Reason reason) { this.reason = reason; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public Integer getNominatedNodes() { return nominatedNodes; }
    public void setNominatedNodes(Integer nominatedNodes) { this.nominatedNodes = nominatedNodes; }
    public java.util.List<String> getHeldNodes() { return heldNodes; }
    public void setHeldNodes(java.util.List<String> heldNodes) { this.heldNodes = heldNodes; }
    public String getHeldUntil() { return heldUntil; }
    public void setHeldUntil(String heldUntil) { this.heldUntil = heldUntil; }
}
