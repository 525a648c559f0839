package io.plimsoll.scheduling;

import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.tenancy.Admission;
import org.jboss.logging.Logger;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The one placement loop, as kube-scheduler and Kueue have one: reconcilers hand over workloads that need
 * replicas placed; a single thread serves them in {@link PlacementQueue} order (priority, then arrival; with tenant
 * quotas, work within its tenant's guarantee first, {@link PlacementQueue#compare}) against
 * the current cluster state, so whoever is first in line is first placed, whatever thread observed it. When the
 * first in line does not fit, nodes are nominated for it ({@link Nomination}) and everything behind it may only
 * backfill the other nodes. A cycle runs when work is handed over and when capacity changes.
 */
public final class PlacementLoop {
    private static final Logger LOG = Logger.getLogger(PlacementLoop.class);

    /** What an attempt came to. */
    public enum Outcome {
        /** Every missing replica was placed. */
        PLACED,
        /** No room now; {@link Result#decision()} says why for each pool. */
        UNPLACEABLE,
        /** Something was done that needs a fresh look (room made, a refusal being backed off): try again later. */
        WAITING,
        /** The request no longer matches the workload (changed or deleted): its reconciler hands over a new one. */
        STALE,
        /**
         * Its tenant's quota says wait ({@link AdmissionGate}): no attempt was made; {@link Result#detail()} says why.
         * It keeps its place in line and is asked again on the next cycle.
         */
        QUOTA
    }

    public record Result(Outcome outcome, PlacementDecision decision, String detail) {
        public static Result of(Outcome o) {
            return new Result(o, null, null);
        }
    }

    /** Runs on the loop thread: places what is missing, on the state without the {@code held} nodes. */
    public interface Attempt {
        Result run(Set<String> held);
    }

    /**
     * A workload handed over for placement: its place in line, its need (for a nomination), how to place it, and
     * optionally what it would charge its tenant (null: no tenant check).
     */
    public record Request(PlacementQueue.Entry entry, Need need, PhaseRules rules, Attempt attempt, TenantClaim claim) {
        public Request(PlacementQueue.Entry entry, Need need, PhaseRules rules, Attempt attempt) {
            this(entry, need, rules, attempt, null);
        }
    }

    /** What a request would charge its tenant if it started now. */
    public record TenantClaim(String tenant, Admission.Demand demand) {}

    /**
     * Decides whether a request with a claim may be attempted now (the operator's tenant quotas). Runs on the loop
     * thread, before the attempt, in queue order.
     */
    public interface AdmissionGate {
        /**
         * @param competitors the first claim of each other tenant still in line this cycle (for fair sharing)
         */
        Admission.Decision admit(String key, TenantClaim claim, List<Admission.Competitor> competitors);

        /** Whether the claim is within its tenant's guarantee (served before work that would borrow); false by default. */
        default boolean withinGuarantee(TenantClaim claim) {
            return false;
        }
    }

    /** Where a workload stands: its position in line (1-based, 0 when not waiting), the last result, a nomination. */
    public record Standing(int position, int waiting, Result last, int nominatedNodes) {}

    private final PlacementQueue queue = new PlacementQueue();
    private final Map<String, Request> requests = new ConcurrentHashMap<>();
    private final Map<String, Result> results = new ConcurrentHashMap<>();
    /** Reconciles waiting for the next answer about a workload. */
    private final Map<String, java.util.concurrent.CompletableFuture<Result>> answers = new ConcurrentHashMap<>();
    /** The order of the last cycle, and its positions once asked for (null until then). */
    private volatile List<PlacementQueue.Entry> lastOrder = List.of();
    private volatile Map<String, Integer> positions = Map.of();
    private volatile String head;
    private volatile Set<String> held = Set.of();
    private final AtomicBoolean pending = new AtomicBoolean();
    private final ThreadPoolExecutor thread;
    private final Supplier<ClusterState> state;
    private final LongSupplier capacityFreed;
    private final Consumer<String> changed;
    /**
     * Work that found no room, and with what: the count of capacity-freeing changes then, and the nodes held for the
     * head. While both are the same, trying again gives the same answer, so a cycle passes it over: a cycle costs what
     * is new, not everything waiting.
     */
    private final Map<String, Tried> unplaceable = new ConcurrentHashMap<>();

    private record Tried(long freedCount, Set<String> held) {}

    /**
     * Work no pool could take even empty (so nothing is nominated for it), with the count of capacity changes then:
     * while that count holds, the costly what-if is not made again for it.
     */
    private final Map<String, Long> notNominable = new ConcurrentHashMap<>();
    private final PlacementEngine engine = new PlacementEngine();
    /** Tenant quotas; null admits everything. */
    private final AdmissionGate gate;

    /**
     * @param state   the current cluster state (a private copy)
     * @param capacityFreed a count that grows with every change that may free capacity (a pod gone, a node added)
     * @param changed told the key (namespace/name) of a workload whose result changed, so its status is written
     */
    public PlacementLoop(Supplier<ClusterState> state, LongSupplier capacityFreed, Consumer<String> changed) {
        this(state, capacityFreed, changed, null);
    }

    /** @param gate consulted before each attempt of a request that carries a {@link TenantClaim}; null admits all */
    public PlacementLoop(Supplier<ClusterState> state, LongSupplier capacityFreed, Consumer<String> changed, AdmissionGate gate) {
        this.gate = gate;
        this.state = state;
        this.capacityFreed = capacityFreed;
        this.changed = changed;
        // One thread, which ends when idle (so operators started and stopped in tests leave nothing running).
        this.thread = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "plimsoll-placement-loop");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Hands a workload over (or updates its request), and asks for a cycle unless the request is the one in line
     * already and found no room with the capacity there is now (a cycle would pass it over: waiting workloads look again
     * every 30 s, and 3,600 of them would otherwise ask for 120 cycles a second). Returns whether a cycle will attempt
     * it (worth waiting for its answer).
     */
    public boolean submit(Request r) {
        if (!enqueue(r)) {
            Tried tried = unplaceable.get(r.entry().key());
            if (tried != null && tried.freedCount() == capacityFreed.getAsLong() && results.get(r.entry().key()) != null) return false;
        }
        wake();
        return true;
    }

    /**
     * Puts the request in line without asking for a cycle (tests run {@link #cycle} themselves). Returns whether it
     * is new or differs from the one in line.
     */
    boolean enqueue(Request r) {
        Request before = requests.put(r.entry().key(), r);
        boolean differs = before == null || !before.entry().equals(r.entry()) || !before.need().equals(r.need()) || !before.rules().equals(r.rules())
                || !Objects.equals(before.claim(), r.claim());
        if (differs) {
            unplaceable.remove(r.entry().key());
            notNominable.remove(r.entry().key());
        }
        queue.offer(r.entry());
        return differs;
    }

    /** The workload needs nothing placed any more (all placed, scaled down, deleted). */
    public void withdraw(String key) {
        cancel(key);
        results.remove(key);
    }

    /** Takes the workload out of line until it is handed over again; its last result is kept for its status. */
    public void cancel(String key) {
        requests.remove(key);
        unplaceable.remove(key);
        notNominable.remove(key);
        var answer = answers.remove(key);
        if (answer != null) answer.complete(null);
        queue.remove(key);
    }

    /**
     * Waits up to {@code millis} for the next attempt at the workload (after a {@link #submit}), and returns what it
     * came to, or null when none came in time.
     */
    public Result awaitResult(String key, long millis) {
        var answer = answers.computeIfAbsent(key, k -> new java.util.concurrent.CompletableFuture<>());
        try {
            return answer.get(millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public Standing standing(String key) {
        Map<String, Integer> pos = positions();
        Integer p = pos.get(key);
        return new Standing(p == null ? 0 : p, pos.size(), results.get(key), key.equals(head) ? held.size() : 0);
    }

    /** Places in line as of the last cycle, indexed on first use (a cycle does not pay for it when nobody asks). */
    private Map<String, Integer> positions() {
        Map<String, Integer> pos = positions;
        if (pos != null) return pos;
        List<PlacementQueue.Entry> order = lastOrder;
        Map<String, Integer> made = new HashMap<>(order.size() * 2);
        for (int i = 0; i < order.size(); i++) made.put(order.get(i).key(), i + 1);
        synchronized (this) {
            if (lastOrder == order) positions = made;
        }
        return made;
    }

    /** Asks for a cycle; cycles never overlap, and requests made during one are served by the next. */
    public void wake() {
        if (pending.compareAndSet(false, true)) thread.execute(this::cycle);
    }

    void cycle() {
        try {
            runCycle();
        } catch (RuntimeException ex) {
            // Not one workload's failure (those are caught below) but the cycle's own: the cluster's state could not be
            // read, say. The thread lives on; the next wake (a change, a submit, a waiting workload's recheck) tries again.
            LOG.warnf("placement cycle stopped early: %s; the next change or recheck starts another", ex.toString());
            LOG.debug("placement cycle failure", ex);
        }
    }

    private void runCycle() {
        pending.set(false);
        long freedCount = capacityFreed.getAsLong();
        List<PlacementQueue.Entry> order = queue.ordered();
        if (gate != null) order = PlacementQueue.guaranteedFirst(order, this::withinGuarantee);
        synchronized (this) {
            lastOrder = order;
            positions = null;
        }
        String headNow = null;
        Set<String> holdNow = Set.of();
        Map<String, TenantClaim> firstClaims = gate == null ? Map.of() : firstClaims(order);
        for (PlacementQueue.Entry e : order) {
            Request r = requests.get(e.key());
            if (r == null) {
                queue.remove(e.key());
                continue;
            }
            Result res;
            Tried tried = unplaceable.get(e.key());
            Result refused = refusal(r, firstClaims);
            if (refused != null) {
                res = refused;
                unplaceable.remove(e.key()); // its last answer is the gate's, not the engine's
            } else if (tried != null && tried.freedCount() == freedCount && tried.held().equals(holdNow) && results.get(e.key()) != null) {
                res = results.get(e.key()); // nothing freed since it found no room, nor released from the head's hold
            } else {
                try {
                    res = r.attempt().run(holdNow);
                } catch (RuntimeException ex) {
                    // One workload's failure (the API server down, say) must not stop the others' placement.
                    LOG.warnf(ex, "placement of %s failed; retried on the next cycle", e.key());
                    res = Result.of(Outcome.WAITING);
                }
                if (res.outcome() == Outcome.UNPLACEABLE) {
                    unplaceable.put(e.key(), new Tried(freedCount, holdNow));
                } else {
                    unplaceable.remove(e.key());
                }
            }
            Result before = res;
            Result last = results.get(e.key());
            if (last != res) before = results.put(e.key(), res); // a cached answer is the same object: nothing to store
            var answer = answers.isEmpty() ? null : answers.remove(e.key());
            if (answer != null) answer.complete(res);
            if (res.outcome() == Outcome.PLACED || res.outcome() == Outcome.STALE) {
                requests.remove(e.key(), r);
                queue.remove(e.key());
            }
            if (res.outcome() == Outcome.UNPLACEABLE && headNow == null
                    && !Objects.equals(notNominable.get(e.key()), freedCount)) {
                // First in line and no room: hold nodes for it, if some pool could take it at all.
                Set<String> nominated = Nomination.nodesFor(r.need(), state.get(), r.rules(), engine,
                        e.key().equals(head) ? held : null);
                if (!nominated.isEmpty()) {
                    headNow = e.key();
                    holdNow = nominated;
                    notNominable.remove(e.key());
                } else {
                    notNominable.put(e.key(), freedCount);
                }
            }
            if (before == null || before.outcome() != res.outcome() || !Objects.equals(before.detail(), res.detail())) {
                changed.accept(e.key());
            }
        }
        String oldHead = head;
        head = headNow;
        held = holdNow;
        if (oldHead != null && !oldHead.equals(headNow)) changed.accept(oldHead);
    }

    private boolean withinGuarantee(PlacementQueue.Entry e) {
        Request r = requests.get(e.key());
        if (r == null || r.claim() == null) return false;
        try {
            return gate.withinGuarantee(r.claim());
        } catch (RuntimeException ex) {
            return false; // it keeps its place by priority and arrival; the gate itself says what is wrong
        }
    }

    /** The first claim of each tenant in line, in queue order. */
    private Map<String, TenantClaim> firstClaims(List<PlacementQueue.Entry> order) {
        Map<String, TenantClaim> first = new java.util.LinkedHashMap<>();
        for (PlacementQueue.Entry e : order) {
            Request r = requests.get(e.key());
            if (r != null && r.claim() != null) first.putIfAbsent(r.claim().tenant(), r.claim());
        }
        return first;
    }

    /** The gate's refusal of the request, or null when it may be attempted (no gate, no claim, or admitted). */
    private Result refusal(Request r, Map<String, TenantClaim> firstClaims) {
        if (gate == null || r.claim() == null) return null;
        List<Admission.Competitor> competitors = new java.util.ArrayList<>();
        for (TenantClaim c : firstClaims.values()) {
            if (!Objects.equals(c.tenant(), r.claim().tenant())) competitors.add(new Admission.Competitor(c.tenant(), c.demand().gpuEq()));
        }
        try {
            Admission.Decision d = gate.admit(r.entry().key(), r.claim(), competitors);
            return d == null || d.admitted() ? null : new Result(Outcome.QUOTA, null, d.message());
        } catch (RuntimeException ex) {
            // Fail closed: a quota that cannot be checked is not a quota that admits; the next cycle asks again.
            LOG.warnf(ex, "tenant admission of %s failed; retried on the next cycle", r.entry().key());
            return Result.of(Outcome.WAITING);
        }
    }
}
