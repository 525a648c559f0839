package io.plimsoll.engine.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.ReplicaSlot;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.tenancy.ReclaimPlanner.Reason;
import io.plimsoll.engine.tenancy.ReclaimPlanner.Waiting;
import io.plimsoll.engine.tenancy.TenantLedger.Charge;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reclaim from borrowers and preemption by priority, checked with the real engine on a small cluster. */
class ReclaimPlannerTest {
    static final PoolProfile A100 = new PoolProfile("a100", AcceleratorType.GPU, "A100", 80, 4, "nvidia.com/gpu",
            SharingMode.Fractional, List.of(), null, 10.0, Set.of());
    static final Charges CHARGES = new Charges(Map.of("a100", 0.5));
    static final Set<WorkloadPhase> TRAINING = Set.of(WorkloadPhase.Training);

    ClusterState state;
    List<Charge> running;
    final PlacementEngine engine = new PlacementEngine();
    final ReclaimPlanner planner = new ReclaimPlanner(engine, CHARGES, TRAINING, 30);

    @BeforeEach
    void cluster() {
        state = new ClusterState().addPool(A100);
        for (int i = 0; i < 2; i++) state.addNode(new NodeState("n" + i, "a100", true, 64_000, 512L << 30, 4, Map.of()));
        running = new ArrayList<>();
    }

    static Need gpus(int n, int replicas) {
        return new Need(WorkloadPhase.Training, replicas, 1000, 1L << 30, AcceleratorType.GPU, n, 0, 0, Set.of(), null, replicas > 1);
    }

    /** Places a workload of {@code devices} whole GPUs per replica with the engine and records its charges. */
    void start(String tenant, String workload, int devices, int replicas, int priority, long start, boolean parked, WorkloadPhase phase) {
        start(tenant, workload, devices, replicas, priority, start, parked, phase, false);
    }

    /** As above, for a workload that declares whether it checkpoints on SIGTERM. */
    void start(String tenant, String workload, int devices, int replicas, int priority, long start, boolean parked, WorkloadPhase phase,
               boolean checkpoints) {
        var d = engine.place(gpus(devices, replicas), state, PhaseRules.DEFAULT);
        assertTrue(d.placed(), workload + " fits: " + d.explain());
        state.apply(d);
        int i = 0;
        for (ReplicaSlot s : d.slots()) {
            running.add(new Charge(tenant, workload + "-" + i++, workload, "a100", CHARGES.gpuEq("a100", s), 0, priority,
                    start, parked, phase, s, checkpoints));
        }
    }

    TenantLedger ledger() {
        // 8 A100 at 0.5: 4 GPU-eq. team-a is guaranteed 1, team-b 2, team-c 1.
        return new TenantLedger(List.of(TenantQuota.of("team-a", 1, 4, 1), TenantQuota.of("team-b", 2, 4, 1),
                TenantQuota.of("team-c", 1, 4, 1)), null, 4, 0, running);
    }

    @Test
    void aPlanAsksForTheStateOnlyWhenSomeWorkMayBeTaken() {
        start("team-a", "a-within", 2, 1, 0, 100, false, WorkloadPhase.Training); // within team-a's guarantee
        start("team-b", "b-low", 4, 1, 0, 100, false, WorkloadPhase.Training);   // within team-b's guarantee
        int[] asked = new int[1];
        java.util.function.Supplier<ClusterState> counted = () -> {
            asked[0]++;
            return state;
        };
        // team-a is at its guarantee (no reclaim) and has nothing of lower priority than 0: nothing to look at.
        assertTrue(planner.plan(new Waiting("team-a", "a-2", 0, gpus(4, 1), PhaseRules.DEFAULT, 0), ledger(), counted, Set.of()).isEmpty());
        assertEquals(0, asked[0]);
        // team-b's own lower-priority work may go: the state is asked for once.
        var p = planner.plan(new Waiting("team-b", "b-high", 5, gpus(4, 1), PhaseRules.DEFAULT, 0), ledger(), counted, Set.of());
        assertEquals(1, asked[0]);
        assertEquals(List.of("b-low"), p.orElseThrow().workloads());
    }

    @Test
    void reclaimTakesBorrowedWorkLowestPriorityThenMostRecentAndNeverWithinAGuarantee() {
        start("team-a", "a-old", 2, 1, 0, 100, false, WorkloadPhase.Training);   // team-a's guarantee (1.0)
        start("team-a", "a-new", 1, 1, 0, 300, false, WorkloadPhase.Training);   // borrowed
        start("team-a", "a-vip", 1, 1, 9, 400, false, WorkloadPhase.Training);   // borrowed, high priority
        start("team-c", "c-1", 4, 1, 0, 200, false, WorkloadPhase.Training);     // borrowed 1.0 above its 1.0
        // team-b (guaranteed 2.0, uses nothing) wants 1 GPU (0.5).
        var p = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0), ledger(), state, Set.of()).orElseThrow();
        assertEquals(Reason.Reclaim, p.reason());
        assertEquals(List.of("a-new"), p.workloads(), "one victim, the lowest priority and most recent borrowed work");
        assertEquals(30, p.graceSeconds());
        // Two GPUs: team-a may lose at most its 1.0 borrowed, so both borrowed replicas go (reclaim takes priority 9
        // too: it was borrowed) and a-old, within team-a's guarantee, stays; team-c's 4-GPU gang is 2.0 but borrows
        // only 1.0, so it stays whole.
        var p2 = planner.plan(new Waiting("team-b", "b-2", 0, gpus(2, 1), PhaseRules.DEFAULT, 0), ledger(), state, Set.of()).orElseThrow();
        assertEquals(Set.of("a-new", "a-vip"), Set.copyOf(p2.workloads()), p2.toString());
    }

    @Test
    void amongEquallyFewVictimsTheOneThatLosesTheLeastProgressGoesWhenTheTimeIsKnown() {
        start("team-a", "a-base", 3, 1, 0, 0, false, WorkloadPhase.Training);  // n0: 1.5
        start("team-c", "c-base", 2, 1, 0, 0, false, WorkloadPhase.Training);  // n1: 1.0 = team-c's guarantee
        start("team-a", "a-x", 1, 1, 0, 0, false, WorkloadPhase.Training);     // n0: 0.5 borrowed, running since 0
        start("team-c", "c-y", 2, 1, 0, 990, false, WorkloadPhase.Training);   // n1: 1.0 borrowed, since 990
        // One victim either way: a-x is the smaller, c-y has run 10 ms against a-x's 1000 (1.0 x 10 < 0.5 x 1000).
        var unknown = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0), ledger(), state, Set.of());
        assertEquals(List.of("a-x"), unknown.orElseThrow().workloads(), "without the time now: the least GPU-eq");
        var known = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0, 1000), ledger(), state, Set.of());
        assertEquals(List.of("c-y"), known.orElseThrow().workloads(), "with it: the least progress lost");
    }

    String nodeOf(String workload) {
        return running.stream().filter(c -> c.workload().equals(workload)).findFirst().orElseThrow().slot().node();
    }

    @Test
    void amongEquallyFewVictimsOfComparableSizeOneThatCheckpointsGoesFirstOnAnotherNode() {
        for (boolean checkpoints : List.of(false, true)) {
            cluster();
            start("team-a", "a-base", 3, 1, 0, 0, false, WorkloadPhase.Training);   // 1.5: 0.5 above team-a's guarantee
            start("team-c", "c-base", 3, 1, 0, 0, false, WorkloadPhase.Training);   // 1.5 likewise, the other node
            start("team-a", "a-x", 1, 1, 0, 0, false, WorkloadPhase.Training, checkpoints); // 0.5 borrowed, since 0
            start("team-c", "c-y", 1, 1, 0, 990, false, WorkloadPhase.Training);    // 0.5 borrowed, since 990
            assertTrue(!nodeOf("a-x").equals(nodeOf("c-y")), "one on each node: either alone makes room");
            var unknown = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0), ledger(), state, Set.of());
            var known = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0, 1000), ledger(), state, Set.of());
            if (!checkpoints) {
                // c-y is the most recent (first in line) and has run 10 ms against a-x's 1000.
                assertEquals(List.of("c-y"), unknown.orElseThrow().workloads());
                assertEquals(List.of("c-y"), known.orElseThrow().workloads());
            } else {
                // a-x resumes from its checkpoint: it loses nothing, whether or not the time now is known.
                assertEquals(List.of("a-x"), unknown.orElseThrow().workloads(), "without the time now");
                assertEquals(List.of("a-x"), known.orElseThrow().workloads(), "with it: no progress lost beats 10 ms");
                assertEquals(1, known.orElseThrow().replicas().size());
                assertTrue(known.orElseThrow().replicas().get(0).checkpoints(), "the flag is carried to the operator");
            }
        }
    }

    @Test
    void onOneNodeTheCheckpointingVictimGoesBeforeTheMoreRecentOneOfTheSameSize() {
        state = new ClusterState().addPool(A100).addNode(new NodeState("n0", "a100", true, 64_000, 512L << 30, 4, Map.of()));
        start("team-a", "a-base", 2, 1, 0, 0, false, WorkloadPhase.Training);                 // team-a's guarantee
        start("team-a", "a-ckpt", 1, 1, 0, 100, false, WorkloadPhase.Training, true);         // borrowed, checkpoints
        start("team-a", "a-new", 1, 1, 0, 300, false, WorkloadPhase.Training);                // borrowed, most recent
        for (long now : new long[] {Long.MIN_VALUE, 1000}) {
            var p = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0, now), ledger(), state, Set.of());
            assertEquals(List.of("a-ckpt"), p.orElseThrow().workloads(), "now " + now);
        }
        // Without the declaration, the most recent goes, as before.
        running.replaceAll(c -> c.workload().equals("a-ckpt") ? new Charge(c.tenant(), c.key(), c.workload(), c.pool(), c.gpuEq(),
                c.cpuCores(), c.priority(), c.startMillis(), c.parked(), c.phase(), c.slot(), false) : c);
        var p = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0, 1000), ledger(), state, Set.of());
        assertEquals(List.of("a-new"), p.orElseThrow().workloads());

        // team-a borrows 1.0, room for one of its two 2-GPU borrowed jobs only: the checkpointing one, though second in line.
        running.clear();
        state = new ClusterState().addPool(A100).addNode(new NodeState("n0", "a100", true, 64_000, 512L << 30, 4, Map.of()));
        start("team-a", "a-ckpt", 2, 1, 0, 100, false, WorkloadPhase.Training, true);
        start("team-a", "a-new", 2, 1, 0, 300, false, WorkloadPhase.Training);
        var tight = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0, 1000), ledger(), state, Set.of());
        assertEquals(List.of("a-ckpt"), tight.orElseThrow().workloads());
    }

    @Test
    void checkpointingNeverMeansMoreVictimsNorOnesFarLarger() {
        // team-a is guaranteed nothing (all it runs is borrowed); team-c runs exactly its guarantee (never taken).
        var quotas = List.of(TenantQuota.of("team-a", 0, 4, 1), TenantQuota.of("team-b", 2, 4, 1), TenantQuota.of("team-c", 2, 4, 1));
        start("team-c", "c-base0", 2, 1, 0, 0, false, WorkloadPhase.Training);
        start("team-a", "a-big", 2, 1, 0, 0, false, WorkloadPhase.Training);
        start("team-c", "c-base1", 2, 1, 0, 0, false, WorkloadPhase.Training);
        start("team-a", "a-ck1", 1, 1, 0, 500, false, WorkloadPhase.Training, true);
        start("team-a", "a-ck2", 1, 1, 0, 500, false, WorkloadPhase.Training, true);
        // A 2-GPU job: a-big alone (losing 1.0 x 1000) rather than the two checkpointing jobs (losing nothing).
        var p = planner.plan(new Waiting("team-b", "b-2", 0, gpus(2, 1), PhaseRules.DEFAULT, 0, 1000),
                new TenantLedger(quotas, null, 4, 0, running), state, Set.of());
        assertEquals(List.of("a-big"), p.orElseThrow().workloads(), "one victim beats two, whatever they lose");

        cluster();
        start("team-c", "c-base", 3, 1, 0, 0, false, WorkloadPhase.Training);                // 1.5
        start("team-a", "a-ck-big", 3, 1, 0, 0, false, WorkloadPhase.Training, true);        // 1.5 borrowed, checkpoints
        start("team-a", "a-small", 1, 1, 0, 900, false, WorkloadPhase.Training);             // 0.5 borrowed
        start("team-c", "c-x", 1, 1, 0, 0, false, WorkloadPhase.Training);                   // 0.5: team-c at its 2.0
        // A 1-GPU job: a-ck-big is more than twice a-small's GPU-eq, so the small one goes even though it loses progress.
        var q = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0, 1000),
                new TenantLedger(quotas, null, 4, 0, running), state, Set.of());
        assertEquals(List.of("a-small"), q.orElseThrow().workloads(), "far apart in size, the smaller, as before");
    }

    @Test
    void aTenantAtItsGuaranteeReclaimsNothingAndAWholeGangGoesTogether() {
        start("team-a", "a-gang", 1, 4, 0, 100, false, WorkloadPhase.Training); // 4 GPUs = 2.0: 1.0 borrowed
        start("team-c", "c-1", 2, 1, 0, 200, false, WorkloadPhase.Training);    // 1.0 = its guarantee
        start("team-b", "b-0", 2, 1, 0, 300, false, WorkloadPhase.Training);    // 1.0 of team-b's 2.0
        // team-a's gang is 2.0 but it borrows only 1.0: taking the gang would take team-a below its guarantee.
        var none = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0), ledger(), state, Set.of());
        assertTrue(none.isEmpty(), none.toString());
        // With 1.5 already coming to team-b, even a borrower that could go would take it above its guarantee.
        running.removeIf(c -> c.workload().equals("b-0"));
        var claimed = planner.plan(new Waiting("team-b", "b-1", 0, gpus(2, 1), PhaseRules.DEFAULT, 1.5), ledger(), state, Set.of());
        assertTrue(claimed.isEmpty());
    }

    @Test
    void parkedWorkGoesFirstAndOnlyPhasesThePolicyAllows() {
        start("team-a", "a-guar", 2, 1, 0, 0, false, WorkloadPhase.Training);
        start("team-a", "a-serving", 1, 1, 0, 500, false, WorkloadPhase.Inference); // borrowed but not preemptible
        start("team-a", "a-parked", 1, 1, 5, 100, true, WorkloadPhase.Training);    // parked: first despite priority 5
        start("team-a", "a-train", 1, 1, 0, 400, false, WorkloadPhase.Training);
        start("team-c", "c-1", 3, 1, 0, 0, false, WorkloadPhase.Training); // borrows 0.5, but the 1.5 gang stays whole
        var p = planner.plan(new Waiting("team-b", "b-1", 0, gpus(1, 1), PhaseRules.DEFAULT, 0), ledger(), state, Set.of()).orElseThrow();
        assertEquals(List.of("a-parked"), p.workloads());
        // While it terminates, the next reclaim takes something else and never the Inference replica.
        var next = planner.plan(new Waiting("team-b", "b-2", 0, gpus(1, 1), PhaseRules.DEFAULT, 0.5), ledger(), state, Set.of("a-parked"));
        assertEquals(List.of("a-train"), next.orElseThrow().workloads());
    }

    @Test
    void withinATenantByPriorityOnlyStrictlyLowerAndTheFewestVictims() {
        start("team-b", "b-low-1", 1, 1, 1, 100, false, WorkloadPhase.Training);
        start("team-b", "b-low-2", 1, 1, 1, 200, false, WorkloadPhase.Training);
        start("team-b", "b-low-big", 2, 1, 1, 50, false, WorkloadPhase.Training);
        start("team-b", "b-same", 4, 1, 5, 300, false, WorkloadPhase.Training);
        // team-b uses 4.0 of its 2.0 (the rest is free to borrow); a priority-5 2-GPU job: one victim (b-low-big) beats two.
        var p = planner.plan(new Waiting("team-b", "b-hi", 5, gpus(2, 1), PhaseRules.DEFAULT, 0), ledger(), state, Set.of()).orElseThrow();
        assertEquals(Reason.Priority, p.reason());
        assertEquals(List.of("b-low-big"), p.workloads());
        // The same priority never preempts.
        assertTrue(planner.plan(new Waiting("team-b", "b-eq", 1, gpus(2, 1), PhaseRules.DEFAULT, 0), ledger(), state, Set.of()).isEmpty());
    }

    @Test
    void releasingASlotGivesBackExactlyWhatApplyingItTookAndNeverMore() {
        NodeState n = new NodeState("x", "a100", true, 8_000, 64L << 30, 2, Map.of());
        ReplicaSlot share = new ReplicaSlot("x", List.of(0), 250, null, 1000, 1L << 30, 0);
        n.apply(share);
        n.apply(share);
        n.release(share);
        assertEquals(250, n.deviceUsedMilli(0));
        assertEquals(7_000, n.cpuMilliFree());
        n.release(share);
        n.release(share); // not held any more: nothing appears
        assertEquals(0, n.deviceUsedMilli(0));
        assertEquals(8_000, n.cpuMilliFree());
        assertEquals(64L << 30, n.memoryBytesFree());
    }

    @Test
    void aGangThatNeedsSeveralNodesTakesVictimsInOrderUntilItFitsThenGivesBackWhatItCan() {
        start("team-a", "a-1", 4, 1, 0, 100, false, WorkloadPhase.Training);
        start("team-a", "a-2", 2, 1, 0, 200, false, WorkloadPhase.Training);
        start("team-a", "a-3", 2, 1, 0, 300, false, WorkloadPhase.Training);
        var q = List.of(TenantQuota.of("team-a", 0.5, 4, 1), TenantQuota.of("team-b", 3.5, 4, 1));
        var l = new TenantLedger(q, null, 4, 0, running);
        // A 2x2-GPU gang for team-b (2.0): a-3 then a-2 go (most recent first), a-1 stays.
        var p = planner.plan(new Waiting("team-b", "b-gang", 0, gpus(2, 2), PhaseRules.DEFAULT, 0), l, state, Set.of()).orElseThrow();
        assertEquals(Set.of("a-3", "a-2"), Set.copyOf(p.workloads()));
        assertEquals(2.0, p.gpuEq(), 1e-9);
    }
}
