package io.plimsoll.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.tenancy.Admission;
import io.plimsoll.engine.tenancy.TenantLedger;
import io.plimsoll.engine.tenancy.TenantQuota;
import io.plimsoll.scheduling.PlacementLoop.Outcome;
import io.plimsoll.scheduling.PlacementLoop.Request;
import io.plimsoll.scheduling.PlacementLoop.Result;
import io.plimsoll.scheduling.PlacementLoop.TenantClaim;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The placement loop's tenant gate: consulted before the attempt, in queue order; without it nothing changes. */
class PlacementLoopGateTest {
    static final Need ONE = new Need(WorkloadPhase.Training, 1, 1000, 1L << 30, AcceleratorType.GPU, 1, 0, 0, Set.of(), null, false);

    final List<String> attempted = new ArrayList<>();
    final List<TenantLedger.Charge> running = new ArrayList<>();

    Request request(String key, int priority, long arrival, String tenant, double gpuEq) {
        PlacementLoop.Attempt a = held -> {
            attempted.add(key);
            running.add(new TenantLedger.Charge(tenant, key, key, "p", gpuEq, 0, priority, arrival, false, WorkloadPhase.Training, null, false));
            return Result.of(Outcome.PLACED);
        };
        return new Request(new PlacementQueue.Entry(key, priority, arrival), ONE, PhaseRules.DEFAULT, a,
                tenant == null ? null : new TenantClaim(tenant, Admission.Demand.gpu(gpuEq)));
    }

    @Test
    void theGateIsAskedBeforeTheAttemptInQueueOrderWithTheOtherTenantsFirstClaims() {
        List<TenantQuota> quotas = List.of(TenantQuota.of("team-a", 2, 2, 1), TenantQuota.of("team-b", 2, 4, 1));
        List<List<Admission.Competitor>> seen = new ArrayList<>();
        PlacementLoop.AdmissionGate gate = (key, claim, competitors) -> {
            seen.add(competitors);
            return Admission.decide(new TenantLedger(quotas, null, 8, 0, running), claim.tenant(), claim.demand(), competitors);
        };
        List<String> changed = new ArrayList<>();
        PlacementLoop loop = new PlacementLoop(ClusterState::new, () -> 0, changed::add, gate);
        loop.enqueue(request("ns-a/first", 0, 1, "team-a", 2));
        loop.enqueue(request("ns-a/second", 0, 2, "team-a", 1));
        loop.enqueue(request("ns-b/vip", 5, 3, "team-b", 1));
        loop.enqueue(request("ns-x/untenanted", 0, 4, null, 0));
        loop.cycle();
        assertEquals(List.of("ns-b/vip", "ns-a/first", "ns-x/untenanted"), attempted, "priority, then arrival; team-a's second waits");
        Result waiting = loop.standing("ns-a/second").last();
        assertEquals(Outcome.QUOTA, waiting.outcome());
        assertEquals("team-a uses 2.0 of its 2.0 GPU-eq limit and this workload needs 1.0: it waits for the tenant's own"
                + " work to finish (or the admin raises the limit)", waiting.detail());
        assertNull(waiting.decision());
        assertEquals(List.of(new Admission.Competitor("team-a", 2)), seen.get(0), "team-b sees team-a's first claim");
        assertTrue(changed.contains("ns-a/second"));
        // Its own work finishes: asked again on the next cycle, it is placed.
        running.removeIf(c -> c.workload().equals("ns-a/first"));
        loop.cycle();
        assertEquals("ns-a/second", attempted.get(attempted.size() - 1));
        assertEquals(Outcome.PLACED, loop.standing("ns-a/second").last().outcome());
    }

    @Test
    void withoutAGateClaimsChangeNothing() {
        PlacementLoop loop = new PlacementLoop(ClusterState::new, () -> 0, k -> {});
        loop.enqueue(request("ns-a/1", 0, 1, "team-a", 100));
        loop.enqueue(request("ns-a/2", 0, 2, "team-a", 100));
        loop.cycle();
        assertEquals(List.of("ns-a/1", "ns-a/2"), attempted);
    }

    @Test
    void aGateThatFailsHoldsTheRequestBackAndOthersGoOn() {
        PlacementLoop loop = new PlacementLoop(ClusterState::new, () -> 0, k -> {}, (key, claim, competitors) -> {
            if (claim.tenant().equals("broken")) throw new IllegalStateException("quota store unavailable");
            return null;
        });
        loop.enqueue(request("ns-a/1", 0, 1, "broken", 1));
        loop.enqueue(request("ns-b/1", 0, 2, "team-b", 1));
        loop.cycle();
        assertEquals(List.of("ns-b/1"), attempted);
        assertEquals(Outcome.WAITING, loop.standing("ns-a/1").last().outcome());
    }

    @Test
    void workWithinItsTenantsGuaranteeGoesBeforeWorkThatWouldBorrowThenPriorityThenArrival() {
        // team-a is guaranteed 2 and uses 2 (so more of it borrows); team-b is guaranteed 4 and uses none.
        List<TenantQuota> quotas = List.of(TenantQuota.of("team-a", 2, 8, 1), TenantQuota.of("team-b", 4, 8, 1));
        running.add(new TenantLedger.Charge("team-a", "ns-a/old", "ns-a/old", "p", 2, 0, 0, 0, false, WorkloadPhase.Training, null, false));
        List<TenantLedger.Charge> atStart = List.copyOf(running);
        PlacementLoop.AdmissionGate gate = new PlacementLoop.AdmissionGate() {
            @Override
            public Admission.Decision admit(String key, TenantClaim claim, List<Admission.Competitor> competitors) {
                return null; // admits
            }

            @Override
            public boolean withinGuarantee(TenantClaim claim) {
                return Admission.withinGuarantee(new TenantLedger(quotas, null, 8, 0, atStart), claim.tenant(), claim.demand());
            }
        };
        PlacementLoop loop = new PlacementLoop(ClusterState::new, () -> 0, k -> {}, gate);
        loop.enqueue(request("ns-a/borrower-vip", 9, 1, "team-a", 1));
        loop.enqueue(request("ns-a/borrower", 0, 2, "team-a", 1));
        loop.enqueue(request("ns-b/late", 0, 3, "team-b", 1));
        loop.enqueue(request("ns-b/later", 1, 4, "team-b", 5)); // above team-b's guarantee of 4: borrows
        loop.enqueue(request("ns-x/untenanted", 0, 0, null, 0));
        loop.cycle();
        assertEquals(List.of("ns-b/late", "ns-a/borrower-vip", "ns-b/later", "ns-x/untenanted", "ns-a/borrower"), attempted,
                "within the guarantee first; then priority, then arrival");
    }
}
