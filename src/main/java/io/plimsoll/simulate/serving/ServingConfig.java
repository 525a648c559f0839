package io.plimsoll.simulate.serving;

import io.plimsoll.engine.PackingStrategy;

/**
 * Every cost the serving replay assumes. Defaults are documented in docs/serving-results.md and on the command line.
 *
 * @param gpusPerNode        GPUs per pool node (0 = unlimited capacity, no nodes: the README's model)
 * @param nodeStartupMillis  time from asking for a node to the node being usable
 * @param nodeEmptyGraceMillis pool rule: a node with nothing on it for this long is removed
 * @param initialNodes       nodes ready at the start of the replay
 * @param parkFraction       share of a GPU a parked replica holds and is charged for (its weights in GPU memory)
 * @param parkResumeMillis   wait to turn a parked replica back into a whole-GPU replica on the same node (no load)
 * @param maxReplicas        per model (1 = one replica per model, no concurrency)
 * @param caUnderUtil        Cluster Autoscaler reference: a node below this requested-GPU share ...
 * @param caUnneededMillis   ... for this long is removed if its (idle) pods fit elsewhere; moved pods reload
 * @param scanMillis         how often node rules are evaluated
 * @param strategy           the PlacementPolicy packing strategy the placement engine uses inside the pool
 * @param scaleUpCooldownMillis pool rule (not CA): the pool grows by one node at a time, then waits this long, as
 *                           the operator's pool scaler does (0: as many nodes as needed at once)
 * @param consolidationIntervalMillis pool rule: at most one node is consolidated per interval, as the operator's
 *                           consolidation does (0: at every scan)
 * @param consolidateBelowPercent pool rule: only nodes used less than this percent are consolidated, as the
 *                           operator's AcceleratorPool spec.scaling.consolidateBelowPercent (default 50)
 * @param parkedOnlyAfterMillis pool rule: a node holding only parked replicas for this long is removed, its parked
 *                           replicas placed elsewhere or scaled to zero, as the operator's AcceleratorPool
 *                           spec.scaling.parkedOnlyAfter (-1: never)
 */
public record ServingConfig(int gpusPerNode, long nodeStartupMillis, long nodeEmptyGraceMillis, int initialNodes,
                            double parkFraction, long parkResumeMillis, int maxReplicas,
                            double caUnderUtil, long caUnneededMillis, long scanMillis, PackingStrategy strategy,
                            long scaleUpCooldownMillis, long consolidationIntervalMillis, int consolidateBelowPercent,
                            long parkedOnlyAfterMillis) {
    public ServingConfig {
        if (gpusPerNode < 0 || nodeStartupMillis < 0 || nodeEmptyGraceMillis < 0 || initialNodes < 0
                || !(parkFraction > 0 && parkFraction <= 1) || parkResumeMillis < 0 || maxReplicas < 1
                || !(caUnderUtil >= 0 && caUnderUtil <= 1) || caUnneededMillis < 0 || scanMillis <= 0
                || scaleUpCooldownMillis < 0 || consolidationIntervalMillis < 0
                || consolidateBelowPercent < 1 || consolidateBelowPercent > 100 || parkedOnlyAfterMillis < -1) {
            throw new IllegalArgumentException("bad serving replay configuration");
        }
        if (strategy == null) strategy = PackingStrategy.BestFit;
    }

    /**
     * With the operator's default packing strategy (BestFit) and node rules that act at once (hand-worked tests): the
     * pool grows as needed, and consolidation may take any node below 100 % used at every scan.
     */
    public ServingConfig(int gpusPerNode, long nodeStartupMillis, long nodeEmptyGraceMillis, int initialNodes,
                         double parkFraction, long parkResumeMillis, int maxReplicas,
                         double caUnderUtil, long caUnneededMillis, long scanMillis) {
        this(gpusPerNode, nodeStartupMillis, nodeEmptyGraceMillis, initialNodes, parkFraction, parkResumeMillis,
                maxReplicas, caUnderUtil, caUnneededMillis, scanMillis, PackingStrategy.BestFit, 0, 0, 100, -1);
    }

    /**
     * The operator's defaults: 8-GPU nodes, BestFit, scale-up cooldown 3 min, consolidation every 10 min of nodes below
     * 50 % used.
     */
    public static ServingConfig defaults() {
        return new ServingConfig(8, 180_000L, 600_000L, 1, 0.25, 3_000L, 16, 0.5, 600_000L, 30_000L,
                PackingStrategy.BestFit, 180_000L, 600_000L, io.plimsoll.engine.ConsolidationPlanner.DEFAULT_BELOW_PERCENT,
                io.plimsoll.engine.PoolPlanner.DEFAULT_PARKED_ONLY_AFTER.toMillis());
    }

    public ServingConfig withMaxReplicas(int m) {
        return new ServingConfig(gpusPerNode, nodeStartupMillis, nodeEmptyGraceMillis, initialNodes, parkFraction,
                parkResumeMillis, m, caUnderUtil, caUnneededMillis, scanMillis, strategy, scaleUpCooldownMillis,
                consolidationIntervalMillis, consolidateBelowPercent, parkedOnlyAfterMillis);
    }

    public ServingConfig withGpusPerNode(int g) {
        return new ServingConfig(g, nodeStartupMillis, nodeEmptyGraceMillis, initialNodes, parkFraction,
                parkResumeMillis, maxReplicas, caUnderUtil, caUnneededMillis, scanMillis, strategy, scaleUpCooldownMillis,
                consolidationIntervalMillis, consolidateBelowPercent, parkedOnlyAfterMillis);
    }
}
