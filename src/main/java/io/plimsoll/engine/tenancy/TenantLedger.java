package io.plimsoll.engine.tenancy;

import io.plimsoll.engine.ReplicaSlot;
import io.plimsoll.engine.WorkloadPhase;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who uses what, against the quotas: per tenant used, guaranteed, borrowed (used above the guarantee), lent (the part
 * of its unused guarantee that borrowers hold) and what it could borrow now. Built from the running charges; pure and
 * immutable, so a decision reads one consistent view.
 * <p>
 * Borrowers are counted as using first the capacity no guarantee covers, then other tenants' unused guarantees; what
 * they hold of the latter is split between the lenders in proportion to their unused guarantees.
 */
public final class TenantLedger {

    /**
     * One running (or parked) replica charged to a tenant.
     *
     * @param key       the replica (namespace/pod in the operator)
     * @param workload  the workload it belongs to: its gang, which is preempted whole
     * @param gpuEq     its charge in GPU-equivalents ({@link Charges}); a parked replica its parked share
     * @param cpuCores  its charge in CPU cores (replicas on CPU pools)
     * @param startMillis when it started (epoch ms), so the most recent goes first
     * @param slot      where it runs (for what-if placement without it); null when not known
     * @param checkpoints its workload declares it checkpoints on SIGTERM: preempted within its grace period, it loses
     *                  no progress (it resumes from its checkpoint)
     */
    public record Charge(String tenant, String key, String workload, String pool, double gpuEq, double cpuCores,
                         int priority, long startMillis, boolean parked, WorkloadPhase phase, ReplicaSlot slot,
                         boolean checkpoints) {}

    private final Map<String, TenantQuota> quotas = new LinkedHashMap<>();
    private final TenantQuota fallback;
    private final double capacityGpuEq;
    private final double capacityCpuCores;
    private final List<Charge> charges;
    private final Map<String, Double> used = new HashMap<>();
    private final Map<String, Double> usedCpu = new HashMap<>();
    private final Map<String, Map<String, Double>> usedByPool = new HashMap<>();
    private final double totalUsed;
    private final double totalBorrowed;
    private final double totalUnusedGuarantee;
    private final double guaranteeSum;

    /**
     * @param quotas       the tenants
     * @param defaultTenant where charges of no listed tenant go; null = an unlimited tenant named "default"
     * @param capacityGpuEq the cluster's accelerators in GPU-equivalents
     * @param capacityCpuCores the cluster's CPU-pool cores
     * @param running      the charges now
     */
    public TenantLedger(Collection<TenantQuota> quotas, TenantQuota defaultTenant, double capacityGpuEq,
                        double capacityCpuCores, Collection<Charge> running) {
        for (TenantQuota q : quotas) {
            if (this.quotas.put(q.name(), q) != null) throw new IllegalArgumentException("tenant " + q.name() + " is listed twice");
        }
        this.fallback = defaultTenant != null ? defaultTenant : TenantQuota.unlimited("default");
        this.quotas.putIfAbsent(fallback.name(), fallback);
        this.capacityGpuEq = capacityGpuEq;
        this.capacityCpuCores = capacityCpuCores;
        this.charges = List.copyOf(running);
        double total = 0;
        for (Charge c : charges) {
            String t = tenantOf(c.tenant());
            used.merge(t, c.gpuEq(), Double::sum);
            usedCpu.merge(t, c.cpuCores(), Double::sum);
            usedByPool.computeIfAbsent(t, k -> new HashMap<>()).merge(String.valueOf(c.pool()), c.gpuEq(), Double::sum);
            total += c.gpuEq();
        }
        this.totalUsed = total;
        double borrowed = 0, unused = 0, g = 0;
        for (TenantQuota q : this.quotas.values()) {
            borrowed += borrowed(q.name());
            unused += Math.max(0, q.guaranteedGpuEq() - used(q.name()));
            g += q.guaranteedGpuEq();
        }
        this.totalBorrowed = borrowed;
        this.totalUnusedGuarantee = unused;
        this.guaranteeSum = g;
    }

    /** The tenant a charge or workload counts against: itself if listed, else the default tenant. */
    public String tenantOf(String tenant) {
        return tenant != null && quotas.containsKey(tenant) ? tenant : fallback.name();
    }

    public TenantQuota quota(String tenant) {
        return quotas.get(tenantOf(tenant));
    }

    public Collection<TenantQuota> quotas() {
        return Collections.unmodifiableCollection(quotas.values());
    }

    public List<Charge> charges() {
        return charges;
    }

    public double capacityGpuEq() { return capacityGpuEq; }
    public double capacityCpuCores() { return capacityCpuCores; }
    public double totalUsed() { return totalUsed; }

    /** Capacity nobody uses now. */
    public double free() {
        return Math.max(0, capacityGpuEq - totalUsed);
    }

    public double used(String tenant) {
        return used.getOrDefault(tenantOf(tenant), 0.0);
    }

    public double usedCpuCores(String tenant) {
        return usedCpu.getOrDefault(tenantOf(tenant), 0.0);
    }

    public double usedInPool(String tenant, String pool) {
        return usedByPool.getOrDefault(tenantOf(tenant), Map.of()).getOrDefault(String.valueOf(pool), 0.0);
    }

    public double guaranteed(String tenant) {
        return quota(tenant).guaranteedGpuEq();
    }

    /** Used above the guarantee. */
    public double borrowed(String tenant) {
        return Math.max(0, used(tenant) - guaranteed(tenant));
    }

    /** The part of the tenant's unused guarantee that borrowers hold now (they give it back by reclaim). */
    public double lent(String tenant) {
        double unguaranteed = Math.max(0, capacityGpuEq - guaranteeSum);
        double fromGuarantees = Math.max(0, totalBorrowed - unguaranteed);
        if (fromGuarantees <= 0 || totalUnusedGuarantee <= 0) return 0;
        double unused = Math.max(0, guaranteed(tenant) - used(tenant));
        return Math.min(unused, fromGuarantees * unused / totalUnusedGuarantee);
    }

    /** The sum of the guarantees; above the capacity means the quotas do not add up. */
    public double guaranteeSum() {
        return guaranteeSum;
    }

    /**
     * What the tenant could borrow now: the free capacity less what {@code reserved} (other tenants' pending work
     * within their own guarantees) needs, bounded by the tenant's limit.
     */
    public double availableToBorrow(String tenant, double reserved) {
        double free = Math.max(0, free() - Math.max(0, reserved));
        return Math.max(0, Math.min(free, quota(tenant).limitGpuEq() - used(tenant)));
    }

    /** Every charge, grouped by workload (gang), in the order first seen. Made once: a ledger never changes. */
    public Map<String, List<Charge>> byWorkload() {
        Map<String, List<Charge>> out = byWorkload;
        if (out != null) return out;
        Map<String, List<Charge>> made = new LinkedHashMap<>();
        for (Charge c : charges) made.computeIfAbsent(c.workload(), k -> new ArrayList<>()).add(c);
        made.replaceAll((k, v) -> java.util.Collections.unmodifiableList(v));
        out = java.util.Collections.unmodifiableMap(made);
        byWorkload = out;
        return out;
    }

    private volatile Map<String, List<Charge>> byWorkload;
    private final java.util.concurrent.ConcurrentHashMap<Object, Object> derived = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A value computed from this ledger alone, once per {@code key}: a ledger never changes, and the operator asks the
     * same one about every waiting workload of a cycle (a preemption plan groups every charge by workload).
     * {@code compute} must not ask for another derived value.
     */
    @SuppressWarnings("unchecked")
    public <T> T derived(Object key, java.util.function.Function<TenantLedger, T> compute) {
        return (T) derived.computeIfAbsent(key, k -> compute.apply(this));
    }
}
