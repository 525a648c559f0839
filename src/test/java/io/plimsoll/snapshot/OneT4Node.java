package io.plimsoll.snapshot;

import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.sandbox.EmbeddedKubernetes;

/** An embedded API server with one T4 node of 4 devices (Fractional), and a started snapshot of it. */
final class OneT4Node implements AutoCloseable {
    final EmbeddedKubernetes k8s = new EmbeddedKubernetes();
    final ClusterSnapshot snapshot;

    OneT4Node() {
        Fixtures.h100AndT4(k8s.client(), 0, 1);
        snapshot = new ClusterSnapshot(k8s.client());
        snapshot.start();
    }

    /** What the snapshot's state counts on device 0 of t4-0, in thousandths. */
    int usedMilliOfDevice0() {
        return snapshot.state().nodes().stream().filter(n -> n.name().equals("t4-0")).findFirst().orElseThrow().deviceUsedMilli(0);
    }

    @Override
    public void close() {
        snapshot.stop();
        k8s.close();
    }
}
