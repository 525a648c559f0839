package io.plimsoll.api;

import io.plimsoll.engine.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class AcceleratorPoolSpec {
    @JsonPropertyDescription("Labels a node must carry to belong to this pool, e.g. {plimsoll.io/pool: l4}.")
    @Required
    @ValidationRule(value = "size(self) > 0", message = "nodeSelector needs at least one label, otherwise every node would belong to the pool")
    private Map<String, String> nodeSelector = new LinkedHashMap<>();
    @JsonPropertyDescription("What each node of the pool carries.")
    private PoolAccelerator accelerator = new PoolAccelerator();
    @JsonPropertyDescription("What one node costs per hour, in dollars. Used to pick the cheapest pool and to report idle cost.")
    @Min(0)
    @Max(100000)
    private Double costPerNodeHour = 0.0;
    @JsonPropertyDescription("Node scale-down (idle nodes) and scale-up (pending work). Absent: Plimsoll never removes or adds nodes.")
    private PoolScaling scaling;
    @JsonPropertyDescription("Workload phases this pool accepts (Training, Inference, Optimization, Workbench). Empty means all.")
    private List<WorkloadPhase> phases = new ArrayList<>();

    public Map<String, String> getNodeSelector() { return nodeSelector; }
    public void setNodeSelector(Map<String, String> nodeSelector) { this.nodeSelector = nodeSelector; }
    public PoolAccelerator getAccelerator() { return accelerator; }
    public void setAccelerator(PoolAccelerator accelerator) { this.accelerator = accelerator; }
    public Double getCostPerNodeHour() { return costPerNodeHour; }
    public void setCostPerNodeHour(Double costPerNodeHour) { this.costPerNodeHour = costPerNodeHour; }
    public PoolScaling getScaling() { return scaling; }
    public void setScaling(PoolScaling scaling) { this.scaling = scaling; }
    public List<WorkloadPhase> getPhases() { return phases; }
    public void setPhases(List<WorkloadPhase> phases) { this.phases = phases; }
}
