package io.plimsoll.snapshot;

/**
 * Something changed in the cluster that a reconciler may care about.
 *
 * @param workloadNamespace namespace of the AIWorkload whose pod changed, or null
 * @param workloadName      name of that AIWorkload, or null
 * @param capacityChanged   true when capacity may have been freed or added (pod gone or finished, node or pool changed)
 */
public record ClusterChange(String workloadNamespace, String workloadName, boolean capacityChanged) {
}
