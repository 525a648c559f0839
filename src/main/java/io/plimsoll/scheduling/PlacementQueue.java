package io.plimsoll.scheduling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Workloads waiting for placement, in the one order the placement loop serves them: highest priority first, then
 * first come (creation time), then name. Pure; thread-safe.
 */
public final class PlacementQueue {
    /** One waiting workload. {@code arrival} is its creation time in epoch milliseconds. */
    public record Entry(String key, int priority, long arrival) {}

    /** The service order: higher priority first, then earlier arrival, then key. */
    public static final Comparator<Entry> ORDER = Comparator.comparingInt((Entry e) -> -e.priority())
            .thenComparingLong(Entry::arrival).thenComparing(Entry::key);

    /**
     * The service order when tenants have quotas, as Kueue's scheduler orders its heads: work that its tenant's
     * guarantee covers goes before work that would borrow, then {@link #ORDER}. Capacity that frees goes first to
     * a tenant taking back its own guarantee, rather than to a borrower that happened to wait longer (which would
     * leave the tenant to wait a grace period for a reclaim).
     */
    public static int compare(boolean aWithinGuarantee, Entry a, boolean bWithinGuarantee, Entry b) {
        if (aWithinGuarantee != bWithinGuarantee) return aWithinGuarantee ? -1 : 1;
        return ORDER.compare(a, b);
    }

    /** {@code ordered} (in {@link #ORDER}) with the work its tenant's guarantee covers moved first, keeping order within each part. */
    public static List<Entry> guaranteedFirst(List<Entry> ordered, java.util.function.Predicate<Entry> withinGuarantee) {
        List<Entry> first = new ArrayList<>(ordered.size()), rest = new ArrayList<>();
        for (Entry e : ordered) (withinGuarantee.test(e) ? first : rest).add(e);
        first.addAll(rest);
        return first;
    }

    private final TreeSet<Entry> order = new TreeSet<>(ORDER);
    private final Map<String, Entry> byKey = new HashMap<>();

    /** Adds the workload, or moves it to where its (new) priority puts it. */
    public synchronized void offer(Entry e) {
        Entry old = byKey.put(e.key(), e);
        if (old != null) order.remove(old);
        order.add(e);
    }

    public synchronized void remove(String key) {
        Entry old = byKey.remove(key);
        if (old != null) order.remove(old);
    }

    public synchronized boolean contains(String key) {
        return byKey.containsKey(key);
    }

    /** The waiting workloads in service order. */
    public synchronized List<Entry> ordered() {
        return new ArrayList<>(order);
    }

    /** The first in line, or null when none waits. */
    public synchronized Entry first() {
        return order.isEmpty() ? null : order.first();
    }

    public synchronized int size() {
        return order.size();
    }
}
