package io.plimsoll.api;

import io.plimsoll.engine.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

import java.util.ArrayList;
import java.util.List;

/** Placement rules for one workload phase. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PhaseRule {
    @JsonPropertyDescription("Eligible AcceleratorPools in order of preference. Empty means every pool that accepts the phase.")
    private List<String> pools = new ArrayList<>();
    @JsonPropertyDescription("Cheapest (default: the pool where the placement costs least per hour) or Preference (first pool of the list that fits).")
    private PoolOrder poolOrder;
    @JsonPropertyDescription("Whether workloads of this phase may share a device (fractions, MIG). Default true.")
    private Boolean allowSharing;
    @JsonPropertyDescription("Packing strategy inside a GPU or TPU pool: BestFit (default), Spread, FGD (fragmentation gradient descent) or Plimsoll (FGD plus corrections for CPU-stranded GPUs and scarce models; best for shared devices).")
    private PackingStrategy strategy;
    @JsonPropertyDescription("Priority given to workloads of this phase that set none.")
    @Min(-1000000000)
    @Max(1000000000)
    private Integer defaultPriority;
    @JsonPropertyDescription("Inference and Workbench: idle time after which a workload goes to zero replicas, e.g. 30m or 1h30m. Empty: Plimsoll's adaptive rule for Inference, 60m for Workbench. Training and Optimization are never scaled down.")
    @Pattern("^([0-9]{1,7}(s|m|h))+$")
    @io.fabric8.generator.annotation.Size(max = 64)
    private String idleTimeout;

    @JsonPropertyDescription("Inference and Workbench: PromQL whose value above activityThreshold means the workload is active, when the operator has a Prometheus (plimsoll.prometheus.url). {{namespace}} and {{workload}} are filled in; pods are named <workload>-<replica>-<suffix>. Default: avg DCGM_FI_DEV_GPU_UTIL of the workload's pods.")
    @io.fabric8.generator.annotation.Size(max = 4096)
    private String activityQuery;
    @JsonPropertyDescription("Value of activityQuery above which the workload counts as active. Default 5 (percent GPU utilisation).")
    private Double activityThreshold;
    @JsonPropertyDescription("Inference under the adaptive idle rule: share of its device an idle replica is counted for while parked (it stays where it is with its weights in device memory; the rest of the device can take other parked replicas). Raised to the workload's accelerator memory when that is larger. Only for whole-device replicas on Fractional pools. 0 turns parking off. Default 0.25.")
    @Min(0)
    @Max(0.9)
    private Double parkFraction;

    @JsonPropertyDescription("Training: whether pool consolidation may move a running gang. All its replicas are evicted together and the gang is placed again (it restarts, e.g. from its last checkpoint). Default false: running training is never moved.")
    private Boolean allowConsolidation;

    public Boolean getAllowConsolidation() { return allowConsolidation; }
    public void setAllowConsolidation(Boolean allowConsolidation) { this.allowConsolidation = allowConsolidation; }
    public Double getParkFraction() { return parkFraction; }
    public void setParkFraction(Double parkFraction) { this.parkFraction = parkFraction; }

    public String getActivityQuery() { return activityQuery; }
    public void setActivityQuery(String activityQuery) { this.activityQuery = activityQuery; }
    public Double getActivityThreshold() { return activityThreshold; }
    public void setActivityThreshold(Double activityThreshold) { this.activityThreshold = activityThreshold; }
    public List<String> getPools() { return pools; }
    public void setPools(List<String> pools) { this.pools = pools; }
    public PoolOrder getPoolOrder() { return poolOrder; }
    public void setPoolOrder(PoolOrder poolOrder) { this.poolOrder = poolOrder; }
    public Boolean getAllowSharing() { return allowSharing; }
    public void setAllowSharing(Boolean allowSharing) { this.allowSharing = allowSharing; }
    public PackingStrategy getStrategy() { return strategy; }
    public void setStrategy(PackingStrategy strategy) { this.strategy = strategy; }
    public Integer getDefaultPriority() { return defaultPriority; }
    public void setDefaultPriority(Integer defaultPriority) { this.defaultPriority = defaultPriority; }
    public String getIdleTimeout() { return idleTimeout; }
    public void setIdleTimeout(String idleTimeout) { this.idleTimeout = idleTimeout; }
}
