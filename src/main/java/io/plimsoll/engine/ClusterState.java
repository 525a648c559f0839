package io.plimsoll.engine;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.plimsoll.engine.packing.TaskShape;
import io.plimsoll.engine.packing.TypicalDistribution;

/**
 * The engine's whole view: pools and the nodes in each. Plain data; copy it for what-if placement.
 * <p>
 * A copy shares its nodes with the state it was copied from and copies a node only when it is about to change it
 * ({@link #node} and {@link #apply}); it shares the map of nodes too ({@link NodeMap}), so copying costs what changed
 * since, not every node. {@link #nodes()} and {@link #nodesOf}
 * are for reading: change a node through {@link #node}.
 */
public final class ClusterState {
    private final Map<String, PoolProfile> pools = new LinkedHashMap<>();
    /** By name, in order; a copy shares what it was copied from until it changes it ({@link NodeMap}). */
    private NodeMap nodes = new NodeMap();
    /** The nodes this state may change in place: those added to it and its own copies; the others are shared. */
    private final java.util.Set<NodeState> own = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** Node names by pool, made on first use and shared by copies while no node joins, leaves or changes pool. */
    private Map<String, List<String>> byPool;
    /**
     * {@link #nodesOf}'s answers by pool, in the pool index's order, made on first use and kept up to date as nodes are
     * replaced or removed (a decision asks for a pool's nodes several times, and a copy would otherwise look each name
     * up in its layered map). A copy starts with its parent's lists; neither changes a list it shares: it changes its
     * own copy ({@link #writable}).
     */
    private Map<String, ArrayList<NodeState>> nodesOfCache = new java.util.HashMap<>();
    /** The lists of {@link #nodesOfCache} this state made and shares with no copy: changed in place. */
    private final java.util.Set<List<NodeState>> ownLists = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /**
     * Shapes of the accelerator work running now, tallied (how many of each, memory summed): FGD's "typical workload".
     * A tally, so a decision costs the distinct shapes, not every running task.
     */
    private final Map<TaskShape.ShapeKey, Long> shapeCounts = new java.util.HashMap<>();
    private final Map<TaskShape.ShapeKey, Double> shapeMemory = new java.util.HashMap<>();

    public ClusterState addPool(PoolProfile pool) {
        pools.put(pool.name(), pool);
        return this;
    }

    /** Adds a node, or replaces the one of that name in its place. */
    public ClusterState addNode(NodeState node) {
        NodeState before = nodes.put(node.name(), node);
        if (before != null) own.remove(before);
        if (before == null || !java.util.Objects.equals(before.pool(), node.pool())) {
            byPool = null;
            forgetNodesOf();
        } else {
            replaced(before, node);
        }
        own.add(node);
        return this;
    }

    /** Records the shape of a running task (CPU, memory, devices) for the typical-workload distribution. */
    public ClusterState addRunningShape(TaskShape shape) {
        shapeCounts.merge(shape.key(), 1L, Long::sum);
        shapeMemory.merge(shape.key(), (double) shape.memMib(), Double::sum);
        return this;
    }

    /** Forgets the shape of a task that no longer runs (the reverse of {@link #addRunningShape}). */
    public ClusterState removeRunningShape(TaskShape shape) {
        TaskShape.ShapeKey k = shape.key();
        Long n = shapeCounts.get(k);
        if (n == null) return this;
        if (n <= 1) {
            shapeCounts.remove(k);
            shapeMemory.remove(k);
        } else {
            shapeCounts.put(k, n - 1);
            shapeMemory.merge(k, -(double) shape.memMib(), Double::sum);
        }
        return this;
    }

    /** Removes a node (it left the cluster, or is about to be replaced by its new state). */
    public ClusterState removeNode(String name) {
        NodeState n = nodes.remove(name);
        if (n != null) {
            own.remove(n); // the pool index keeps the name; nodesOf skips it
            replaced(n, null);
        }
        return this;
    }

    /** The typical workload (FGD's target distribution) from what runs now plus {@code also}; null when both are none. */
    public TypicalDistribution typicalWorkload(TaskShape also) {
        if (also == null) {
            return shapeCounts.isEmpty() ? null
                    : TypicalDistribution.fromTally(shapeCounts, shapeMemory, TypicalDistribution.DEFAULT_CUTOFF);
        }
        Map<TaskShape.ShapeKey, Long> counts = new java.util.HashMap<>(shapeCounts);
        Map<TaskShape.ShapeKey, Double> memory = new java.util.HashMap<>(shapeMemory);
        counts.merge(also.key(), 1L, Long::sum);
        memory.merge(also.key(), (double) also.memMib(), Double::sum);
        return TypicalDistribution.fromTally(counts, memory, TypicalDistribution.DEFAULT_CUTOFF);
    }

    public Collection<PoolProfile> pools() { return pools.values(); }
    public PoolProfile pool(String name) { return pools.get(name); }
    /** The node, to read or change (a node shared with the state this one was copied from is copied first). */
    public NodeState node(String name) {
        NodeState n = nodes.get(name);
        if (n == null || own.contains(n)) return n;
        NodeState mine = n.copy();
        nodes.put(name, mine);
        own.add(mine);
        replaced(n, mine);
        return mine;
    }
    public Collection<NodeState> nodes() { return nodes.values(); }

    /** The pool's nodes, in the order they were added: for reading (change a node through {@link #node}). */
    public List<NodeState> nodesOf(String pool) {
        ArrayList<NodeState> out = nodesOfCache.get(pool);
        if (out == null) {
            List<String> names = poolIndex().getOrDefault(pool, List.of());
            out = new ArrayList<>(names.size());
            for (String name : names) {
                NodeState n = nodes.get(name);
                if (n != null) out.add(n);
            }
            nodesOfCache.put(pool, out);
            ownLists.add(out);
        }
        return java.util.Collections.unmodifiableList(out);
    }

    /**
     * A node of a pool was replaced by {@code after} (same name and pool), or removed (null): {@link #nodesOf} follows.
     * A removal drops the pool's list, made again when asked (several nodes are removed at once, and each would cost a
     * scan of the list).
     */
    private void replaced(NodeState before, NodeState after) {
        if (before.pool() == null) return;
        ArrayList<NodeState> list = nodesOfCache.get(before.pool());
        if (list == null) return;
        if (after == null) {
            ownLists.remove(nodesOfCache.remove(before.pool()));
            return;
        }
        int at = -1;
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == before) {
                at = i;
                break;
            }
        }
        if (at < 0) { // not where it should be: made again when asked
            ownLists.remove(nodesOfCache.remove(before.pool()));
            return;
        }
        writable(before.pool(), list).set(at, after);
    }

    /** The pool's list, this state's own: copied first when shared with a copy of this state. */
    private ArrayList<NodeState> writable(String pool, ArrayList<NodeState> list) {
        if (ownLists.contains(list)) return list;
        ArrayList<NodeState> mine = new ArrayList<>(list); // the shared one is no one's to change: not in ownLists
        nodesOfCache.put(pool, mine);
        ownLists.add(mine);
        return mine;
    }

    /** A node joined, left or changed pool: every pool's list is made again when asked. */
    private void forgetNodesOf() {
        if (nodesOfCache.isEmpty()) return; // a state being filled node by node
        nodesOfCache = new java.util.HashMap<>();
        ownLists.clear();
    }

    private Map<String, List<String>> poolIndex() {
        Map<String, List<String>> index = byPool;
        if (index == null) {
            index = new java.util.HashMap<>();
            for (NodeState n : nodes.values()) {
                if (n.pool() != null) index.computeIfAbsent(n.pool(), k -> new ArrayList<>()).add(n.name());
            }
            byPool = index;
        }
        return index;
    }

    /** Records an accepted placement so the next decision sees it. */
    public void apply(PlacementDecision decision) {
        for (ReplicaSlot s : decision.slots()) {
            NodeState n = node(s.node());
            if (n != null) n.apply(s);
        }
    }

    /** A copy without one node (what-if: the node's work has to go elsewhere). */
    public ClusterState without(String node) {
        ClusterState c = copy();
        c.removeNode(node);
        return c;
    }

    /**
     * A copy without the given nodes (what-if: they are held for someone else). The copy's {@link #nodesOf} lists leave
     * them out in one pass per pool (a decision asks this with the same few held nodes of large pools every time).
     */
    public ClusterState excluding(java.util.Set<String> held) {
        ClusterState c = copy();
        Map<String, java.util.Set<NodeState>> gone = new java.util.HashMap<>();
        for (String name : held) {
            NodeState n = c.nodes.remove(name);
            if (n == null) continue;
            c.own.remove(n);
            if (n.pool() != null) gone.computeIfAbsent(n.pool(), k -> java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>())).add(n);
        }
        gone.forEach((pool, nodes) -> {
            ArrayList<NodeState> list = c.nodesOfCache.get(pool);
            if (list == null) return;
            ArrayList<NodeState> kept = new ArrayList<>(list.size());
            for (NodeState n : list) if (!nodes.contains(n)) kept.add(n);
            c.nodesOfCache.put(pool, kept);
            c.ownLists.add(kept);
        });
        return c;
    }

    /**
     * The given pool alone, its nodes holding nothing (what-if: could the pool take it at all?). Only that pool's nodes
     * are in it: ask it about that pool only.
     */
    public ClusterState withPoolEmptied(String pool) {
        ClusterState c = new ClusterState();
        c.pools.putAll(pools);
        c.shapeCounts.putAll(shapeCounts);
        c.shapeMemory.putAll(shapeMemory);
        for (NodeState n : nodesOf(pool)) c.addNode(n.emptied());
        return c;
    }

    public ClusterState copy() {
        ClusterState c = new ClusterState();
        c.pools.putAll(pools);
        c.shapeCounts.putAll(shapeCounts);
        c.shapeMemory.putAll(shapeMemory);
        c.nodes = nodes.copy();
        c.byPool = poolIndex(); // made once here, where it is copied from, and shared
        c.nodesOfCache = new java.util.HashMap<>(nodesOfCache); // shared lists: neither side changes them in place now
        ownLists.clear();
        return c;
    }
}
