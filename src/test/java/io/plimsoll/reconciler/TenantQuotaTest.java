package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.QueueStatus;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.TenantQuota;
import io.plimsoll.api.TenantSpec;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.Map;

import static io.plimsoll.reconciler.Fixtures.workload;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tenants end to end on the embedded API: team-a bursts into capacity team-b's guarantee leaves unused; team-b submits;
 * team-a's borrowed, lowest-priority, most recent work is preempted and team-b runs. 16 GPU-equivalents: one H100 node
 * (8 devices) and two T4 nodes (4 each), every device worth 1.0.
 */
class TenantQuotaTest extends OperatorOnEmbeddedApi {
    static final String B = "team-b";

    void namespace(String name, String tenantLabel) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(Map.of("tenant", tenantLabel))
                .endMetadata().build()).createOr(n -> n.update());
    }

    static Tenant tenant(String name, String label, double guaranteed, double limit) {
        Tenant t = new Tenant();
        t.setMetadata(new ObjectMetaBuilder().withName(name).build());
        TenantSpec spec = new TenantSpec();
        spec.setNamespaceSelector(new LabelSelectorBuilder().withMatchLabels(Map.of("tenant", label)).build());
        spec.setGuaranteed(new TenantQuota(guaranteed, null));
        spec.setLimit(new TenantQuota(limit, null));
        t.setSpec(spec);
        return t;
    }

    AIWorkload h100Job(String ns, String name, int gpus, int priority) {
        AIWorkload w = workload(name, WorkloadPhase.Training, 1, AcceleratorType.GPU, gpus, null, null);
        w.getMetadata().setNamespace(ns);
        w.getSpec().getResources().getAccelerator().setModels(List.of("H100"));
        Fixtures.withPriority(client, w, priority);
        return client.resource(w).create();
    }

    AIWorkload get(String ns, String name) {
        return client.resources(AIWorkload.class).inNamespace(ns).withName(name).get();
    }

    WorkloadState state(String ns, String name) {
        AIWorkload w = get(ns, name);
        return w == null || w.getStatus() == null ? null : w.getStatus().getState();
    }

    List<Event> events(String ns) {
        return client.v1().events().inNamespace(ns).list().getItems();
    }

    void tenants() {
        tenants(4, 4);
    }

    /** team-a (namespace Fixtures.NS) and team-b (namespace team-b) with these guarantees, each limited to 8. */
    void tenants(double guaranteedA, double guaranteedB) {
        namespace(Fixtures.NS, "a");
        namespace(B, "b");
        client.resource(tenant("team-a", "a", guaranteedA, 8)).create();
        client.resource(tenant("team-b", "b", guaranteedB, 8)).create();
        await().atMost(WAIT).until(() -> operator.tenancy.tenants().size() == 2 && operator.tenancy.namespaces().size() >= 2);
    }

    @Test
    void aBorrowerIsPreemptedWhenTheLenderClaimsItsGuaranteeAndALimitMakesWorkWait() throws Exception {
        tenants();
        // team-a fills the H100 node: 4 GPU-eq within its guarantee, 4 borrowed (team-b uses none of its own)
        for (int i = 0; i < 8; i++) {
            h100Job(Fixtures.NS, "burst-" + i, 1, 100);
            awaitState("burst-" + i, WorkloadState.Running); // one by one, so "most recent" is well defined
        }
        await().atMost(WAIT).untilAsserted(() -> {
            Tenant a = client.resources(Tenant.class).withName("team-a").get();
            assertNotNull(a.getStatus());
            assertEquals(8.0, a.getStatus().getUsed());
            assertEquals(4.0, a.getStatus().getBorrowed());
        });
        // a ninth job would take team-a above its limit of 8: it waits for quota, with the tenant's figures
        h100Job(Fixtures.NS, "over", 1, 100);
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload w = get(Fixtures.NS, "over");
            assertNotNull(w.getStatus());
            assertNotNull(w.getStatus().getQueue(), () -> "no queue status: " + w.getStatus().getMessage());
            assertEquals(QueueStatus.Reason.Quota, w.getStatus().getQueue().getReason(), w.getStatus().getMessage());
            assertTrue(w.getStatus().getQueue().getMessage().contains("team-a uses 8.0 of its 8.0 GPU-eq limit"),
                    w.getStatus().getQueue().getMessage());
            assertEquals(WorkloadState.Pending, w.getStatus().getState());
        });

        // a namespace no tenant selects is not limited (no default tenant is configured), and placement goes on for it
        namespace("loose", "nobody");
        AIWorkload loose = workload("loose-job", WorkloadPhase.Training, 1, AcceleratorType.GPU, 1, null, null);
        loose.getMetadata().setNamespace("loose");
        loose.getSpec().getResources().getAccelerator().setModels(List.of("T4"));
        client.resource(loose).create();
        await().atMost(WAIT).until(() -> state("loose", "loose-job") == WorkloadState.Running);

        // team-b claims 2 GPU-eq of its guarantee: team-a's two most recent borrowed jobs are preempted, team-b runs
        h100Job(B, "claim", 2, 100);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Running, state(B, "claim"), () -> said(B, "claim")
                + "; events: " + events(B).stream().map(e -> e.getReason() + " " + e.getMessage()).toList()
                + events(Fixtures.NS).stream().map(e -> e.getReason() + " " + e.getMessage()).toList()));
        List<String> preempted = List.of("burst-6", "burst-7");
        await().atMost(WAIT).untilAsserted(() -> { // each victim's condition comes with its own next reconcile
            List<String> now = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                AIWorkload w = get(Fixtures.NS, "burst-" + i);
                Condition c = w.getStatus() == null ? null : Conditions.get(w.getStatus().getConditions(), "Preempted");
                if (c != null && "True".equals(c.getStatus())) now.add(w.getMetadata().getName());
            }
            assertEquals(preempted, now, "the most recent borrowed work goes first");
        });
        for (String name : preempted) {
            assertFalse(state(Fixtures.NS, name) == WorkloadState.Running, name + " waits in line again");
        }
        // both sides are told, and nobody is told another namespace's object names
        await().atMost(WAIT).untilAsserted(() -> {
            List<Event> a = events(Fixtures.NS).stream().filter(e -> "Preempted".equals(e.getReason())).toList();
            assertEquals(2, a.size(), () -> "events: " + events(Fixtures.NS).stream().map(e -> e.getReason() + " " + e.getMessage()).toList());
            for (Event e : a) assertFalse(e.getMessage().contains("claim") || e.getMessage().contains(B), e.getMessage());
            List<Event> b = events(B).stream().filter(e -> "Preempting".equals(e.getReason())).toList();
            assertEquals(1, b.size());
            assertTrue(b.get(0).getMessage().contains("2 in other namespaces"), b.get(0).getMessage());
            assertFalse(b.get(0).getMessage().contains("burst"), b.get(0).getMessage());
        });
        assertEquals(2.0, operator.registry.get("plimsoll.tenant.preemptions").tags("tenant", "team-a", "reason", "Reclaim")
                .counter().count());
        // team-a is back within reach of its guarantee: its used 6 (2 borrowed), team-b uses 2 of its 4
        await().atMost(WAIT).untilAsserted(() -> {
            Tenant b = client.resources(Tenant.class).withName("team-b").get();
            assertEquals(2.0, b.getStatus().getUsed());
            assertEquals(0.0, b.getStatus().getBorrowed());
            Tenant a = client.resources(Tenant.class).withName("team-a").get();
            assertEquals(6.0, a.getStatus().getUsed());
            assertEquals(6.0, operator.registry.get("plimsoll.tenant.used").tags("tenant", "team-a").gauge().value());
            assertEquals(4.0, operator.registry.get("plimsoll.tenant.guaranteed").tags("tenant", "team-a").gauge().value());
        });
        // team-a's higher-priority work preempts team-a's own lower-priority work, never team-b's, which is within its guarantee
        h100Job(Fixtures.NS, "vip", 1, 1000);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Running, state(Fixtures.NS, "vip"),
                () -> said(Fixtures.NS, "vip")));
        assertEquals(WorkloadState.Running, state(B, "claim"));
        assertNull(Conditions.get(get(B, "claim").getStatus().getConditions(), "Preempted"));
        assertEquals(1.0, operator.registry.get("plimsoll.tenant.preemptions").tags("tenant", "team-a", "reason", "Priority")
                .counter().count(), () -> events(Fixtures.NS).stream().map(e -> e.getInvolvedObject().getName() + " " + e.getReason()
                + " " + e.getMessage()).toList().toString());
        // team-b's job ends: the first of team-a's waiting jobs in line (burst-5, preempted by vip) runs again, and says so;
        // team-a is then at its limit of 8, so the others keep waiting
        client.resources(AIWorkload.class).inNamespace(B).withName("claim").delete();
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload w = get(Fixtures.NS, "burst-5");
            assertEquals(WorkloadState.Running, w.getStatus().getState(), w.getStatus().getMessage());
            Condition c = Conditions.get(w.getStatus().getConditions(), "Preempted");
            assertEquals("False", c.getStatus());
            assertEquals("PlacedAgain", c.getReason());
        });
    }

    @Test
    void reclaimTakesTheBorrowedJobThatCheckpointsOnSigtermBeforeAnEqualOneThatWouldLoseItsProgress() {
        tenants();
        h100Job(Fixtures.NS, "base", 4, 100);                     // team-a's guarantee
        awaitState("base", WorkloadState.Running);
        AIWorkload ckpt = workload("ckpt", WorkloadPhase.Training, 1, AcceleratorType.GPU, 2, null, null);
        ckpt.getSpec().getResources().getAccelerator().setModels(List.of("H100"));
        io.plimsoll.api.TrainingSpec training = new io.plimsoll.api.TrainingSpec();
        training.setCheckpointsOnTermination(true);
        ckpt.getSpec().setTraining(training);
        client.resource(Fixtures.withPriority(client, ckpt, 100)).create(); // borrowed, the older of the two
        awaitState("ckpt", WorkloadState.Running);
        h100Job(Fixtures.NS, "plain", 2, 100);                    // borrowed, the same shape, the most recent
        awaitState("plain", WorkloadState.Running);

        // team-b claims 2 GPU-eq of its guarantee: either borrowed job alone makes room; plain is first in line (most
        // recent) and has run less, but ckpt loses nothing, so ckpt goes.
        h100Job(B, "claim", 2, 100);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Running, state(B, "claim"),
                () -> said(B, "claim")));
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload w = get(Fixtures.NS, "ckpt");
            Condition c = w.getStatus() == null ? null : Conditions.get(w.getStatus().getConditions(), "Preempted");
            assertNotNull(c, "ckpt is preempted");
            assertEquals("True", c.getStatus());
            assertTrue(c.getMessage().contains("given their termination grace period to checkpoint (spec.training.checkpointsOnTermination)"),
                    c.getMessage());
            assertTrue(c.getMessage().contains("resume from its checkpoint"), c.getMessage());
        });
        assertNull(Conditions.get(get(Fixtures.NS, "plain").getStatus().getConditions(), "Preempted"));
        assertEquals(WorkloadState.Running, state(Fixtures.NS, "plain"));
        await().atMost(WAIT).untilAsserted(() -> assertTrue(events(Fixtures.NS).stream().anyMatch(e -> "Preempted".equals(e.getReason())
                && e.getInvolvedObject().getName().equals("ckpt") && e.getMessage().contains("to checkpoint"))));
        assertEquals(1.0, operator.registry.get("plimsoll.tenant.preemptions").tags("tenant", "team-a", "reason", "Reclaim")
                .counter().count());
        assertEquals(0.0, operator.registry.get("plimsoll.tenant.preempted.gpu.hours").tags("tenant", "team-a").counter().count(),
                "it resumes from its checkpoint: no GPU-hours lost");
    }

    @Test
    void aRawSpecPriorityIsIgnoredAndAnUnknownPriorityClassWaitsWithTheFix() {
        AIWorkload raw = workload("raw", WorkloadPhase.Training, 1, AcceleratorType.GPU, 1, null, null);
        raw.getSpec().setPriority(2_000_000);
        client.resource(raw).create();
        AIWorkload w = awaitState("raw", WorkloadState.Running);
        assertEquals(0, w.getStatus().getPriority(), "a raw spec.priority is not trusted");
        await().atMost(WAIT).untilAsserted(() -> assertTrue(events(Fixtures.NS).stream()
                .anyMatch(e -> "PriorityIgnored".equals(e.getReason()) && e.getInvolvedObject().getName().equals("raw"))));

        AIWorkload unknown = workload("unknown", WorkloadPhase.Training, 1, AcceleratorType.GPU, 1, null, null);
        unknown.getSpec().setPriorityClassName("gold");
        client.resource(unknown).create();
        AIWorkload u = awaitState("unknown", WorkloadState.Pending);
        assertTrue(u.getStatus().getMessage().contains("spec.priorityClassName 'gold' is not a PriorityClass"), u.getStatus().getMessage());
        // the admin creates it: the workload runs at its value
        client.resource(new io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder().withNewMetadata().withName("gold")
                .endMetadata().withValue(5000).build()).create();
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload x = get(Fixtures.NS, "unknown");
            assertEquals(WorkloadState.Running, x.getStatus().getState(), x.getStatus().getMessage());
            assertEquals(5000, x.getStatus().getPriority());
        });
    }

    /** Holds the pod in Terminating, as a kubelet does during the grace period, until {@link #terminated} lets it go. */
    static final String KUBELET_FINALIZER = "test.plimsoll.io/grace-period";

    void terminated(io.fabric8.kubernetes.api.model.Pod p) {
        client.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName())
                .edit(x -> { x.getMetadata().setFinalizers(List.of()); return x; });
    }

    @Test
    void aRestartedOperatorKeepsTheRoomItPreemptedForAndTellsTheVictimWhatThePodSays() {
        tenants();
        for (int i = 0; i < 8; i++) {
            h100Job(Fixtures.NS, "burst-" + i, 1, 100);
            awaitState("burst-" + i, WorkloadState.Running);
        }
        // The victims' pods stop within their grace period: they stay Terminating (holding their devices) meanwhile.
        for (var p : client.pods().inNamespace(Fixtures.NS).list().getItems()) {
            client.pods().inNamespace(Fixtures.NS).withName(p.getMetadata().getName())
                    .edit(x -> { x.getMetadata().setFinalizers(List.of(KUBELET_FINALIZER)); return x; });
        }
        h100Job(B, "claim", 2, 100);
        await().atMost(WAIT).untilAsserted(() -> {
            QueueStatus q = get(B, "claim").getStatus() == null ? null : get(B, "claim").getStatus().getQueue();
            assertNotNull(q);
            assertEquals(QueueStatus.Reason.Preempting, q.getReason(), q.getMessage());
            assertEquals(List.of("h100-0"), q.getHeldNodes());
            assertNotNull(q.getHeldUntil());
        });
        List<io.fabric8.kubernetes.api.model.Pod> victims = new java.util.ArrayList<>();
        await().atMost(WAIT).untilAsserted(() -> {
            victims.clear();
            for (var p : client.pods().inNamespace(Fixtures.NS).list().getItems()) {
                if (p.getMetadata().getDeletionTimestamp() != null) victims.add(p);
            }
            assertEquals(2, victims.size());
        });
        for (var p : victims) { // kubectl describe pod shows why it goes, as for kube-scheduler's preemption
            var c = io.plimsoll.actuator.PodBinder.preemptedBy(p);
            assertNotNull(c, p.getMetadata().getName() + " has no DisruptionTarget condition");
            assertFalse(c.getMessage().contains(B) || c.getMessage().contains("claim"), c.getMessage());
        }

        // The operator stops before burst-7's status said it was preempted (its condition is taken off to stand for that).
        await().atMost(WAIT).until(() -> Conditions.get(get(Fixtures.NS, "burst-7").getStatus().getConditions(), "Preempted") != null);
        operator.close();
        operator = null;
        client.resources(AIWorkload.class).inNamespace(Fixtures.NS).withName("burst-7").editStatus(w -> {
            w.getStatus().getConditions().removeIf(c -> "Preempted".equals(c.getType()));
            return w;
        });
        operator = new TestOperator(client, null, null, clock);

        // Work that came meanwhile, of a higher priority and in no tenant, fits only on the held node: it waits.
        namespace("loose", "nobody");
        AIWorkload loose = workload("loose-job", WorkloadPhase.Training, 1, AcceleratorType.GPU, 1, null, null);
        loose.getMetadata().setNamespace("loose");
        loose.getSpec().getResources().getAccelerator().setModels(List.of("H100"));
        Fixtures.withPriority(client, loose, 1000);
        client.resource(loose).create();
        await().atMost(WAIT).until(() -> state("loose", "loose-job") == WorkloadState.Pending);
        victims.forEach(this::terminated);

        await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Running, state(B, "claim"),
                () -> said(B, "claim")));
        assertEquals(WorkloadState.Pending, state("loose", "loose-job"), "the held room went to the workload it was freed for");
        for (int i = 0; i < 6; i++) assertEquals(WorkloadState.Running, state(Fixtures.NS, "burst-" + i), "no second round of preemption");
        assertNull(get(B, "claim").getStatus().getQueue());
        await().atMost(WAIT).untilAsserted(() -> {
            Condition c = Conditions.get(get(Fixtures.NS, "burst-7").getStatus().getConditions(), "Preempted");
            assertNotNull(c, "the restarted operator read the victim's pod");
            assertEquals("True", c.getStatus());
            assertTrue(c.getMessage().startsWith("preempted: its tenant borrowed capacity"), c.getMessage());
        });
    }

    /**
     * After a restart, the victims still stopping (their pods being deleted) are neither chosen again nor counted as
     * borrowing: a second reclaim takes other work. And two workloads holding the same node for their own victims do not
     * keep each other out of it.
     */
    @Test
    void aRestartedOperatorDoesNotChooseVictimsThatAreStillStoppingAndTwoHoldsOnANodeShareIt() {
        tenants();
        // Priorities make the victims' order plain whatever start times a restart reads back: burst-6 and burst-7 go
        // first, then burst-4 and burst-5.
        fillTheH100NodeWithStoppableJobs();
        Map<String, io.plimsoll.api.AIWorkloadStatus> before = Map.of("burst-6", get(Fixtures.NS, "burst-6").getStatus(),
                "burst-7", get(Fixtures.NS, "burst-7").getStatus());
        h100Job(B, "claim", 2, 100);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(Set.of("burst-6", "burst-7"), beingDeleted()));
        operator.close();
        // The operator stopped before the victims' statuses said so: they still list their pods, being deleted.
        before.forEach((name, status) -> client.resources(AIWorkload.class).inNamespace(Fixtures.NS).withName(name)
                .editStatus(w -> { w.setStatus(status); return w; }));
        operator = new TestOperator(client, null, null, clock);

        // team-b claims 2 more of its guarantee: team-a still borrows 2 that are not leaving (burst-4 and burst-5).
        h100Job(B, "claim-2", 2, 100);
        await().atMost(WAIT).untilAsserted(() -> {
            QueueStatus q = get(B, "claim-2").getStatus() == null ? null : get(B, "claim-2").getStatus().getQueue();
            assertNotNull(q);
            assertEquals(QueueStatus.Reason.Preempting, q.getReason(), q.getMessage());
        });
        await().atMost(WAIT).untilAsserted(() -> assertEquals(Set.of("burst-4", "burst-5", "burst-6", "burst-7"), beingDeleted()));
        terminateTheStopping();
        // Both hold h100-0 for their own victims; each is placed there.
        for (String w : List.of("claim", "claim-2")) {
            await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Running, state(B, w),
                    () -> w + ": " + said(B, w)));
        }
        for (int i = 0; i < 4; i++) assertEquals(WorkloadState.Running, state(Fixtures.NS, "burst-" + i), "within team-a's guarantee");
    }

    /**
     * The room one hold's victims freed is that workload's, also for another workload's preemption plan: a plan that
     * counted on it took fewer victims, its own hold on the node let it take that room, and the first workload found
     * none and had to preempt again. Here the H100 node is tainted while claim's victims stop, so claim cannot be placed; urgent tolerates the taint and
     * plans after the victims are gone.
     */
    @Test
    void aPlanDoesNotCountOnRoomThatAnotherWorkloadsVictimsFreed() {
        tenants(2, 6);
        fillTheH100NodeWithStoppableJobs();
        h100Job(B, "claim", 2, 100);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(Set.of("burst-6", "burst-7"), beingDeleted()));
        // claim cannot be placed while the node carries a taint it does not tolerate; its victims go meanwhile.
        setTaints("h100-0", new io.fabric8.kubernetes.api.model.TaintBuilder().withKey("maint").withEffect("NoSchedule").build());
        terminateTheStopping();
        await().atMost(WAIT).until(() -> operator.snapshot.records().stream().noneMatch(r -> r.workloadKey().endsWith("/burst-6")
                || r.workloadKey().endsWith("/burst-7")));
        assertEquals(WorkloadState.Pending, state(B, "claim"));

        AIWorkload urgent = workload("urgent", WorkloadPhase.Training, 1, AcceleratorType.GPU, 3, null, null);
        urgent.getMetadata().setNamespace(B);
        urgent.getSpec().getResources().getAccelerator().setModels(List.of("H100"));
        urgent.getSpec().getTemplate().getSpec().setTolerations(List.of(new io.fabric8.kubernetes.api.model.TolerationBuilder()
                .withKey("maint").withOperator("Exists").build()));
        client.resource(Fixtures.withPriority(client, urgent, 100)).create();
        // The 2 GPUs burst-6 and burst-7 left are claim's: urgent needs 3 victims of its own, not 1.
        await().atMost(WAIT).untilAsserted(() -> assertEquals(Set.of("burst-3", "burst-4", "burst-5"), beingDeleted()));
        terminateTheStopping();
        await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Running, state(B, "urgent"),
                () -> "urgent: " + said(B, "urgent")));
        setTaints("h100-0");
        await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Running, state(B, "claim"),
                () -> "claim: " + said(B, "claim")));
        assertEquals(Set.of(), beingDeleted(), "nothing more was preempted");
        for (int i = 0; i < 3; i++) assertEquals(WorkloadState.Running, state(Fixtures.NS, "burst-" + i), "within team-a's guarantee");
    }

    @Test
    void aPlanDoesNotCountOnFreeRoomThatAnotherPlanCountedOnWhileItsVictimsStop() {
        tenants(2, 6);
        fillTheH100NodeWithStoppableJobs(7); // one GPU left free
        h100Job(B, "claim", 2, 100);
        // claim takes the free GPU and one victim, which stops within its grace period (held Terminating here).
        await().atMost(WAIT).untilAsserted(() -> assertEquals(Set.of("burst-6"), beingDeleted()));
        assertEquals(WorkloadState.Pending, state(B, "claim"));

        h100Job(B, "urgent", 3, 100);
        // The free GPU is claim's: urgent needs 3 victims of its own, not 2.
        await().atMost(WAIT).untilAsserted(() -> assertEquals(Set.of("burst-3", "burst-4", "burst-5", "burst-6"), beingDeleted()));
        terminateTheStopping();
        for (String w : List.of("claim", "urgent")) {
            await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Running, state(B, w),
                    () -> w + ": " + said(B, w)));
        }
        assertEquals(Set.of(), beingDeleted(), "nothing more was preempted");
        for (int i = 0; i < 3; i++) assertEquals(WorkloadState.Running, state(Fixtures.NS, "burst-" + i), "within team-a's guarantee");
    }

    /** What the workload's status says, for a failed assertion's message: it may have none yet. */
    String said(String ns, String name) {
        AIWorkload w = get(ns, name);
        return w == null ? "gone" : w.getStatus() == null ? "no status yet" : w.getStatus().getMessage();
    }

    /** Sets the node's taints and waits until the operator's model shows them. */
    void setTaints(String node, io.fabric8.kubernetes.api.model.Taint... taints) {
        client.nodes().withName(node).edit(n -> {
            n.getSpec().setTaints(List.of(taints));
            return n;
        });
        await().atMost(WAIT).until(() -> {
            var n = operator.snapshot.state().node(node);
            return n != null && n.traits().taints().size() == taints.length;
        });
    }

    /**
     * team-a runs eight 1-GPU jobs on the H100 node, priorities 100 (burst-0..3), 50 (burst-4, 5) and 40 (burst-6, 7),
     * their pods held in Terminating when deleted until {@link #terminateTheStopping}.
     */
    void fillTheH100NodeWithStoppableJobs() {
        fillTheH100NodeWithStoppableJobs(8);
    }

    /** The first {@code count} of those jobs. */
    void fillTheH100NodeWithStoppableJobs(int count) {
        for (int i = 0; i < count; i++) {
            h100Job(Fixtures.NS, "burst-" + i, 1, i < 4 ? 100 : i < 6 ? 50 : 40);
            awaitState("burst-" + i, WorkloadState.Running);
        }
        for (var p : client.pods().inNamespace(Fixtures.NS).list().getItems()) {
            client.pods().inNamespace(Fixtures.NS).withName(p.getMetadata().getName())
                    .edit(x -> { x.getMetadata().setFinalizers(List.of(KUBELET_FINALIZER)); return x; });
        }
    }

    /** team-a's pods being deleted finish terminating. */
    void terminateTheStopping() {
        for (var p : client.pods().inNamespace(Fixtures.NS).list().getItems()) {
            if (p.getMetadata().getDeletionTimestamp() != null) terminated(p);
        }
    }

    /** The workloads of team-a whose pods are being deleted. */
    Set<String> beingDeleted() {
        Set<String> out = new java.util.TreeSet<>();
        for (var p : client.pods().inNamespace(Fixtures.NS).list().getItems()) {
            if (p.getMetadata().getDeletionTimestamp() != null) out.add(p.getMetadata().getLabels().get("plimsoll.io/workload"));
        }
        return out;
    }
}
