package io.plimsoll.engine.packing;

import java.util.Arrays;

/** Minimal open-addressing hash map from a pair of longs to a double; NaN means absent. */
final class LongPairDoubleMap {
    private long[] k1s, k2s;
    private double[] vals;
    private boolean[] used;
    private int size, mask;

    LongPairDoubleMap(int capacityPow2) {
        alloc(capacityPow2);
    }

    private void alloc(int cap) {
        k1s = new long[cap];
        k2s = new long[cap];
        vals = new double[cap];
        used = new boolean[cap];
        mask = cap - 1;
        size = 0;
    }

    private static int hash(long a, long b) {
        long h = a * 0x9E3779B97F4A7C15L + b * 0xC2B2AE3D27D4EB4FL;
        h ^= (h >>> 29);
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h ^ (h >>> 32));
    }

    int size() { return size; }

    double get(long a, long b) {
        int i = hash(a, b) & mask;
        while (used[i]) {
            if (k1s[i] == a && k2s[i] == b) return vals[i];
            i = (i + 1) & mask;
        }
        return Double.NaN;
    }

    void put(long a, long b, double v) {
        if ((size + 1) * 2 > k1s.length) grow();
        int i = hash(a, b) & mask;
        while (used[i]) {
            if (k1s[i] == a && k2s[i] == b) {
                vals[i] = v;
                return;
            }
            i = (i + 1) & mask;
        }
        used[i] = true;
        k1s[i] = a;
        k2s[i] = b;
        vals[i] = v;
        size++;
    }

    private void grow() {
        long[] o1 = k1s, o2 = k2s;
        double[] ov = vals;
        boolean[] ou = used;
        alloc(o1.length * 2);
        for (int i = 0; i < o1.length; i++) if (ou[i]) put(o1[i], o2[i], ov[i]);
    }

    void clear() {
        Arrays.fill(used, false);
        size = 0;
    }
}
