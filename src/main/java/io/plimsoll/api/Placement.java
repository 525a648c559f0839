package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class Placement {
    @JsonPropertyDescription("AcceleratorPool the workload was placed on.")
    private String pool;
    @JsonPropertyDescription("Accelerator model of that pool, e.g. L4.")
    private String model;
    @JsonPropertyDescription("Where each replica went.")
    private List<ReplicaPlacement> replicas = new ArrayList<>();
    @JsonPropertyDescription("Cost of the devices, CPU and memory this workload holds, in dollars per hour.")
    private Double costPerHour;

    public String getPool() { return pool; }
    public void setPool(String pool) { this.pool = pool; }
    public String getModel() { return model; }
    public void setModel(String model) { this.model = model; }
    public List<ReplicaPlacement> getReplicas() { return replicas; }
    public void setReplicas(List<ReplicaPlacement> replicas) { this.replicas = replicas; }
    public Double getCostPerHour() { return costPerHour; }
    public void setCostPerHour(Double costPerHour) { this.costPerHour = costPerHour; }
}
