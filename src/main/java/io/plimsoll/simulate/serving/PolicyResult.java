package io.plimsoll.simulate.serving;

/**
 * Figures of one replay. GPU-hours count a parked replica at its GPU fraction.
 *
 * @param resumes     parked replicas turned back into serving replicas (on their node, without a load)
 * @param parkedMoves idle parked replicas the engine moved to another node (they load there; nobody waits)
 * @param placements  calls to the placement engine
 */
public record PolicyResult(String policy, int requests, double busyGpuHours, double idleWarmGpuHours,
                           double parkedGpuHours, double loadingGpuHours, double nodeHours, int maxNodes,
                           long coldStarts, long resumes, long parkedMoves, long restarts, long parkEvictions,
                           long placements, double waitP50Seconds, double waitP99Seconds, double waitMeanSeconds,
                           NodeHours nodeHoursBy, FromZero fromZero) {
    /**
     * Where the GPU-node-hours went: nodes starting (asked for, not usable yet), empty (waiting out the empty-node
     * grace), holding only parked replicas, and holding some replica that is not parked (loading, busy, idle-warm);
     * with how full, on average, the last kind was (share of its GPUs in use).
     */
    /**
     * What a cold start costs a request: the requests that arrived while their model had no replica at all (scaled to
     * zero), and how long they waited (a load, plus a node start when no node had room).
     */
    public record FromZero(int requests, double waitP50Seconds, double waitP99Seconds) {}

    public record NodeHours(double starting, double empty, double parkedOnly, double serving, double servingFullPct) {}
}
