package io.plimsoll.simulate;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Allocation curve per METHOD.md section 7 (the simulator's merge_alloc_discrete.py): after every task a record
 * (arrived, allocated) in milli-GPU; a = roundHalfEven(arrived/T/10), u = round2(allocated/T/10) with T the
 * capacity in GPUs; alloc@X = round2(mean u over records with a == X), else over X-1 <= a <= X+1.
 */
public final class AllocationCurve {
    private final long[] arrived;
    private final long[] allocated;
    private final int size;
    private final double gpus;

    public AllocationCurve(long[] arrived, long[] allocated, int size, long capacityMilli) {
        this.arrived = arrived;
        this.allocated = allocated;
        this.size = size;
        this.gpus = capacityMilli / 1000.0;
    }

    public static double round2(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) return x;
        return new BigDecimal(x).setScale(2, RoundingMode.HALF_EVEN).doubleValue();
    }

    private int bucket(int i) {
        return (int) Math.rint((arrived[i] / gpus) / 10);
    }

    private double u(int i) {
        return round2((allocated[i] / gpus) / 10);
    }

    /** Allocation percent at arrived percent x, or NaN if there are no records near x. */
    public double at(int x) {
        double r = meanU(x, x);
        if (Double.isNaN(r)) r = meanU(x - 1, x + 1);
        return r;
    }

    private double meanU(int lo, int hi) {
        // plain left-to-right summation: matches the published figures (Kahan summation differs in 1 of 100 runs)
        double sum = 0;
        int n = 0;
        for (int i = 0; i < size; i++) {
            int a = bucket(i);
            if (a < lo || a > hi) continue;
            sum += u(i);
            n++;
        }
        return n == 0 ? Double.NaN : round2(sum / n);
    }

    public int records() { return size; }
}
