package io.plimsoll.tenancy;

import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.Tenant;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.tenancy.Admission;
import io.plimsoll.engine.tenancy.Charges;
import io.plimsoll.engine.tenancy.TenantLedger;
import io.plimsoll.engine.tenancy.TenantQuota;
import io.plimsoll.snapshot.ClusterSnapshot;
import io.plimsoll.snapshot.PodRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's side of tenant quotas: turns what the API server holds into the pure engine's terms
 * ({@link TenantLedger}, {@link Charges}, {@link Admission.Demand}). Only what the API server enforces counts: a replica
 * is charged from Plimsoll's own pod records (pool, devices, parked share) and its workload's namespace, never from
 * labels or annotations a tenant writes; a workload's tenant is its namespace's (the admin's Tenant selectors over
 * Namespace labels, which tenants cannot set without namespace update rights).
 */
public final class TenantAccounting {
    private final ClusterSnapshot snapshot;
    private final TenancyInformers informers;
    private final TenantDirectory directory;

    private final java.util.function.ToIntFunction<AIWorkload> priorityOf;

    /**
     * @param priorityOf a workload's priority as placement resolves it (its PriorityClass), not as its status may still
     *                   say: a workload just created has no status yet, and must not look like priority 0 to preemption
     */
    public TenantAccounting(ClusterSnapshot snapshot, TenancyInformers informers, TenantDirectory directory,
                            java.util.function.ToIntFunction<AIWorkload> priorityOf) {
        this.snapshot = snapshot;
        this.informers = informers;
        this.directory = directory;
        this.priorityOf = priorityOf;
    }

    /** Whether quotas apply at all: some Tenant exists. Without one, nothing is limited and nothing is reclaimed. */
    public boolean active() {
        return !informers.tenants().isEmpty();
    }

    /** The Tenant of that name, or null. */
    public Tenant tenant(String name) {
        for (Tenant t : informers.tenants()) if (t.getMetadata().getName().equals(name)) return t;
        return null;
    }

    /** The namespace's tenant, or null when no tenant limits it. */
    public String tenantOf(String namespace) {
        return directory.tenantOf(namespace).tenantName();
    }

    /** What one device of each pool is worth (AcceleratorPool spec.accelerator.gpuEquivalent). */
    public Charges charges() {
        Map<String, Double> worth = new HashMap<>();
        for (AcceleratorPool p : snapshot.pools()) {
            if (p.getSpec() == null || p.getSpec().getAccelerator() == null) continue;
            double w = p.getSpec().getAccelerator().gpuEquivalentOrDefault();
            if (w > 0) worth.put(p.getMetadata().getName(), w); // CPU pools are worth nothing in GPU-equivalents: charged in cores
        }
        return new Charges(worth);
    }

    /**
     * What a pending workload would charge its tenant: every replica still missing, at the worth of the dearest pool its
     * rules allow (the pool is chosen only when it is placed, so a quota is never exceeded whichever it gets).
     */
    public Admission.Demand demand(Need need, PhaseRules rules, Charges charges) {
        if (!need.wantsAccelerator()) return new Admission.Demand(0, need.replicas() * Charges.cpuCores(need.cpuMilli()), firstPool(rules));
        double dearest = 0;
        String pool = null;
        List<String> candidates = rules.pools();
        if (candidates.isEmpty()) candidates = snapshot.pools().stream().map(p -> p.getMetadata().getName()).toList(); // all pools
        for (String p : candidates) {
            Optional<PoolProfile> profile = snapshot.poolProfile(p);
            if (profile.isEmpty() || profile.get().type() != need.type() || !profile.get().accepts(need.phase())) continue;
            if (!need.models().isEmpty() && (profile.get().model() == null || !need.models().contains(profile.get().model().toUpperCase()))) continue;
            double eq = charges.gpuEq(p, need);
            if (pool == null || eq > dearest) {
                dearest = eq;
                pool = p;
            }
        }
        return new Admission.Demand(dearest, 0, rules.pools().size() == 1 ? pool : null);
    }

    private static String firstPool(PhaseRules rules) {
        return rules.pools().size() == 1 ? rules.pools().get(0) : null;
    }

    /** The quotas of the valid tenants (a Tenant whose spec has problems limits nobody until fixed: its condition says why). */
    public List<TenantQuota> quotas() {
        List<TenantQuota> out = new ArrayList<>();
        for (Tenant t : informers.tenants()) {
            if (!TenantRules.problems(t).isEmpty()) continue;
            out.add(quota(t));
        }
        return out;
    }

    static TenantQuota quota(Tenant t) {
        var spec = t.getSpec();
        double gCpu = spec.getGuaranteed() == null || spec.getGuaranteed().getCpuCores() == null ? 0 : spec.getGuaranteed().getCpuCores();
        double lCpu = spec.getLimit() == null || spec.getLimit().getCpuCores() == null ? Double.POSITIVE_INFINITY : spec.getLimit().getCpuCores();
        double g = TenantRules.guaranteedGpu(t);
        Map<String, Double> caps = new HashMap<>();
        if (spec.getPoolCaps() != null) {
            for (var c : spec.getPoolCaps()) {
                if (c != null && c.getPool() != null && c.getGpuEquivalents() != null) caps.put(c.getPool(), c.getGpuEquivalents());
            }
        }
        return new TenantQuota(t.getMetadata().getName(), g, Math.max(g, TenantRules.limitGpu(t)), gCpu, Math.max(gCpu, lCpu),
                spec.getWeight() == null ? 1 : spec.getWeight(), caps);
    }

    /** Phases preempted unless a Tenant lists its own: notebooks are not, someone works in them. */
    public static final java.util.Set<WorkloadPhase> DEFAULT_PREEMPTIBLE =
            java.util.EnumSet.of(WorkloadPhase.Training, WorkloadPhase.Inference, WorkloadPhase.Optimization);

    private boolean preemptible(String tenantName, WorkloadPhase phase) {
        Tenant t = tenantName == null ? null : tenant(tenantName);
        List<WorkloadPhase> listed = t == null || t.getSpec() == null ? null : t.getSpec().getPreemptiblePhases();
        return listed == null || listed.isEmpty() ? DEFAULT_PREEMPTIBLE.contains(phase) : listed.contains(phase);
    }

    /** The last ledger, and what it was computed from. */
    private record Cached(long records, long tenancy, String pools, long at, TenantLedger ledger) {}

    private volatile Cached cached;
    /** A ledger is reused only this long, even when nothing it reads has moved (a workload's priority class may change). */
    static final long LEDGER_REUSE_MS = 1_000;

    /**
     * Who uses what now. Rebuilt from every record only when a record, a Tenant, a namespace or PriorityClass, or a
     * pool changed (or after a second), so asking for each waiting workload in a cycle costs what changed.
     */
    public TenantLedger ledger() {
        // Not moved by a created pod's UID being recorded (once per placement, off the loop): a charge does not read the
        // UID, and its start (the record's time, renewed then) moves only by the pod's creation time until the next build.
        long records = snapshot.placementsVersion(), tenancy = informers.version(), now = System.currentTimeMillis();
        String pools = poolsKey();
        Cached c = cached;
        if (c != null && c.records() == records && c.tenancy() == tenancy && c.pools().equals(pools) && now - c.at() < LEDGER_REUSE_MS) {
            return c.ledger();
        }
        TenantLedger l = build();
        cached = new Cached(records, tenancy, pools, now, l);
        return l;
    }

    /**
     * Every pool, by name and spec generation (its status writes do not move it; where the server keeps no generation,
     * by resourceVersion).
     */
    private String poolsKey() {
        StringBuilder pools = new StringBuilder();
        for (AcceleratorPool p : snapshot.pools()) {
            Long gen = p.getMetadata().getGeneration();
            pools.append(p.getMetadata().getName()).append('@').append(gen != null ? "g" + gen : "rv" + p.getMetadata().getResourceVersion()).append(',');
        }
        return pools.toString();
    }

    private TenantLedger build() {
        Charges charges = charges();
        List<TenantQuota> quotas = quotas();
        TenantQuota fallback = null;
        Optional<String> def = directory.defaultTenantName();
        if (def.isPresent()) fallback = quotas.stream().filter(q -> q.name().equals(def.get())).findFirst().orElse(null);
        var state = snapshot.state();
        // The pool's nodes as the cluster state groups them (not a label scan of every node per pool per build).
        double capacity = TenantRules.capacityGpu(snapshot.pools(), p -> state.nodesOf(p.getMetadata().getName()).size());
        double cpu = 0;
        for (AcceleratorPool p : snapshot.pools()) {
            var profile = snapshot.poolProfile(p.getMetadata().getName());
            if (profile.isEmpty() || profile.get().type() != AcceleratorType.None) continue;
            for (NodeState n : state.nodesOf(profile.get().name())) cpu += n.cpuMilliCapacity() / 1000.0;
        }
        List<TenantLedger.Charge> running = new ArrayList<>();
        long tenancyVersion = informers.version();
        // A record the last build charged, unchanged (the same object: the record book replaces a record when it
        // changes), keeps its charge while what the charge read is as fresh as a ledger may be: the same tenancy, pool
        // worths and workload facts younger than LEDGER_REUSE_MS. So a build after one placement costs the new records'
        // lookups, not every record's.
        long now = System.currentTimeMillis();
        String worths = poolsKey(); // a pool's worth and type are in its spec: its generation moves with them
        ChargeCache reuse = chargeCache;
        boolean reusable = reuse != null && reuse.tenancy() == tenancyVersion && reuse.worths().equals(worths)
                && now - reuse.at() < LEDGER_REUSE_MS && now >= reuse.at();
        List<PodRecord> records = snapshot.records();
        Map<PodRecord, TenantLedger.Charge> charged = new java.util.IdentityHashMap<>(records.size()); // sized once, no rehash
        // Per build, each workload, namespace and pool is looked up once, however many replicas it has; what a
        // workload's charge needs from its spec is kept across builds while the workload and tenancy are unchanged.
        Map<String, WorkloadFacts> seen = new HashMap<>();
        Map<String, Boolean> acceleratedPool = new HashMap<>();
        for (PodRecord r : records) {
            TenantLedger.Charge kept = reusable ? reuse.charges().get(r) : null;
            if (kept != null) {
                running.add(kept);
                charged.put(r, kept);
                continue;
            }
            WorkloadFacts f = seen.computeIfAbsent(r.workloadKey(), k -> facts(k, tenancyVersion));
            String tenant = f.tenant();
            int priority = f.priority();
            WorkloadPhase phase = f.phase();
            boolean checkpoints = f.checkpoints();
            boolean accelerated = acceleratedPool.computeIfAbsent(r.pool(),
                    pn -> snapshot.poolProfile(pn).map(pp -> pp.type() != AcceleratorType.None).orElse(false));
            double eq = !accelerated ? 0 : r.parkedMilli() > 0 ? charges.parked(r.pool(), r.parkedMilli()) : charges.gpuEq(r.pool(), r.slot());
            double cores = accelerated ? 0 : Charges.cpuCores(r.slot().cpuMilli());
            TenantLedger.Charge charge = new TenantLedger.Charge(tenant, r.podKey(), r.workloadKey(), r.pool(), eq, cores, priority,
                    r.at() == null ? 0 : r.at().toEpochMilli(), r.parkedMilli() > 0, phase, r.slot(), checkpoints);
            running.add(charge);
            charged.put(r, charge);
        }
        // The charges' freshness is that of their oldest facts: kept from the first build of a series, not renewed.
        chargeCache = new ChargeCache(tenancyVersion, worths, reusable ? reuse.at() : now, charged);
        if (!reusable) factsCache.keySet().retainAll(seen.keySet());
        return new TenantLedger(quotas, fallback, capacity, cpu, running);
    }

    /** The charges of the last build, by record (identity), and what they were computed from. */
    private record ChargeCache(long tenancy, String worths, long at, Map<PodRecord, TenantLedger.Charge> charges) {}

    private volatile ChargeCache chargeCache;

    /**
     * What a workload's charges take from it and its tenant: the tenant of its namespace, its priority (from its
     * PriorityClass), its phase when its tenant lets that phase be preempted (else null), and whether it declares it
     * checkpoints.
     */
    private record WorkloadFacts(String specVersion, long tenancyVersion, long at, String tenant, int priority,
                                 WorkloadPhase phase, boolean checkpoints) {}

    private final Map<String, WorkloadFacts> factsCache = new java.util.concurrent.ConcurrentHashMap<>();

    private WorkloadFacts facts(String workloadKey, long tenancyVersion) {
        int slash = workloadKey.indexOf('/');
        String ns = workloadKey.substring(0, slash);
        AIWorkload w = snapshot.workload(ns, workloadKey.substring(slash + 1));
        // The spec's generation, not the resourceVersion: status writes do not change what these facts read.
        String rv = w == null ? null : w.getMetadata().getUid() + "@" + w.getMetadata().getGeneration();
        WorkloadFacts f = factsCache.get(workloadKey);
        long now = System.currentTimeMillis();
        // Reused while the workload and tenancy are unchanged, for at most as long as a ledger (a PlacementPolicy's
        // priority may change without either).
        if (f != null && f.tenancyVersion() == tenancyVersion && java.util.Objects.equals(f.specVersion(), rv)
                && now - f.at() < LEDGER_REUSE_MS && now >= f.at()) {
            return f;
        }
        String tenant = tenantOf(ns);
        int priority = w == null ? 0 : priorityOf.applyAsInt(w);
        WorkloadPhase phase = w == null || w.getSpec() == null ? null : w.getSpec().getPhase();
        // The workload owner's own declaration about its own work: it can only make that work a cheaper victim.
        boolean checkpoints = phase == WorkloadPhase.Training && w.getSpec().getTraining() != null
                && w.getSpec().getTraining().checkpoints();
        // The victim's tenant says which of its phases may be preempted; the planner skips a charge without a phase.
        if (phase != null && !preemptible(tenant, phase)) phase = null;
        f = new WorkloadFacts(rv, tenancyVersion, now, tenant, priority, phase, checkpoints);
        if (rv != null) factsCache.put(workloadKey, f);
        return f;
    }
}
