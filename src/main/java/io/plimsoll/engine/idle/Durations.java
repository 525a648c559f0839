package io.plimsoll.engine.idle;

/** Small helpers to parse and print durations such as {@code 90s}, {@code 5m}, {@code 1h}, {@code 250ms}. */
public final class Durations {
    private Durations() {}

    private static final java.util.regex.Pattern COMPOUND = java.util.regex.Pattern.compile("^(\\d+(ms|s|m|h|d)){2,}$");
    private static final java.util.regex.Pattern SEGMENT = java.util.regex.Pattern.compile("\\d+(ms|s|m|h|d)");

    /**
     * Parses {@code 123ms|s|m|h|d}, or a sum of such parts as Kubernetes users write them ({@code 1h30m});
     * a bare number is seconds. Throws IllegalArgumentException.
     */
    public static long parseMillis(String s) {
        if (s == null) throw new IllegalArgumentException("missing duration");
        // Bounded before any pattern runs: a pathological string must not exhaust the stack or the CPU.
        if (s.length() > MAX_LENGTH) throw new IllegalArgumentException("duration is longer than " + MAX_LENGTH + " characters (use e.g. 90s, 5m, 1h)");
        String c = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (COMPOUND.matcher(c).matches()) {
            long sum = 0;
            java.util.regex.Matcher m = SEGMENT.matcher(c);
            // Saturating, so a long run of parts cannot wrap round to a negative duration.
            while (m.find()) sum = Math.min(MAX_MILLIS, sum + parseMillis(m.group()));
            return sum;
        }
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        double mult;
        String num;
        if (t.endsWith("ms")) { mult = 1; num = t.substring(0, t.length() - 2); }
        else if (t.endsWith("s")) { mult = 1000; num = t.substring(0, t.length() - 1); }
        else if (t.endsWith("m")) { mult = 60_000; num = t.substring(0, t.length() - 1); }
        else if (t.endsWith("h")) { mult = 3_600_000; num = t.substring(0, t.length() - 1); }
        else if (t.endsWith("d")) { mult = 86_400_000; num = t.substring(0, t.length() - 1); }
        else { mult = 1000; num = t; }
        double v;
        try { v = Double.parseDouble(num); } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration: '" + s + "' (use e.g. 90s, 5m, 1h)");
        }
        if (!(v >= 0) || Double.isInfinite(v)) throw new IllegalArgumentException("duration must be >= 0: '" + s + "'");
        return Math.min(MAX_MILLIS, Math.round(v * mult));
    }

    /** Longest duration read (about 73,000 years): far beyond any timeout, and safe to add to any clock reading. */
    public static final long MAX_MILLIS = Long.MAX_VALUE / 4;
    /** Longest duration text read. */
    public static final int MAX_LENGTH = 64;

    public static String format(long ms) {
        if (ms % 3_600_000 == 0 && ms >= 3_600_000) return (ms / 3_600_000) + "h";
        if (ms % 60_000 == 0 && ms >= 60_000) return (ms / 60_000) + "m";
        if (ms % 1000 == 0) return (ms / 1000) + "s";
        return ms + "ms";
    }
}
