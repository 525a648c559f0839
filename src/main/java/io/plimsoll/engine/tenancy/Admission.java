package io.plimsoll.engine.tenancy;

import java.util.Collection;
import java.util.Locale;

/**
 * Whether a tenant's pending workload may start now, as Kueue's quota reservation decides it: within the tenant's
 * guarantee it may (if it does not fit, {@link ReclaimPlanner} takes back what borrowers hold); above it, it borrows
 * capacity that no guarantee needs, up to the tenant's limit. Work conserving: whatever nobody's pending guaranteed
 * work needs may be borrowed. When several tenants compete for the surplus it goes first to the one that would borrow
 * least for its weight (Kueue's fair sharing, dominant-resource style on one resource): a borrower waits only when
 * admitting it would leave too little for a fairer competitor's first pending workload. Pure.
 * <p>
 * Messages name the tenant and figures only, never another tenant's workloads.
 */
public final class Admission {
    private Admission() {}

    public enum Reason {
        /** Admitted: the tenant stays within its guarantee. */
        WithinGuarantee,
        /** Admitted: the tenant borrows capacity no guarantee needs now. */
        Borrowing,
        /** Waits: the tenant would go above its limit (GPU-equivalents or CPU cores). */
        AboveLimit,
        /** Waits: the tenant would go above its cap on the pool. */
        PoolCap,
        /** Waits: the part above the guarantee is more than can be borrowed now. */
        NoCapacityToBorrow,
        /** Waits: a tenant that borrows less for its weight needs the surplus first. */
        FairShare;

        public boolean admitted() {
            return this == WithinGuarantee || this == Borrowing;
        }
    }

    /**
     * What a pending workload would be charged (every replica).
     *
     * @param pool the pool it would run in, when known (for pool caps); null when not yet chosen
     */
    public record Demand(double gpuEq, double cpuCores, String pool) {
        public Demand {
            if (!(gpuEq >= 0) || !(cpuCores >= 0)) throw new IllegalArgumentException("demand must be >= 0: " + gpuEq + ", " + cpuCores);
        }

        public static Demand gpu(double gpuEq) {
            return new Demand(gpuEq, 0, null);
        }
    }

    /** Another tenant's first pending workload and its demand (what competes for the surplus). */
    public record Competitor(String tenant, double gpuEq) {}

    /**
     * The answer, with the figures for status.
     *
     * @param borrowing   how much of the demand is above the guarantee
     * @param available   what could be borrowed now
     */
    public record Decision(Reason reason, String tenant, double used, double guaranteed, double limit, double demand,
                           double borrowing, double available, int weight) {
        public boolean admitted() {
            return reason.admitted();
        }

        /** "team-a uses 12.0 of 12.0 GPU-eq; borrowing 4.0 of 6.0 available". */
        public String message() {
            String head = String.format(Locale.ROOT, "%s uses %s of %s GPU-eq", tenant, f(used), f(guaranteed));
            return switch (reason) {
                case WithinGuarantee -> head + String.format(Locale.ROOT, "; %s more is within its guarantee", f(demand));
                case Borrowing -> head + String.format(Locale.ROOT, "; borrowing %s of %s available", f(borrowing), f(available));
                case AboveLimit -> String.format(Locale.ROOT, "%s uses %s of its %s GPU-eq limit and this workload needs %s:"
                        + " it waits for the tenant's own work to finish (or the admin raises the limit)", tenant, f(used),
                        f(limit), f(demand));
                case PoolCap -> String.format(Locale.ROOT, "%s would go above its cap on this pool with %s more GPU-eq:"
                        + " it waits for the tenant's own work there to finish", tenant, f(demand));
                case NoCapacityToBorrow -> head + String.format(Locale.ROOT, "; needs to borrow %s, %s available:"
                        + " it waits for capacity to free", f(borrowing), f(available));
                case FairShare -> head + String.format(Locale.ROOT, "; needs to borrow %s of %s available, which a tenant"
                        + " borrowing less for its weight needs first (this tenant's weight: %d)", f(borrowing), f(available), weight);
            };
        }

        private static String f(double v) {
            return Double.isInfinite(v) ? "unlimited" : String.format(Locale.ROOT, "%.1f", v);
        }
    }

    /**
     * @param ledger  who uses what now
     * @param tenant  the waiting workload's tenant (a name the ledger does not know counts against its default tenant)
     * @param demand  what it would be charged
     * @param pending the other tenants' first pending workloads (those of {@code tenant} are ignored)
     */
    public static Decision decide(TenantLedger ledger, String tenant, Demand demand, Collection<Competitor> pending) {
        return decide(ledger, tenant, demand, pending, 0);
    }

    /**
     * @param unlent the share (0..1) of each other tenant's unused guarantee that is not lent (Kueue's lending limit,
     *               as a fraction): kept free so that its next work starts at once instead of waiting for a reclaim
     *               and its grace period. 0 lends everything (fully work conserving).
     */
    public static Decision decide(TenantLedger ledger, String tenant, Demand demand, Collection<Competitor> pending, double unlent) {
        if (!(unlent >= 0 && unlent <= 1)) throw new IllegalArgumentException("unlent must be in [0, 1]: " + unlent);
        String t = ledger.tenantOf(tenant);
        TenantQuota q = ledger.quota(t);
        double used = ledger.used(t), g = q.guaranteedGpuEq(), d = demand.gpuEq();
        double borrowing = Math.max(0, used + d - g) - Math.max(0, used - g);
        if (used + d > q.limitGpuEq() + EPS || ledger.usedCpuCores(t) + demand.cpuCores() > q.limitCpuCores() + EPS) {
            return decision(Reason.AboveLimit, t, ledger, q, d, borrowing, 0);
        }
        if (demand.pool() != null && ledger.usedInPool(t, demand.pool()) + d > q.poolCap(demand.pool()) + EPS) {
            return decision(Reason.PoolCap, t, ledger, q, d, borrowing, 0);
        }
        if (borrowing <= EPS) return decision(Reason.WithinGuarantee, t, ledger, q, d, 0, 0);
        // What other tenants' pending work within their own guarantees will take back is not there to borrow.
        double reserved = 0;
        java.util.Set<String> waiting = new java.util.HashSet<>();
        for (Competitor c : pending) {
            String o = ledger.tenantOf(c.tenant());
            if (o.equals(t) || !waiting.add(o)) continue;
            double unused = Math.max(0, ledger.guaranteed(o) - ledger.used(o));
            reserved += Math.max(Math.min(unused, c.gpuEq()), unlent * unused);
        }
        if (unlent > 0) {
            for (TenantQuota q2 : ledger.quotas()) {
                if (q2.name().equals(t) || waiting.contains(q2.name())) continue;
                reserved += unlent * Math.max(0, q2.guaranteedGpuEq() - ledger.used(q2.name()));
            }
        }
        double available = ledger.availableToBorrow(t, reserved);
        if (borrowing > available + EPS) return decision(Reason.NoCapacityToBorrow, t, ledger, q, d, borrowing, available);
        double mine = (ledger.borrowed(t) + borrowing) / q.weight();
        for (Competitor c : pending) {
            String o = ledger.tenantOf(c.tenant());
            if (o.equals(t)) continue;
            TenantQuota oq = ledger.quota(o);
            double ou = ledger.used(o), og = oq.guaranteedGpuEq();
            if (ou + c.gpuEq() > oq.limitGpuEq() + EPS) continue; // it cannot start anyway
            double ob = Math.max(0, ou + c.gpuEq() - og) - Math.max(0, ou - og);
            if (ob <= EPS) continue;
            double theirs = (ledger.borrowed(o) + ob) / oq.weight();
            if (theirs < mine - EPS && available - borrowing < ob - EPS) {
                return decision(Reason.FairShare, t, ledger, q, d, borrowing, available);
            }
        }
        return decision(Reason.Borrowing, t, ledger, q, d, borrowing, available);
    }

    /**
     * Whether the tenant's guarantee covers the demand (it borrows nothing and stays within its limit): such work is
     * served before work that would borrow ({@code PlacementQueue#compare}).
     */
    public static boolean withinGuarantee(TenantLedger ledger, String tenant, Demand demand) {
        String t = ledger.tenantOf(tenant);
        TenantQuota q = ledger.quota(t);
        double after = ledger.used(t) + demand.gpuEq();
        return after <= q.guaranteedGpuEq() + EPS && after <= q.limitGpuEq() + EPS
                && ledger.usedCpuCores(t) + demand.cpuCores() <= q.limitCpuCores() + EPS;
    }

    static final double EPS = 1e-9;

    private static Decision decision(Reason r, String t, TenantLedger ledger, TenantQuota q, double d, double borrowing, double available) {
        return new Decision(r, t, ledger.used(t), q.guaranteedGpuEq(), q.limitGpuEq(), d, borrowing, available, q.weight());
    }
}
