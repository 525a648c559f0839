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
        if (before == null || !java.util.Objects.equals(before.pool(), node.pool())) byPool = null;
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
        if (n != null) own.remove(n); // the pool index keeps the name; nodesOf skips it
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
        return mine;
    }
    public Collection<NodeState> nodes() { return nodes.values(); }

    public List<NodeState> nodesOf(String pool) {
        List<String> names = poolIndex().getOrDefault(pool, List.of());
        List<NodeState> out = new ArrayList<>(names.size());
        for (String name : names) {
            NodeState n = nodes.get(name);
            if (n != null) out.add(n);
        }
        return out;
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

    /** A copy without the given nodes (what-if: they are held for someone else). */
    public ClusterState excluding(java.util.Set<String> held) {
        ClusterState c = copy();
        for (String name : held) c.removeNode(name);
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
        return c;
    }
}
