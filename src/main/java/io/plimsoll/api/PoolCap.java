package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** The most a tenant may hold on one AcceleratorPool. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PoolCap {
    @JsonPropertyDescription("Name of the AcceleratorPool.")
    @Required
    @Size(min = 1, max = 253)
    private String pool;
    @JsonPropertyDescription("At most this many GPU-equivalents on that pool, e.g. 8 (a cap of 0 keeps the tenant off the pool).")
    @Required
    @Min(0)
    @Max(TenantQuota.MAX_GPU_EQUIVALENTS)
    private Double gpuEquivalents;

    public PoolCap() {}

    public PoolCap(String pool, Double gpuEquivalents) {
        this.pool = pool;
        this.gpuEquivalents = gpuEquivalents;
    }

    public String getPool() { return pool; }
    public void setPool(String pool) { this.pool = pool; }
    public Double getGpuEquivalents() { return gpuEquivalents; }
    public void setGpuEquivalents(Double gpuEquivalents) { this.gpuEquivalents = gpuEquivalents; }
}
