package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.plimsoll.engine.WorkloadPhase;

import java.util.ArrayList;
import java.util.List;

/** What a tenant owns, is guaranteed and may take. Every amount is optional: absent guarantees are 0, absent limits none. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.limit) || !has(self.limit.gpuEquivalents) || !has(self.guaranteed) || !has(self.guaranteed.gpuEquivalents)"
        + " || self.limit.gpuEquivalents >= self.guaranteed.gpuEquivalents",
        message = "spec.limit.gpuEquivalents is below spec.guaranteed.gpuEquivalents: raise the limit to at least the guarantee, or lower the guarantee",
        fieldPath = ".limit.gpuEquivalents")
@ValidationRule(value = "!has(self.limit) || !has(self.limit.cpuCores) || !has(self.guaranteed) || !has(self.guaranteed.cpuCores)"
        + " || self.limit.cpuCores >= self.guaranteed.cpuCores",
        message = "spec.limit.cpuCores is below spec.guaranteed.cpuCores: raise the limit to at least the guarantee, or lower the guarantee",
        fieldPath = ".limit.cpuCores")
public class TenantSpec {
    /** Most entries in poolCaps and placementPolicies (bounded so the API server can cost the CEL rules). */
    public static final int MAX_LIST = 64;

    @JsonPropertyDescription("Namespaces of this tenant, by their labels, e.g. matchLabels: {plimsoll.io/tenant: team-a}. A namespace two tenants select belongs to neither (it goes to the default tenant, and both get a NamespaceConflict condition); a namespace no tenant selects goes to the default tenant the operator is configured with (plimsoll.tenancy.default-tenant), unlimited if none.")
    @Required
    @ValidationRule(value = "(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)",
            message = "spec.namespaceSelector is empty, which would select every namespace: add matchLabels or matchExpressions (e.g. matchLabels: {plimsoll.io/tenant: team-a})")
    private LabelSelector namespaceSelector;

    @JsonPropertyDescription("Capacity this tenant always gets back when it has work waiting: borrowed capacity is reclaimed from other tenants for it. The guarantees of all tenants should add up to at most the cluster's capacity (otherwise they are scaled down in proportion and the tenants get a GuaranteesExceedCapacity condition). Absent: 0.")
    private TenantQuota guaranteed;

    @JsonPropertyDescription("Most this tenant may use, guaranteed and borrowed together; must be at least guaranteed. Absent (or an amount left out): no limit but the cluster's capacity.")
    private TenantQuota limit;

    @JsonPropertyDescription("Share of the capacity other tenants' guarantees leave unused, relative to other tenants that want it: weight 2 borrows twice as much as weight 1. 1 to 1000, default 1.")
    @Min(1)
    @Max(1000)
    @Default("1")
    private Integer weight = 1;

    @JsonPropertyDescription("Most this tenant may use on particular AcceleratorPools (e.g. at most 8 GPU-equivalents of h100), on top of limit.")
    @Size(max = MAX_LIST)
    @ValidationRule(value = "self.all(c, self.exists_one(d, d.pool == c.pool))",
            message = "spec.poolCaps names a pool more than once: keep one entry per pool")
    private List<PoolCap> poolCaps = new ArrayList<>();

    @JsonPropertyDescription("PlacementPolicies the workloads of this tenant's namespaces may name in spec.policy. Empty: any policy.")
    @Size(max = MAX_LIST)
    private List<String> placementPolicies = new ArrayList<>();

    @JsonPropertyDescription("Ceiling on the idle timeout of this tenant's Inference and Workbench workloads, e.g. 2h: a workload's idleTimeout (its own or its policy's) above it, or Never, counts as this value, so culling cannot be switched off. Absent: no ceiling.")
    @Pattern("^([0-9]{1,7}(s|m|h))+$")
    @Size(max = 64)
    private String maxIdleTimeout;

    @JsonPropertyDescription("Workload phases of this tenant that may be preempted to give borrowed capacity back or to make room for higher-priority work (Training, Inference, Optimization, Workbench); idle parked replicas always go first. Absent: Training, Inference and Optimization (not Workbench: someone works in a notebook).")
    @Size(max = 4)
    private List<WorkloadPhase> preemptiblePhases;

    public LabelSelector getNamespaceSelector() { return namespaceSelector; }
    public void setNamespaceSelector(LabelSelector namespaceSelector) { this.namespaceSelector = namespaceSelector; }
    public TenantQuota getGuaranteed() { return guaranteed; }
    public void setGuaranteed(TenantQuota guaranteed) { this.guaranteed = guaranteed; }
    public TenantQuota getLimit() { return limit; }
    public void setLimit(TenantQuota limit) { this.limit = limit; }
    public Integer getWeight() { return weight; }
    public void setWeight(Integer weight) { this.weight = weight; }
    public List<PoolCap> getPoolCaps() { return poolCaps; }
    public void setPoolCaps(List<PoolCap> poolCaps) { this.poolCaps = poolCaps; }
    public List<String> getPlacementPolicies() { return placementPolicies; }
    public void setPlacementPolicies(List<String> placementPolicies) { this.placementPolicies = placementPolicies; }
    public String getMaxIdleTimeout() { return maxIdleTimeout; }
    public void setMaxIdleTimeout(String maxIdleTimeout) { this.maxIdleTimeout = maxIdleTimeout; }
    public List<WorkloadPhase> getPreemptiblePhases() { return preemptiblePhases; }
    public void setPreemptiblePhases(List<WorkloadPhase> preemptiblePhases) { this.preemptiblePhases = preemptiblePhases; }
}
