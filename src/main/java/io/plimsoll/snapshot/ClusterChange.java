package io.plimsoll.snapshot;

/**
 * Something changed in the cluster that a reconciler may care about.
 *
 * @param workloadNamespace namespace of the AIWorkload whose pod changed, or null
 * @param workloadName      name of that AIWorkload, or null
 * @param capacityChanged   true when capacity may have been freed or added (pod gone or finished, node or pool changed)
 * @param configChanged     true when a pool or a placement policy changed: work that waits on one (a policy that did
 *                          not exist, a pool that did not match) is looked at again
 */
public record ClusterChange(String workloadNamespace, String workloadName, boolean capacityChanged, boolean configChanged) {
    public ClusterChange(String workloadNamespace, String workloadName, boolean capacityChanged) {
        this(workloadNamespace, workloadName, capacityChanged, false);
    }
}
