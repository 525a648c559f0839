package io.plimsoll.tenancy;

import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.PoolCap;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.TenantQuota;
import io.plimsoll.api.TenantSpec;
import io.plimsoll.engine.idle.Durations;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * The rules of a Tenant that need no API: what it is guaranteed, whether its spec holds together, which policies it
 * allows, its idle-timeout ceiling, and the cluster capacity its guarantees are measured against. Pure.
 */
public final class TenantRules {
    private TenantRules() {}

    /** spec.guaranteed.gpuEquivalents, 0 when absent. */
    public static double guaranteedGpu(Tenant t) {
        TenantQuota q = t.getSpec() == null ? null : t.getSpec().getGuaranteed();
        return q == null || q.getGpuEquivalents() == null ? 0 : q.getGpuEquivalents();
    }

    /** spec.limit.gpuEquivalents, or infinity when absent (no limit but capacity). */
    public static double limitGpu(Tenant t) {
        TenantQuota q = t.getSpec() == null ? null : t.getSpec().getLimit();
        return q == null || q.getGpuEquivalents() == null ? Double.POSITIVE_INFINITY : q.getGpuEquivalents();
    }

    /**
     * What is wrong with the spec that the CRD could not refuse (an object stored under an older CRD, or a client that
     * skipped validation), each naming the field and the fix; empty when valid. Selector problems are the directory's.
     */
    public static List<String> problems(Tenant t) {
        List<String> out = new ArrayList<>();
        TenantSpec s = t.getSpec();
        if (s == null) {
            out.add("spec is missing: set spec.namespaceSelector and spec.guaranteed");
            return out;
        }
        amounts(out, "spec.guaranteed", s.getGuaranteed());
        amounts(out, "spec.limit", s.getLimit());
        if (s.getGuaranteed() != null && s.getLimit() != null) {
            below(out, "gpuEquivalents", s.getLimit().getGpuEquivalents(), s.getGuaranteed().getGpuEquivalents());
            below(out, "cpuCores", s.getLimit().getCpuCores(), s.getGuaranteed().getCpuCores());
        }
        if (s.getWeight() != null && (s.getWeight() < 1 || s.getWeight() > 1000)) {
            out.add("spec.weight is " + s.getWeight() + ": use 1 to 1000");
        }
        if (s.getPoolCaps() != null) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < s.getPoolCaps().size(); i++) {
                PoolCap c = s.getPoolCaps().get(i);
                if (c == null || c.getPool() == null || c.getPool().isBlank()) {
                    out.add("spec.poolCaps[" + i + "].pool is missing: name an AcceleratorPool");
                } else if (!seen.add(c.getPool())) {
                    out.add("spec.poolCaps names pool '" + c.getPool() + "' more than once: keep one entry per pool");
                }
                if (c != null) amount(out, "spec.poolCaps[" + i + "].gpuEquivalents", c.getGpuEquivalents(), TenantQuota.MAX_GPU_EQUIVALENTS);
            }
        }
        if (s.getMaxIdleTimeout() != null) {
            try {
                maxIdleTimeoutMillis(t);
            } catch (IllegalArgumentException e) {
                out.add(e.getMessage());
            }
        }
        return out;
    }

    private static void amounts(List<String> out, String field, TenantQuota q) {
        if (q == null) return;
        amount(out, field + ".gpuEquivalents", q.getGpuEquivalents(), TenantQuota.MAX_GPU_EQUIVALENTS);
        amount(out, field + ".cpuCores", q.getCpuCores(), TenantQuota.MAX_CPU_CORES);
    }

    private static void amount(List<String> out, String field, Double v, double max) {
        if (v != null && !(v >= 0 && v <= max)) out.add(field + " is " + v + ": use a number from 0 to " + (long) max);
    }

    private static void below(List<String> out, String what, Double limit, Double guaranteed) {
        if (limit != null && guaranteed != null && limit < guaranteed) {
            out.add("spec.limit." + what + " (" + limit + ") is below spec.guaranteed." + what + " (" + guaranteed
                    + "): raise the limit to at least the guarantee, or lower the guarantee");
        }
    }

    /** Whether the tenant lets its workloads use this PlacementPolicy (an empty list allows any). */
    public static boolean allowsPolicy(Tenant t, String policy) {
        List<String> allowed = t == null || t.getSpec() == null ? null : t.getSpec().getPlacementPolicies();
        return allowed == null || allowed.isEmpty() || allowed.contains(policy);
    }

    /** The message for a workload whose policy the tenant does not allow; names only the tenant's own setting. */
    public static String policyRefused(Tenant t, String policy) {
        return "PlacementPolicy '" + policy + "' is not allowed for tenant " + t.getMetadata().getName() + " (it allows "
                + String.join(", ", t.getSpec().getPlacementPolicies()) + "): set spec.policy to one of those, or ask your cluster admin";
    }

    /** spec.maxIdleTimeout in milliseconds, or null when the tenant sets no ceiling. */
    public static Long maxIdleTimeoutMillis(Tenant t) {
        String v = t == null || t.getSpec() == null ? null : t.getSpec().getMaxIdleTimeout();
        if (v == null || v.isBlank()) return null;
        try {
            long ms = Durations.parseMillis(v);
            if (ms <= 0) throw new IllegalArgumentException("zero");
            return ms;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("spec.maxIdleTimeout is '" + v + "': use a duration above zero such as 30m or 2h");
        }
    }

    /**
     * The idle timeout a workload gets under its tenant's ceiling. {@code effective} is what it would get otherwise (its
     * own spec.idleTimeout, else its policy's, as a duration string), or "Never", or null for Plimsoll's default rule;
     * returns a duration string no longer than the ceiling ("Never" and null become the ceiling, since the adaptive
     * rule may keep an idle replica longer), or {@code effective} unchanged when the tenant sets none (or a bad one).
     */
    public static String capIdleTimeout(Tenant t, String effective) {
        Long max;
        try {
            max = maxIdleTimeoutMillis(t);
        } catch (IllegalArgumentException e) {
            return effective; // reported on the Tenant (Ready False); does not change workloads
        }
        if (max == null) return effective;
        String ceiling = t.getSpec().getMaxIdleTimeout().trim();
        if (effective == null || effective.isBlank() || "Never".equals(effective)) return ceiling;
        try {
            return Durations.parseMillis(effective) > max ? ceiling : effective;
        } catch (IllegalArgumentException e) {
            return ceiling;
        }
    }

    /**
     * The cluster's accelerator capacity in GPU-equivalents: for each GPU or TPU pool, its member nodes × devicesPerNode
     * × gpuEquivalent (a MIG GPU counts as one device). CPU pools count nothing.
     */
    public static double capacityGpu(List<AcceleratorPool> pools, ToIntFunction<AcceleratorPool> memberNodes) {
        double sum = 0;
        for (AcceleratorPool p : pools) {
            if (p.getSpec() == null || p.getSpec().getAccelerator() == null) continue;
            var acc = p.getSpec().getAccelerator();
            double each = acc.gpuEquivalentOrDefault();
            if (each <= 0 || acc.getDevicesPerNode() == null) continue;
            sum += (double) memberNodes.applyAsInt(p) * acc.getDevicesPerNode() * each;
        }
        return sum;
    }

    /**
     * The guarantee a tenant holds now: its own, scaled down in proportion when all valid tenants' guarantees add up to
     * more than capacity, so that every guarantee can be honoured at once.
     */
    public static double effectiveGuarantee(double own, double sumOfGuarantees, double capacity) {
        if (own <= 0) return 0;
        if (sumOfGuarantees <= capacity) return own;
        return capacity <= 0 ? 0 : own * capacity / sumOfGuarantees;
    }
}
