package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** How Plimsoll removes idle nodes from a pool and adds nodes for pending work. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.mode != 'ScaleTarget' || has(self.scaleTargetRef)",
        message = "mode ScaleTarget needs scaleTargetRef (an object with a /scale subresource, e.g. a MachineDeployment)")
@ValidationRule(value = "!has(self.maxNodes) || !has(self.minNodes) || self.maxNodes >= self.minNodes",
        message = "maxNodes must be at least minNodes")
public class PoolScaling {
    /** The operator's default scaleDownAfter, Plimsoll's in the replay too ({@code simulate serving --plimsoll-empty-grace}). */
    public static final String DEFAULT_SCALE_DOWN_AFTER = io.plimsoll.engine.PoolPlanner.DEFAULT_SCALE_DOWN_AFTER.toMinutes() + "m";
    /** The operator's default parkedOnlyAfter, the replay's too ({@code simulate serving --parked-only-after}). */
    public static final String DEFAULT_PARKED_ONLY_AFTER = io.plimsoll.engine.PoolPlanner.DEFAULT_PARKED_ONLY_AFTER.toMinutes() + "m";
    /** The operator's default lastNodeAfter, the replay's too ({@code simulate serving --last-node-after}). */
    public static final String DEFAULT_LAST_NODE_AFTER = io.plimsoll.engine.PoolPlanner.DEFAULT_LAST_NODE_AFTER.toMinutes() + "m";
    /** The operator's default growIfParkedWithin, the replay's too ({@code simulate serving --grow-if-parked-within}). */
    public static final String DEFAULT_GROW_IF_PARKED_WITHIN = io.plimsoll.engine.PoolPlanner.DEFAULT_GROW_IF_PARKED_WITHIN.toMinutes() + "m";

    /** How a node leaves the pool. */
    public enum Mode {
        /** Cordon the idle node and leave its removal to Cluster Autoscaler or Karpenter. */
        CordonOnly,
        /** Cordon it, mark it for deletion as Cluster API expects and lower the scale target's replicas. */
        ScaleTarget
    }

    @JsonPropertyDescription("CordonOnly (default) or ScaleTarget.")
    private Mode mode = Mode.CordonOnly;
    @JsonPropertyDescription("How long a node must hold no workload (daemon pods aside) before it is removed, e.g. 2m (default). The pool's last node has its own time, lastNodeAfter.")
    @Pattern("^([0-9]{1,7}(s|m|h))+$")
    @io.fabric8.generator.annotation.Size(max = 64)
    private String scaleDownAfter = DEFAULT_SCALE_DOWN_AFTER;
    @JsonPropertyDescription("The pool never shrinks below this many schedulable nodes. Default 0.")
    @Min(0)
    @Max(100000)
    private Integer minNodes = 0;
    @JsonPropertyDescription("ScaleTarget mode: the pool grows for pending work that would fit a new node, up to this many nodes. Unset: never grows.")
    @Min(0)
    @Max(100000)
    private Integer maxNodes;
    @JsonPropertyDescription("The object whose replicas are the pool's nodes (mode ScaleTarget).")
    private ScaleTargetRef scaleTargetRef;
    @JsonPropertyDescription("Move movable work (Inference replicas, and notebooks unused for 15 minutes; never Training or Optimization) off a lightly used node when all of it fits on the pool's other nodes, so the node empties and is scaled down. PodDisruptionBudgets are respected (pods are evicted). Default false.")
    private Boolean consolidate = false;
    @JsonPropertyDescription("A node is lightly used below this share of its devices in use, in percent. Default 50.")
    @Min(0)
    @Max(100)
    private Integer consolidateBelowPercent = 50;
    @JsonPropertyDescription("At most one node is consolidated per this interval, e.g. 10m (default).")
    @Pattern("^([0-9]{1,7}(s|m|h))+$")
    @io.fabric8.generator.annotation.Size(max = 64)
    private String consolidationInterval = "10m";
    @JsonPropertyDescription("How long a node may hold only parked replicas (idle Inference replicas keeping their model in device memory, serving nothing) before it is removed like an idle node: its parked replicas are placed again elsewhere, parked, where a share is free, else scaled to zero (they come back on their next request). A parked replica saves its model a cold start; a node kept up only for parked replicas costs the whole node. e.g. 8m (default), or Never to keep such nodes while any replica stays parked.")
    @Pattern("^(Never|([0-9]{1,7}(s|m|h))+)$")
    @io.fabric8.generator.annotation.Size(max = 64)
    private String parkedOnlyAfter = DEFAULT_PARKED_ONLY_AFTER;
    @JsonPropertyDescription("How long the pool's last schedulable node is kept once it serves nothing (no workload, or only parked replicas), instead of scaleDownAfter or parkedOnlyAfter: a request that comes meanwhile finds a node up instead of waiting for one to start. e.g. 17m (default). Applies only when minNodes is 0 (minNodes keeps nodes for good); set it to scaleDownAfter to let an empty last node go like the others.")
    @Pattern("^([0-9]{1,7}(s|m|h))+$")
    @io.fabric8.generator.annotation.Size(max = 64)
    private String lastNodeAfter = DEFAULT_LAST_NODE_AFTER;
    @JsonPropertyDescription("ScaleTarget mode: when parked replicas are scaled to zero to make room for a workload, the pool grows by one node only if one of them parked less than this ago (its model was in use a moment ago, so its next request is likely soon). e.g. 8m (default), or Always to grow after every such eviction.")
    @Pattern("^(Always|([0-9]{1,7}(s|m|h))+)$")
    @io.fabric8.generator.annotation.Size(max = 64)
    private String growIfParkedWithin = DEFAULT_GROW_IF_PARKED_WITHIN;
    @JsonPropertyDescription("Report in status and events what would be removed or added and the money it would save, without acting.")
    private Boolean dryRun = false;

    public Mode getMode() { return mode; }
    public void setMode(Mode mode) { this.mode = mode; }
    public String getScaleDownAfter() { return scaleDownAfter; }
    public void setScaleDownAfter(String scaleDownAfter) { this.scaleDownAfter = scaleDownAfter; }
    public Integer getMinNodes() { return minNodes; }
    public void setMinNodes(Integer minNodes) { this.minNodes = minNodes; }
    public Integer getMaxNodes() { return maxNodes; }
    public void setMaxNodes(Integer maxNodes) { this.maxNodes = maxNodes; }
    public ScaleTargetRef getScaleTargetRef() { return scaleTargetRef; }
    public void setScaleTargetRef(ScaleTargetRef scaleTargetRef) { this.scaleTargetRef = scaleTargetRef; }
    public Boolean getConsolidate() { return consolidate; }
    public void setConsolidate(Boolean consolidate) { this.consolidate = consolidate; }
    public Integer getConsolidateBelowPercent() { return consolidateBelowPercent; }
    public void setConsolidateBelowPercent(Integer consolidateBelowPercent) { this.consolidateBelowPercent = consolidateBelowPercent; }
    public String getConsolidationInterval() { return consolidationInterval; }
    public void setConsolidationInterval(String consolidationInterval) { this.consolidationInterval = consolidationInterval; }
    public String getParkedOnlyAfter() { return parkedOnlyAfter; }
    public void setParkedOnlyAfter(String parkedOnlyAfter) { this.parkedOnlyAfter = parkedOnlyAfter; }
    public String getLastNodeAfter() { return lastNodeAfter; }
    public void setLastNodeAfter(String lastNodeAfter) { this.lastNodeAfter = lastNodeAfter; }
    public String getGrowIfParkedWithin() { return growIfParkedWithin; }
    public void setGrowIfParkedWithin(String growIfParkedWithin) { this.growIfParkedWithin = growIfParkedWithin; }
    public Boolean getDryRun() { return dryRun; }
    public void setDryRun(Boolean dryRun) { this.dryRun = dryRun; }
}
