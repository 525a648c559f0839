package io.plimsoll.simulate;

import io.plimsoll.engine.idle.Durations;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The flag parsing {@code simulate serving} and {@code simulate tenants} share: {@code --flag value} or
 * {@code --flag=value}, known flags only, and numbers and durations read with a message naming the flag.
 */
public final class SimulateFlags {
    private SimulateFlags() {}

    /** A bad command line: the message names the flag; the command prints its usage after it. */
    public static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageError(String m) {
            super(m);
        }
    }

    /**
     * The flags from {@code args[start..]}, or null when {@code --help} or {@code -h} was given.
     *
     * @param known the flags the command takes
     */
    public static Map<String, String> parse(String[] args, int start, List<String> known) throws UsageError {
        Map<String, String> o = new HashMap<>();
        for (int i = start; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) return null;
            String k = a, v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                k = a.substring(0, eq);
                v = a.substring(eq + 1);
            }
            if (!known.contains(k)) throw new UsageError("unknown argument '" + a + "'");
            if (v == null) {
                if (i + 1 >= args.length) throw new UsageError("argument '" + k + "': missing value");
                v = args[++i];
            }
            o.put(k, v);
        }
        return o;
    }

    /** A number >= 0, or {@code def} when the flag is not given. */
    public static double number(Map<String, String> o, String k, double def) throws UsageError {
        String v = o.get(k);
        if (v == null) return def;
        try {
            double x = Double.parseDouble(v.trim());
            if (!(x >= 0) || Double.isInfinite(x)) throw new UsageError("argument '" + k + "': must be a number >= 0, got '" + v + "'");
            return x;
        } catch (NumberFormatException e) {
            throw new UsageError("argument '" + k + "': not a number: '" + v + "'");
        }
    }

    /** A duration such as {@code 90s}, {@code 5m}, {@code 1h30m} (a bare number is seconds), or {@code def}. */
    public static long duration(Map<String, String> o, String k, long def) throws UsageError {
        String v = o.get(k);
        if (v == null) return def;
        try {
            return Durations.parseMillis(v);
        } catch (IllegalArgumentException e) {
            throw new UsageError("argument '" + k + "': " + e.getMessage());
        }
    }
}
