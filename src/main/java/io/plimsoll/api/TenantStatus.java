package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/** Amounts are GPU-equivalents. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TenantStatus {
    @JsonPropertyDescription("Generation of the spec this status describes.")
    private Long observedGeneration;
    @JsonPropertyDescription("GPU-equivalents guaranteed now: spec.guaranteed.gpuEquivalents, scaled down in proportion when the guarantees of all tenants add up to more than the cluster's capacity (see the GuaranteesExceedCapacity condition).")
    private Double guaranteed;
    @JsonPropertyDescription("GPU-equivalents the tenant's workloads hold now (parked replicas by their parked share).")
    private Double used;
    @JsonPropertyDescription("Part of used above guaranteed: capacity borrowed from other tenants' unused guarantees.")
    private Double borrowed;
    @JsonPropertyDescription("Part of guaranteed that other tenants borrow now (the tenant gets it back when it has work waiting).")
    private Double lent;
    @JsonPropertyDescription("GPU-equivalents the tenant's waiting workloads ask for.")
    private Double pending;
    @JsonPropertyDescription("Number of namespaces that belong to the tenant (namespaces it shares with another tenant's selector are not counted).")
    private Integer namespaces;
    @JsonPropertyDescription("Standard conditions: Ready, NamespaceConflict, GuaranteesExceedCapacity, UnknownPlacementPolicy.")
    private List<Condition> conditions = new ArrayList<>();

    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public Double getGuaranteed() { return guaranteed; }
    public void setGuaranteed(Double guaranteed) { this.guaranteed = guaranteed; }
    public Double getUsed() { return used; }
    public void setUsed(Double used) { this.used = used; }
    public Double getBorrowed() { return borrowed; }
    public void setBorrowed(Double borrowed) { this.borrowed = borrowed; }
    public Double getLent() { return lent; }
    public void setLent(Double lent) { this.lent = lent; }
    public Double getPending() { return pending; }
    public void setPending(Double pending) { this.pending = pending; }
    public Integer getNamespaces() { return namespaces; }
    public void setNamespaces(Integer namespaces) { this.namespaces = namespaces; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
}
