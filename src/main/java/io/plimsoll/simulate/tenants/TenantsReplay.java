package io.plimsoll.simulate.tenants;

import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.ReplicaSlot;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.tenancy.Admission;
import io.plimsoll.engine.tenancy.Charges;
import io.plimsoll.engine.tenancy.ReclaimPlanner;
import io.plimsoll.engine.tenancy.TenantLedger;
import io.plimsoll.engine.tenancy.TenantQuota;
import io.plimsoll.scheduling.Nomination;
import io.plimsoll.scheduling.PlacementQueue;
import io.plimsoll.simulate.TraceLoader;
import io.plimsoll.simulate.tenants.TenantsLoad.Job;
import io.plimsoll.simulate.tenants.TenantsLoad.Task;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * A discrete-event replay of a multi-tenant load through the operator's own rules: the placement queue's order
 * ({@link PlacementQueue#ORDER}: priority, then arrival), {@link Admission} for quotas and borrowing,
 * {@link ReclaimPlanner} for reclaim and preemption, and the {@link PlacementEngine} (best fit) on a
 * {@link ClusterState} of the openb nodes, one pool per GPU model.
 * <p>
 * A cycle runs after every instant at which something arrives, finishes or is preempted. As in the placement loop,
 * work that found no room is tried again only once capacity it could use has freed (a node it fits on by CPU, memory
 * and devices), and identical waiting work of one tenant (same shape) is tried once per cycle: when the first in line
 * does not fit, the others do not either.
 * <ul>
 * <li>{@code no-quota}: priority then arrival, no tenant checks, no preemption.</li>
 * <li>{@code static-quota}: the same, but nobody exceeds its guarantee ({@link TenantQuota#staticOnly()}).</li>
 * <li>{@code plimsoll}: {@link Admission} (guarantee, borrowing up to the limit, fair share by weight); a workload
 * admitted within its tenant's guarantee that does not fit asks {@link ReclaimPlanner}, whose victims stop after the
 * grace period (still holding their devices until then) and restart from scratch (their progress is lost GPU-hours);
 * the workload they made room for is tried first once they are gone, as a nominated pod is.</li>
 * </ul>
 */
final class TenantsReplay {
    enum Policy {
        NO_QUOTA("no-quota"), STATIC_QUOTA("static-quota"), PLIMSOLL("plimsoll");
        final String label;
        Policy(String label) { this.label = label; }
    }

    record TenantResult(String tenant, double guaranteed, double waitP50Seconds, double waitP99Seconds, double deficitTimePct,
                        double reclaimP50Seconds, double reclaimP99Seconds, int deficits, double maxUsedGpuEq,
                        double entitledWaitP50Seconds, double entitledWaitP99Seconds, int entitledWaits) {}

    record Result(String policy, double allocationPct, int preemptions, double lostGpuHours, double busyGpuHours,
                  double lostGpuHoursPct, int started, int finished, int pendingAtEnd, List<TenantResult> tenants,
                  boolean tookWithinGuarantee, double maxAboveGuaranteeGpuEq, double seconds) {}

    private static final PhaseRules RULES = PhaseRules.DEFAULT;
    private static final int ARRIVE = 2, FINISH = 0, KILL = 1;
    private static final double EPS = 1e-9;

    private record Event(long at, int kind, int job, int version) {}

    private enum Status { PENDING, RUNNING, TERMINATING, DONE }

    private static final class JobState {
        final Job job;
        final Need need;
        final String key;
        final PlacementQueue.Entry entry;
        final double nominal;
        Status status = Status.PENDING;
        long pendingSince;
        /** When it began waiting with its tenant's use plus its own nominal charge within the guarantee; -1 if not. */
        long entitledSince = -1;
        long start;
        int version;
        /** It checkpoints on SIGTERM: preempted, it keeps the progress it had made and resumes from there. */
        boolean checkpoints;
        /** Progress kept from earlier runs (checkpointed), ms; and when its last SIGTERM came. */
        long done, sigtermAt;
        String pool;
        List<ReplicaSlot> slots = List.of();
        double gpuEq;
        /** Victims still to go before it is tried first; -1 when not waiting for a preemption. */
        int awaiting = -1;
        /** Where it will go once its victims are gone (so later reclaims do not count on the same room). */
        List<ReplicaSlot> promised = List.of();
        JobState(Job job, Need need, double nominal) {
            this.job = job;
            this.need = need;
            this.key = "team" + job.tenant() + "/job-" + job.id();
            this.entry = new PlacementQueue.Entry(key, job.task().priority(), job.arrivalMillis());
            this.nominal = nominal;
        }
    }

    /** Waiting jobs of one tenant and one shape, in queue order. */
    private static final class Group {
        final int tenant;
        final Task shape;
        final Need need;
        final double nominal;
        final PlacementQueue queue = new PlacementQueue();
        /** To be tried this cycle: something arrived, or capacity it could use freed, since it last found no room. */
        boolean dirty;
        /** Something of its shape arrived since it was last tried (else only freed nodes can take it). */
        boolean arrived;
        /**
         * Last refused by the tenant's quota: for its own limit (tried again when the tenant's own work stops), or for
         * want of capacity to borrow (tried again when any work stops).
         */
        boolean refusedOwn, refusedBorrow;
        /** What it would have been charged when refused. */
        double refusedCharge;
        long reclaimFailedAt = -1, reclaimFailedStarts = -1;
        /** In line this cycle as work within its tenant's guarantee (tried before work that would borrow). */
        boolean withinGuarantee;
        Group(int tenant, Task shape, Need need, double nominal) {
            this.tenant = tenant;
            this.shape = shape;
            this.need = need;
            this.nominal = nominal;
        }
    }

    private final List<TraceLoader.NodeSpec> nodeSpecs;
    private final TenantsLoad load;
    private final Charges charges;
    private final Map<String, Double> worth;
    private final long graceMillis;
    private final long warmupMillis, endMillis;
    private final PlacementEngine engine = new PlacementEngine();
    private final double capacityGpuEq;

    /** Share of unused guarantees not lent (plimsoll policy), see {@link Admission#decide}. */
    private final double unlent;
    /** Share of the jobs that checkpoint on SIGTERM, and the seed that picks them. */
    private final double checkpointing;
    private final long checkpointSeed;

    TenantsReplay(List<TraceLoader.NodeSpec> nodes, TenantsLoad load, Map<String, Double> worth, long graceMillis,
                  long warmupMillis, long endMillis, double unlent) {
        this(nodes, load, worth, graceMillis, warmupMillis, endMillis, unlent, 0, 0);
    }

    /**
     * @param checkpointing share of the jobs (0..1, picked at random with {@code seed}) that declare they checkpoint on
     *                      SIGTERM, as a Training workload does with {@code spec.training.checkpointsOnTermination}: the
     *                      planner prefers them as victims, and preempted they lose nothing
     */
    TenantsReplay(List<TraceLoader.NodeSpec> nodes, TenantsLoad load, Map<String, Double> worth, long graceMillis,
                  long warmupMillis, long endMillis, double unlent, double checkpointing, long seed) {
        if (!(checkpointing >= 0 && checkpointing <= 1)) throw new IllegalArgumentException("checkpointing share " + checkpointing + " is not in [0, 1]");
        this.checkpointing = checkpointing;
        this.checkpointSeed = seed;
        this.unlent = unlent;
        this.nodeSpecs = nodes;
        this.load = load;
        this.worth = worth;
        this.charges = new Charges(worth);
        this.graceMillis = graceMillis;
        this.warmupMillis = warmupMillis;
        this.endMillis = endMillis;
        double c = 0;
        for (TraceLoader.NodeSpec n : nodes) c += n.gpus() * charges.worth(n.model());
        this.capacityGpuEq = c;
    }

    double capacityGpuEq() { return capacityGpuEq; }

    /** The openb nodes as the operator's model: one pool per GPU model, devices shareable (Fractional). */
    static ClusterState cluster(List<TraceLoader.NodeSpec> nodes, Charges charges) {
        ClusterState s = new ClusterState();
        Map<String, Integer> perNode = new LinkedHashMap<>();
        for (TraceLoader.NodeSpec n : nodes) if (n.gpus() > 0) perNode.merge(n.model(), n.gpus(), Math::max);
        for (var e : perNode.entrySet()) {
            // A node's price in proportion to what its devices are worth, so the cheapest pool is the least worth.
            s.addPool(new PoolProfile(e.getKey(), AcceleratorType.GPU, e.getKey(), 32, e.getValue(), "nvidia.com/gpu",
                    SharingMode.Fractional, List.of(), null, charges.worth(e.getKey()) * e.getValue(), Set.of()));
        }
        for (TraceLoader.NodeSpec n : nodes) {
            if (n.gpus() == 0) continue;
            s.addNode(new NodeState(n.name(), n.model(), true, n.cpuMilli(), n.memMib() << 20, n.gpus(), Map.of()));
        }
        return s;
    }

    static Need need(Task t) {
        java.util.Set<String> models = new java.util.HashSet<>();
        for (String p : t.spec().split("\\|")) if (!p.isEmpty()) models.add(p);
        boolean share = t.gpus() == 1 && t.gpuMilli() < 1000;
        return new Need(WorkloadPhase.Training, 1, t.cpuMilli(), t.memMib() << 20, AcceleratorType.GPU, share ? 0 : t.gpus(),
                share ? t.gpuMilli() : 0, 0, models, null, false);
    }

    // ---- one run ----

    private Policy policy;
    private ClusterState state;
    private List<TenantQuota> quotas;
    private JobState[] jobs;
    private final PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
            : a.kind != b.kind ? Integer.compare(a.kind, b.kind) : Integer.compare(a.job, b.job));
    private final Map<String, Group> groups = new LinkedHashMap<>();
    /** Groups by shape, for the fit check when a node frees capacity. */
    private final Map<String, List<Group>> byShape = new LinkedHashMap<>();
    private final List<String> freedNodes = new ArrayList<>();
    private List<java.util.TreeMap<Double, Integer>> pendingNominal;
    /** Each tenant's waiting jobs in queue order (its first is what it competes for the surplus with). */
    private List<PlacementQueue> tenantLine;
    /** Shapes that found no room in this cycle: identical work behind them is not tried again in it. */
    private final Set<String> noRoom = new HashSet<>();
    /** The ledger of this instant, until something starts. */
    private TenantLedger ledgerNow;
    private List<List<Group>> groupsOf;
    private double minWorth;
    long engineCalls, engineFails, cycles, plannerCalls;
    private long starts;
    private double[] used, claimed;
    private final Set<JobState> running = new java.util.LinkedHashSet<>();
    private final List<JobState> awaitingJobs = new ArrayList<>();
    private final Map<String, Integer> awaitingByVictim = new HashMap<>();
    private final Set<String> terminating = new HashSet<>();
    private final Map<String, JobState> byKey = new HashMap<>();
    private List<Map<String, Double>> usedPool; // per tenant: pool -> GPU-eq
    // metrics
    private long now;
    private double allocArea, busyArea, lost;
    private int preemptions, started, finished;
    private double runningGpuEq, runningDevices;
    private List<List<Double>> waits, episodes, entitledWaits;
    private double[] deficitTime, maxUsed;
    private long[] deficitSince;
    private boolean tookWithinGuarantee;
    private double maxAboveGuarantee;

    /** Replays the load once under {@code p}; a replay runs once (make a new one per policy). */
    Result run(Policy p) {
        if (policy != null) throw new IllegalStateException("a TenantsReplay runs once; make a new one per policy");
        long t0 = System.nanoTime();
        policy = p;
        state = cluster(nodeSpecs, charges);
        quotas = new ArrayList<>();
        for (TenantsLoad.Tenant t : load.tenants()) quotas.add(p == Policy.STATIC_QUOTA ? t.quota().staticOnly() : t.quota());
        int n = quotas.size();
        used = new double[n];
        claimed = new double[n];
        deficitTime = new double[n];
        maxUsed = new double[n];
        deficitSince = new long[n];
        Arrays.fill(deficitSince, -1);
        waits = new ArrayList<>();
        episodes = new ArrayList<>();
        entitledWaits = new ArrayList<>();
        pendingNominal = new ArrayList<>();
        tenantLine = new ArrayList<>();
        groupsOf = new ArrayList<>();
        usedPool = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            waits.add(new ArrayList<>());
            episodes.add(new ArrayList<>());
            entitledWaits.add(new ArrayList<>());
            pendingNominal.add(new java.util.TreeMap<>());
            tenantLine.add(new PlacementQueue());
            groupsOf.add(new ArrayList<>());
            usedPool.add(new HashMap<>());
        }
        minWorth = state.pools().stream().mapToDouble(pl -> charges.worth(pl.name())).min().orElse(1);
        double meanWorth = capacityGpuEq / nodeSpecs.stream().mapToInt(TraceLoader.NodeSpec::gpus).sum();
        jobs = new JobState[load.jobs().size()];
        Map<Task, Need> needs = new HashMap<>();
        for (Job j : load.jobs()) {
            jobs[j.id()] = new JobState(j, needs.computeIfAbsent(j.task(), TenantsReplay::need), j.task().devices() * meanWorth);
            byKey.put(jobs[j.id()].key, jobs[j.id()]);
            events.add(new Event(j.arrivalMillis(), ARRIVE, j.id(), 0));
        }
        if (checkpointing > 0) {
            // Its own stream (not the load's), so the same load is replayed with and without checkpointing.
            java.util.SplittableRandom pick = new java.util.SplittableRandom(checkpointSeed * 0x9E3779B97F4A7C15L + 0xC0FFEE);
            for (JobState j : jobs) j.checkpoints = pick.nextDouble() < checkpointing;
        }
        while (!events.isEmpty() && events.peek().at() < endMillis) {
            long at = events.peek().at();
            advance(at);
            while (!events.isEmpty() && events.peek().at() == at) handle(events.poll());
            cycle();
            trackDeficits();
        }
        advance(endMillis);
        if (System.getenv("PLIMSOLL_TENANTS_DEBUG") != null) {
            System.err.printf("%s: %d cycles, %d engine calls, %d found no room, %d reclaim plans, %d nominations%n", p.label, cycles,
                    engineCalls, engineFails, plannerCalls, nominations);
        }
        int pending = 0;
        for (JobState j : jobs) {
            if (j.status == Status.PENDING && j.job.arrivalMillis() < endMillis) {
                pending++;
                if (j.pendingSince >= warmupMillis) waits.get(j.job.tenant()).add((endMillis - j.pendingSince) / 1000.0);
                if (j.entitledSince >= warmupMillis) entitledWaits.get(j.job.tenant()).add((endMillis - j.entitledSince) / 1000.0);
            }
        }
        for (int i = 0; i < n; i++) {
            if (deficitSince[i] >= 0) endDeficit(i, endMillis);
        }
        double window = endMillis - warmupMillis;
        List<TenantResult> tr = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Double> w = waits.get(i), e = episodes.get(i), ew = entitledWaits.get(i);
            tr.add(new TenantResult(quotas.get(i).name(), load.tenants().get(i).quota().guaranteedGpuEq(), pct(w, 50), pct(w, 99),
                    100 * deficitTime[i] / window, pct(e, 50), pct(e, 99), e.size(), maxUsed[i], pct(ew, 50), pct(ew, 99),
                    ew.size()));
        }
        return new Result(p.label, 100 * allocArea / (capacityGpuEq * window), preemptions, lost / 3.6e6, busyArea / 3.6e6,
                busyArea == 0 ? 0 : 100 * lost / busyArea, started, finished, pending, tr, tookWithinGuarantee,
                maxAboveGuarantee, (System.nanoTime() - t0) / 1e9);
    }

    private void advance(long to) {
        long from = Math.max(now, warmupMillis), until = Math.min(to, endMillis);
        if (until > from) {
            allocArea += runningGpuEq * (until - from);
            busyArea += runningDevices * (until - from);
        }
        now = to;
    }

    private void handle(Event e) {
        JobState j = jobs[e.job()];
        switch (e.kind()) {
            case ARRIVE -> {
                j.pendingSince = e.at();
                enqueue(j);
            }
            case FINISH -> {
                if (e.version() != j.version || (j.status != Status.RUNNING && j.status != Status.TERMINATING)) return;
                stop(j);
                j.status = Status.DONE;
                finished++;
            }
            case KILL -> {
                if (e.version() != j.version || j.status != Status.TERMINATING) return;
                long ran = Math.max(0, now - Math.max(j.start, warmupMillis));
                if (now > warmupMillis) {
                    preemptions++;
                    if (!j.checkpoints) lost += j.job.task().devices() * ran;
                }
                // A job that checkpoints saved its progress when its SIGTERM came; it resumes from there.
                if (j.checkpoints) j.done = Math.min(j.job.task().runMillis() - 1, j.done + Math.max(0, j.sigtermAt - j.start));
                stop(j);
                j.status = Status.PENDING;
                j.pendingSince = now;
                enqueue(j);
            }
            default -> throw new IllegalStateException();
        }
    }

    private void enqueue(JobState j) {
        Group g = groups.computeIfAbsent(j.job.tenant() + "|" + j.job.task().shapeKey(), k -> {
            Group fresh = new Group(j.job.tenant(), j.job.task(), j.need, j.nominal);
            byShape.computeIfAbsent(j.job.task().shapeKey(), x -> new ArrayList<>()).add(fresh);
            groupsOf.get(j.job.tenant()).add(fresh);
            return fresh;
        });
        g.queue.offer(j.entry);
        int tn = j.job.tenant();
        j.entitledSince = used[tn] + j.nominal <= load.tenants().get(tn).quota().guaranteedGpuEq() + EPS ? now : -1;
        tenantLine.get(j.job.tenant()).offer(j.entry);
        g.dirty = true;
        g.arrived = true;
        pendingNominal.get(j.job.tenant()).merge(j.nominal, 1, Integer::sum);
    }

    private void dequeue(JobState j) {
        group(j).queue.remove(j.key);
        tenantLine.get(j.job.tenant()).remove(j.key);
        pendingNominal.get(j.job.tenant()).computeIfPresent(j.nominal, (k, v) -> v <= 1 ? null : v - 1);
    }

    private Group group(JobState j) {
        return groups.get(j.job.tenant() + "|" + j.job.task().shapeKey());
    }

    private void start(JobState j, PlacementDecision d) {
        ledgerNow = null;
        promisedView = null;
        state.apply(d);
        j.status = Status.RUNNING;
        j.pool = d.pool();
        j.slots = d.slots();
        j.gpuEq = charges.gpuEq(d);
        j.start = now;
        j.version++;
        int t = j.job.tenant();
        used[t] += j.gpuEq;
        maxUsed[t] = Math.max(maxUsed[t], used[t]);
        maxAboveGuarantee = Math.max(maxAboveGuarantee, used[t] - quotas.get(t).guaranteedGpuEq());
        usedPool.get(t).merge(j.pool, j.gpuEq, Double::sum);
        runningGpuEq += j.gpuEq;
        runningDevices += j.job.task().devices();
        running.add(j);
        dequeue(j);
        if (j.pendingSince >= warmupMillis) waits.get(t).add((now - j.pendingSince) / 1000.0);
        // Work that came within its guarantee and did not start at once: how long it took to get its capacity.
        if (j.entitledSince >= warmupMillis && now > j.entitledSince) entitledWaits.get(t).add((now - j.entitledSince) / 1000.0);
        j.entitledSince = -1;
        events.add(new Event(now + j.job.task().runMillis() - j.done, FINISH, j.job.id(), j.version));
        started++;
        starts++;
    }

    private void stop(JobState j) {
        ledgerNow = null;
        promisedView = null;
        for (ReplicaSlot s : j.slots) {
            NodeState node = state.node(s.node());
            node.release(s);
            freed(node);
        }
        for (Group g : groups.values()) {
            if (g.refusedBorrow || (g.refusedOwn && g.tenant == j.job.tenant()
                    && quotas.get(g.tenant).limitGpuEq() - used[g.tenant] >= g.refusedCharge - EPS)) {
                g.dirty = true;
                g.arrived = true; // the quota changed, not only the nodes
            }
        }
        int t = j.job.tenant();
        used[t] -= j.gpuEq;
        usedPool.get(t).merge(j.pool, -j.gpuEq, Double::sum);
        runningGpuEq -= j.gpuEq;
        runningDevices -= j.job.task().devices();
        running.remove(j);
        j.slots = List.of();
        j.version++;
        terminating.remove(j.key);
        Integer waiting = awaitingByVictim.remove(j.key);
        if (waiting != null && jobs[waiting].awaiting > 0) jobs[waiting].awaiting--;
    }

    /** Capacity freed on the node: waiting shapes that it could now take are tried again. */
    private void freed(NodeState node) {
        freedNodes.add(node.name());
        for (List<Group> gs : byShape.values()) {
            Group first = gs.get(0);
            if (roomFor(node, first.need)) for (Group g : gs) g.dirty = true;
        }
    }

    /** The tenants' use now, as one charge per tenant and pool (what admission reads). */
    private TenantLedger ledger() {
        if (ledgerNow != null) return ledgerNow;
        List<TenantLedger.Charge> cs = new ArrayList<>();
        for (int t = 0; t < quotas.size(); t++) {
            String name = quotas.get(t).name();
            for (var e : usedPool.get(t).entrySet()) {
                if (e.getValue() <= EPS) continue;
                cs.add(new TenantLedger.Charge(name, name + "/" + e.getKey(), name + "/" + e.getKey(), e.getKey(), e.getValue(),
                        0, 0, 0, false, WorkloadPhase.Training, null, false));
            }
        }
        ledgerNow = new TenantLedger(quotas, null, capacityGpuEq, 0, cs);
        return ledgerNow;
    }

    /** Every running replica with its slot (what reclaim reads). */
    private TenantLedger fullLedger() {
        List<TenantLedger.Charge> cs = new ArrayList<>();
        for (JobState j : running) {
            cs.add(new TenantLedger.Charge(quotas.get(j.job.tenant()).name(), j.key, j.key, j.pool, j.gpuEq, 0,
                    j.job.task().priority(), j.start, false, WorkloadPhase.Training, j.slots.get(0), j.checkpoints));
        }
        return new TenantLedger(quotas, null, capacityGpuEq, 0, cs);
    }

    private int freedCheckedTo;
    private ClusterState promisedView;

    /** The state as if the work preemption made room for already held its promised slots; made again on any change. */
    private ClusterState withPromises() {
        if (promisedView == null) {
            promisedView = state.copy();
            for (JobState a : awaitingJobs) for (ReplicaSlot slot : a.promised) promisedView.node(slot.node()).apply(slot);
        }
        return promisedView;
    }

    private final Set<Group> freedOnly = new HashSet<>();

    private void cycle() {
        cycles++;
        noRoom.clear();
        // First the work preemption made room for, once its victims are gone.
        for (var it = awaitingJobs.iterator(); it.hasNext(); ) {
            JobState j = it.next();
            if (j.awaiting != 0) continue;
            it.remove();
            promisedView = null; // what the others were promised, without its own promise
            claimed[j.job.tenant()] -= j.nominal;
            tryStart(j, group(j));
            j.awaiting = -1;
            j.promised = List.of();
            promisedView = null;
        }
        // Then every group that may start, in the loop's order by the head of each: within its tenant's guarantee
        // first, then priority, then arrival.
        PriorityQueue<Group> line = new PriorityQueue<>(LINE);
        for (Group g : groups.values()) {
            if (!g.dirty) continue;
            g.dirty = false;
            boolean anywhere = g.arrived;
            g.arrived = false;
            // Freed capacity only: the nodes that freed since the last cycle are the only ones it could now fit on.
            if (g.queue.first() == null) continue;
            inLine(g);
            line.add(g);
            if (!anywhere) freedOnly.add(g);
        }
        while (!line.isEmpty()) {
            Group g = line.poll();
            if (freedOnly.remove(g) && !roomOnFreed(g.need)) continue;
            JobState j = byKey.get(g.queue.first().key());
            boolean started;
            if (j.awaiting > 0) {
                // Its victims are still stopping; as in the operator's loop it still takes room that is free now
                // elsewhere (its own promise set aside). The rest of its group waits behind it.
                started = tryStartAwaiting(j, g);
            } else {
                started = tryStart(j, g);
                // First in line with no room: nodes are held for it (Nomination), as the loop does for its head.
                if (!started && lastNoRoom && (head == null || (g != head && LINE.compare(g, head) < 0))) nominate(g);
            }
            if (started && g == head) release();
            if (started && g.queue.first() != null) {
                inLine(g);
                line.add(g);
            }
        }
        freedCheckedTo = freedNodes.size();
        freedOnly.clear();
        if (policy == Policy.PLIMSOLL) reclaim();
        // A head that now waits for its victims has its room coming: the nodes held for it are let go (the loop
        // nominates only for work with no room and nothing done for it).
        if (head != null) {
            PlacementQueue.Entry first = head.queue.first();
            if (first == null || byKey.get(first.key()).awaiting >= 0) release();
        }
    }

    /** The group whose head the held nodes are for, and the nodes. */
    private Group head;
    private Set<String> held = Set.of();
    private boolean lastNoRoom;
    long nominations;

    private void nominate(Group g) {
        Set<String> nodes = Nomination.nodesFor(g.need, state, RULES, engine, null);
        nominations++;
        if (nodes.isEmpty()) return;
        release();
        head = g;
        held = nodes;
    }

    /** The held nodes are anyone's again: work that could use them is tried again. */
    private void release() {
        for (String n : held) freed(state.node(n));
        head = null;
        held = Set.of();
    }

    private static final java.util.Comparator<Group> LINE = (a, b) -> PlacementQueue.compare(a.withinGuarantee, a.queue.first(),
            b.withinGuarantee, b.queue.first());

    /** Whether its head is within its tenant's guarantee now (the placement loop's order, {@link PlacementQueue#compare}). */
    private void inLine(Group g) {
        g.withinGuarantee = policy != Policy.NO_QUOTA
                && Admission.withinGuarantee(ledger(), quotas.get(g.tenant).name(), Admission.Demand.gpu(g.nominal));
    }

    /** A job whose victims are still stopping tries the room free now, without its own promise; started, it gives the promise up. */
    private boolean tryStartAwaiting(JobState j, Group g) {
        int at = awaitingJobs.indexOf(j);
        awaitingJobs.remove(at);
        promisedView = null;
        int awaiting = j.awaiting;
        j.awaiting = -1; // tried as any waiting job (not as nominated)
        boolean started = tryStart(j, g);
        if (started) {
            claimed[j.job.tenant()] -= j.nominal;
            j.promised = List.of();
        } else {
            j.awaiting = awaiting;
            awaitingJobs.add(at, j);
        }
        promisedView = null;
        return started;
    }

    /** CPU, memory and devices only (a necessary condition of the engine's fit). */
    private static boolean roomFor(NodeState n, Need need) {
        if (n.cpuMilliFree() < need.cpuMilli() || n.memoryBytesFree() < need.memoryBytes()) return false;
        if (!need.models().isEmpty() && !need.models().contains(n.pool().toUpperCase(java.util.Locale.ROOT))) return false;
        if (need.fractional()) {
            for (int d = 0; d < n.deviceCount(); d++) if (n.deviceFreeMilli(d) >= need.fractionMilli()) return true;
            return false;
        }
        return n.wholeDevicesFree() >= need.count();
    }

    /** Quota, then the engine; starts it when both say yes. */
    private boolean tryStart(JobState j, Group g) {
        lastNoRoom = false;
        g.refusedOwn = g.refusedBorrow = false;
        TenantLedger ledger = null;
        if (policy != Policy.NO_QUOTA) {
            // Cheap first: refused even at the least a device is worth, it is refused wherever it would go.
            ledger = ledger();
            double least = j.job.task().devices() * minWorth;
            Admission.Decision cheap = Admission.decide(ledger, quotas.get(j.job.tenant()).name(), Admission.Demand.gpu(least),
                    competitors(j.job.tenant()), unlent);
            if (!cheap.admitted()) {
                refused(g, cheap);
                return false;
            }
        }
        boolean nominated = j.awaiting == 0;
        // Nodes held for the head of the line: work behind it only backfills around them (the loop's rule).
        Set<String> hold = nominated || g == head ? Set.of() : held;
        String shapeKey = (hold.isEmpty() ? "" : "held|") + g.shape.shapeKey();
        if (!nominated && noRoom.contains(shapeKey)) return false;
        // The room promised to work that preemption made room for is not for the others (kube-scheduler's nomination),
        // nor for other work preemption made room for.
        PlacementDecision d = Nomination.backfill(engine, j.need, awaitingJobs.isEmpty() ? state : withPromises(), RULES, hold);
        engineCalls++;
        if (!d.placed()) {
            engineFails++;
            if (!nominated) {
                noRoom.add(shapeKey);
                lastNoRoom = true;
            }
            return false;
        }
        if (ledger != null) {
            Admission.Decision a = Admission.decide(ledger, quotas.get(j.job.tenant()).name(),
                    new Admission.Demand(charges.gpuEq(d), 0, d.pool()), competitors(j.job.tenant()), unlent);
            if (!a.admitted()) {
                refused(g, a);
                return false;
            }
        }
        start(j, d);
        return true;
    }

    private static void refused(Group g, Admission.Decision a) {
        g.refusedCharge = a.demand();
        if (a.reason() == Admission.Reason.AboveLimit || a.reason() == Admission.Reason.PoolCap) g.refusedOwn = true;
        else g.refusedBorrow = true;
    }

    private boolean roomOnFreed(Need need) {
        for (int i = freedCheckedTo; i < freedNodes.size(); i++) {
            if (roomFor(state.node(freedNodes.get(i)), need)) return true;
        }
        return false;
    }

    /** Each other tenant's first waiting job and its nominal demand. */
    private List<Admission.Competitor> competitors(int tenant) {
        List<Admission.Competitor> out = new ArrayList<>();
        for (int i = 0; i < quotas.size(); i++) {
            PlacementQueue.Entry first = i == tenant ? null : tenantLine.get(i).first();
            if (first != null) out.add(new Admission.Competitor(quotas.get(i).name(), byKey.get(first.key()).nominal));
        }
        return out;
    }

    /** Reclaim (and preemption by priority) for admitted work that does not fit. */
    private void reclaim() {
        TenantLedger full = null;
        ClusterState planState = null;
        ReclaimPlanner planner = new ReclaimPlanner(engine, charges, Set.of(WorkloadPhase.Training), graceMillis / 1000);
        for (int t = 0; t < quotas.size(); t++) {
          TenantQuota q = quotas.get(t);
          if (used[t] + claimed[t] >= q.guaranteedGpuEq() - EPS) continue;
          for (Group g : groupsOf.get(t)) {
            PlacementQueue.Entry e = g.queue.first();
            if (e == null) continue;
            if (g.reclaimFailedAt == freedNodes.size() && g.reclaimFailedStarts == starts) continue;
            if (used[t] + claimed[t] + g.nominal > q.guaranteedGpuEq() + EPS) continue; // one shape, one demand
            for (PlacementQueue.Entry x : g.queue.ordered()) {
                JobState j = byKey.get(x.key());
                if (j.awaiting >= 0) continue;
                if (used[t] + claimed[t] + j.nominal > q.guaranteedGpuEq() + EPS) break; // not reclaim: only within the guarantee
                if (full == null) {
                    full = fullLedger();
                    planState = state.copy();
                    for (JobState a : awaitingJobs) for (ReplicaSlot slot : a.promised) planState.node(slot.node()).apply(slot);
                }
                var plan = planner.plan(new ReclaimPlanner.Waiting(q.name(), j.key, j.job.task().priority(), j.need, RULES,
                        claimed[t], now), full, planState, terminating);
                plannerCalls++;
                if (plan.isEmpty()) {
                    g.reclaimFailedAt = freedNodes.size();
                    g.reclaimFailedStarts = starts;
                    break;
                }
                j.awaiting = 0;
                awaitingJobs.add(j);
                ClusterState after = planState.copy();
                for (TenantLedger.Charge c : plan.get().replicas()) after.node(c.slot().node()).release(c.slot());
                PlacementDecision promise = engine.place(j.need, after, RULES);
                j.promised = promise.placed() ? promise.slots() : List.of();
                for (ReplicaSlot slot : j.promised) planState.node(slot.node()).apply(slot);
                promisedView = null;
                claimed[t] += j.nominal;
                for (TenantLedger.Charge c : plan.get().replicas()) {
                    JobState v = byKey.get(c.key());
                    if (v.job.tenant() != t && used[v.job.tenant()] - quotas.get(v.job.tenant()).guaranteedGpuEq() < -EPS) {
                        tookWithinGuarantee = true;
                    }
                    if (terminating.add(v.key)) {
                        v.status = Status.TERMINATING;
                        v.sigtermAt = now;
                        awaitingByVictim.put(v.key, j.job.id());
                        j.awaiting++;
                        events.add(new Event(now + graceMillis, KILL, v.job.id(), v.version));
                    }
                }
            }
          }
        }
    }

    /** Deficit: below the guarantee with waiting work that would fit in it. */
    private void trackDeficits() {
        for (int t = 0; t < quotas.size(); t++) {
            var nominal = pendingNominal.get(t);
            double smallest = nominal.isEmpty() ? Double.POSITIVE_INFINITY : nominal.firstKey();
            double g = load.tenants().get(t).quota().guaranteedGpuEq();
            boolean deficit = used[t] < g - EPS && used[t] + smallest <= g + EPS && waitsWithinGuarantee(t, g);
            if (deficit && deficitSince[t] < 0) deficitSince[t] = now;
            else if (!deficit && deficitSince[t] >= 0) endDeficit(t, now);
        }
    }

    /**
     * Whether some waiting work of the tenant fits in the rest of its guarantee and was not refused by its quota. Work
     * the quota refused where the engine found room for it (its charge in that pool above the rest of the guarantee,
     * though its nominal charge fits) finds the tenant at its quota there: it waits to borrow, or for nothing, not for
     * the guarantee.
     */
    private boolean waitsWithinGuarantee(int t, double guaranteed) {
        for (Group g : groupsOf.get(t)) {
            if (g.queue.first() != null && !g.refusedOwn && !g.refusedBorrow && used[t] + g.nominal <= guaranteed + EPS) return true;
        }
        return false;
    }

    private void endDeficit(int t, long at) {
        long from = Math.max(deficitSince[t], warmupMillis);
        if (at > from) {
            deficitTime[t] += at - from;
        }
        if (at > warmupMillis) episodes.get(t).add((at - deficitSince[t]) / 1000.0);
        deficitSince[t] = -1;
    }

    static double pct(List<Double> xs, int p) {
        if (xs.isEmpty()) return 0;
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int i = (int) Math.ceil(p / 100.0 * a.length) - 1;
        return a[Math.max(0, Math.min(a.length - 1, i))];
    }
}
