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
                           long placements, double waitP50Seconds, double waitP99Seconds, double waitMeanSeconds) {}
