package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.PoolScaling;
import io.plimsoll.api.ScaleTargetRef;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.plimsoll.reconciler.Fixtures.NS;
import java.time.Duration;

import static io.plimsoll.reconciler.Fixtures.workload;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Idle nodes leave their pool (never below minNodes), pending work grows it, dry run only reports. */
class PoolScalingTest extends OperatorOnEmbeddedApi {

    /** Sets spec.scaling, retrying when the operator's status write got in between (409), as kubectl edit would. */
    void scaling(String pool, PoolScaling s) {
        await().atMost(WAIT).ignoreException(io.fabric8.kubernetes.client.KubernetesClientException.class).until(() -> {
            client.resources(AcceleratorPool.class).withName(pool).edit(p -> { p.getSpec().setScaling(s); return p; });
            return true;
        });
    }

    static PoolScaling cordonOnly(int minNodes, boolean dryRun) {
        PoolScaling s = new PoolScaling();
        s.setScaleDownAfter("1s");
        s.setMinNodes(minNodes);
        s.setDryRun(dryRun);
        return s;
    }

    /** Cordons or uncordons a node and waits until the operator's snapshot sees it (its informer may lag). */
    void cordon(String node, boolean on) {
        client.nodes().withName(node).edit(n -> { n.getSpec().setUnschedulable(on); return n; });
        await().atMost(WAIT).until(() -> {
            var n = operator.snapshot.state().node(node);
            return n != null && n.schedulable() == !on;
        });
    }

    boolean cordoned(String node) {
        Node n = client.nodes().withName(node).get();
        return n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable());
    }

    AcceleratorPool pool(String name) {
        return client.resources(AcceleratorPool.class).withName(name).get();
    }

    @Test
    void anIdleNodeIsCordonedButNeverBelowMinNodesAndABusyOneStays() throws Exception {
        client.resource(workload("serve", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null)).create();
        awaitState("serve", WorkloadState.Running);
        String busy = Fixtures.pods(client, "serve").get(0).getSpec().getNodeName();
        String idle = busy.equals("t4-0") ? "t4-1" : "t4-0";
        scaling("t4", cordonOnly(0, false));
        await().atMost(WAIT).until(() -> cordoned(idle));
        assertFalse(cordoned(busy), "the node with a workload stays");
        // The cordon and the annotation are two writes: the annotation may follow the cordon by a moment.
        await().atMost(WAIT).untilAsserted(() -> assertNotNull(client.nodes().withName(idle).get().getMetadata().getAnnotations()
                .get(PoolScaler.SCALED_DOWN_AT)));
        await().atMost(WAIT).untilAsserted(() -> assertTrue(client.v1().events().inAnyNamespace().list().getItems().stream()
                .anyMatch(e -> "ScaledDown".equals(e.getReason()) && e.getMessage().contains(idle)), "ScaledDown event"));

        // The H100 pool's only node is idle, but minNodes 1 keeps it.
        scaling("h100", cordonOnly(1, false));
        await().atMost(WAIT).untilAsserted(() -> assertTrue(pool("h100").getStatus().getIdleNodes().stream().anyMatch(n -> n.startsWith("h100-0"))));
        // Past its scaleDownAfter, the evaluation says why the node stays.
        await().atMost(WAIT).until(() -> scalingNote("h100").startsWith("idle node(s) kept: the pool is at minNodes 1"));
        assertFalse(cordoned("h100-0"), "minNodes respected");
    }

    String scalingNote(String pool) {
        var c = pool(pool).getStatus() == null ? null : Conditions.get(pool(pool).getStatus().getConditions(), "ScalingReady");
        return c == null || c.getMessage() == null ? "" : c.getMessage();
    }

    @Test
    void anIdleNodeLeavesWhenScaleDownAfterHasPassedOnTheOperatorsClock() {
        PoolScaling s = cordonOnly(0, false);
        s.setScaleDownAfter("10m");
        scaling("t4", s);
        await().atMost(WAIT).until(() -> client.nodes().withName("t4-0").get().getMetadata().getAnnotations() != null
                && client.nodes().withName("t4-0").get().getMetadata().getAnnotations().containsKey(PoolScaler.IDLE_SINCE));
        await().atMost(WAIT).until(() -> scalingNote("t4").equals("nothing to scale"));
        assertFalse(cordoned("t4-0") || cordoned("t4-1"), "idle for less than 10 minutes: both stay");

        clock.advance(Duration.ofMinutes(11));
        // Anything the pool's scaler watches makes it look again; a relabelled node will do.
        client.nodes().withName("t4-1").edit(n -> { n.getMetadata().getLabels().put("touched", "1"); return n; });
        await().atMost(WAIT).until(() -> cordoned("t4-0") || cordoned("t4-1"));
        await().atMost(WAIT).untilAsserted(() -> assertNotNull(client.nodes().withName(cordoned("t4-0") ? "t4-0" : "t4-1").get()
                .getMetadata().getAnnotations().get(PoolScaler.SCALED_DOWN_AT)));
    }

    @Test
    void dryRunReportsTheSavingAndChangesNothing() throws Exception {
        scaling("t4", cordonOnly(1, true));
        await().atMost(WAIT).untilAsserted(() -> {
            var actions = pool("t4").getStatus().getScaleActions();
            assertEquals(1, actions.size());
            assertEquals(Boolean.TRUE, actions.get(0).getDryRun());
            assertEquals("ScaleDown", actions.get(0).getAction());
            assertEquals(2.0, actions.get(0).getDollarsPerHour(), 1e-9);
        });
        assertFalse(cordoned("t4-0") || cordoned("t4-1"), "dry run cordons nothing");
        assertTrue(client.v1().events().inAnyNamespace().list().getItems().stream().anyMatch(e -> "WouldScaleDown".equals(e.getReason())));
    }

    @Test
    void scaleTargetShrinksAndGrowsThroughItsScaleSubresource() {
        capi();
        client.nodes().withName("h100-0").edit(n -> {
            n.getMetadata().setAnnotations(Map.of("cluster.x-k8s.io/machine", "h100-md-abc", "cluster.x-k8s.io/cluster-namespace", "capi"));
            return n;
        });
        Fixtures.gpuNode(client, "h100-1", "h100", 8);
        PoolScaling s = scaleTarget("1s", 3);
        scaling("h100", s);
        await().atMost(WAIT).until(() -> replicas() == 1);
        assertTrue(cordoned("h100-0"), "the idle node named first is removed");
        assertEquals("yes", client.genericKubernetesResources("cluster.x-k8s.io/v1beta1", "Machine").inNamespace("capi")
                .withName("h100-md-abc").get().getMetadata().getAnnotations().get("cluster.x-k8s.io/delete-machine"));

        // Pending work that fits a new node grows the pool again.
        client.resource(workload("big", WorkloadPhase.Training, 2, AcceleratorType.GPU, 8, null, 40.0)).create();
        await().atMost(WAIT).untilAsserted(() -> assertEquals(2, replicas(), () -> "pool status: "
                + io.fabric8.kubernetes.client.utils.Serialization.asJson(pool("h100").getStatus())));
        // The pool may grow before the workload's first status is written (the scaler counts work with no status yet).
        await().atMost(WAIT).untilAsserted(() -> assertEquals(WorkloadState.Pending, Fixtures.get(client, "big").getStatus() == null ? null
                : Fixtures.get(client, "big").getStatus().getState(), "until the new node joins"));
        assertEquals(1.0, operator.registry.get("plimsoll.scale.ups").tags("pool", "h100", "reason", "pending").counter().count());
    }

    AIWorkload onPoolOne(String name, java.time.Instant lastActivity) {
        AIWorkload w = workload(name, WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        w.getSpec().setPolicy("only-one");
        w.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", lastActivity.toString()));
        return client.resource(w).create();
    }

    /** Cluster API, a Fractional pool "one" of one single-L4 node, and a policy "only-one" that sends Inference there. */
    void poolOfOneDevice() {
        capi();
        client.resource(Fixtures.gpuPool("one", "L4", 24, 1, io.plimsoll.engine.SharingMode.Fractional, 1.0)).create();
        Fixtures.gpuNode(client, "one-0", "one", 1);
        io.plimsoll.api.PlacementPolicy only = new io.plimsoll.api.PlacementPolicy();
        only.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("only-one").build());
        only.setSpec(new io.plimsoll.api.PlacementPolicySpec());
        io.plimsoll.api.PhaseRule rule = new io.plimsoll.api.PhaseRule();
        rule.setPools(List.of("one"));
        only.getSpec().setInference(rule);
        client.resource(only).create();
    }

    @Test
    void parkedReplicasMakeRoomForWorkThenThePoolGrowsAndAnIdleReplicaWithNoRoomGoesToZero() {
        poolOfOneDevice();
        // idle a minute: its replica is placed parked, a quarter of the pool's only device
        onPoolOne("idle-a", java.time.Instant.now().minusSeconds(60));
        awaitState("idle-a", WorkloadState.Parked);
        // active work that needs the whole device: the parked replica makes room and its workload goes to zero
        onPoolOne("busy-b", java.time.Instant.now());
        awaitState("busy-b", WorkloadState.Running);
        AIWorkload a = awaitState("idle-a", WorkloadState.Idle);
        assertTrue(a.getStatus().getMessage().contains("idle"), a.getStatus().getMessage());
        assertTrue(Fixtures.pods(client, "idle-a").stream().allMatch(p -> p.getMetadata().getDeletionTimestamp() != null));
        assertTrue(client.v1().events().inNamespace(Fixtures.NS).list().getItems().stream()
                .anyMatch(e -> "MadeRoom".equals(e.getReason()) && e.getMessage().contains("idle-a")));
        // Plimsoll's pool rule: parked replicas had to make room, so the pool asks for one more node (its scaling is
        // set only now, so no pending workload can be the reason)
        scaling("one", scaleTarget("1h", 2));
        await().atMost(WAIT).untilAsserted(() -> assertEquals(3, replicas()));
        assertEquals(1.0, operator.registry.get("plimsoll.scale.ups").tags("pool", "one", "reason", "parked-evicted").counter().count());
        List<String> waited = client.v1().events().inNamespace(Fixtures.NS).list().getItems().stream()
                .filter(e -> "Unschedulable".equals(e.getReason()) && e.getInvolvedObject().getName().equals("busy-b"))
                .map(e -> e.getMessage()).toList();
        assertTrue(waited.isEmpty(), "busy-b never waited as Pending for the new node: " + waited + "; events: "
                + client.v1().events().inNamespace(Fixtures.NS).list().getItems().stream().map(e -> e.getInvolvedObject().getName()
                        + " " + e.getReason() + ": " + e.getMessage()).toList());

        // an idle workload with no share left anywhere to park in goes to zero instead of waiting for a device
        onPoolOne("idle-c", java.time.Instant.now().minusSeconds(60));
        awaitState("idle-c", WorkloadState.Idle);
        assertTrue(Fixtures.pods(client, "idle-c").isEmpty());
    }

    @Test
    void anEvictionOfAReplicaParkedLongAgoDoesNotGrowThePool() {
        poolOfOneDevice();
        onPoolOne("idle-a", java.time.Instant.now().minusSeconds(60));
        awaitState("idle-a", WorkloadState.Parked);
        // Parked 9 minutes by the operator's clock, past the default growIfParkedWithin (8m), short of its horizon (15m).
        clock.advance(Duration.ofMinutes(9));
        onPoolOne("busy-b", clock.instant());
        awaitState("busy-b", WorkloadState.Running);
        awaitState("idle-a", WorkloadState.Idle);
        // The same as the test above, but the evicted model was not in use lately: the pool does not grow for it.
        scaling("one", scaleTarget("1h", 2));
        await().atMost(WAIT).until(() -> scalingNote("one").equals("no pending workload would fit a new node"));
        assertEquals(2, replicas());
        assertEquals(0.0, operator.registry.find("plimsoll.scale.ups").tags("pool", "one", "reason", "parked-evicted").counters()
                .stream().mapToDouble(c -> c.count()).sum(), "no growth for the old eviction");
    }

    @Test
    void thePoolsLastNodeStaysForLastNodeAfterWhileOthersLeaveAfterScaleDownAfter() {
        // The defaults: scaleDownAfter 2m, lastNodeAfter 17m. Both T4 nodes hold nothing.
        PoolScaling s = new PoolScaling();
        s.setMinNodes(0);
        scaling("t4", s);
        await().atMost(WAIT).until(() -> idleSince("t4-0") != null && idleSince("t4-1") != null);
        assertFalse(cordoned("t4-0") || cordoned("t4-1"), "idle for less than 2 minutes: both stay");

        clock.advance(Duration.ofMinutes(3));
        touch("t4-1");
        await().atMost(WAIT).until(() -> cordoned("t4-0") || cordoned("t4-1"));
        String first = cordoned("t4-0") ? "t4-0" : "t4-1", last = first.equals("t4-0") ? "t4-1" : "t4-0";
        await().atMost(WAIT).untilAsserted(() -> assertNotNull(annotation(first, PoolScaler.SCALED_DOWN_AT)));
        // The other is now the pool's last node: 3 minutes idle is not enough for it.
        clock.advance(Duration.ofMinutes(10));
        touch(last);
        await().atMost(WAIT).until(() -> pool("t4").getStatus() != null && pool("t4").getStatus().getIdleNodes().stream()
                .anyMatch(n -> n.startsWith(last)) && scalingNote("t4").equals("nothing to scale"));
        assertFalse(cordoned(last), "13 minutes idle: the last node stays (lastNodeAfter 17m)");

        clock.advance(Duration.ofMinutes(5));
        touch(last);
        await().atMost(WAIT).until(() -> cordoned(last));
        await().atMost(WAIT).untilAsserted(() -> assertTrue(client.v1().events().inAnyNamespace().list().getItems().stream()
                .anyMatch(e -> "ScaledDown".equals(e.getReason()) && e.getMessage().contains(last)
                        && e.getMessage().contains("lastNodeAfter 17m, the pool's last node")), "ScaledDown event"));
    }

    String idleSince(String node) {
        return annotation(node, PoolScaler.IDLE_SINCE);
    }

    String annotation(String node, String key) {
        var ann = client.nodes().withName(node).get().getMetadata().getAnnotations();
        return ann == null ? null : ann.get(key);
    }

    /** Anything the pool's scaler watches makes it look again; a relabelled node will do. */
    void touch(String node) {
        client.nodes().withName(node).edit(n -> { n.getMetadata().getLabels().put("touched", String.valueOf(System.nanoTime())); return n; });
    }

    /** Two inference workloads on the two T4 nodes, one each: a (0.5 GPU) on X, b (0.25 GPU) on Y. Returns {X, Y}. */
    String[] spreadOverTwoNodes() {
        client.resource(workload("a", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null)).create();
        awaitState("a", WorkloadState.Running);
        String x = Fixtures.pods(client, "a").get(0).getSpec().getNodeName();
        cordon(x, true);
        client.resource(workload("b", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.25, null)).create();
        awaitState("b", WorkloadState.Running);
        String y = Fixtures.pods(client, "b").get(0).getSpec().getNodeName();
        cordon(x, false);
        assertFalse(x.equals(y));
        return new String[]{x, y};
    }

    static PoolScaling consolidating() {
        PoolScaling s = cordonOnly(1, false);
        s.setScaleDownAfter("1s");
        s.setConsolidate(true);
        return s;
    }

    @Test
    void consolidationMovesWorkOffALightlyUsedNodeWhichThenLeaves() {
        String[] xy = spreadOverTwoNodes();
        scaling("t4", consolidating());
        await().atMost(WAIT).untilAsserted(() -> {
            var pb = Fixtures.pods(client, "b");
            assertEquals(1, pb.size());
            assertEquals(xy[0], pb.get(0).getSpec().getNodeName(), () -> "b moved next to a; pool: "
                    + io.fabric8.kubernetes.client.utils.Serialization.asJson(pool("t4").getStatus()));
        });
        awaitState("b", WorkloadState.Running);
        assertTrue(cordoned(xy[1]), "the emptied node is cordoned");
        assertEquals(xy[0], Fixtures.pods(client, "a").get(0).getSpec().getNodeName(), "the busier node's work stays");
        await().atMost(WAIT).untilAsserted(() -> assertTrue(client.v1().events().inAnyNamespace().list().getItems().stream()
                .anyMatch(e -> "Consolidated".equals(e.getReason()) && e.getMessage().contains(xy[1]))));
        assertNotNull(pool("t4").getStatus().getLastConsolidationAt());
        assertEquals(1.0, operator.registry.get("plimsoll.scale.downs").tags("kind", "consolidation", "target", "t4").counter().count());
    }

    @Test
    void consolidationPacksParkedReplicasOntoOneDeviceAndEmptiesANode() {
        // two idle whole-GPU Inference workloads, parked on different T4 nodes (each a quarter of a device)
        AIWorkload p1 = workload("parked-1", WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        p1.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", java.time.Instant.now().minusSeconds(60).toString()));
        client.resource(p1).create();
        awaitState("parked-1", WorkloadState.Parked);
        String x = Fixtures.pods(client, "parked-1").get(0).getSpec().getNodeName();
        cordon(x, true);
        AIWorkload p2 = workload("parked-2", WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        p2.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", java.time.Instant.now().minusSeconds(60).toString()));
        client.resource(p2).create();
        awaitState("parked-2", WorkloadState.Parked);
        String y = Fixtures.pods(client, "parked-2").get(0).getSpec().getNodeName();
        cordon(x, false);
        assertFalse(x.equals(y));
        // a job takes the other three devices of one of the two nodes: no whole device is left there
        client.resource(workload("filler", WorkloadPhase.Optimization, 1, AcceleratorType.GPU, 3, null, null)).create();
        awaitState("filler", WorkloadState.Running);
        // consolidation moves the parked replica of the other node: it needs only its share (no whole device is
        // free beside the job); it comes back parked, packed onto the parked device there, and its node leaves
        scaling("t4", consolidating());
        await().atMost(WAIT).untilAsserted(() -> {
            var a = Fixtures.pod(client, Fixtures.NS, "parked-1", 0);
            var b = Fixtures.pod(client, Fixtures.NS, "parked-2", 0);
            assertNotNull(a);
            assertNotNull(b);
            assertEquals(a.getSpec().getNodeName() + "/" + a.getMetadata().getAnnotations().get("plimsoll.io/devices"),
                    b.getSpec().getNodeName() + "/" + b.getMetadata().getAnnotations().get("plimsoll.io/devices"));
            assertNotNull(a.getMetadata().getAnnotations().get("plimsoll.io/parked-since"));
            assertNotNull(b.getMetadata().getAnnotations().get("plimsoll.io/parked-since"));
            assertTrue(cordoned(x) || cordoned(y), "the emptied node leaves");
        });
        assertEquals(WorkloadState.Parked, Fixtures.get(client, "parked-1").getStatus().getState());
        assertEquals(WorkloadState.Parked, Fixtures.get(client, "parked-2").getStatus().getState());
    }

    @Test
    void aNodeHoldingOnlyParkedReplicasLeavesAfterParkedOnlyAfterAndTheyParkElsewhere() {
        // serve runs on X; an idle workload is parked alone on Y
        client.resource(workload("serve", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null)).create();
        awaitState("serve", WorkloadState.Running);
        String x = Fixtures.pods(client, "serve").get(0).getSpec().getNodeName();
        cordon(x, true);
        AIWorkload idle = workload("parked", WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        idle.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", java.time.Instant.now().minusSeconds(60).toString()));
        client.resource(idle).create();
        awaitState("parked", WorkloadState.Parked);
        String y = Fixtures.pods(client, "parked").get(0).getSpec().getNodeName();
        cordon(x, false);
        assertFalse(x.equals(y));

        PoolScaling s = cordonOnly(0, false);
        s.setScaleDownAfter("10m");
        s.setParkedOnlyAfter("1s");
        scaling("t4", s);
        // Y served nothing: it leaves, and the parked replica is placed again, parked, on X beside serve
        await().atMost(WAIT).until(() -> cordoned(y));
        await().atMost(WAIT).untilAsserted(() -> {
            var p = Fixtures.pod(client, Fixtures.NS, "parked", 0);
            assertNotNull(p);
            assertEquals(x, p.getSpec().getNodeName());
            assertNotNull(p.getMetadata().getAnnotations().get("plimsoll.io/parked-since"));
        });
        awaitState("parked", WorkloadState.Parked);
        assertFalse(cordoned(x), "the node that serves stays");
        await().atMost(WAIT).untilAsserted(() -> assertTrue(client.v1().events().inAnyNamespace().list().getItems().stream()
                .anyMatch(e -> "ScaledDown".equals(e.getReason()) && e.getMessage().contains(y)
                        && e.getMessage().contains("held only parked replicas")), "ScaledDown event"));
    }

    @Test
    void aRunningTrainingGangMovesOnlyWhenItsPolicyAllowsAndThenWhole() {
        // node X: one GPU of inference and a 2-GPU job, so a 2-replica training gang gets X's last GPU and one on Y
        client.resource(workload("serve1", WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null)).create();
        awaitState("serve1", WorkloadState.Running);
        String x = Fixtures.pods(client, "serve1").get(0).getSpec().getNodeName();
        client.resource(workload("job", WorkloadPhase.Optimization, 1, AcceleratorType.GPU, 2, null, null)).create();
        awaitState("job", WorkloadState.Running);
        assertEquals(x, Fixtures.pods(client, "job").get(0).getSpec().getNodeName());
        io.plimsoll.api.PlacementPolicy checkpointed = new io.plimsoll.api.PlacementPolicy();
        checkpointed.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("checkpointed").build());
        checkpointed.setSpec(new io.plimsoll.api.PlacementPolicySpec());
        checkpointed.getSpec().setTraining(new io.plimsoll.api.PhaseRule());
        client.resource(checkpointed).create();
        AIWorkload train = workload("train", WorkloadPhase.Training, 2, AcceleratorType.GPU, 1, null, null);
        train.getSpec().setPolicy("checkpointed");
        client.resource(train).create();
        awaitState("train", WorkloadState.Running);
        String y = Fixtures.pod(client, Fixtures.NS, "train", 1).getSpec().getNodeName();
        assertEquals(x, Fixtures.pod(client, Fixtures.NS, "train", 0).getSpec().getNodeName());
        assertFalse(x.equals(y));
        // the job ends: X is half used (not "lightly"), Y holds one training replica (25 %)
        io.plimsoll.sandbox.SimulatedKubelet.finish(client, Fixtures.NS, Fixtures.pods(client, "job").get(0).getMetadata().getName(), true);
        awaitState("job", WorkloadState.Succeeded);
        scaling("t4", consolidating());
        await().atMost(WAIT).untilAsserted(() -> {
            var c = pool("t4").getStatus() == null ? null : Conditions.get(pool("t4").getStatus().getConditions(), "ScalingReady");
            assertNotNull(c);
            assertTrue(c.getMessage().contains("training.allowConsolidation"), c.getMessage());
        });
        assertFalse(cordoned(y), "running training is not moved by default");

        // the admin lets consolidation move this policy's training (its jobs checkpoint)
        String before0 = Fixtures.pod(client, Fixtures.NS, "train", 0).getMetadata().getName();
        client.resources(io.plimsoll.api.PlacementPolicy.class).withName("checkpointed").edit(pp -> {
            pp.getSpec().getTraining().setAllowConsolidation(true);
            return pp;
        });
        // the whole gang moves, the member on X too, and is placed again together on X
        await().atMost(WAIT).untilAsserted(() -> {
            var p0 = Fixtures.pod(client, Fixtures.NS, "train", 0);
            var p1 = Fixtures.pod(client, Fixtures.NS, "train", 1);
            assertNotNull(p0);
            assertNotNull(p1);
            assertTrue(!p0.getMetadata().getName().equals(before0), () -> "the member on X was evicted with the gang: " + Conditions.get(pool("t4").getStatus().getConditions(), "ScalingReady").getMessage());
            assertEquals(x, p0.getSpec().getNodeName());
            assertEquals(x, p1.getSpec().getNodeName());
            assertTrue(cordoned(y), "the emptied node leaves");
        });
        awaitState("train", WorkloadState.Running);
    }

    @Test
    void aPodDisruptionBudgetThatAllowsNoDisruptionBlocksConsolidation() throws Exception {
        String[] xy = spreadOverTwoNodes();
        client.resource(new io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder()
                .withNewMetadata().withName("serving-pdb").withNamespace(NS).endMetadata()
                .withNewSpec().withMinAvailable(new io.fabric8.kubernetes.api.model.IntOrString(1))
                .withNewSelector().addToMatchLabels("plimsoll.io/phase", "Inference").endSelector().endSpec()
                .withNewStatus().withDisruptionsAllowed(0).withCurrentHealthy(1).withDesiredHealthy(1).withExpectedPods(1).endStatus()
                .build()).create();
        scaling("t4", consolidating());
        // scalingNote: the condition may not be written yet
        await().atMost(WAIT).untilAsserted(() -> assertTrue(scalingNote("t4")
                .contains("PodDisruptionBudget team-a/serving-pdb allows 0 disruption(s)"),
                () -> io.fabric8.kubernetes.client.utils.Serialization.asJson(pool("t4").getStatus()) + " pdbs: "
                        + client.policy().v1().podDisruptionBudget().inNamespace(NS).list().getItems()));
        assertEquals(xy[1], Fixtures.pods(client, "b").get(0).getSpec().getNodeName(), "b stays where it is");
        assertEquals(xy[0], Fixtures.pods(client, "a").get(0).getSpec().getNodeName(), "a stays where it is");
        assertFalse(cordoned(xy[0]) || cordoned(xy[1]));
    }

    @Test
    void aNotebookInUseIsNotMoved() {
        client.resource(workload("a", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null)).create();
        awaitState("a", WorkloadState.Running);
        String x = Fixtures.pods(client, "a").get(0).getSpec().getNodeName();
        cordon(x, true);
        AIWorkload nb = workload("nb", WorkloadPhase.Workbench, 1, AcceleratorType.GPU, null, 0.25, null);
        nb.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", java.time.Instant.now().toString()));
        client.resource(nb).create();
        awaitState("nb", WorkloadState.Running);
        String y = Fixtures.pods(client, "nb").get(0).getSpec().getNodeName();
        cordon(x, false);
        scaling("t4", consolidating());
        // The lightest node holds the notebook in use: it stays; the other node's inference moves next to it instead.
        await().atMost(WAIT).untilAsserted(() -> assertEquals(y, Fixtures.pods(client, "a").get(0).getSpec().getNodeName()));
        assertEquals(y, Fixtures.pods(client, "nb").get(0).getSpec().getNodeName(), "the notebook was not moved");
    }

    /** ScaleTarget scaling through capi()'s MachineDeployment, minNodes 1. */
    static PoolScaling scaleTarget(String scaleDownAfter, int maxNodes) {
        PoolScaling s = new PoolScaling();
        s.setMode(PoolScaling.Mode.ScaleTarget);
        s.setScaleDownAfter(scaleDownAfter);
        s.setMinNodes(1);
        s.setMaxNodes(maxNodes);
        ScaleTargetRef ref = new ScaleTargetRef();
        ref.setApiVersion("cluster.x-k8s.io/v1beta1");
        ref.setKind("MachineDeployment");
        ref.setName("h100-md");
        ref.setNamespace("capi");
        s.setScaleTargetRef(ref);
        return s;
    }

    int replicas() {
        GenericKubernetesResource md = client.genericKubernetesResources("cluster.x-k8s.io/v1beta1", "MachineDeployment")
                .inNamespace("capi").withName("h100-md").get();
        return ((Number) ((Map<?, ?>) md.getAdditionalProperties().get("spec")).get("replicas")).intValue();
    }

    void capi() {
        for (String kind : List.of("MachineDeployment", "Machine")) {
            String plural = kind.toLowerCase() + "s";
            client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                    .withNewMetadata().withName(plural + ".cluster.x-k8s.io").endMetadata()
                    .withNewSpec().withGroup("cluster.x-k8s.io").withScope("Namespaced")
                    .withNewNames().withKind(kind).withPlural(plural).withSingular(kind.toLowerCase()).endNames()
                    .addNewVersion().withName("v1beta1").withServed(true).withStorage(true)
                    .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true).endOpenAPIV3Schema().endSchema()
                    .endVersion().endSpec().build()).create();
        }
        client.genericKubernetesResources("cluster.x-k8s.io/v1beta1", "MachineDeployment").inNamespace("capi")
                .resource(new GenericKubernetesResourceBuilder().withApiVersion("cluster.x-k8s.io/v1beta1").withKind("MachineDeployment")
                        .withNewMetadata().withName("h100-md").withNamespace("capi").endMetadata()
                        .addToAdditionalProperties("spec", Map.of("replicas", 2)).build()).create();
        client.genericKubernetesResources("cluster.x-k8s.io/v1beta1", "Machine").inNamespace("capi")
                .resource(new GenericKubernetesResourceBuilder().withApiVersion("cluster.x-k8s.io/v1beta1").withKind("Machine")
                        .withNewMetadata().withName("h100-md-abc").withNamespace("capi").endMetadata().build()).create();
    }
}
