package io.plimsoll.engine.idle;

/**
 * What an idle policy knows about one workload, kept incrementally and only from the past.
 *
 * <ul>
 *   <li>last request time, whether a request is in progress, since when the workload has been idle;</li>
 *   <li>a decayed log-scale histogram of <em>idle gaps</em> (from the moment the workload became idle to
 *       the next request), the quantity a keep-alive has to cover;</li>
 *   <li>a decayed hour-of-day arrival profile (UTC hours of the timestamps given).</li>
 * </ul>
 * A bad or missing activity signal is explicit: {@link #markSignalLost()} (or never having seen a request)
 * makes {@link #hasData()} false, and every policy then answers KEEP.
 */
public final class ModelActivity {
    /** Histogram bin i covers [BASE*R^(i-1), BASE*R^i) ms; bin 0 is [0, BASE). */
    static final double BASE_MS = 1000.0;
    static final double RATIO = 1.25;
    static final int BINS = 80;

    private final double decay;
    private final double[] gapWeight = new double[BINS];
    private double gapTotal;
    private long gapSamples;
    private final double[] hourWeight = new double[24];
    private long requests;
    private long lastRequestMillis = -1;
    private long idleSinceMillis = -1;
    private int inFlight;
    private boolean signalOk = true;

    /** @param decay weight kept by old samples each time a new idle gap is recorded (1.0 = never forget). */
    public ModelActivity(double decay) {
        if (!(decay > 0 && decay <= 1)) throw new IllegalArgumentException("decay must be in (0,1]");
        this.decay = decay;
    }

    public ModelActivity() { this(0.995); }

    /** A request arrived at {@code t}. */
    public void onRequest(long t) {
        if (inFlight == 0 && idleSinceMillis >= 0 && t >= idleSinceMillis) recordIdleGap(t - idleSinceMillis);
        requests++;
        lastRequestMillis = Math.max(lastRequestMillis, t);
        int h = (int) Math.floorMod(t / 3_600_000L, 24L);
        for (int i = 0; i < 24; i++) hourWeight[i] *= 0.999;
        hourWeight[h] += 1;
        signalOk = true;
    }

    /** A request started executing (the workload is busy). */
    public void onStart(long t) { inFlight++; }

    /** A request finished; when none is left in progress the workload is idle from {@code t}. */
    public void onFinish(long t) {
        if (inFlight > 0) inFlight--;
        if (inFlight == 0) idleSinceMillis = t;
    }

    /** The activity signal (metrics, request log) is missing or stale: policies must keep. */
    public void markSignalLost() { signalOk = false; }

    public boolean hasData() { return signalOk && requests > 0 && (inFlight > 0 || idleSinceMillis >= 0); }

    public boolean busy() { return inFlight > 0; }

    public long lastRequestMillis() { return lastRequestMillis; }

    public long idleSinceMillis() { return idleSinceMillis; }

    public long requests() { return requests; }

    public long idleGapSamples() { return gapSamples; }

    void recordIdleGap(long gapMs) {
        if (gapTotal > 0) {
            for (int i = 0; i < BINS; i++) gapWeight[i] *= decay;
            gapTotal *= decay;
        }
        gapWeight[bin(gapMs)] += 1;
        gapTotal += 1;
        gapSamples++;
    }

    static int bin(long ms) {
        if (ms < BASE_MS) return 0;
        int b = 1 + (int) Math.floor(Math.log(ms / BASE_MS) / Math.log(RATIO));
        return Math.min(BINS - 1, b);
    }

    static double binUpper(int i) { return BASE_MS * Math.pow(RATIO, i); }

    /** Weighted share of recorded idle gaps shorter than {@code ms} (bin resolution); NaN if none. */
    public double idleGapCdf(long ms) {
        if (gapTotal <= 0) return Double.NaN;
        int b = bin(ms);
        double s = 0;
        for (int i = 0; i < b; i++) s += gapWeight[i];
        return s / gapTotal;
    }

    /** Number of histogram bins; bin i holds gaps in [{@link #binLowerMillis}(i), {@link #binUpperMillis}(i)). */
    public static int bins() { return BINS; }

    public static double binLowerMillis(int i) { return i == 0 ? 0 : binUpper(i - 1); }

    public static double binUpperMillis(int i) { return binUpper(i); }

    /** Decayed weight of idle gaps in bin i. */
    public double idleGapWeight(int i) { return gapWeight[i]; }

    /** Total decayed weight of idle gaps. */
    public double idleGapTotal() { return gapTotal; }

    /** Upper edge (ms) of the bin holding the q-quantile of idle gaps; -1 if no gaps recorded. */
    public long idleGapQuantile(double q) {
        if (gapTotal <= 0) return -1;
        double target = q * gapTotal, s = 0;
        for (int i = 0; i < BINS; i++) {
            s += gapWeight[i];
            if (s >= target - 1e-9) return (long) Math.ceil(binUpper(i));
        }
        return (long) Math.ceil(binUpper(BINS - 1));
    }

    /** Share of (decayed) arrivals that fell in UTC hour {@code h}; 1/24 if nothing seen. */
    public double hourShare(int h) {
        double t = 0;
        for (double w : hourWeight) t += w;
        return t <= 0 ? 1.0 / 24 : hourWeight[Math.floorMod(h, 24)] / t;
    }
}
