package io.plimsoll.engine.packing;

/**
 * A placement policy: given the cluster and one task, choose a feasible node and devices (or null if no node
 * is feasible). Policies are online: they see one task at a time and never move placed tasks.
 */
public interface PackingPolicy {
    /** Policy name as used on the command line ("best-fit", "fgd", "plimsoll"). */
    String name();

    /** Choose a node and devices for the task without binding it; null if no node is feasible. */
    Placement choose(Cluster cluster, TaskShape task);

    /** Called after the chosen placement was bound, so that caches can be refreshed. */
    default void onBound(Cluster cluster, Placement placement, TaskShape task) {}
}
