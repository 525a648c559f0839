package io.plimsoll.engine.idle;

/**
 * Plimsoll's default inference idle policy. For an idle replica:
 * <ol>
 *   <li>idle &lt; {@code warm}: KEEP it on its whole GPU (back-to-back requests pay nothing);</li>
 *   <li>then PARK it (weights stay in GPU memory on a shared device, costing {@code parkCost} of a GPU)
 *       until the model's own horizon H;</li>
 *   <li>then SCALE_TO_ZERO.</li>
 * </ol>
 * H is chosen per model, online, from the model's past idle gaps (decayed histogram in
 * {@link ModelActivity}): it minimises the expected cost of one idle period,
 * {@code parkCost * E[(min(gap, H) - warm)+] + coldStartPenalty * P(gap > H)} (GPU-seconds), over H in
 * [{@code minHorizon}, {@code maxHorizon}]. Models whose next request usually comes soon get a long
 * horizon; models whose gaps are mostly hours get scaled to zero early. With fewer than
 * {@code minSamples} gaps known, H = {@code defaultHorizon}. One parameter set for every trace.
 */
public final class AdaptiveKeepAlive implements IdlePolicy {
    public record Params(long warmMillis, double parkCost, long coldStartPenaltyMillis, long minHorizonMillis,
                         long maxHorizonMillis, long defaultHorizonMillis, int minSamples) {
        public Params {
            if (warmMillis < 0 || minHorizonMillis < warmMillis || maxHorizonMillis < minHorizonMillis
                    || defaultHorizonMillis < warmMillis || !(parkCost > 0 && parkCost <= 1)
                    || coldStartPenaltyMillis < 0 || minSamples < 0) {
                throw new IllegalArgumentException("bad adaptive keep-alive parameters");
            }
        }
    }

    /** The defaults (tuned on Nov 15-22 only; see docs/serving-results.md). */
    public static final Params DEFAULTS = new Params(10_000L, 0.25, 2_500_000L, 60_000L, 2 * 3_600_000L, 15 * 60_000L, 8);

    /** Default time an extra (scale-out) replica stays warm or parked before it is removed. */
    public static final long DEFAULT_EXTRA_PARK_MILLIS = 600_000L;

    private final Params p;
    private final long extraParkMillis;

    public AdaptiveKeepAlive() { this(DEFAULTS); }

    public AdaptiveKeepAlive(Params p) { this(p, DEFAULT_EXTRA_PARK_MILLIS); }

    public AdaptiveKeepAlive(Params p, long extraParkMillis) {
        if (extraParkMillis < 0) throw new IllegalArgumentException("extra park time must be >= 0");
        this.p = p;
        this.extraParkMillis = extraParkMillis;
    }

    public Params params() { return p; }

    /** The same rule, never keeping an idle replica (warm or parked) longer than {@code ceilingMillis}. */
    public AdaptiveKeepAlive capped(long ceilingMillis) {
        long max = Math.max(p.warmMillis(), Math.min(p.maxHorizonMillis(), ceilingMillis));
        long min = Math.min(p.minHorizonMillis(), max);
        return new AdaptiveKeepAlive(new Params(p.warmMillis(), p.parkCost(), p.coldStartPenaltyMillis(), min, max,
                Math.min(p.defaultHorizonMillis(), max), p.minSamples()), Math.min(extraParkMillis, max));
    }

    @Override public String name() { return "plimsoll-adaptive"; }

    /** Time after becoming idle at which this model's parked replica is removed. */
    public long horizonMillis(ModelActivity h) {
        if (h.idleGapSamples() < p.minSamples() || h.idleGapTotal() <= 0) return p.defaultHorizonMillis();
        int n = ModelActivity.bins();
        double total = h.idleGapTotal();
        double[] rep = new double[n];
        for (int i = 0; i < n; i++) {
            double lo = Math.max(1, ModelActivity.binLowerMillis(i)), hi = ModelActivity.binUpperMillis(i);
            rep[i] = i == 0 ? hi / 2 : Math.sqrt(lo * hi);
        }
        long best = p.minHorizonMillis();
        double bestCost = Double.POSITIVE_INFINITY;
        // candidates: minHorizon, every bin edge inside the range, maxHorizon
        for (int c = -1; c <= n; c++) {
            double hz = c < 0 ? p.minHorizonMillis() : c == n ? p.maxHorizonMillis() : ModelActivity.binUpperMillis(c);
            if (hz < p.minHorizonMillis() || hz > p.maxHorizonMillis()) continue;
            double parked = 0, miss = 0;
            for (int i = 0; i < n; i++) {
                double w = h.idleGapWeight(i);
                if (w == 0) continue;
                double g = rep[i];
                parked += w * Math.max(0, Math.min(g, hz) - p.warmMillis());
                if (g > hz) miss += w;
            }
            double cost = (p.parkCost() * parked + p.coldStartPenaltyMillis() * miss) / total;
            if (cost < bestCost - 1e-9) { bestCost = cost; best = (long) Math.ceil(hz); }
        }
        return best;
    }

    /**
     * A scale-out replica (the workload has another replica): only the last replica is worth parking for
     * long, so an extra one is kept for the warm window, then parked up to {@code extraParkMillis}, then
     * scaled to zero.
     */
    @Override
    public Decision decideExtra(ModelActivity history, long idleSinceMillis, long nowMillis) {
        Decision g = IdlePolicy.guard(history, idleSinceMillis, nowMillis);
        if (g != null) return g;
        long idle = nowMillis - idleSinceMillis;
        long horizon = Math.min(horizonMillis(history), Math.max(p.warmMillis(), extraParkMillis));
        if (idle < p.warmMillis() && idle < horizon) {
            return Decision.keep(idleSinceMillis + Math.min(p.warmMillis(), horizon), "extra replica in warm window");
        }
        if (idle < horizon) return new Decision(Action.PARK, idleSinceMillis + horizon, "extra replica parked briefly");
        return new Decision(Action.SCALE_TO_ZERO, Long.MAX_VALUE, "extra replica idle past " + Durations.format(horizon));
    }

    @Override
    public Decision decide(ModelActivity history, long idleSinceMillis, long nowMillis) {
        Decision g = IdlePolicy.guard(history, idleSinceMillis, nowMillis);
        if (g != null) return g;
        long idle = nowMillis - idleSinceMillis;
        long horizon = horizonMillis(history);
        if (idle < p.warmMillis() && idle < horizon) {
            return Decision.keep(idleSinceMillis + Math.min(p.warmMillis(), horizon), "idle " + Durations.format(idle) + " < warm window");
        }
        if (idle < horizon) {
            return new Decision(Action.PARK, idleSinceMillis + horizon, "park until model horizon " + Durations.format(horizon));
        }
        return new Decision(Action.SCALE_TO_ZERO, Long.MAX_VALUE,
                "idle " + Durations.format(idle) + " >= model horizon " + Durations.format(horizon));
    }
}
