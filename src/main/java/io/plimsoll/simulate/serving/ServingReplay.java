package io.plimsoll.simulate.serving;

import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.ConsolidationPlanner;
import io.plimsoll.engine.MakeRoomFromParked;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.PoolOrder;
import io.plimsoll.engine.PoolPlanner;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.ReplicaPlanner;
import io.plimsoll.engine.ReplicaSlot;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.idle.Decision;
import io.plimsoll.engine.idle.IdlePolicy;
import io.plimsoll.engine.idle.ModelActivity;
import io.plimsoll.engine.packing.TaskShape;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Discrete-event replay of a serving trace: per-model replicas (one request at a time each), a FIFO queue
 * per model, replicas added while requests queue, removed or parked by an {@link IdlePolicy}, cold starts
 * with a seeded load latency, and GPU nodes that start after a delay and are removed under the pool rule
 * (empty for a grace period; parked-only nodes drained when their parked replicas fit elsewhere) or, for the
 * Cluster Autoscaler reference, the CA rule.
 * <p>
 * Every replica is placed by the operator's own {@link PlacementEngine} on a {@link ClusterState} built from
 * the replay's nodes, exactly as the operator builds it from pods: a serving replica is an {@code Inference}
 * need for one whole GPU pinned to one device; a replica that parks stays on its device and counts as a
 * {@code parkFraction} share of it (the operator re-annotates the pod); a parked replica that has to move is a
 * need for that share. The replay only records where the engine put them.
 */
public final class ServingReplay {
    static final int FULL = 1000; // milli-GPU
    static final String POOL = "serving";
    /** Node CPU and memory: ample, the replay's replicas ask for GPU only. */
    private static final long NODE_CPU_MILLI = 96_000, NODE_MEMORY_BYTES = 1L << 40;

    enum St { PENDING_START, LOADING, RESUMING, IDLE, BUSY, PARKED }

    static final class Node {
        final int id; final String name; final long addedAt; long readyAt; boolean ready; long emptySince = -1; long underSince = -1;
        final int[] deviceMilli;
        final List<Replica> reps = new ArrayList<>();
        Node(int id, long addedAt, long readyAt, int devices) {
            this.id = id; this.name = "gpu-node-" + id; this.addedAt = addedAt; this.readyAt = readyAt;
            this.deviceMilli = new int[devices];
        }
        int used() { int u = 0; for (int d : deviceMilli) u += d; return u; }
    }

    static final class Replica {
        final Model m; final int id; St s; Node node; int device = -1; int alloc; long since; long idleSince; long parkedAt; long token;
        Replica(Model m, int id) { this.m = m; this.id = id; }
    }

    static final class Model {
        final int idx; final ModelActivity act;
        final ArrayDeque<ServingTrace.Request> queue = new ArrayDeque<>();
        final List<Replica> reps = new ArrayList<>();
        Model(int idx, ModelActivity act) { this.idx = idx; this.act = act; }
    }

    private static final int ARRIVAL = 0, READY = 1, DONE = 2, CHECK = 3, NODE_READY = 4, SCAN = 5;

    private record Ev(long t, long seq, int type, Object o, long token) {}

    private final ServingTrace trace;
    private final IdlePolicy policy;
    private final ServingConfig cfg;
    private final long[] latencies;
    private final boolean caRule;
    private final boolean startWarm;
    private boolean nodeAfterEviction;
    private boolean evictedNow;
    private final Random rnd;
    private final int parkMilli;
    private final PlacementEngine engine = new PlacementEngine();
    private final PoolProfile pool;
    private final PhaseRules rules;

    private final PriorityQueue<Ev> events = new PriorityQueue<>((a, b) -> a.t != b.t ? Long.compare(a.t, b.t) : Long.compare(a.seq, b.seq));
    private long seq;
    private long now;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Node> nodesByName = new HashMap<>();
    private final ArrayDeque<Replica> pending = new ArrayDeque<>();
    private Model[] models;
    private int nodeIds, replicaIds;
    // accounting (GPU-milli x ms)
    private double busyMs, idleMs, parkedMs, loadMs, nodeMs;
    /** Node time by what the node held (see {@link PolicyResult.NodeHours}). */
    private double startingNodeMs, emptyNodeMs, parkedOnlyNodeMs, servingNodeMs, servingUsedMilliMs;
    private long lastNodeAccount;
    /** Operator pace: when the pool last grew, and last drained a parked-only node. */
    private Long lastScaleUp, lastParkedEviction;
    private long lastDrain = Long.MIN_VALUE / 2;
    private PoolPlanner.Rules poolRules;
    /** Plimsoll's pool rule: only evictions of replicas parked this recently make the pool grow (null: every one). */
    private Duration growIfParkedWithin;
    private long coldStarts, resumes, parkedMoves, restarts, parkEvictions, placements;
    private int maxNodes;
    private long[] waits;
    private int served;
    /** Requests that arrived while their model had no replica, and their waits once served. */
    private final java.util.Set<ServingTrace.Request> arrivedAtZero = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final List<Long> zeroWaits = new ArrayList<>();
    private long outstanding;

    /**
     * @param caRule    apply the Cluster Autoscaler node rule instead of the Plimsoll pool rule
     * @param startWarm start every model with one warm replica at the first request time (always-on)
     */
    public ServingReplay(ServingTrace trace, IdlePolicy policy, ServingConfig cfg, long[] latencies, long seed,
                         boolean caRule, boolean startWarm) {
        this.trace = trace; this.policy = policy; this.cfg = cfg; this.latencies = latencies.clone();
        this.caRule = caRule; this.startWarm = startWarm; this.rnd = new Random(seed);
        this.parkMilli = Math.max(1, Math.min(FULL, (int) Math.round(cfg.parkFraction() * FULL)));
        this.pool = new PoolProfile(POOL, AcceleratorType.GPU, "GPU", 24, cfg.gpusPerNode(), "nvidia.com/gpu",
                SharingMode.Fractional, List.of(), null, 0, Set.of(WorkloadPhase.Inference));
        this.rules = new PhaseRules(List.of(POOL), PoolOrder.Cheapest, true, cfg.strategy());
        this.poolRules = new PoolPlanner.Rules(Duration.ofMillis(cfg.nodeEmptyGraceMillis()), 0, Integer.MAX_VALUE, true,
                Duration.ofMillis(cfg.scaleUpCooldownMillis()),
                cfg.parkedOnlyAfterMillis() < 0 ? null : Duration.ofMillis(cfg.parkedOnlyAfterMillis()));
    }

    public static PolicyResult run(ServingTrace trace, IdlePolicy policy, ServingConfig cfg, long[] latencies,
                                   long seed, boolean caRule, boolean startWarm, String label) {
        return new ServingReplay(trace, policy, cfg, latencies, seed, caRule, startWarm).run(label, ModelActivity::new);
    }

    /**
     * Plimsoll pool rule (the operator's): once parked replicas had to be scaled to zero to make room, ask for one
     * more node (unless one is starting), as the operator's pool scaler does.
     */
    public ServingReplay askForNodeAfterEviction(boolean on) { this.nodeAfterEviction = on; return this; }

    /**
     * Plimsoll's pool rule, tuned ({@link PoolPlanner.Rules#lastNodeAfter()}, {@link PoolPlanner#evictionCounts}): a node
     * other than the pool's last one that holds nothing goes after {@code emptyGrace}; the last node, empty or parked-only,
     * stays {@code lastNodeAfter}; an eviction makes the pool grow only if the evicted replica parked within
     * {@code growIfParkedWithin}. Null arguments keep the configured rule.
     */
    public ServingReplay plimsollPoolRule(Duration emptyGrace, Duration lastNodeAfter, Duration growIfParkedWithin) {
        PoolPlanner.Rules r = poolRules;
        this.poolRules = new PoolPlanner.Rules(emptyGrace == null ? r.scaleDownAfter() : emptyGrace, r.minNodes(), r.maxNodes(),
                r.canGrow(), r.scaleUpCooldown(), r.parkedOnlyAfter(), lastNodeAfter);
        this.growIfParkedWithin = growIfParkedWithin;
        return this;
    }

    private void evicted(Replica victim) {
        if (PoolPlanner.evictionCounts(growIfParkedWithin, Instant.ofEpochMilli(victim.parkedAt), Instant.ofEpochMilli(now))) {
            evictedNow = true;
        }
    }

    private boolean unlimited() { return cfg.gpusPerNode() == 0; }

    private int capacity() { return cfg.gpusPerNode() * FULL; }

    public PolicyResult run(String label, Supplier<ModelActivity> activity) {
        List<ServingTrace.Request> reqs = trace.requests();
        models = new Model[trace.models().size()];
        for (int i = 0; i < models.length; i++) models[i] = new Model(i, activity.get());
        waits = new long[reqs.size()];
        long t0 = reqs.get(0).arrivalMillis();
        now = t0;
        lastNodeAccount = t0;
        if (!unlimited()) {
            int need = startWarm ? (models.length + cfg.gpusPerNode() - 1) / cfg.gpusPerNode() : 0;
            for (int i = 0; i < Math.max(need, cfg.initialNodes()); i++) addNode(t0).ready = true;
            maxNodes = nodes.size();
            push(t0 + cfg.scanMillis(), SCAN, null, 0);
        }
        if (startWarm) {
            for (Model m : models) {
                Replica r = new Replica(m, replicaIds++);
                r.s = St.PENDING_START; m.reps.add(r);
                if (!placeAnywhere(r, FULL)) throw new IllegalStateException("always-on: no GPU for " + trace.models().get(m.idx));
                r.since = t0; r.s = St.IDLE; r.idleSince = t0;
            }
        }
        for (int i = 0; i < reqs.size(); i++) push(reqs.get(i).arrivalMillis(), ARRIVAL, reqs.get(i), 0);
        outstanding = reqs.size();
        while (!events.isEmpty() && outstanding > 0) {
            Ev e = events.poll();
            accountNodes(e.t);
            now = e.t;
            switch (e.type) {
                case ARRIVAL -> arrival((ServingTrace.Request) e.o);
                case READY -> { Replica r = (Replica) e.o; if (r.token == e.token) ready(r); }
                case DONE -> { Replica r = (Replica) e.o; if (r.token == e.token) done(r); }
                case CHECK -> { Replica r = (Replica) e.o; if (r.token == e.token) evaluate(r); }
                case NODE_READY -> nodeReady((Node) e.o);
                case SCAN -> {
                    scan();
                    if (cfg.scaleUpCooldownMillis() > 0 && !pending.isEmpty()) placePending(); // a cooldown may have ended
                    push(now + cfg.scanMillis(), SCAN, null, 0);
                }
                default -> throw new IllegalStateException();
            }
        }
        // flush accounting at the horizon (all requests done)
        for (Model m : models) for (Replica r : m.reps) account(r);
        for (Node n : nodes) nodeMs += now - n.addedAt;
        long[] w = Arrays.copyOf(waits, served);
        Arrays.sort(w);
        double mean = 0;
        for (long x : w) mean += x;
        mean = w.length == 0 ? 0 : mean / w.length / 1000.0;
        double h = 3_600_000.0 * FULL;
        return new PolicyResult(label, served, busyMs / h, (idleMs + parkedMs) / h, parkedMs / h, loadMs / h,
                nodeMs / 3_600_000.0, maxNodes, coldStarts, resumes, parkedMoves, restarts, parkEvictions, placements,
                pct(w, 0.50) / 1000.0, pct(w, 0.99) / 1000.0, mean,
                new PolicyResult.NodeHours(startingNodeMs / 3_600_000.0, emptyNodeMs / 3_600_000.0, parkedOnlyNodeMs / 3_600_000.0,
                        servingNodeMs / 3_600_000.0, servingNodeMs == 0 ? 0 : 100.0 * servingUsedMilliMs / (servingNodeMs * (double) capacity())),
                fromZero());
    }

    private PolicyResult.FromZero fromZero() {
        long[] z = zeroWaits.stream().mapToLong(Long::longValue).sorted().toArray();
        return new PolicyResult.FromZero(z.length, pct(z, 0.50) / 1000.0, pct(z, 0.99) / 1000.0);
    }

    static long pct(long[] sorted, double q) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private void push(long t, int type, Object o, long token) { events.add(new Ev(t, seq++, type, o, token)); }

    private long loadLatency() { return latencies[rnd.nextInt(latencies.length)]; }

    // ---- accounting -------------------------------------------------------------------------------
    private void account(Replica r) {
        long d = now - r.since;
        if (d > 0 && r.s != null) {
            switch (r.s) {
                case BUSY -> busyMs += (double) d * r.alloc;
                case IDLE -> idleMs += (double) d * r.alloc;
                case PARKED -> parkedMs += (double) d * r.alloc;
                case LOADING, RESUMING -> loadMs += (double) d * r.alloc;
                default -> { }
            }
        }
        r.since = now;
    }

    private void setState(Replica r, St s) { account(r); r.s = s; r.token++; }

    /** Where the node time from the last event to {@code t} went, by what each node held meanwhile. */
    private void accountNodes(long t) {
        long d = t - lastNodeAccount;
        lastNodeAccount = t;
        if (d <= 0) return;
        for (Node n : nodes) {
            if (!n.ready) { startingNodeMs += d; continue; }
            if (n.reps.isEmpty()) { emptyNodeMs += d; continue; }
            boolean serving = false;
            for (Replica r : n.reps) if (r.s != St.PARKED) { serving = true; break; }
            if (serving) {
                servingNodeMs += d;
                servingUsedMilliMs += (double) n.used() * d;
            } else {
                parkedOnlyNodeMs += d;
            }
        }
    }

    // ---- nodes and the placement engine ----------------------------------------------------------
    private Node addNode(long readyAt) {
        Node n = new Node(nodeIds++, now, readyAt, cfg.gpusPerNode());
        nodes.add(n);
        nodesByName.put(n.name, n);
        return n;
    }

    /**
     * The engine's view of the pool, as the operator's snapshot builds it from pods: every node with the
     * per-device use of the replicas on it; only ready nodes that pass {@code usable} are schedulable.
     */
    private ClusterState state(Predicate<Node> usable) {
        return state(usable, null, -1);
    }

    /** As {@link #state(Predicate)}, with one device of one node shown as taken (kept free for a resuming replica). */
    private ClusterState state(Predicate<Node> usable, Node keepFree, int keepFreeDevice) {
        ClusterState s = new ClusterState().addPool(pool);
        boolean shapes = cfg.strategy().packingPolicy() != null;
        for (Node n : nodes) {
            NodeState ns = new NodeState(n.name, POOL, n.ready && usable.test(n), NODE_CPU_MILLI, NODE_MEMORY_BYTES,
                    cfg.gpusPerNode(), Map.of());
            for (int d = 0; d < n.deviceMilli.length; d++) ns.useDevice(d, n == keepFree && d == keepFreeDevice ? FULL : n.deviceMilli[d]);
            if (shapes) for (Replica r : n.reps) s.addRunningShape(shape(r.alloc));
            s.addNode(ns);
        }
        return s;
    }

    private static TaskShape shape(int milli) { return TaskShape.of(0, 0, 1, milli, ""); }

    /** An Inference replica's need: one whole GPU, or a share of one GPU when parked. */
    private static Need need(int milli) {
        Need whole = new Need(WorkloadPhase.Inference, 1, 0, 0, AcceleratorType.GPU, 1, 0, 0, Set.of(), null, false);
        return milli >= FULL ? whole : whole.asShare(milli);
    }

    /** Asks the engine for one slot of {@code milli} on the nodes {@code usable} allows; null when none fits. */
    private ReplicaSlot place(int milli, Predicate<Node> usable) {
        PlacementDecision d = engine.place(need(milli), state(usable), rules);
        placements++;
        return d.placed() ? d.slots().get(0) : null;
    }

    private boolean placeAnywhere(Replica r, int milli) {
        if (unlimited()) { r.alloc = milli; return true; }
        ReplicaSlot slot = place(milli, n -> true);
        if (slot == null) return false;
        attach(r, slot, milli);
        return true;
    }

    private void attach(Replica r, ReplicaSlot slot, int alloc) {
        Node n = nodesByName.get(slot.node());
        r.node = n; r.device = slot.devices().get(0); r.alloc = alloc;
        n.deviceMilli[r.device] += alloc;
        if (n.deviceMilli[r.device] > FULL) throw new IllegalStateException("engine overbooked " + n.name + " device " + r.device);
        n.reps.add(r);
    }

    private void detach(Replica r) {
        if (r.node != null) { r.node.deviceMilli[r.device] -= r.alloc; r.node.reps.remove(r); }
        r.node = null; r.device = -1; r.alloc = 0;
    }

    private static boolean evictable(Replica r) { return r.s == St.PARKED; }

    /**
     * Frees one whole device for {@code waiting}, by the operator's own rule ({@link MakeRoomFromParked}): the parked
     * replicas of the device where that costs the least warm capacity (a device held only by parked replicas of other
     * models; the oldest parking breaks ties) are scaled to zero, if the waiting replica would then fit.
     */
    private boolean evictForWholeDevice(Replica waiting) {
        List<MakeRoomFromParked.Device> devices = new ArrayList<>();
        Map<String, Replica> byId = new HashMap<>();
        for (Node n : nodes) {
            if (!n.ready) continue;
            List<List<MakeRoomFromParked.Holder>> holders = new ArrayList<>();
            for (int d = 0; d < n.deviceMilli.length; d++) holders.add(new ArrayList<>());
            for (Replica r : n.reps) {
                String id = String.valueOf(r.id);
                byId.put(id, r);
                holders.get(r.device).add(new MakeRoomFromParked.Holder(id, String.valueOf(r.m.idx), evictable(r), 0, r.alloc, r.parkedAt));
            }
            for (int d = 0; d < n.deviceMilli.length; d++) {
                if (!holders.get(d).isEmpty()) devices.add(new MakeRoomFromParked.Device(n.name, d, n.deviceMilli[d], holders.get(d)));
            }
        }
        ClusterState s = state(n -> true);
        var chosen = MakeRoomFromParked.choose(devices, String.valueOf(waiting.m.idx), 0,
                c -> { placements++; return MakeRoomFromParked.fitsOnceFree(c, engine, need(FULL), s, rules); });
        if (chosen.isEmpty()) return false;
        for (MakeRoomFromParked.Holder h : chosen.get().victims()) {
            Replica v = byId.get(h.replica());
            evicted(v);
            remove(v);
            parkEvictions++;
        }
        return true;
    }

    /**
     * Where the engine would put each of {@code reps} (all or nothing) on the nodes {@code usable} allows, each
     * placement seeing the ones before it; null when one does not fit.
     */
    private List<ReplicaSlot> placeAll(List<Replica> reps, Predicate<Node> usable) {
        return placeAll(reps, state(usable));
    }

    private List<ReplicaSlot> placeAll(List<Replica> reps, ClusterState s) {
        List<ReplicaSlot> out = new ArrayList<>();
        for (Replica r : reps) {
            PlacementDecision d = engine.place(need(r.alloc), s, rules);
            placements++;
            if (!d.placed()) return null;
            s.apply(d);
            out.add(d.slots().get(0));
        }
        return out;
    }

    private void placePending() {
        int unplaced = 0;
        for (Iterator<Replica> it = pending.iterator(); it.hasNext(); ) {
            Replica r = it.next();
            boolean placed = placeAnywhere(r, FULL);
            if (!placed && !unlimited() && evictForWholeDevice(r)) placed = placeAnywhere(r, FULL);
            if (!placed) { unplaced++; continue; }
            it.remove();
            setState(r, St.LOADING);
            push(now + loadLatency(), READY, r, r.token);
        }
        askForNodeAfterEviction();
        if (unplaced > 0) {
            int booting = 0;
            for (Node n : nodes) if (!n.ready) booting += cfg.gpusPerNode();
            int missing = unplaced - booting;
            if (caRule) {
                while (missing > 0) { // the Cluster Autoscaler reference grows at once
                    Node n = addNode(now + cfg.nodeStartupMillis());
                    push(n.readyAt, NODE_READY, n, 0);
                    missing -= cfg.gpusPerNode();
                }
            } else {
                // The operator's pool rule: one node per evaluation, then the cooldown (the scan retries).
                while (missing > 0 && poolRule(true)) missing -= cfg.gpusPerNode();
            }
            maxNodes = Math.max(maxNodes, nodes.size());
        }
    }

    private void askForNodeAfterEviction() {
        if (nodeAfterEviction && !unlimited() && evictedNow) {
            // Plimsoll pool rule: parked replicas had to make room, so the pool may ask for one more node (unless one
            // is already starting); parked replicas are re-homed onto it by the parked-only drain / placement.
            lastParkedEviction = now;
            poolRule(false);
            maxNodes = Math.max(maxNodes, nodes.size());
        }
        evictedNow = false;
    }

    /**
     * Asks the operator's pool rule ({@link PoolPlanner}) what to do now and does it: marks nodes empty or not, removes
     * one that stayed empty for the grace period, or adds one node.
     *
     * @param replicasWait replicas wait that a new node would take
     * @return whether it changed the pool's size
     */
    private boolean poolRule(boolean replicasWait) {
        List<PoolPlanner.NodeFacts> facts = new ArrayList<>();
        int starting = 0;
        for (Node n : nodes) {
            if (!n.ready) { starting++; continue; }
            boolean onlyParked = !n.reps.isEmpty();
            for (Replica r : n.reps) if (r.s != St.PARKED) { onlyParked = false; break; }
            facts.add(new PoolPlanner.NodeFacts(n.name, true, !n.reps.isEmpty(), n.emptySince < 0 ? null : Instant.ofEpochMilli(n.emptySince),
                    onlyParked));
        }
        PoolPlanner.Plan plan = PoolPlanner.plan(poolRules, new PoolPlanner.Facts(facts, starting,
                lastScaleUp == null ? null : Instant.ofEpochMilli(lastScaleUp), () -> replicasWait ? "replicas waiting" : null,
                lastParkedEviction == null ? null : Instant.ofEpochMilli(lastParkedEviction), "a waiting replica"), Instant.ofEpochMilli(now));
        for (PoolPlanner.Action a : plan.actions()) {
            if (a instanceof PoolPlanner.MarkIdle m) {
                nodesByName.get(m.node()).emptySince = m.since().toEpochMilli();
            } else if (a instanceof PoolPlanner.ClearIdle c) {
                nodesByName.get(c.node()).emptySince = -1;
            } else if (a instanceof PoolPlanner.ScaleDown d) {
                Node n = nodesByName.get(d.node());
                if (d.reason() == PoolPlanner.Reason.OnlyParkedReplicas) rehomeOrDrop(n);
                removeNode(n);
            } else if (a instanceof PoolPlanner.ScaleUp) {
                lastScaleUp = now;
                Node n = addNode(now + cfg.nodeStartupMillis());
                push(n.readyAt, NODE_READY, n, 0);
            }
        }
        return plan.resizes();
    }

    /**
     * The node leaves with only parked replicas on it: as in the operator, each is placed again, parked, where the
     * engine finds a share on a node that stays (its model loads there, nobody waits), or scales to zero.
     */
    private void rehomeOrDrop(Node n) {
        for (Replica r : new ArrayList<>(n.reps)) {
            ReplicaSlot slot = place(r.alloc, o -> o != n);
            if (slot != null) moveParked(r, slot);
            else { remove(r); parkEvictions++; }
        }
    }

    private void nodeReady(Node n) {
        n.ready = true;
        placePending();
    }

    private void removeNode(Node n) {
        nodes.remove(n);
        nodesByName.remove(n.name);
        nodeMs += now - n.addedAt;
    }

    private void scan() {
        for (Node n : new ArrayList<>(nodes)) {
            if (!n.ready) continue;
            if (caRule) {
                if (n.used() < cfg.caUnderUtil() * capacity()) {
                    if (n.underSince < 0) n.underSince = now;
                } else n.underSince = -1;
                if (n.underSince >= 0 && now - n.underSince >= cfg.caUnneededMillis() && caDrain(n)) removeNode(n);
            }
        }
        if (!caRule && now - lastDrain >= cfg.consolidationIntervalMillis() && consolidate()) lastDrain = now;
        // The operator's pool rule: empty nodes go after the grace period (one per evaluation; it evaluates again).
        if (!caRule) while (poolRule(false)) { }
    }

    /**
     * Plimsoll pool rule, the operator's consolidation ({@link ConsolidationPlanner}): the least used node below
     * {@code --consolidate-below} whose replicas may all move and fit on other nodes that hold work (where the engine packs
     * them) is emptied; at most one node per consolidation interval, as the operator does. Only parked replicas move:
     * nobody waits on an idle replica, so a move costs only the GPU time of loading it at its share (load time).
     */
    private boolean consolidate() {
        List<ConsolidationPlanner.Node> candidates = new ArrayList<>();
        for (Node n : nodes) if (n.ready) candidates.add(new ConsolidationPlanner.Node(n.name, n.used(), capacity()));
        Map<String, List<ReplicaSlot>> moves = new HashMap<>();
        ConsolidationPlanner.Choice choice = ConsolidationPlanner.choose(candidates, cfg.consolidateBelowPercent(), name -> {
            Node n = nodesByName.get(name);
            for (Replica r : n.reps) if (r.s != St.PARKED) return "a replica there is not parked";
            List<ReplicaSlot> slots = placeAll(new ArrayList<>(n.reps), o -> o != n && !o.reps.isEmpty());
            if (slots == null) return "its parked replicas fit nowhere else";
            moves.put(name, slots);
            return null;
        });
        if (choice.node() == null) return false;
        Node n = nodesByName.get(choice.node());
        List<Replica> reps = new ArrayList<>(n.reps);
        List<ReplicaSlot> slots = moves.get(choice.node());
        for (int k = 0; k < reps.size(); k++) moveParked(reps.get(k), slots.get(k));
        return true;
    }

    /** Moves an idle parked replica; on another node its model loads there (GPU time at its share, nobody waits). */
    private void moveParked(Replica r, ReplicaSlot slot) {
        int a = r.alloc;
        Node from = r.node;
        account(r);
        detach(r);
        attach(r, slot, a);
        if (r.node != from) { loadMs += (double) loadLatency() * a; parkedMoves++; }
    }

    /** CA rule: if every replica on the node is idle/parked and all fit elsewhere, move them (they reload). */
    private boolean caDrain(Node n) {
        for (Replica r : n.reps) if (r.s != St.IDLE && r.s != St.PARKED) return false;
        List<Replica> reps = new ArrayList<>(n.reps);
        List<ReplicaSlot> slots = placeAll(reps, o -> o != n);
        if (slots == null) return false;
        for (int k = 0; k < reps.size(); k++) {
            Replica r = reps.get(k); int a = r.alloc;
            account(r);
            detach(r); attach(r, slots.get(k), a);
            restarts++;
            setState(r, St.LOADING);
            push(now + loadLatency(), READY, r, r.token);
        }
        return true;
    }

    // ---- replicas and requests -------------------------------------------------------------------
    private void arrival(ServingTrace.Request q) {
        Model m = models[q.model()];
        m.act.onRequest(now);
        if (m.reps.isEmpty()) arrivedAtZero.add(q);
        m.queue.add(q);
        dispatch(m);
    }

    private void dispatch(Model m) {
        for (Replica r : m.reps) {
            if (m.queue.isEmpty()) break;
            if (r.s != St.IDLE) continue;
            ServingTrace.Request q = m.queue.poll();
            waits[served++] = now - q.arrivalMillis();
            if (arrivedAtZero.remove(q)) zeroWaits.add(now - q.arrivalMillis());
            m.act.onStart(now);
            setState(r, St.BUSY);
            push(now + q.execMillis(), DONE, r, r.token);
        }
        if (m.queue.isEmpty()) return;
        int coming = 0;
        for (Replica r : m.reps) {
            if (r.s == St.PENDING_START || r.s == St.LOADING || r.s == St.RESUMING) coming++;
        }
        int need = m.queue.size() - coming;
        boolean placed = false;
        while (need > 0) {
            Replica parked = null;
            for (Replica r : m.reps) if (r.s == St.PARKED) { parked = r; break; }
            if (parked != null && resume(parked)) {
                resumes++;
                setState(parked, St.RESUMING);
                push(now + cfg.parkResumeMillis(), READY, parked, parked.token);
            } else if (parked != null || m.reps.size() < cfg.maxReplicas()) {
                Replica r = new Replica(m, replicaIds++);
                r.since = now;
                r.s = St.PENDING_START;
                m.reps.add(r);
                coldStarts++;
                pending.add(r);
                placed = true;
            } else break;
            need--;
        }
        if (placed) placePending();
    }

    /**
     * A parked replica takes its whole device back, in place, as the operator does (it removes the pod's parked
     * share), which takes the park-resume time. Parked replicas the engine packed onto the rest of that device are
     * moved away (the engine re-places them, all or nothing, anywhere else in the pool) or, when they fit nowhere,
     * scaled to zero.
     */
    private boolean resume(Replica r) {
        List<Replica> sharing = new ArrayList<>();
        if (!unlimited()) for (Replica o : r.node.reps) if (o != r && o.device == r.device) sharing.add(o);
        // The operator's rule for a parked replica with work to do.
        ReplicaPlanner.Plan plan = ReplicaPlanner.plan(replicaFacts(r, false, sharing));
        if (plan.actions().size() != 1 || !(plan.actions().get(0) instanceof ReplicaPlanner.Resume)) {
            remove(r); // its device also serves active work: replaced by a new whole-device replica
            return false;
        }
        account(r);
        if (unlimited()) { r.alloc = FULL; return true; }
        Node home = r.node;
        int device = r.device;
        detach(r);
        if (!sharing.isEmpty()) {
            List<ReplicaSlot> moved = placeAll(sharing, state(n -> true, home, device));
            for (int k = 0; k < sharing.size(); k++) {
                if (moved != null) {
                    moveParked(sharing.get(k), moved.get(k));
                } else {
                    evicted(sharing.get(k));
                    remove(sharing.get(k));
                    parkEvictions++;
                }
            }
            askForNodeAfterEviction();
        }
        attach(r, new ReplicaSlot(home.name, List.of(device), 0, null, 0, 0, 0), FULL);
        return true;
    }

    /**
     * One replica as the operator's {@link ReplicaPlanner} sees it: a serving replica pinned to one device of the
     * Fractional pool, running, parked or not, with the replicas that share its device.
     */
    private ReplicaPlanner.Input replicaFacts(Replica r, boolean park, List<Replica> sharing) {
        List<String> others = new ArrayList<>();
        boolean othersAllParked = true;
        for (Replica o : sharing) {
            others.add(String.valueOf(o.id));
            if (o.s != St.PARKED) othersAllParked = false;
        }
        ReplicaPlanner.Replica facts = new ReplicaPlanner.Replica(0, String.valueOf(r.id), ReplicaPlanner.PodPhase.Running, false,
                true, r.s == St.PARKED, true, r.s != St.PARKED, ReplicaPlanner.parkedShare(0, parkMilli, pool.deviceMemoryGiB()),
                others, othersAllParked);
        return new ReplicaPlanner.Input(false, true, true, 1, park, false, List.of(facts), Set.of());
    }

    private void ready(Replica r) {
        setState(r, St.IDLE);
        r.idleSince = now;
        dispatch(r.m);
        if (r.s == St.IDLE) evaluate(r);
    }

    private void done(Replica r) {
        outstanding--;
        r.m.act.onFinish(now);
        setState(r, St.IDLE);
        r.idleSince = now;
        dispatch(r.m);
        if (r.s == St.IDLE) evaluate(r);
    }

    private void evaluate(Replica r) {
        if (r.s != St.IDLE && r.s != St.PARKED) return;
        Decision d = r.m.reps.size() > 1 ? policy.decideExtra(r.m.act, r.idleSince, now)
                : policy.decide(r.m.act, r.idleSince, now);
        switch (d.action()) {
            case PARK -> {
                if (r.s == St.IDLE) {
                    // The operator's rule: an idle running whole-device replica parks in place, at its parked share.
                    for (ReplicaPlanner.Action a : ReplicaPlanner.plan(replicaFacts(r, true, List.of())).actions()) {
                        if (a instanceof ReplicaPlanner.Park k) {
                            setState(r, St.PARKED);
                            r.parkedAt = now;
                            park(r, k.share());
                        }
                    }
                    if (!pending.isEmpty()) placePending();
                }
                if (d.recheckAtMillis() != Long.MAX_VALUE) push(Math.max(now + 1, d.recheckAtMillis()), CHECK, r, r.token);
            }
            case SCALE_TO_ZERO -> {
                remove(r);
                if (!pending.isEmpty()) placePending();
            }
            default -> {
                if (d.recheckAtMillis() != Long.MAX_VALUE) push(Math.max(now + 1, d.recheckAtMillis()), CHECK, r, r.token);
            }
        }
    }

    /**
     * Parks an idle replica in place, as the operator does: it keeps its device and is counted (and charged) as
     * a {@code parkFraction} share of it, so the engine can pack other parked replicas into the rest.
     */
    private void park(Replica r, int share) {
        if (!unlimited()) r.node.deviceMilli[r.device] -= r.alloc - share;
        r.alloc = share;
    }

    private void remove(Replica r) {
        account(r);
        r.token++;
        detach(r);
        r.m.reps.remove(r);
        r.s = null;
    }
}
