package io.plimsoll.engine;

import java.util.Locale;

/** Formatting in the units users think in. */
public final class Units {
    private Units() {}

    public static final long GIB = 1024L * 1024 * 1024;

    public static String fraction(int milli) {
        return trim(String.format(Locale.ROOT, "%.3f", milli / 1000.0));
    }

    public static String gib(double gib) {
        return trim(String.format(Locale.ROOT, "%.1f", gib)) + " GiB";
    }

    public static String cores(long milli) {
        return trim(String.format(Locale.ROOT, "%.2f", milli / 1000.0));
    }

    public static String dollars(double perHour) {
        return String.format(Locale.ROOT, "$%.2f/h", perHour);
    }

    public static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    private static String trim(String s) {
        if (s.contains(".")) {
            s = s.replaceAll("0+$", "");
            if (s.endsWith(".")) s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
