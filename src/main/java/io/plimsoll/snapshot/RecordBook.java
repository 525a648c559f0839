package io.plimsoll.snapshot;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Plimsoll's records of its pods, by pod key (namespace/name), with indexes by workload and by node so a look at one
 * workload or one node costs what it holds, not what the cluster holds. Every change tells {@code touched} the node
 * it concerns, so the snapshot rebuilds that node only. Thread-safe: one lock for all three maps.
 */
final class RecordBook {
    private final Map<String, PodRecord> byPod = new HashMap<>();
    private final Map<String, Set<String>> byWorkload = new HashMap<>();
    private final Map<String, Set<String>> byNode = new HashMap<>();
    /** The pods whose record says parked. */
    private final Set<String> parked = new HashSet<>();
    /**
     * The pods with a record that the pod informer has shown: once shown and gone from its cache, a pod is deleted (its
     * record goes when the delete handler runs), and no longer a placement being created.
     */
    private final Set<String> seen = new HashSet<>();
    private final Consumer<String> touched;

    RecordBook(Consumer<String> touched) {
        this.touched = touched;
    }

    /** The informer shows the pod (if it has a record). */
    synchronized void markSeen(String podKey) {
        if (byPod.containsKey(podKey)) seen.add(podKey);
    }

    /** Whether the informer has shown the recorded pod. */
    synchronized boolean seen(String podKey) {
        return seen.contains(podKey);
    }

    /** The pod keys among these records that the informer has shown, read at one moment. */
    synchronized Set<String> seenAmong(List<PodRecord> rs) {
        Set<String> out = new HashSet<>();
        for (PodRecord r : rs) if (seen.contains(r.podKey())) out.add(r.podKey());
        return out;
    }

    synchronized PodRecord get(String podKey) {
        return byPod.get(podKey);
    }

    synchronized int size() {
        return byPod.size();
    }

    /** Adds or replaces the record of its pod. */
    void put(PodRecord r) {
        PodRecord old;
        synchronized (this) {
            old = byPod.put(r.podKey(), r);
            if (old != null) unindex(old);
            index(r);
        }
        if (old != null && !old.node().equals(r.node())) touched.accept(old.node());
        touched.accept(r.node());
    }

    /** Adds the record unless its pod has one; true if added. */
    boolean putIfAbsent(PodRecord r) {
        synchronized (this) {
            if (byPod.containsKey(r.podKey())) return false;
            byPod.put(r.podKey(), r);
            index(r);
        }
        touched.accept(r.node());
        return true;
    }

    /** Replaces the pod's record by {@code f} of it, if it has one. */
    void update(String podKey, UnaryOperator<PodRecord> f) {
        PodRecord now;
        synchronized (this) {
            PodRecord old = byPod.get(podKey);
            if (old == null) return;
            now = f.apply(old);
            byPod.put(podKey, now);
            // Only the pod's UID learned (and when): its workload, node and park are the same, so are the indexes, and
            // what the records place where has not moved.
            if (!old.withUid(now.podUid(), now.at()).equals(now)) {
                unindex(old);
                index(now);
            }
        }
        touched.accept(now.node());
    }

    /** Removes the pod's record if {@code which} holds for it; the removed record, or null. */
    PodRecord removeIf(String podKey, Predicate<PodRecord> which) {
        PodRecord r;
        synchronized (this) {
            r = byPod.get(podKey);
            if (r == null || !which.test(r)) return null;
            byPod.remove(podKey);
            seen.remove(podKey);
            unindex(r);
        }
        touched.accept(r.node());
        return r;
    }

    PodRecord remove(String podKey) {
        return removeIf(podKey, r -> true);
    }

    /** Removes every record of the workload; true if there was one. */
    boolean removeWorkload(String workloadKey) {
        List<PodRecord> gone = new ArrayList<>();
        synchronized (this) {
            for (String k : List.copyOf(byWorkload.getOrDefault(workloadKey, Set.of()))) {
                PodRecord r = byPod.remove(k);
                seen.remove(k);
                if (r != null) {
                    unindex(r);
                    gone.add(r);
                }
            }
        }
        gone.forEach(r -> touched.accept(r.node()));
        return !gone.isEmpty();
    }

    synchronized List<PodRecord> ofWorkload(String workloadKey) {
        return recordsOf(byWorkload.get(workloadKey));
    }

    synchronized List<PodRecord> onNode(String node) {
        return recordsOf(byNode.get(node));
    }

    synchronized List<PodRecord> parked() {
        return recordsOf(parked);
    }

    synchronized List<PodRecord> all() {
        return new ArrayList<>(byPod.values());
    }

    private List<PodRecord> recordsOf(Set<String> keys) {
        if (keys == null) return List.of();
        List<PodRecord> out = new ArrayList<>(keys.size());
        for (String k : keys) out.add(byPod.get(k));
        return out;
    }

    /**
     * Grows with every change of what the records place where (added, removed, moved, parked, resized), not when a
     * created pod's UID is learned: a cache of who uses what is stale only when this moved.
     */
    private volatile long placements;

    long placementsVersion() {
        return placements;
    }

    private void index(PodRecord r) {
        placements++;
        byWorkload.computeIfAbsent(r.workloadKey(), k -> new HashSet<>()).add(r.podKey());
        byNode.computeIfAbsent(r.node(), k -> new HashSet<>()).add(r.podKey());
        if (r.parked()) parked.add(r.podKey());
    }

    private void unindex(PodRecord r) {
        placements++;
        drop(byWorkload, r.workloadKey(), r.podKey());
        drop(byNode, r.node(), r.podKey());
        parked.remove(r.podKey());
    }

    private static void drop(Map<String, Set<String>> index, String at, String podKey) {
        Set<String> s = index.get(at);
        if (s == null) return;
        s.remove(podKey);
        if (s.isEmpty()) index.remove(at);
    }
}
