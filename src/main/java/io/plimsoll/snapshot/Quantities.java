package io.plimsoll.snapshot;

import io.fabric8.kubernetes.api.model.Quantity;

import java.math.BigDecimal;

/** Kubernetes quantities to engine units (milli-cores, bytes, counts). */
public final class Quantities {
    private Quantities() {}

    /** Milli-units (milli-cores), saturating: never negative, never wrapping round. */
    public static long milli(Quantity q) {
        if (q == null) return 0;
        return saturate(amount(q).multiply(BigDecimal.valueOf(1000)));
    }

    /** Bytes, saturating: a quantity of 2^64 bytes is Long.MAX_VALUE, not 0. */
    public static long bytes(Quantity q) {
        if (q == null) return 0;
        return saturate(amount(q));
    }

    /** A count (devices, pods), saturating at Integer.MAX_VALUE. */
    public static int count(Quantity q) {
        if (q == null) return 0;
        return (int) Math.min(Integer.MAX_VALUE, saturate(amount(q)));
    }

    private static BigDecimal amount(Quantity q) {
        try {
            return q.getNumericalAmount();
        } catch (RuntimeException e) {
            return BigDecimal.ZERO; // unreadable: the API server would not have stored it in a typed field
        }
    }

    private static long saturate(BigDecimal v) {
        if (v.signum() <= 0) return 0;
        if (v.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) >= 0) return Long.MAX_VALUE;
        return v.longValue();
    }

    /** Parses a user-given quantity, throwing IllegalArgumentException naming the field on bad input. */
    public static Quantity parse(String field, String value, String example) {
        try {
            Quantity q = new Quantity(value);
            if (q.getNumericalAmount().signum() < 0) throw new IllegalArgumentException("negative");
            return q;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(field + " '" + value + "' is not a valid quantity: use e.g. " + example);
        }
    }
}
