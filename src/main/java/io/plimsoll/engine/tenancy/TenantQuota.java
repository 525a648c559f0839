package io.plimsoll.engine.tenancy;

import java.util.Map;
import java.util.TreeMap;

/**
 * What one tenant may use, in GPU-equivalents (see {@link Charges}) and, for CPU pools, CPU cores.
 *
 * @param name               the tenant
 * @param guaranteedGpuEq    capacity the tenant gets back by reclaim whenever it has work for it
 * @param limitGpuEq         the most it may ever use, borrowing included ({@code Double.POSITIVE_INFINITY}: no limit)
 * @param guaranteedCpuCores the guarantee on CPU pools
 * @param limitCpuCores      the limit on CPU pools ({@code Double.POSITIVE_INFINITY}: no limit)
 * @param weight             its share of capacity no guarantee needs, against other borrowers (1..1000)
 * @param poolCapsGpuEq      optional caps per pool name, in GPU-equivalents; empty when none
 */
public record TenantQuota(String name, double guaranteedGpuEq, double limitGpuEq, double guaranteedCpuCores,
                          double limitCpuCores, int weight, Map<String, Double> poolCapsGpuEq) {

    public TenantQuota {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("tenant name: must not be empty");
        check(name, "guaranteedGpuEq", guaranteedGpuEq, false);
        check(name, "limitGpuEq", limitGpuEq, true);
        check(name, "guaranteedCpuCores", guaranteedCpuCores, false);
        check(name, "limitCpuCores", limitCpuCores, true);
        if (limitGpuEq < guaranteedGpuEq) {
            throw new IllegalArgumentException("tenant " + name + ": limitGpuEq " + limitGpuEq
                    + " is below guaranteedGpuEq " + guaranteedGpuEq + "; raise the limit or lower the guarantee");
        }
        if (limitCpuCores < guaranteedCpuCores) {
            throw new IllegalArgumentException("tenant " + name + ": limitCpuCores " + limitCpuCores
                    + " is below guaranteedCpuCores " + guaranteedCpuCores + "; raise the limit or lower the guarantee");
        }
        if (weight < 1 || weight > 1000) {
            throw new IllegalArgumentException("tenant " + name + ": weight " + weight + " is out of range; use 1..1000");
        }
        Map<String, Double> caps = new TreeMap<>();
        if (poolCapsGpuEq != null) {
            for (var e : poolCapsGpuEq.entrySet()) {
                if (e.getKey() == null || e.getKey().isBlank()) {
                    throw new IllegalArgumentException("tenant " + name + ": poolCapsGpuEq has an empty pool name");
                }
                check(name, "poolCapsGpuEq[" + e.getKey() + "]", e.getValue() == null ? Double.NaN : e.getValue(), true);
                caps.put(e.getKey(), e.getValue());
            }
        }
        poolCapsGpuEq = java.util.Collections.unmodifiableMap(caps);
    }

    /** A tenant with a guarantee and limit in GPU-equivalents, no CPU guarantee, no pool caps. */
    public static TenantQuota of(String name, double guaranteedGpuEq, double limitGpuEq, int weight) {
        return new TenantQuota(name, guaranteedGpuEq, limitGpuEq, 0, Double.POSITIVE_INFINITY, weight, Map.of());
    }

    /** A tenant with no guarantee and no limit (the default tenant when the admin configures none). */
    public static TenantQuota unlimited(String name) {
        return of(name, 0, Double.POSITIVE_INFINITY, 1);
    }

    /** The same tenant never above its guarantee (static quota: Kueue without a cohort). */
    public TenantQuota staticOnly() {
        return new TenantQuota(name, guaranteedGpuEq, guaranteedGpuEq, guaranteedCpuCores, guaranteedCpuCores, weight, poolCapsGpuEq);
    }

    /** The cap on one pool, or +infinity when none. */
    public double poolCap(String pool) {
        Double c = pool == null ? null : poolCapsGpuEq.get(pool);
        return c == null ? Double.POSITIVE_INFINITY : c;
    }

    private static void check(String tenant, String field, double v, boolean infinityAllowed) {
        if (Double.isNaN(v) || v < 0 || (!infinityAllowed && Double.isInfinite(v))) {
            throw new IllegalArgumentException("tenant " + tenant + ": " + field + " " + v
                    + " is not a number >= 0" + (infinityAllowed ? " (or unlimited)" : ""));
        }
    }
}
