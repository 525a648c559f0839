package io.plimsoll.bench;

import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.reconciler.WorkloadNeeds;
import io.plimsoll.snapshot.ClusterSnapshot;

import java.util.Arrays;
import java.util.List;

/**
 * The cost of one placement decision on its own, against the cluster as the run left it: after the operator has
 * stopped, one workload at a time (a sample spread over the run's workloads), each right after a cluster change (as
 * almost every decision is while work arrives), so the snapshot's state is brought up to date and the engine places
 * the workload's need; nothing is reserved or created. The operator's own timer also counts the wait for the
 * snapshot, where concurrent reconciles decide one at a time; this does not.
 */
final class IsolatedDecisions {
    private IsolatedDecisions() {}

    /** Milliseconds at p50, p99 and max, and how many decisions placed (the rest found no room). */
    record Figures(int samples, int placed, double p50Ms, double p99Ms, double maxMs) {}

    static Figures measure(ClusterSnapshot snapshot, List<AIWorkload> workloads, int samples) {
        PlacementEngine engine = new PlacementEngine();
        PlacementPolicy policy = snapshot.policy(PlacementPolicy.DEFAULT_NAME).orElse(null);
        int n = workloads.isEmpty() ? 0 : samples; // more samples than workloads: the workloads again, in turn
        long[] nanos = new long[n];
        int placed = 0;
        for (int i = 0; i < n; i++) {
            AIWorkload w = workloads.get(n <= workloads.size() ? (int) ((long) i * workloads.size() / n) : i % workloads.size());
            WorkloadNeeds.Parsed parsed = WorkloadNeeds.parse(w);
            var rules = WorkloadNeeds.rules(policy, parsed.need().phase());
            // A cluster change (no listener is left to act on it): the next decision sees a changed cluster.
            snapshot.workloadPending(w.getMetadata().getNamespace(), w.getMetadata().getName());
            long t0 = System.nanoTime();
            if (engine.place(parsed.need(), snapshot.state(), rules).placed()) placed++;
            nanos[i] = System.nanoTime() - t0;
        }
        if (n == 0) return new Figures(0, 0, 0, 0, 0);
        Arrays.sort(nanos);
        return new Figures(n, placed, ms(nanos[(n - 1) / 2]), ms(nanos[(int) Math.ceil(0.99 * n) - 1]), ms(nanos[n - 1]));
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }
}
