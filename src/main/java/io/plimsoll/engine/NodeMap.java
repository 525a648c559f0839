package io.plimsoll.engine;

import java.util.AbstractCollection;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A {@link ClusterState}'s nodes by name, in insertion order, as a {@link LinkedHashMap} keeps them (the same entries,
 * the same order, after the same puts and removals), but copied in the time of what changed rather than of every node.
 * <p>
 * A copy shares the map it was copied from (then neither changes it) and keeps its own changes beside it: nodes put in
 * place of a shared one, names removed. A name that is new, or removed and put again, goes to the end of the order:
 * that copies the shared map first. So does a copy once the changes beside it grow large, so that reading stays about
 * as cheap as reading a map. Not thread-safe (a state is used by one thread at a time), as LinkedHashMap is not.
 */
final class NodeMap {
    /** Above this many changes beside a shared map (and an eighth of its size), a copy makes its own map first. */
    private static final int OVERLAY_MIN = 32;

    private LinkedHashMap<String, NodeState> base;
    /** Whether {@link #base} is read by other maps too: then it is never changed, and changes go beside it. */
    private boolean shared;
    /** Names of {@link #base} whose node is replaced here; empty unless shared. */
    private HashMap<String, NodeState> replaced;
    /** Names of {@link #base} removed here; never in {@link #replaced}; empty unless shared. */
    private HashSet<String> removed;

    NodeMap() {
        base = new LinkedHashMap<>();
    }

    private NodeMap(LinkedHashMap<String, NodeState> base, HashMap<String, NodeState> replaced, HashSet<String> removed) {
        this.base = base;
        this.shared = true;
        this.replaced = replaced;
        this.removed = removed;
    }

    NodeState get(String name) {
        if (!shared) return base.get(name);
        if (removed != null && removed.contains(name)) return null;
        if (replaced != null) {
            NodeState r = replaced.get(name);
            if (r != null) return r;
        }
        return base.get(name);
    }

    /** As {@link Map#put}: the node before under that name, or null. */
    NodeState put(String name, NodeState node) {
        if (!shared) return base.put(name, node);
        NodeState before = get(name);
        if (before != null) { // in the shared map and not removed: replaced in its place
            if (replaced == null) replaced = new HashMap<>();
            replaced.put(name, node);
            return before;
        }
        ownMap(); // new, or removed before: it goes to the end
        return base.put(name, node);
    }

    /** As {@link Map#remove}: the node removed, or null. */
    NodeState remove(String name) {
        if (!shared) return base.remove(name);
        NodeState before = get(name);
        if (before == null) return null;
        if (replaced != null) replaced.remove(name);
        if (removed == null) removed = new HashSet<>();
        removed.add(name);
        return before;
    }

    int size() {
        return shared && removed != null ? base.size() - removed.size() : base.size();
    }

    /** A copy: the same entries in the same order; later changes to either do not show in the other. */
    NodeMap copy() {
        int changes = changes();
        if (changes > OVERLAY_MIN && changes > base.size() / 8) ownMap();
        shared = true;
        return new NodeMap(base, replaced == null || replaced.isEmpty() ? null : new HashMap<>(replaced),
                removed == null || removed.isEmpty() ? null : new HashSet<>(removed));
    }

    private int changes() {
        return (replaced == null ? 0 : replaced.size()) + (removed == null ? 0 : removed.size());
    }

    /** Makes a map of its own (the shared one with the changes beside it applied, in its order). */
    private void ownMap() {
        if (!shared) return;
        LinkedHashMap<String, NodeState> own = new LinkedHashMap<>(Math.max(16, (int) (size() / 0.75f) + 1));
        for (Map.Entry<String, NodeState> e : base.entrySet()) {
            String name = e.getKey();
            if (removed != null && removed.contains(name)) continue;
            NodeState r = replaced == null ? null : replaced.get(name);
            own.put(name, r != null ? r : e.getValue());
        }
        base = own;
        shared = false;
        replaced = null;
        removed = null;
    }

    /** The nodes in order: a live, unmodifiable view. */
    Collection<NodeState> values() {
        return view;
    }

    private final Collection<NodeState> view = new AbstractCollection<>() {
        @Override
        public Iterator<NodeState> iterator() {
            Iterator<Map.Entry<String, NodeState>> it = base.entrySet().iterator();
            return new Iterator<>() {
                Map.Entry<String, NodeState> next = advance();

                private Map.Entry<String, NodeState> advance() {
                    while (it.hasNext()) {
                        Map.Entry<String, NodeState> e = it.next();
                        Set<String> gone = removed;
                        if (gone == null || !gone.contains(e.getKey())) return e;
                    }
                    return null;
                }

                @Override
                public boolean hasNext() {
                    return next != null;
                }

                /** The entry's node as it is now (one replaced while iterating shows, as in a LinkedHashMap). */
                @Override
                public NodeState next() {
                    if (next == null) throw new NoSuchElementException();
                    Map.Entry<String, NodeState> e = next;
                    next = advance();
                    Map<String, NodeState> rep = replaced;
                    NodeState r = rep == null ? null : rep.get(e.getKey());
                    return r != null ? r : e.getValue();
                }
            };
        }

        @Override
        public int size() {
            return NodeMap.this.size();
        }
    };
}
