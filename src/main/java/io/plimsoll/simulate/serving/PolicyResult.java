package io.plimsoll.simulate.serving;

/** Figures of one replay. GPU-hours count a parked replica at its GPU fraction. */
public record PolicyResult(String policy, int requests, double busyGpuHours, double idleWarmGpuHours,
                           double parkedGpuHours, double loadingGpuHours, double nodeHours, int maxNodes,
                           long coldStarts, long resumes, long restarts, long parkEvictions,
                           double waitP50Seconds, double waitP99Seconds, double waitMeanSeconds) {}
