package io.plimsoll.engine.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plimsoll.engine.MigSlice;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.tenancy.Admission.Competitor;
import io.plimsoll.engine.tenancy.Admission.Demand;
import io.plimsoll.engine.tenancy.Admission.Reason;
import io.plimsoll.engine.tenancy.TenantLedger.Charge;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Quotas, GPU-equivalent charges, the ledger and admission with borrowing and fair sharing: pure, no cluster. */
class QuotaAndAdmissionTest {

    static Charge run(String tenant, String workload, double gpuEq) {
        return new Charge(tenant, workload + "-0", workload, "h100", gpuEq, 0, 0, 0, false, WorkloadPhase.Training, null, false);
    }

    @Test
    void quotaValidationNamesTheField() {
        var e = assertThrows(IllegalArgumentException.class, () -> TenantQuota.of("team-a", 8, 4, 1));
        assertTrue(e.getMessage().contains("limitGpuEq") && e.getMessage().contains("team-a"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TenantQuota.of("team-a", -1, 4, 1));
        assertTrue(e.getMessage().contains("guaranteedGpuEq"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TenantQuota.of("team-a", 1, 4, 1001));
        assertTrue(e.getMessage().contains("weight"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new TenantQuota("team-a", 1, 4, 0, 8, 1, Map.of("t4", Double.NaN)));
        assertTrue(e.getMessage().contains("poolCapsGpuEq[t4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TenantQuota.of(" ", 1, 4, 1));
        assertTrue(e.getMessage().contains("name"), e.getMessage());
        assertEquals(4.0, TenantQuota.of("a", 4, 10, 1).staticOnly().limitGpuEq());
    }

    @Test
    void chargesAreDevicesTimesWhatTheyAreWorth() {
        Charges c = new Charges(Map.of("h100", 1.0, "a100", 0.6, "t4", 0.15));
        assertEquals(2.0, c.gpuEq("h100", 2, 0, null), 1e-9);
        assertEquals(0.15, c.gpuEq("a100", 0, 250, null), 1e-9, "a quarter of an A100");
        assertEquals(0.6 * 1 / 7.0, c.gpuEq("a100", 0, 0, new MigSlice("1g.10gb", "nvidia.com/mig-1g.10gb", 10, 1 / 7.0)), 1e-9);
        assertEquals(0.0375, c.parked("t4", 250), 1e-9, "a parked replica counts its parked share");
        assertEquals(3.0, c.gpuEq("unknown-pool", 3, 0, null), 1e-9, "1.0 when the admin set no worth");
        assertEquals(4.0, Charges.cpuCores(4000), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> new Charges(Map.of("t4", 0.0)));
    }

    @Test
    void ledgerCountsUsedBorrowedAndLent() {
        var a = TenantQuota.of("team-a", 12, 24, 1);
        var b = TenantQuota.of("team-b", 12, 24, 1);
        var l = new TenantLedger(List.of(a, b), null, 30, 0,
                List.of(run("team-a", "a1", 12), run("team-a", "a2", 10), run("team-b", "b1", 4), run("ns-without-tenant", "x", 1)));
        assertEquals(22, l.used("team-a"), 1e-9);
        assertEquals(10, l.borrowed("team-a"), 1e-9);
        assertEquals(0, l.borrowed("team-b"), 1e-9);
        // 6 GPU-eq are covered by no guarantee; team-a borrows 10 and the default tenant (no guarantee) 1, so 5 come
        // from team-b's unused 8.
        assertEquals(5, l.lent("team-b"), 1e-9);
        assertEquals(1, l.used("default"), 1e-9, "a workload of no tenant counts against the default tenant");
        assertEquals(3, l.free(), 1e-9);
        assertEquals(2, l.availableToBorrow("team-a", 1), 1e-9);
    }

    @Test
    void withinTheGuaranteeIsAdmittedAboveItBorrowsWhatIsFree() {
        var a = TenantQuota.of("team-a", 12, 20, 1);
        var b = TenantQuota.of("team-b", 8, 20, 1);
        var l = new TenantLedger(List.of(a, b), null, 24, 0, List.of(run("team-a", "a1", 12), run("team-b", "b1", 6)));
        var d = Admission.decide(l, "team-a", Demand.gpu(4), List.of());
        assertEquals(Reason.Borrowing, d.reason());
        assertEquals("team-a uses 12.0 of 12.0 GPU-eq; borrowing 4.0 of 6.0 available", d.message());
        assertTrue(d.admitted());
        // team-b is within its guarantee with 2 more, whether or not it fits now (reclaim is the planner's job).
        assertEquals(Reason.WithinGuarantee, Admission.decide(l, "team-b", Demand.gpu(2), List.of()).reason());
        // 7 cannot be borrowed from 6 free.
        var no = Admission.decide(l, "team-a", Demand.gpu(7), List.of());
        assertEquals(Reason.NoCapacityToBorrow, no.reason());
        assertEquals("team-a uses 12.0 of 12.0 GPU-eq; needs to borrow 7.0, 6.0 available: it waits for capacity to free", no.message());
        // team-b's pending work within its own guarantee (2 of its unused 2) is not there to borrow.
        var reserved = Admission.decide(l, "team-a", Demand.gpu(5), List.of(new Competitor("team-b", 3)));
        assertEquals(Reason.NoCapacityToBorrow, reserved.reason());
        assertEquals(4.0, reserved.available(), 1e-9);
    }

    @Test
    void aLendingLimitKeepsPartOfOtherTenantsUnusedGuaranteesFree() {
        var a = TenantQuota.of("team-a", 4, 20, 1);
        var b = TenantQuota.of("team-b", 10, 20, 1);
        // 20 capacity: team-a uses 8 (borrows 4), team-b 0 of 10; 12 free.
        var l = new TenantLedger(List.of(a, b), null, 20, 0, List.of(run("team-a", "a1", 8)));
        assertEquals(Reason.Borrowing, Admission.decide(l, "team-a", Demand.gpu(10), List.of(), 0).reason());
        var d = Admission.decide(l, "team-a", Demand.gpu(10), List.of(), 0.5);
        assertEquals(Reason.NoCapacityToBorrow, d.reason(), "half of team-b's unused 10 is not lent");
        assertEquals(7.0, d.available(), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Admission.decide(l, "team-a", Demand.gpu(1), List.of(), 1.5));
    }

    @Test
    void limitsAndPoolCapsAreNeverExceeded() {
        var a = new TenantQuota("team-a", 4, 8, 2, 4, 1, Map.of("t4", 1.0));
        var l = new TenantLedger(List.of(a), null, 100, 100, List.of(run("team-a", "a1", 6)));
        var d = Admission.decide(l, "team-a", Demand.gpu(3), List.of());
        assertEquals(Reason.AboveLimit, d.reason());
        assertTrue(d.message().startsWith("team-a uses 6.0 of its 8.0 GPU-eq limit"), d.message());
        assertEquals(Reason.AboveLimit, Admission.decide(l, "team-a", new Demand(0, 5, null), List.of()).reason(), "CPU limit");
        assertEquals(Reason.PoolCap, Admission.decide(l, "team-a", new Demand(1.5, 0, "t4"), List.of()).reason());
        assertEquals(Reason.Borrowing, Admission.decide(l, "team-a", new Demand(1, 0, "t4"), List.of()).reason());
    }

    @Test
    void workOfNoTenantFallsToTheDefaultTenant() {
        var a = TenantQuota.of("team-a", 4, 4, 1);
        var unlimited = new TenantLedger(List.of(a), null, 10, 0, List.of());
        assertEquals(Reason.Borrowing, Admission.decide(unlimited, "stray-namespace", Demand.gpu(8), List.of()).reason(),
                "no default configured: unlimited, borrowing what no guarantee needs");
        var strict = new TenantLedger(List.of(a), TenantQuota.of("others", 1, 2, 1), 10, 0, List.of());
        var d = Admission.decide(strict, "stray-namespace", Demand.gpu(3), List.of());
        assertEquals(Reason.AboveLimit, d.reason());
        assertTrue(d.message().startsWith("others uses"), d.message());
    }

    @Test
    void theSurplusGoesFirstToWhoeverBorrowsLeastForItsWeight() {
        var a = TenantQuota.of("team-a", 4, 100, 1);
        var b = TenantQuota.of("team-b", 4, 100, 3);
        // 20 capacity, 8 guaranteed: 12 to share. team-a already borrows 6, team-b 2; 4 are free.
        var l = new TenantLedger(List.of(a, b), null, 20, 0, List.of(run("team-a", "a1", 10), run("team-b", "b1", 6)));
        var d = Admission.decide(l, "team-a", Demand.gpu(4), List.of(new Competitor("team-b", 4)));
        assertEquals(Reason.FairShare, d.reason(), d.message());
        assertFalse(d.message().contains("b1"), "never names other tenants' workloads");
        assertEquals(Reason.Borrowing, Admission.decide(l, "team-b", Demand.gpu(4), List.of(new Competitor("team-a", 4))).reason());
        // Work conserving: when the fairer tenant's work would still fit, team-a borrows.
        assertEquals(Reason.Borrowing, Admission.decide(l, "team-a", Demand.gpu(2), List.of(new Competitor("team-b", 2))).reason());
        // And with no competitor at all.
        assertEquals(Reason.Borrowing, Admission.decide(l, "team-a", Demand.gpu(4), List.of()).reason());
    }

    @Test
    void aSeededRandomLoadNeverAdmitsAboveALimitAndBorrowsOnlyWhatIsFree() {
        var rnd = new java.util.Random(7);
        List<TenantQuota> qs = List.of(TenantQuota.of("a", 5, 12, 1), TenantQuota.of("b", 3, 9, 2), TenantQuota.of("c", 2, 4, 5));
        List<Charge> running = new ArrayList<>();
        for (int step = 0; step < 2000; step++) {
            var l = new TenantLedger(qs, null, 16, 0, running);
            String t = qs.get(rnd.nextInt(3)).name();
            double dem = 0.5 * (1 + rnd.nextInt(6));
            var d = Admission.decide(l, t, Demand.gpu(dem), List.of());
            if (d.admitted()) {
                assertTrue(l.used(t) + dem <= l.quota(t).limitGpuEq() + 1e-9);
                if (d.reason() == Reason.Borrowing) assertTrue(d.borrowing() <= l.free() + 1e-9);
                if (l.totalUsed() + dem <= 16 + 1e-9) running.add(run(t, "w" + step, dem));
            }
            if (!running.isEmpty() && rnd.nextInt(3) == 0) running.remove(rnd.nextInt(running.size()));
        }
    }
}
