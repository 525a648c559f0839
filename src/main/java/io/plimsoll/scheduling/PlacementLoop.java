package io.plimsoll.scheduling;

import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.PlacementEngine;
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
import java.util.function.Supplier;

/**
 * The one placement loop, as kube-scheduler and Kueue have one: reconcilers hand over workloads that need
 * replicas placed; a single thread serves them in {@link PlacementQueue} order (priority, then arrival) against
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
        STALE
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

    /** A workload handed over for placement: its place in line, its need (for a nomination) and how to place it. */
    public record Request(PlacementQueue.Entry entry, Need need, PhaseRules rules, Attempt attempt) {}

    /** Where a workload stands: its position in line (1-based, 0 when not waiting), the last result, a nomination. */
    public record Standing(int position, int waiting, Result last, int nominatedNodes) {}

    private final PlacementQueue queue = new PlacementQueue();
    private final Map<String, Request> requests = new ConcurrentHashMap<>();
    private final Map<String, Result> results = new ConcurrentHashMap<>();
    private volatile Map<String, Integer> positions = Map.of();
    private volatile String head;
    private volatile Set<String> held = Set.of();
    private final AtomicBoolean pending = new AtomicBoolean();
    private final ThreadPoolExecutor thread;
    private final Supplier<ClusterState> state;
    private final Consumer<String> changed;
    private final PlacementEngine engine = new PlacementEngine();

    /**
     * @param state   the current cluster state (a private copy)
     * @param changed told the key (namespace/name) of a workload whose result changed, so its status is written
     */
    public PlacementLoop(Supplier<ClusterState> state, Consumer<String> changed) {
        this.state = state;
        this.changed = changed;
        // One thread, which ends when idle (so operators started and stopped in tests leave nothing running).
        this.thread = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "plimsoll-placement-loop");
            t.setDaemon(true);
            return t;
        });
    }

    /** Hands a workload over (or updates its request), and asks for a cycle. */
    public void submit(Request r) {
        requests.put(r.entry().key(), r);
        queue.offer(r.entry());
        wake();
    }

    /** The workload needs nothing placed any more (all placed, scaled down, deleted). */
    public void withdraw(String key) {
        requests.remove(key);
        queue.remove(key);
        results.remove(key);
    }

    /** Takes the workload out of line until it is handed over again; its last result is kept for its status. */
    public void cancel(String key) {
        requests.remove(key);
        queue.remove(key);
    }

    public Standing standing(String key) {
        Integer p = positions.get(key);
        return new Standing(p == null ? 0 : p, positions.size(), results.get(key), key.equals(head) ? held.size() : 0);
    }

    /** Asks for a cycle; cycles never overlap, and requests made during one are served by the next. */
    public void wake() {
        if (pending.compareAndSet(false, true)) thread.execute(this::cycle);
    }

    void cycle() {
        pending.set(false);
        List<PlacementQueue.Entry> order = queue.ordered();
        Map<String, Integer> pos = new HashMap<>();
        for (int i = 0; i < order.size(); i++) pos.put(order.get(i).key(), i + 1);
        positions = pos;
        String headNow = null;
        Set<String> holdNow = Set.of();
        for (PlacementQueue.Entry e : order) {
            Request r = requests.get(e.key());
            if (r == null) {
                queue.remove(e.key());
                continue;
            }
            Result res;
            try {
                res = r.attempt().run(holdNow);
            } catch (RuntimeException ex) {
                // One workload's failure (the API server down, say) must not stop the others' placement.
                LOG.warnf(ex, "placement of %s failed; retried on the next cycle", e.key());
                res = Result.of(Outcome.WAITING);
            }
            Result before = results.put(e.key(), res);
            if (res.outcome() == Outcome.PLACED || res.outcome() == Outcome.STALE) {
                requests.remove(e.key(), r);
                queue.remove(e.key());
            }
            if (res.outcome() == Outcome.UNPLACEABLE && headNow == null) {
                // First in line and no room: hold nodes for it, if some pool could take it at all.
                Set<String> nominated = Nomination.nodesFor(r.need(), state.get(), r.rules(), engine,
                        e.key().equals(head) ? held : null);
                if (!nominated.isEmpty()) {
                    headNow = e.key();
                    holdNow = nominated;
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
}
