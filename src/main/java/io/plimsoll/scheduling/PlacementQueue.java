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
