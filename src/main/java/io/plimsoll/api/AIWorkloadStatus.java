package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;

import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class AIWorkloadStatus {
    @JsonPropertyDescription("Pending, Placed, Running, Idle (scaled to zero while idle), Succeeded or Failed.")
    private WorkloadState state;
    @JsonPropertyDescription("Human-readable summary of the current state and what to do about it.")
    private String message;
    @JsonPropertyDescription("Generation of the spec this status describes.")
    private Long observedGeneration;
    @JsonPropertyDescription("Where the workload runs and what it costs.")
    private Placement placement;
    @JsonPropertyDescription("Devices held, e.g. '2x H100' or '0.25x T4'.")
    private String devices;
    @JsonPropertyDescription("When Pending: why each pool was rejected.")
    private List<PoolRejection> unplaceable = new ArrayList<>();
    @JsonPropertyDescription("Replicas whose pods are running.")
    private Integer readyReplicas;
    @JsonPropertyDescription("Replica pods that exist now (created by Plimsoll for this workload, not finished, not being deleted); the /scale subresource's status.replicas.")
    @StatusReplicas
    private Integer replicas;
    @JsonPropertyDescription("Label selector (as a string) that matches exactly this workload's pods, from the labels Plimsoll puts on them; the /scale subresource's selector, which an autoscaler uses to read the pods' metrics.")
    @LabelSelector
    private String selector;
    @JsonPropertyDescription("Effective priority: the value of spec.priorityClassName's PriorityClass, else the cluster's globalDefault PriorityClass, else the policy's default for the phase, else 0 (a raw spec.priority is ignored). Pending workloads are placed highest first.")
    private Integer priority;
    @JsonPropertyDescription("When an idle Inference or Workbench workload went to zero replicas (its spec.replicas is kept); unset while active.")
    private String scaledToZeroAt;
    @JsonPropertyDescription("While waiting for placement: position in the placement queue and why it waits.")
    private QueueStatus queue;

    public QueueStatus getQueue() { return queue; }
    public void setQueue(QueueStatus queue) { this.queue = queue; }

    @JsonPropertyDescription("Standard conditions: Placed, Ready, Complete, Idle.")
    private List<Condition> conditions = new ArrayList<>();

    public WorkloadState getState() { return state; }
    public void setState(WorkloadState state) { this.state = state; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public Placement getPlacement() { return placement; }
    public void setPlacement(Placement placement) { this.placement = placement; }
    public String getDevices() { return devices; }
    public void setDevices(String devices) { this.devices = devices; }
    public List<PoolRejection> getUnplaceable() { return unplaceable; }
    public void setUnplaceable(List<PoolRejection> unplaceable) { this.unplaceable = unplaceable; }
    public Integer getReadyReplicas() { return readyReplicas; }
    public void setReadyReplicas(Integer readyReplicas) { this.readyReplicas = readyReplicas; }
    public Integer getReplicas() { return replicas; }
    public void setReplicas(Integer replicas) { this.replicas = replicas; }
    public String getSelector() { return selector; }
    public void setSelector(String selector) { this.selector = selector; }
    public Integer getPriority() { return priority; }
    public void setPriority(Integer priority) { this.priority = priority; }
    public String getScaledToZeroAt() { return scaledToZeroAt; }
    public void setScaledToZeroAt(String scaledToZeroAt) { this.scaledToZeroAt = scaledToZeroAt; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
}
