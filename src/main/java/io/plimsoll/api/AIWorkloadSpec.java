package io.plimsoll.api;

import io.plimsoll.engine.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.training) || self.phase == 'Training'",
        message = "spec.training applies only to phase Training: remove spec.training or set spec.phase to Training")
public class AIWorkloadSpec {

    @JsonPropertyDescription("Phase of the AI lifecycle: Training, Inference, Optimization (quantization, distillation, pruning) or Workbench (notebook). Training and Optimization run to completion; Inference and Workbench keep running.")
    @Required
    private WorkloadPhase phase;

    @JsonPropertyDescription("Number of replicas (pods). A Training workload's replicas are placed all or nothing (gang). Default 1. Also the /scale subresource's replicas, so a HorizontalPodAutoscaler or KEDA ScaledObject can set it; whoever sets it owns it: Plimsoll never writes it. It places each new replica and removes those above the count; idle scale-to-zero and parking never change it, and a workload idled to zero comes back on activity or when spec.replicas changes (the change counts as activity).")
    @SpecReplicas
    @Min(0)
    @Max(512)
    @Default("1")
    private Integer replicas = 1;

    @JsonPropertyDescription("Pod template for each replica: containers, image, env, volumes. Plimsoll sets resources, node and device pinning itself: accelerator requests and device-selection variables (NVIDIA_VISIBLE_DEVICES, CUDA_VISIBLE_DEVICES, TPU_VISIBLE_CHIPS) in any container are refused, and plimsoll.io/ labels and annotations are dropped. Do not set nodeName or schedulerName.")
    @com.fasterxml.jackson.databind.annotation.JsonDeserialize(using = LenientPodTemplate.class)
    private PodTemplateSpec template;

    @JsonPropertyDescription("What each replica needs: cpu, memory and accelerator. Plimsoll picks the node.")
    private ReplicaResources resources = new ReplicaResources();

    @JsonPropertyDescription("Deprecated and no longer trusted (any user could jump the queue with it): ignored, with a Warning event, wherever the operator reads PriorityClasses, which it does by default. Use priorityClassName.")
    @Min(-1000000000)
    @Max(1000000000)
    private Integer priority;

    @JsonPropertyDescription("Name of a Kubernetes PriorityClass (scheduling.k8s.io/v1, created by the cluster admin) whose value is the workload's priority: pending workloads are placed highest first, and lower priority is preempted first. Unset: the cluster's globalDefault PriorityClass, else the placement policy's defaultPriority for the phase, else 0. A name that is not a PriorityClass keeps the workload Pending until it is fixed; system- classes are reserved for the cluster's own components.")
    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    @io.fabric8.generator.annotation.Size(max = 253)
    private String priorityClassName;

    @JsonPropertyDescription("Inference and Workbench only: idle time after which the workload goes to zero replicas (e.g. 30m, 1h30m), or Never. Default: the policy's idleTimeout for the phase, else Plimsoll's adaptive rule for Inference and 60m for Workbench. Activity comes from the plimsoll.io/last-activity annotation.")
    @Pattern("^(Never|([0-9]{1,7}(s|m|h))+)$")
    @io.fabric8.generator.annotation.Size(max = 64)
    private String idleTimeout;

    @JsonPropertyDescription("Training only: what the job declares about itself, e.g. checkpointsOnTermination.")
    private TrainingSpec training;

    @JsonPropertyDescription("Name of the PlacementPolicy to use. Default: default.")
    @Default("default")
    @io.fabric8.generator.annotation.Size(max = 253)
    private String policy = "default";

    public WorkloadPhase getPhase() { return phase; }
    public void setPhase(WorkloadPhase phase) { this.phase = phase; }
    public Integer getReplicas() { return replicas; }
    public void setReplicas(Integer replicas) { this.replicas = replicas; }
    public PodTemplateSpec getTemplate() { return template; }
    public void setTemplate(PodTemplateSpec template) { this.template = template; }
    public ReplicaResources getResources() { return resources; }
    public void setResources(ReplicaResources resources) { this.resources = resources; }
    public Integer getPriority() { return priority; }
    public void setPriority(Integer priority) { this.priority = priority; }
    public String getPriorityClassName() { return priorityClassName; }
    public void setPriorityClassName(String priorityClassName) { this.priorityClassName = priorityClassName; }
    public String getIdleTimeout() { return idleTimeout; }
    public void setIdleTimeout(String idleTimeout) { this.idleTimeout = idleTimeout; }
    public TrainingSpec getTraining() { return training; }
    public void setTraining(TrainingSpec training) { this.training = training; }
    public String getPolicy() { return policy; }
    public void setPolicy(String policy) { this.policy = policy; }
}
