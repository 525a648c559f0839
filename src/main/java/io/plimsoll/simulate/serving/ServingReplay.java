package io.plimsoll.simulate.serving;

import io.plimsoll.engine.idle.Decision;
import io.plimsoll.engine.idle.IdlePolicy;
import io.plimsoll.engine.idle.ModelActivity;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Discrete-event replay of a serving trace: per-model replicas (one request at a time each), a FIFO queue
 * per model, replicas added while requests queue, removed or parked by an {@link IdlePolicy}, cold starts
 * with a seeded load latency, replicas placed best-fit on a pool of GPU nodes that start after a delay and
 * are removed under the pool rule (empty for a grace period; parked-only nodes drained when their parked
 * replicas fit elsewhere) or, for the Cluster Autoscaler reference, the CA rule.
 */
public final class ServingReplay {
    static final int FULL = 1000; // milli-GPU

    enum St { PENDING_START, PENDING_RESUME, LOADING, RESUMING, IDLE, BUSY, PARKED }

    static final class Node {
        final int id; final long addedAt; long readyAt; boolean ready; int used; long emptySince = -1; long underSince = -1;
        final List<Replica> reps = new ArrayList<>();
        Node(int id, long addedAt, long readyAt) { this.id = id; this.addedAt = addedAt; this.readyAt = readyAt; }
    }

    static final class Replica {
        final Model m; St s; Node node; int alloc; long since; long idleSince; long token;
        Replica(Model m) { this.m = m; }
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
    private boolean yieldIdle;
    private boolean evictedNow;
    private final Random rnd;
    private final int parkMilli;

    private final PriorityQueue<Ev> events = new PriorityQueue<>((a, b) -> a.t != b.t ? Long.compare(a.t, b.t) : Long.compare(a.seq, b.seq));
    private long seq;
    private long now;
    private final List<Node> nodes = new ArrayList<>();
    private final ArrayDeque<Replica> pending = new ArrayDeque<>();
    private Model[] models;
    private int nodeIds;
    // accounting (GPU-milli x ms)
    private double busyMs, idleMs, parkedMs, loadMs, nodeMs;
    private long coldStarts, resumes, restarts, parkEvictions;
    private int maxNodes;
    private long[] waits;
    private int served;
    private long outstanding;

    /**
     * @param caRule    apply the Cluster Autoscaler node rule instead of the Plimsoll pool rule
     * @param startWarm start every model with one warm replica at the first request time (always-on)
     */
    public ServingReplay(ServingTrace trace, IdlePolicy policy, ServingConfig cfg, long[] latencies, long seed,
                         boolean caRule, boolean startWarm) {
        this.trace = trace; this.policy = policy; this.cfg = cfg; this.latencies = latencies.clone();
        this.caRule = caRule; this.startWarm = startWarm; this.rnd = new Random(seed);
        this.parkMilli = Math.max(1, (int) Math.round(cfg.parkFraction() * FULL));
    }

    public static PolicyResult run(ServingTrace trace, IdlePolicy policy, ServingConfig cfg, long[] latencies,
                                   long seed, boolean caRule, boolean startWarm, String label) {
        return new ServingReplay(trace, policy, cfg, latencies, seed, caRule, startWarm).run(label, ModelActivity::new);
    }

    /**
     * Plimsoll pool rule: when a replica that has work waiting cannot be placed, idle warm replicas of other
     * models on a full node are scaled to zero (oldest idle first) instead of waiting for a new node.
     */
    public ServingReplay yieldIdleReplicas(boolean on) { this.yieldIdle = on; return this; }

    private boolean unlimited() { return cfg.gpusPerNode() == 0; }

    private int capacity() { return cfg.gpusPerNode() * FULL; }

    public PolicyResult run(String label, Supplier<ModelActivity> activity) {
        List<ServingTrace.Request> reqs = trace.requests();
        models = new Model[trace.models().size()];
        for (int i = 0; i < models.length; i++) models[i] = new Model(i, activity.get());
        waits = new long[reqs.size()];
        long t0 = reqs.get(0).arrivalMillis();
        now = t0;
        if (!unlimited()) {
            int need = startWarm ? (models.length + cfg.gpusPerNode() - 1) / cfg.gpusPerNode() : 0;
            for (int i = 0; i < Math.max(need, cfg.initialNodes()); i++) {
                Node n = new Node(nodeIds++, t0, t0); n.ready = true; nodes.add(n);
            }
            maxNodes = nodes.size();
            push(t0 + cfg.scanMillis(), SCAN, null, 0);
        }
        if (startWarm) {
            for (Model m : models) {
                Replica r = new Replica(m);
                r.s = St.PENDING_START; m.reps.add(r);
                attach(r, fit(FULL, null), FULL);
                r.since = t0; r.s = St.IDLE; r.idleSince = t0;
            }
        }
        for (int i = 0; i < reqs.size(); i++) push(reqs.get(i).arrivalMillis(), ARRIVAL, reqs.get(i), 0);
        outstanding = reqs.size();
        while (!events.isEmpty() && outstanding > 0) {
            Ev e = events.poll();
            now = e.t;
            switch (e.type) {
                case ARRIVAL -> arrival((ServingTrace.Request) e.o);
                case READY -> { Replica r = (Replica) e.o; if (r.token == e.token) ready(r); }
                case DONE -> { Replica r = (Replica) e.o; if (r.token == e.token) done(r); }
                case CHECK -> { Replica r = (Replica) e.o; if (r.token == e.token) evaluate(r); }
                case NODE_READY -> nodeReady((Node) e.o);
                case SCAN -> { scan(); push(now + cfg.scanMillis(), SCAN, null, 0); }
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
                nodeMs / 3_600_000.0, maxNodes, coldStarts, resumes, restarts, parkEvictions,
                pct(w, 0.50) / 1000.0, pct(w, 0.99) / 1000.0, mean);
    }

    static long pct(long[] sorted, double q) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private void push(long t, int type, Object o, long token) { events.add(new Ev(t, seq++, type, o, token)); }

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

    // ---- nodes ------------------------------------------------------------------------------------
    private void attach(Replica r, Node n, int alloc) {
        r.node = n; r.alloc = alloc;
        if (n != null) { n.used += alloc; n.reps.add(r); }
    }

    private void detach(Replica r) {
        if (r.node != null) { r.node.used -= r.alloc; r.node.reps.remove(r); }
        r.node = null; r.alloc = 0;
    }

    private void grow(Replica r, int alloc) {
        if (r.node != null) r.node.used += alloc - r.alloc;
        r.alloc = alloc;
    }

    /** Best fit: the ready node with the least free capacity that still fits; null if none. */
    private Node fit(int need, Node exclude) {
        if (unlimited()) return null;
        Node best = null;
        for (Node n : nodes) {
            if (!n.ready || n == exclude) continue;
            int free = capacity() - n.used;
            if (free >= need && (best == null || free < capacity() - best.used)) best = n;
        }
        return best;
    }

    /** Frees room for a whole replica by scaling parked replicas to zero on the node where that suffices. */
    private Node evictParkedFor(int need) {
        if (unlimited()) return null;
        Node best = null; int bestParked = Integer.MAX_VALUE;
        for (Node n : nodes) {
            if (!n.ready) continue;
            int parked = 0;
            for (Replica r : n.reps) {
                if (r.s == St.PARKED) parked += r.alloc;
                else if (r.s == St.IDLE && yieldIdle) parked += r.alloc;
            }
            int free = capacity() - n.used;
            if (free + parked >= need && parked > 0 && parked < bestParked) { best = n; bestParked = parked; }
        }
        if (best == null) return null;
        List<Replica> parked = new ArrayList<>();
        for (Replica r : best.reps) if (r.s == St.PARKED || (r.s == St.IDLE && yieldIdle)) parked.add(r);
        parked.sort((a, b) -> Long.compare(a.idleSince, b.idleSince));
        for (Replica r : parked) {
            if (capacity() - best.used >= need) break;
            remove(r);
            parkEvictions++;
            evictedNow = true;
        }
        return capacity() - best.used >= need ? best : null;
    }

    private void placePending() {
        int unplaced = 0;
        for (Iterator<Replica> it = pending.iterator(); it.hasNext(); ) {
            Replica r = it.next();
            Node n = fit(FULL, null);
            if (n == null && !unlimited()) n = evictParkedFor(FULL);
            if (n == null && !unlimited()) { unplaced++; continue; }
            it.remove();
            attach(r, n, FULL);
            if (r.s == St.PENDING_START) {
                setState(r, St.LOADING);
                push(now + latencies[rnd.nextInt(latencies.length)], READY, r, r.token);
            } else {
                setState(r, St.RESUMING);
                push(now + cfg.parkResumeMillis(), READY, r, r.token);
            }
        }
        if (yieldIdle && !unlimited() && evictedNow) {
            // Plimsoll pool rule: parked replicas had to make room, so ask for one more node (unless one is
            // already starting); parked replicas are re-homed onto it by the parked-only drain / placement.
            boolean booting = false;
            for (Node n : nodes) if (!n.ready) { booting = true; break; }
            if (!booting) {
                Node n = new Node(nodeIds++, now, now + cfg.nodeStartupMillis());
                nodes.add(n);
                push(n.readyAt, NODE_READY, n, 0);
                maxNodes = Math.max(maxNodes, nodes.size());
            }
        }
        evictedNow = false;
        if (unplaced > 0) {
            int booting = 0;
            for (Node n : nodes) if (!n.ready) booting += cfg.gpusPerNode();
            int missing = unplaced - booting;
            while (missing > 0) {
                Node n = new Node(nodeIds++, now, now + cfg.nodeStartupMillis());
                nodes.add(n);
                push(n.readyAt, NODE_READY, n, 0);
                missing -= cfg.gpusPerNode();
            }
            maxNodes = Math.max(maxNodes, nodes.size());
        }
    }

    private void nodeReady(Node n) {
        n.ready = true;
        placePending();
    }

    private void removeNode(Node n) {
        nodes.remove(n);
        nodeMs += now - n.addedAt;
    }

    private void scan() {
        for (Node n : new ArrayList<>(nodes)) {
            if (!n.ready) continue;
            if (caRule) {
                if (n.used < cfg.caUnderUtil() * capacity()) {
                    if (n.underSince < 0) n.underSince = now;
                } else n.underSince = -1;
                if (n.underSince >= 0 && now - n.underSince >= cfg.caUnneededMillis() && caDrain(n)) removeNode(n);
            } else {
                if (!n.reps.isEmpty()) {
                    boolean allParked = true;
                    for (Replica r : n.reps) if (r.s != St.PARKED) { allParked = false; break; }
                    if (allParked) drainParked(n);
                }
                if (n.used == 0 && n.reps.isEmpty()) {
                    if (n.emptySince < 0) n.emptySince = now;
                    if (now - n.emptySince >= cfg.nodeEmptyGraceMillis()) removeNode(n);
                } else n.emptySince = -1;
            }
        }
    }

    /** Plimsoll pool rule: a node holding only parked replicas moves them where they fit (no reload). */
    private void drainParked(Node n) {
        // all-or-nothing: check they fit on other ready nodes
        int[] free = new int[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            Node o = nodes.get(i);
            free[i] = (o.ready && o != n && !o.reps.isEmpty()) ? capacity() - o.used : 0;
        }
        List<Replica> reps = new ArrayList<>(n.reps);
        int[] target = new int[reps.size()];
        for (int k = 0; k < reps.size(); k++) {
            int bi = -1;
            for (int i = 0; i < free.length; i++) if (free[i] >= reps.get(k).alloc && (bi < 0 || free[i] < free[bi])) bi = i;
            if (bi < 0) return;
            free[bi] -= reps.get(k).alloc; target[k] = bi;
        }
        List<Node> snapshot = new ArrayList<>(nodes);
        for (int k = 0; k < reps.size(); k++) {
            Replica r = reps.get(k); int a = r.alloc;
            detach(r); attach(r, snapshot.get(target[k]), a);
        }
    }

    /** CA rule: if every replica on the node is idle/parked and all fit elsewhere, move them (they reload). */
    private boolean caDrain(Node n) {
        for (Replica r : n.reps) if (r.s != St.IDLE && r.s != St.PARKED) return false;
        int[] free = new int[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            Node o = nodes.get(i);
            free[i] = (o.ready && o != n) ? capacity() - o.used : -1;
        }
        List<Replica> reps = new ArrayList<>(n.reps);
        int[] target = new int[reps.size()];
        for (int k = 0; k < reps.size(); k++) {
            int bi = -1;
            for (int i = 0; i < free.length; i++) if (free[i] >= reps.get(k).alloc && (bi < 0 || free[i] < free[bi])) bi = i;
            if (bi < 0) return false;
            free[bi] -= reps.get(k).alloc; target[k] = bi;
        }
        List<Node> snapshot = new ArrayList<>(nodes);
        for (int k = 0; k < reps.size(); k++) {
            Replica r = reps.get(k); int a = r.alloc;
            detach(r); attach(r, snapshot.get(target[k]), a);
            restarts++;
            setState(r, St.LOADING);
            push(now + latencies[rnd.nextInt(latencies.length)], READY, r, r.token);
        }
        return true;
    }

    // ---- replicas and requests -------------------------------------------------------------------
    private void arrival(ServingTrace.Request q) {
        Model m = models[q.model()];
        m.act.onRequest(now);
        m.queue.add(q);
        dispatch(m);
    }

    private void dispatch(Model m) {
        for (Replica r : m.reps) {
            if (m.queue.isEmpty()) break;
            if (r.s != St.IDLE) continue;
            ServingTrace.Request q = m.queue.poll();
            waits[served++] = now - q.arrivalMillis();
            m.act.onStart(now);
            setState(r, St.BUSY);
            push(now + q.execMillis(), DONE, r, r.token);
        }
        if (m.queue.isEmpty()) return;
        int coming = 0;
        for (Replica r : m.reps) {
            if (r.s == St.PENDING_START || r.s == St.PENDING_RESUME || r.s == St.LOADING || r.s == St.RESUMING) coming++;
        }
        int need = m.queue.size() - coming;
        boolean placed = false;
        while (need > 0) {
            Replica parked = null;
            for (Replica r : m.reps) if (r.s == St.PARKED) { parked = r; break; }
            if (parked != null) {
                resumes++;
                if (unlimited() || capacity() - parked.node.used >= FULL - parked.alloc) {
                    setState(parked, St.RESUMING);
                    grow(parked, FULL);
                    push(now + cfg.parkResumeMillis(), READY, parked, parked.token);
                } else {
                    setState(parked, St.PENDING_RESUME);
                    detach(parked);
                    pending.add(parked);
                    placed = true;
                }
            } else if (m.reps.size() < cfg.maxReplicas()) {
                Replica r = new Replica(m);
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
                    setState(r, St.PARKED);
                    grow(r, parkMilli);
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

    private void remove(Replica r) {
        account(r);
        r.token++;
        detach(r);
        r.m.reps.remove(r);
        r.s = null;
    }
}
