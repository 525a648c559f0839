package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** An amount of accelerator capacity, in GPU-equivalents, and of CPU cores (for work on CPU pools). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TenantQuota {
    /** Upper bound of either amount: far above any cluster, low enough that sums of many tenants stay exact. */
    public static final double MAX_GPU_EQUIVALENTS = 1_000_000;
    public static final double MAX_CPU_CORES = 100_000_000;

    @JsonPropertyDescription("Accelerator capacity in GPU-equivalents: each device counts for its pool's accelerator.gpuEquivalent (H100 1.0, A100 0.6, L4 0.25, T4 0.15, TPU v5e chip 0.5), a shared device by the fraction used, a MIG slice by its compute fraction. E.g. 12 or 4.5.")
    @Min(0)
    @Max(MAX_GPU_EQUIVALENTS)
    private Double gpuEquivalents;
    @JsonPropertyDescription("CPU cores for workloads on CPU pools (accelerator type None), e.g. 64 or 0.5.")
    @Min(0)
    @Max(MAX_CPU_CORES)
    private Double cpuCores;

    public TenantQuota() {}

    public TenantQuota(Double gpuEquivalents, Double cpuCores) {
        this.gpuEquivalents = gpuEquivalents;
        this.cpuCores = cpuCores;
    }

    public Double getGpuEquivalents() { return gpuEquivalents; }
    public void setGpuEquivalents(Double gpuEquivalents) { this.gpuEquivalents = gpuEquivalents; }
    public Double getCpuCores() { return cpuCores; }
    public void setCpuCores(Double cpuCores) { this.cpuCores = cpuCores; }
}
