package io.plimsoll.simulate.tenants;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.plimsoll.engine.tenancy.TenantQuota;
import io.plimsoll.simulate.TraceLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A borrower's job is reclaimed once; checkpointing decides whether it restarts from scratch or resumes. */
class TenantsReplayCheckpointTest {
    static final long MIN = 60_000;
    static final TenantsLoad.Task LONG = new TenantsLoad.Task("long", 4000, 8000, 1, 1000, "", 0, 100 * MIN);
    static final TenantsLoad.Task SHORT = new TenantsLoad.Task("short", 4000, 8000, 1, 1000, "", 0, 10 * MIN);

    static TenantsReplay.Result replay(double checkpointing) {
        // One T4 (0.15 GPU-eq): team-b is guaranteed all of it, team-a nothing (it borrows).
        var load = TenantsLoad.of(List.of(
                        new TenantsLoad.Tenant("team-a", TenantQuota.of("team-a", 0, 1, 1), 0.5),
                        new TenantsLoad.Tenant("team-b", TenantQuota.of("team-b", 0.15, 1, 1), 0.5)),
                List.of(new TenantsLoad.Job(0, 0, LONG, 0), new TenantsLoad.Job(1, 1, SHORT, 40 * MIN)));
        var nodes = List.of(new TraceLoader.NodeSpec("n0", 32_000, 128_000, 1, "T4"));
        return new TenantsReplay(nodes, load, TenantsLoad.DEFAULT_WORTH, 30_000, 0, 130 * MIN, 0, checkpointing, 1)
                .run(TenantsReplay.Policy.PLIMSOLL);
    }

    @Test
    void aJobThatCheckpointsResumesWhereItWasAndLosesNothing() {
        // At 40 min team-b's job reclaims the T4; team-a's stops at 40.5 min, team-b's runs until 50.5 min.
        TenantsReplay.Result restarted = replay(0);
        assertEquals(1, restarted.preemptions());
        assertEquals(40.5 / 60, restarted.lostGpuHours(), 1e-6, "40.5 min of one GPU run again");
        assertEquals(1, restarted.finished(), "from scratch at 50.5 min, the long job would end at 150.5 min");

        TenantsReplay.Result resumed = replay(1);
        assertEquals(1, resumed.preemptions());
        assertEquals(0, resumed.lostGpuHours(), 1e-9);
        assertEquals(2, resumed.finished(), "60 min left after its checkpoint at 40 min: it ends at 110.5 min");
    }
}
