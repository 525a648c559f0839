package io.plimsoll.api;

import io.plimsoll.engine.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.type == 'None' || (has(self.model) && has(self.memoryGiB) && has(self.devicesPerNode) && has(self.resourceName))",
        message = "a GPU or TPU pool needs model, memoryGiB, devicesPerNode and resourceName (e.g. nvidia.com/gpu)")
@ValidationRule(value = "self.sharing != 'MIG' || (has(self.migProfiles) && size(self.migProfiles) > 0)",
        message = "sharing MIG needs at least one entry in migProfiles (e.g. name: 1g.10gb, memoryGiB: 10)")
@ValidationRule(value = "self.type == 'GPU' || self.sharing == 'Exclusive'",
        message = "only GPU pools can share devices: set sharing to Exclusive")
@ValidationRule(value = "!has(self.topology) || self.type == 'TPU'",
        message = "topology applies only to TPU pools")
@ValidationRule(value = "!has(self.gpuEquivalent) || self.type != 'None'",
        message = "gpuEquivalent applies only to GPU and TPU pools: remove it (tenants count CPU pools in cpuCores)",
        fieldPath = ".gpuEquivalent")
public class PoolAccelerator {
    @JsonPropertyDescription("GPU, TPU or None (a CPU pool). Default None.")
    @Default("None")
    private AcceleratorType type = AcceleratorType.None;
    @JsonPropertyDescription("Accelerator model, e.g. T4, L4, A100, H100, v5e.")
    private String model;
    @JsonPropertyDescription("Memory of one device in GiB.")
    @Min(1)
    @Max(65536)
    private Integer memoryGiB;
    @JsonPropertyDescription("Devices (GPUs or TPU chips) on each node.")
    @Min(1)
    @Max(256)
    private Integer devicesPerNode;
    @JsonPropertyDescription("Extended resource the device plugin advertises, e.g. nvidia.com/gpu or google.com/tpu.")
    private String resourceName;
    @JsonPropertyDescription("Exclusive (one workload per device), Fractional (pinned shares of a device) or MIG. Default Exclusive.")
    @Default("Exclusive")
    private SharingMode sharing = SharingMode.Exclusive;
    @JsonPropertyDescription("For sharing MIG: the MIG profiles the nodes advertise.")
    private List<MigProfile> migProfiles = new ArrayList<>();
    @JsonPropertyDescription("For TPU pools: the slice topology the nodes form, e.g. 2x2. Pods get a nodeSelector on it.")
    private String topology;
    @JsonPropertyDescription("GPU and TPU pools: what one device of this pool is worth in GPU-equivalents, the unit of tenants' quotas, so that shares of mixed accelerator generations are fair. E.g. H100 1.0, A100 0.6, L4 0.25, T4 0.15, one TPU v5e chip 0.5. More than 0, at most 100; default 1.0.")
    @Min(value = 0, inclusive = false)
    @Max(100)
    private Double gpuEquivalent;

    public AcceleratorType getType() { return type; }
    public void setType(AcceleratorType type) { this.type = type; }
    public String getModel() { return model; }
    public void setModel(String model) { this.model = model; }
    public Integer getMemoryGiB() { return memoryGiB; }
    public void setMemoryGiB(Integer memoryGiB) { this.memoryGiB = memoryGiB; }
    public Integer getDevicesPerNode() { return devicesPerNode; }
    public void setDevicesPerNode(Integer devicesPerNode) { this.devicesPerNode = devicesPerNode; }
    public String getResourceName() { return resourceName; }
    public void setResourceName(String resourceName) { this.resourceName = resourceName; }
    public SharingMode getSharing() { return sharing; }
    public void setSharing(SharingMode sharing) { this.sharing = sharing; }
    public List<MigProfile> getMigProfiles() { return migProfiles; }
    public void setMigProfiles(List<MigProfile> migProfiles) { this.migProfiles = migProfiles; }
    public Double getGpuEquivalent() { return gpuEquivalent; }
    public void setGpuEquivalent(Double gpuEquivalent) { this.gpuEquivalent = gpuEquivalent; }

    /** What one device is worth in GPU-equivalents: gpuEquivalent, else 1.0 for GPU and TPU pools; 0 for CPU pools. */
    public double gpuEquivalentOrDefault() {
        if (type == null || type == AcceleratorType.None) return 0;
        return gpuEquivalent == null ? DEFAULT_GPU_EQUIVALENT : gpuEquivalent;
    }

    public static final double DEFAULT_GPU_EQUIVALENT = 1.0;

    public String getTopology() { return topology; }
    public void setTopology(String topology) { this.topology = topology; }
}
