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
                        double reclaimP50Seconds, double reclaimP99Seconds, int deficits, double maxUsedGpuEq) {}

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
        long start;
        int version;
        String pool;
        List<ReplicaSlot> slots = List.of();
        double gpuEq;
        /** Victims still to go before it is tried first; -1 when not waiting for a preemption. */
        int awaiting = -1;
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
        final PlacementQueue queue = new PlacementQueue();
        long failedAt = -1;
        long reclaimFailedAt = -1, reclaimFailedStarts = -1;
        Group(int tenant, Task shape) {
            this.tenant = tenant;
            this.shape = shape;
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

    TenantsReplay(List<TraceLoader.NodeSpec> nodes, TenantsLoad load, Map<String, Double> worth, long graceMillis,
                  long warmupMillis, long endMillis) {
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
    private final List<String> freedNodes = new ArrayList<>();
    private long starts;
    private double[] used, claimed;
    private final Set<JobState> running = new java.util.LinkedHashSet<>();
    private final List<JobState> awaitingJobs = new ArrayList<>();
    private final Map<String, Integer> awaitingByVictim = new HashMap<>();
    private final Set<String> terminating = new HashSet<>();
    private final Map<String, JobState> byKey = new HashMap<>();
    private final Map<String, Double> usedPool = new HashMap<>(); // "tenant|pool" -> GPU-eq
    // metrics
    private long now;
    private double allocArea, busyArea, lost;
    private int preemptions, started, finished;
    private double runningGpuEq, runningDevices;
    private List<List<Double>> waits, episodes;
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
        for (int i = 0; i < n; i++) {
            waits.add(new ArrayList<>());
            episodes.add(new ArrayList<>());
        }
        double meanWorth = capacityGpuEq / nodeSpecs.stream().mapToInt(TraceLoader.NodeSpec::gpus).sum();
        jobs = new JobState[load.jobs().size()];
        Map<Task, Need> needs = new HashMap<>();
        for (Job j : load.jobs()) {
            jobs[j.id()] = new JobState(j, needs.computeIfAbsent(j.task(), TenantsReplay::need), j.task().devices() * meanWorth);
            byKey.put(jobs[j.id()].key, jobs[j.id()]);
            events.add(new Event(j.arrivalMillis(), ARRIVE, j.id(), 0));
        }
        while (!events.isEmpty() && events.peek().at() < endMillis) {
            long at = events.peek().at();
            advance(at);
            while (!events.isEmpty() && events.peek().at() == at) handle(events.poll());
            cycle();
            trackDeficits();
        }
        advance(endMillis);
        int pending = 0;
        for (JobState j : jobs) {
            if (j.status == Status.PENDING && j.job.arrivalMillis() < endMillis) {
                pending++;
                if (j.pendingSince >= warmupMillis) waits.get(j.job.tenant()).add((endMillis - j.pendingSince) / 1000.0);
            }
        }
        for (int i = 0; i < n; i++) {
            if (deficitSince[i] >= 0) endDeficit(i, endMillis);
        }
        double window = endMillis - warmupMillis;
        List<TenantResult> tr = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Double> w = waits.get(i), e = episodes.get(i);
            tr.add(new TenantResult(quotas.get(i).name(), load.tenants().get(i).quota().guaranteedGpuEq(), pct(w, 50), pct(w, 99),
                    100 * deficitTime[i] / window, pct(e, 50), pct(e, 99), e.size(), maxUsed[i]));
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
                    lost += j.job.task().devices() * ran;
                }
                stop(j);
                j.status = Status.PENDING;
                j.pendingSince = now;
                enqueue(j);
            }
            default -> throw new IllegalStateException();
        }
    }

    private void enqueue(JobState j) {
        groups.computeIfAbsent(j.job.tenant() + "|" + j.job.task().shapeKey(), k -> new Group(j.job.tenant(), j.job.task()))
                .queue.offer(j.entry);
    }

    private Group group(JobState j) {
        return groups.get(j.job.tenant() + "|" + j.job.task().shapeKey());
    }

    private void start(JobState j, PlacementDecision d) {
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
        usedPool.merge(t + "|" + j.pool, j.gpuEq, Double::sum);
        runningGpuEq += j.gpuEq;
        runningDevices += j.job.task().devices();
        running.add(j);
        group(j).queue.remove(j.key);
        if (j.pendingSince >= warmupMillis) waits.get(t).add((now - j.pendingSince) / 1000.0);
        events.add(new Event(now + j.job.task().runMillis(), FINISH, j.job.id(), j.version));
        started++;
        starts++;
    }

    private void stop(JobState j) {
        for (ReplicaSlot s : j.slots) {
            state.node(s.node()).release(s);
            freedNodes.add(s.node());
        }
        int t = j.job.tenant();
        used[t] -= j.gpuEq;
        usedPool.merge(t + "|" + j.pool, -j.gpuEq, Double::sum);
        runningGpuEq -= j.gpuEq;
        runningDevices -= j.job.task().devices();
        running.remove(j);
        j.slots = List.of();
        j.version++;
        terminating.remove(j.key);
        Integer waiting = awaitingByVictim.remove(j.key);
        if (waiting != null && jobs[waiting].awaiting > 0) jobs[waiting].awaiting--;
    }

    /** The tenants' use now, as one charge per tenant and pool (what admission reads). */
    private TenantLedger ledger() {
        List<TenantLedger.Charge> cs = new ArrayList<>();
        for (var e : usedPool.entrySet()) {
            if (e.getValue() <= EPS) continue;
            String[] k = e.getKey().split("\\|", 2);
            cs.add(new TenantLedger.Charge(quotas.get(Integer.parseInt(k[0])).name(), e.getKey(), e.getKey(), k[1], e.getValue(),
                    0, 0, 0, false, WorkloadPhase.Training, null));
        }
        return new TenantLedger(quotas, null, capacityGpuEq, 0, cs);
    }

    /** Every running replica with its slot (what reclaim reads). */
    private TenantLedger fullLedger() {
        List<TenantLedger.Charge> cs = new ArrayList<>();
        for (JobState j : running) {
            cs.add(new TenantLedger.Charge(quotas.get(j.job.tenant()).name(), j.key, j.key, j.pool, j.gpuEq, 0,
                    j.job.task().priority(), j.start, false, WorkloadPhase.Training, j.slots.get(0)));
        }
        return new TenantLedger(quotas, null, capacityGpuEq, 0, cs);
    }

    private void cycle() {
        // First the work preemption made room for, once its victims are gone.
        for (var it = awaitingJobs.iterator(); it.hasNext(); ) {
            JobState j = it.next();
            if (j.awaiting != 0) continue;
            it.remove();
            j.awaiting = -1;
            claimed[j.job.tenant()] -= j.nominal;
            tryStart(j, group(j));
        }
        long freed = freedNodes.size();
        Set<Group> done = new HashSet<>();
        while (true) {
            Group best = null;
            PlacementQueue.Entry head = null;
            for (Group g : groups.values()) {
                if (done.contains(g)) continue;
                PlacementQueue.Entry e = g.queue.first();
                if (e == null) {
                    done.add(g);
                    continue;
                }
                if (head == null || PlacementQueue.ORDER.compare(e, head) < 0) {
                    head = e;
                    best = g;
                }
            }
            if (best == null) break;
            JobState j = byKey.get(head.key());
            if (j.awaiting > 0 || !mayFitSince(best, freed) || !tryStart(j, best)) {
                done.add(best);
            }
        }
        if (policy == Policy.PLIMSOLL) reclaim();
    }

    /** Whether anything freed since the group last found no room could take its shape. */
    private boolean mayFitSince(Group g, long freed) {
        if (g.failedAt < 0) return true;
        Need need = need(g.shape);
        for (long i = g.failedAt; i < freed; i++) {
            NodeState n = state.node(freedNodes.get((int) i)); // the replay's own nodes: read in place, never copied
            if (n != null && roomFor(n, need)) return true;
        }
        g.failedAt = freed;
        return false;
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
        PlacementDecision d = engine.place(j.need, state, RULES);
        if (!d.placed()) {
            g.failedAt = freedNodes.size();
            return false;
        }
        if (policy != Policy.NO_QUOTA) {
            Admission.Decision a = Admission.decide(ledger(), quotas.get(j.job.tenant()).name(),
                    new Admission.Demand(charges.gpuEq(d), 0, d.pool()), competitors(j.job.tenant()));
            if (!a.admitted()) {
                g.failedAt = freedNodes.size();
                return false;
            }
        }
        start(j, d);
        g.failedAt = -1;
        return true;
    }

    /** Each other tenant's first waiting job and its nominal demand. */
    private List<Admission.Competitor> competitors(int tenant) {
        PlacementQueue.Entry[] first = new PlacementQueue.Entry[quotas.size()];
        for (Group g : groups.values()) {
            if (g.tenant == tenant) continue;
            PlacementQueue.Entry e = g.queue.first();
            if (e != null && (first[g.tenant] == null || PlacementQueue.ORDER.compare(e, first[g.tenant]) < 0)) first[g.tenant] = e;
        }
        List<Admission.Competitor> out = new ArrayList<>();
        for (int i = 0; i < first.length; i++) {
            if (first[i] != null) out.add(new Admission.Competitor(quotas.get(i).name(), byKey.get(first[i].key()).nominal));
        }
        return out;
    }

    /** Reclaim (and preemption by priority) for admitted work that does not fit. */
    private void reclaim() {
        TenantLedger full = null;
        ReclaimPlanner planner = new ReclaimPlanner(engine, charges, Set.of(WorkloadPhase.Training), graceMillis / 1000);
        for (Group g : groups.values()) {
            PlacementQueue.Entry e = g.queue.first();
            if (e == null) continue;
            int t = g.tenant;
            if (g.reclaimFailedAt == freedNodes.size() && g.reclaimFailedStarts == starts) continue;
            TenantQuota q = quotas.get(t);
            if (used[t] + claimed[t] + byKey.get(e.key()).nominal > q.guaranteedGpuEq() + EPS) continue; // one shape, one demand
            for (PlacementQueue.Entry x : g.queue.ordered()) {
                JobState j = byKey.get(x.key());
                if (j.awaiting >= 0) continue;
                if (used[t] + claimed[t] + j.nominal > q.guaranteedGpuEq() + EPS) break; // not reclaim: only within the guarantee
                if (full == null) full = fullLedger();
                var plan = planner.plan(new ReclaimPlanner.Waiting(q.name(), j.key, j.job.task().priority(), j.need, RULES,
                        claimed[t]), full, state, terminating);
                if (plan.isEmpty()) {
                    g.reclaimFailedAt = freedNodes.size();
                    g.reclaimFailedStarts = starts;
                    break;
                }
                j.awaiting = 0;
                awaitingJobs.add(j);
                claimed[t] += j.nominal;
                for (TenantLedger.Charge c : plan.get().replicas()) {
                    JobState v = byKey.get(c.key());
                    if (v.job.tenant() != t && used[v.job.tenant()] - quotas.get(v.job.tenant()).guaranteedGpuEq() < -EPS) {
                        tookWithinGuarantee = true;
                    }
                    if (terminating.add(v.key)) {
                        v.status = Status.TERMINATING;
                        awaitingByVictim.put(v.key, j.job.id());
                        j.awaiting++;
                        events.add(new Event(now + graceMillis, KILL, v.job.id(), v.version));
                    }
                }
            }
        }
    }

    /** Deficit: below the guarantee with waiting work that would fit in it. */
    private void trackDeficits() {
        double[] smallest = new double[quotas.size()];
        Arrays.fill(smallest, Double.POSITIVE_INFINITY);
        for (Group g : groups.values()) {
            PlacementQueue.Entry e = g.queue.first();
            if (e != null) smallest[g.tenant] = Math.min(smallest[g.tenant], byKey.get(e.key()).nominal);
        }
        for (int t = 0; t < quotas.size(); t++) {
            double g = load.tenants().get(t).quota().guaranteedGpuEq();
            boolean deficit = used[t] < g - EPS && used[t] + smallest[t] <= g + EPS;
            if (deficit && deficitSince[t] < 0) deficitSince[t] = now;
            else if (!deficit && deficitSince[t] >= 0) endDeficit(t, now);
        }
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
