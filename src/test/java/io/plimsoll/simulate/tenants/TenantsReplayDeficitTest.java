package io.plimsoll.simulate.tenants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plimsoll.engine.tenancy.TenantQuota;
import io.plimsoll.simulate.TraceLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Deficit time counts waiting for the guarantee, not waiting at the quota. */
class TenantsReplayDeficitTest {
    static final long MIN = 60_000;

    static TenantsLoad.Task gpu(String name, long runMillis) {
        return new TenantsLoad.Task(name, 4000, 8000, 1, 1000, "", 0, runMillis);
    }

    @Test
    void workTheQuotaRefusesAtItsChargeIsNotADeficit() {
        // A T4 (0.15 GPU-eq) and a G3 (0.6): the mean worth, and so a 1-GPU job's nominal charge, is 0.375. team-a is
        // guaranteed 0.55. Its first job takes the T4 (the cheapest pool): 0.15 used, 0.40 left, so the second job's
        // nominal charge fits, but the only room is the G3, at 0.6. Under static quotas it waits at its quota until
        // the first job ends at 20 min; that is not time below the guarantee with work that fits in it.
        var load = TenantsLoad.of(List.of(new TenantsLoad.Tenant("team-a", TenantQuota.of("team-a", 0.55, 0.55, 1), 1)),
                List.of(new TenantsLoad.Job(0, 0, gpu("first", 20 * MIN), 0), new TenantsLoad.Job(1, 0, gpu("second", 5 * MIN), MIN)));
        var nodes = List.of(new TraceLoader.NodeSpec("t4", 32_000, 128_000, 1, "T4"),
                new TraceLoader.NodeSpec("g3", 32_000, 128_000, 1, "G3"));
        TenantsReplay.Result r = new TenantsReplay(nodes, load, TenantsLoad.DEFAULT_WORTH, 30_000, 0, 60 * MIN, 0)
                .run(TenantsReplay.Policy.STATIC_QUOTA);
        TenantsReplay.TenantResult a = r.tenants().get(0);
        assertEquals(2, r.finished());
        assertEquals(19 * 60, a.waitP99Seconds(), 1e-9, "the second job waited for the T4");
        assertEquals(0, a.deficitTimePct(), 1e-9, "refused at its charge on the G3: the tenant is at its quota there");
        assertEquals(0, a.deficits());
    }

    @Test
    void waitingForAReclaimWithinTheGuaranteeIsADeficit() {
        // One T4: team-b is guaranteed all of it and team-a borrows it; team-b's job comes at 40 min and waits the
        // 30 s grace period of team-a's job.
        var load = TenantsLoad.of(List.of(
                        new TenantsLoad.Tenant("team-a", TenantQuota.of("team-a", 0, 1, 1), 0.5),
                        new TenantsLoad.Tenant("team-b", TenantQuota.of("team-b", 0.15, 1, 1), 0.5)),
                List.of(new TenantsLoad.Job(0, 0, gpu("long", 100 * MIN), 0), new TenantsLoad.Job(1, 1, gpu("short", 10 * MIN), 40 * MIN)));
        var nodes = List.of(new TraceLoader.NodeSpec("n0", 32_000, 128_000, 1, "T4"));
        TenantsReplay.Result r = new TenantsReplay(nodes, load, TenantsLoad.DEFAULT_WORTH, 30_000, 0, 60 * MIN, 0)
                .run(TenantsReplay.Policy.PLIMSOLL);
        TenantsReplay.TenantResult b = r.tenants().get(1);
        assertEquals(1, r.preemptions());
        assertEquals(1, b.deficits());
        assertEquals(30, b.reclaimP99Seconds(), 1e-9);
        assertEquals(100 * 0.5 / 60, b.deficitTimePct(), 1e-9, "half a minute of the hour");
        assertTrue(r.tenants().get(0).deficitTimePct() == 0, "team-a has no guarantee");
    }
}
