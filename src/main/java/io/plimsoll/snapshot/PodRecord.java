package io.plimsoll.snapshot;

import io.plimsoll.engine.ReplicaSlot;

import java.time.Instant;

/**
 * Plimsoll's own record of one of its pods: which replica of which workload it runs, where, and what it holds.
 * Only the operator writes it (in memory, and in the workload's {@code status.placement} for restarts), and device
 * accounting believes nothing else about a pod: never its labels or annotations, which the pod's tenant can edit.
 *
 * @param podKey      namespace/name of the pod
 * @param podUid      the pod's UID once the API server has created it (null while the creation is in flight)
 * @param workloadKey namespace/name of the AIWorkload
 * @param parkedMilli while parked, the share of its device the replica is counted for; else 0
 * @param parkedSince when it was parked (RFC 3339), or null
 * @param at          when the record was made (a record whose pod never shows up expires)
 */
public record PodRecord(String podKey, String podUid, String workloadKey, int replica, String pool, ReplicaSlot slot,
                        int parkedMilli, String parkedSince, Instant at) {

    /** Thousandths of each of its devices the pod is counted for. */
    public int milliPerDevice() {
        if (parkedMilli > 0) return parkedMilli;
        return slot.fractionMilli() > 0 ? slot.fractionMilli() : 1000;
    }

    public boolean parked() {
        return parkedMilli > 0;
    }

    public String node() {
        return slot.node();
    }

    /** Dollars per hour of what the pod holds now (a parked replica costs its share). */
    public double costPerHour() {
        return parked() ? slot.costPerHour() * parkedMilli / 1000.0 : slot.costPerHour();
    }

    /** The pod exists: its UID from now on, and the wait for the informer to show it starts now. */
    PodRecord withUid(String uid, Instant now) {
        return new PodRecord(podKey, uid, workloadKey, replica, pool, slot, parkedMilli, parkedSince, now);
    }

    /** Back to its whole device (a replica placed parked, as a share, becomes whole too). */
    PodRecord whole(double cost) {
        ReplicaSlot w = new ReplicaSlot(slot.node(), slot.devices(), 0, slot.mig(), slot.cpuMilli(), slot.memoryBytes(),
                slot.fractionMilli() > 0 ? cost : slot.costPerHour());
        return new PodRecord(podKey, podUid, workloadKey, replica, pool, w, 0, null, at);
    }

    PodRecord parkedAt(int milli, String since) {
        return new PodRecord(podKey, podUid, workloadKey, replica, pool, slot, milli, since, at);
    }
}
