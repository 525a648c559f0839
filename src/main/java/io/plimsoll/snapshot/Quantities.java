package io.plimsoll.snapshot;

import io.fabric8.kubernetes.api.model.Quantity;

import java.math.BigDecimal;

/** Kubernetes quantities to engine units (milli-cores, bytes, counts). */
public final class Quantities {
    private Quantities() {}

    public static long milli(Quantity q) {
        if (q == null) return 0;
        return q.getNumericalAmount().multiply(BigDecimal.valueOf(1000)).longValue();
    }

    public static long bytes(Quantity q) {
        if (q == null) return 0;
        return q.getNumericalAmount().longValue();
    }

    public static int count(Quantity q) {
        if (q == null) return 0;
        return q.getNumericalAmount().intValue();
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
