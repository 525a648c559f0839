package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class AcceleratorPoolStatus {
    @JsonPropertyDescription("Generation of the spec this status describes.")
    private Long observedGeneration;
    @JsonPropertyDescription("Names of the member nodes.")
    private List<String> nodes = new ArrayList<>();
    @JsonPropertyDescription("Number of member nodes.")
    private Integer nodeCount;
    @JsonPropertyDescription("Devices on member nodes (MIG pools: MIG instances).")
    private Integer devicesTotal;
    @JsonPropertyDescription("Devices in use, counting shares of a device as fractions (e.g. 2.5).")
    private Double devicesAllocated;
    @JsonPropertyDescription("Devices with nothing on them.")
    private Integer devicesFree;
    @JsonPropertyDescription("devicesAllocated / devicesTotal, in percent.")
    private Double utilizationPercent;
    @JsonPropertyDescription("Cost of all member nodes, dollars per hour.")
    private Double costPerHour;
    @JsonPropertyDescription("Cost of the unallocated part of the pool, dollars per hour.")
    private Double idleCostPerHour;
    @JsonPropertyDescription("Free capacity stranded on partly used shared devices, in percent of the pool's devices.")
    private Double fragmentationPercent;
    @JsonPropertyDescription("Nodes that hold no workload (daemon pods aside), and for how long.")
    private List<String> idleNodes = new ArrayList<>();
    @JsonPropertyDescription("Scale-downs and scale-ups done (or, in dry run, that would be done) at the last evaluation.")
    private List<ScaleAction> scaleActions = new ArrayList<>();
    @JsonPropertyDescription("When the pool last asked its scale target for one more node.")
    private String lastScaleUpAt;
    @JsonPropertyDescription("When the pool last moved work off a node to empty it.")
    private String lastConsolidationAt;
    @JsonPropertyDescription("Standard conditions: Ready.")
    private List<Condition> conditions = new ArrayList<>();

    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public List<String> getNodes() { return nodes; }
    public void setNodes(List<String> nodes) { this.nodes = nodes; }
    public Integer getNodeCount() { return nodeCount; }
    public void setNodeCount(Integer nodeCount) { this.nodeCount = nodeCount; }
    public Integer getDevicesTotal() { return devicesTotal; }
    public void setDevicesTotal(Integer devicesTotal) { this.devicesTotal = devicesTotal; }
    public Double getDevicesAllocated() { return devicesAllocated; }
    public void setDevicesAllocated(Double devicesAllocated) { this.devicesAllocated = devicesAllocated; }
    public Integer getDevicesFree() { return devicesFree; }
    public void setDevicesFree(Integer devicesFree) { this.devicesFree = devicesFree; }
    public Double getUtilizationPercent() { return utilizationPercent; }
    public void setUtilizationPercent(Double utilizationPercent) { this.utilizationPercent = utilizationPercent; }
    public Double getCostPerHour() { return costPerHour; }
    public void setCostPerHour(Double costPerHour) { this.costPerHour = costPerHour; }
    public Double getIdleCostPerHour() { return idleCostPerHour; }
    public void setIdleCostPerHour(Double idleCostPerHour) { this.idleCostPerHour = idleCostPerHour; }
    public Double getFragmentationPercent() { return fragmentationPercent; }
    public void setFragmentationPercent(Double fragmentationPercent) { this.fragmentationPercent = fragmentationPercent; }
    public List<String> getIdleNodes() { return idleNodes; }
    public void setIdleNodes(List<String> idleNodes) { this.idleNodes = idleNodes; }
    public List<ScaleAction> getScaleActions() { return scaleActions; }
    public void setScaleActions(List<ScaleAction> scaleActions) { this.scaleActions = scaleActions; }
    public String getLastScaleUpAt() { return lastScaleUpAt; }
    public void setLastScaleUpAt(String lastScaleUpAt) { this.lastScaleUpAt = lastScaleUpAt; }
    public String getLastConsolidationAt() { return lastConsolidationAt; }
    public void setLastConsolidationAt(String lastConsolidationAt) { this.lastConsolidationAt = lastConsolidationAt; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
}
