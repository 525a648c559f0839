package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.plimsoll.reconciler.Fixtures.NS;
import static io.plimsoll.reconciler.Fixtures.get;
import static io.plimsoll.reconciler.Fixtures.pods;
import static io.plimsoll.reconciler.Fixtures.workload;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reconcilers against an API server (Fabric8 mock server, CRUD mode) with one H100 node and two T4 nodes. */
class AIWorkloadReconcilerTest extends OperatorOnEmbeddedApi {


    AIWorkload create(AIWorkload w) {
        return client.resource(w).create();
    }

    @Test
    void trainingGangIsPlacedOnTheCheapestPoolThatFitsAndRuns() {
        create(workload("train", WorkloadPhase.Training, 2, AcceleratorType.GPU, 4, null, 40.0));
        AIWorkload w = awaitState("train", WorkloadState.Running);
        assertEquals("h100", w.getStatus().getPlacement().getPool());
        assertEquals("2 x 4x H100", w.getStatus().getDevices());
        assertEquals(88.0, w.getStatus().getPlacement().getCostPerHour(), 1e-9, "two workers x half of an $88/h node");
        assertEquals(2, w.getStatus().getReadyReplicas());
        assertEquals(1L, w.getStatus().getObservedGeneration());
        var placed = Conditions.get(w.getStatus().getConditions(), "Placed");
        assertEquals("True", placed.getStatus());
        assertEquals(1L, placed.getObservedGeneration());
        List<Pod> pods = pods(client, "train");
        assertEquals(2, pods.size());
        Set<String> devices = new HashSet<>();
        for (Pod p : pods) {
            assertEquals("h100-0", p.getSpec().getNodeName());
            assertEquals(Annotations.SCHEDULER_NAME, p.getSpec().getSchedulerName());
            assertEquals("4", p.getSpec().getContainers().get(0).getResources().getRequests().get("nvidia.com/gpu").toString());
            assertEquals("train", p.getMetadata().getOwnerReferences().get(0).getName());
            devices.addAll(List.of(p.getMetadata().getAnnotations().get(Annotations.DEVICES).split(",")));
        }
        assertEquals(Set.of("0", "1", "2", "3", "4", "5", "6", "7"), devices, "the two workers hold different devices");
        await().atMost(WAIT).untilAsserted(() -> assertTrue(events("train").stream()
                .anyMatch(e -> "Placed".equals(e.getReason()) && e.getMessage().contains("pool h100")), "Placed event"));
    }

    @Test
    void fractionsArePinnedToOneDeviceAndNeverCountedTwice() {
        create(workload("serve", WorkloadPhase.Inference, 3, AcceleratorType.GPU, null, 0.5, 4.0));
        create(workload("nb", WorkloadPhase.Workbench, 1, AcceleratorType.GPU, null, 0.25, null));
        awaitState("serve", WorkloadState.Running);
        awaitState("nb", WorkloadState.Running);
        Map<String, Integer> milliPerDevice = new java.util.HashMap<>();
        for (Pod p : client.pods().inNamespace(NS).list().getItems()) {
            var ann = p.getMetadata().getAnnotations();
            String key = p.getSpec().getNodeName() + "/" + ann.get(Annotations.DEVICES);
            milliPerDevice.merge(key, Integer.parseInt(ann.get(Annotations.GPU_MILLI)), Integer::sum);
            var main = p.getSpec().getContainers().get(0);
            assertEquals(null, main.getResources().getRequests().get("nvidia.com/gpu"), "a share requests no whole GPU");
            assertEquals(ann.get(Annotations.DEVICES), main.getEnv().stream()
                    .filter(e -> e.getName().equals("NVIDIA_VISIBLE_DEVICES")).findFirst().orElseThrow().getValue());
        }
        assertTrue(milliPerDevice.values().stream().allMatch(m -> m <= 1000), milliPerDevice.toString());
        assertEquals(1750, milliPerDevice.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(2, milliPerDevice.size(), "best fit packs 1.75 devices of shares onto two devices: " + milliPerDevice);
        await().atMost(WAIT).untilAsserted(() -> {
            AcceleratorPool t4 = client.resources(AcceleratorPool.class).withName("t4").get();
            assertNotNull(t4.getStatus());
            assertEquals(8, t4.getStatus().getDevicesTotal());
            assertEquals(1.75, t4.getStatus().getDevicesAllocated(), 1e-9);
            assertEquals(6, t4.getStatus().getDevicesFree());
            assertEquals(21.9, t4.getStatus().getUtilizationPercent(), 1e-9);
            assertEquals(4.0, t4.getStatus().getCostPerHour(), 1e-9);
            assertEquals(1.75, operator.registry.get("plimsoll.pool.devices").tags("pool", "t4", "state", "allocated").gauge().value(), 1e-9);
            assertEquals(3.13, operator.registry.get("plimsoll.pool.idle.cost.dollars.per.hour").tags("pool", "t4").gauge().value(), 1e-9);
        });
    }

    @Test
    void pendingExplainsWhyPerPoolThenPlacesWhenDeletionFreesDevices() {
        create(workload("big", WorkloadPhase.Training, 1, AcceleratorType.GPU, 8, null, 80.0));
        awaitState("big", WorkloadState.Running);
        create(workload("next", WorkloadPhase.Training, 1, AcceleratorType.GPU, 6, null, 40.0));
        AIWorkload next = awaitState("next", WorkloadState.Pending);
        assertEquals("cannot place 1 of 1 replica(s) (6x GPU): h100: 0 of 8 devices free (needs 6 on one node, at most 0 free on a node); "
                + "t4: device memory 16 GiB < 40 GiB needed", next.getStatus().getMessage());
        assertEquals(2, next.getStatus().getUnplaceable().size());
        assertEquals("False", Conditions.get(next.getStatus().getConditions(), "Placed").getStatus());
        assertEquals("Unschedulable", Conditions.get(next.getStatus().getConditions(), "Placed").getReason());
        assertTrue(pods(client, "next").isEmpty(), "nothing is created while it cannot be placed");
        assertEquals(1.0, operator.registry.get("plimsoll.workloads.pending").tags("phase", "Training", "reason", "Unschedulable").gauge().value());
        assertTrue(operator.registry.get("plimsoll.placement.failures").tags("phase", "Training").counter().count() >= 1);

        client.resources(AIWorkload.class).inNamespace(NS).withName("big").delete();
        AIWorkload placed = awaitState("next", WorkloadState.Running);
        assertEquals("h100", placed.getStatus().getPlacement().getPool());
        assertTrue(placed.getStatus().getUnplaceable().isEmpty());
        await().atMost(WAIT).until(() -> get(client, "big") == null && pods(client, "big").isEmpty());
        assertEquals(0.0, operator.registry.get("plimsoll.workloads.pending").tags("phase", "Training", "reason", "Unschedulable").gauge().value());
        assertEquals(2.0, operator.registry.get("plimsoll.placements").tags("phase", "Training", "pool", "h100").counter().count());
        assertTrue(operator.registry.get("plimsoll.placement.duration").timer().count() >= 2);
        // HotSpot on Linux measures a thread's CPU time: the same decisions, in CPU time.
        assertEquals(operator.registry.get("plimsoll.placement.duration").timer().count(),
                operator.registry.get("plimsoll.placement.cpu").timer().count());
    }

    @Test
    void workloadsCarryNoFinalizerAndOneLeftByAnEarlierBuildIsRemoved() {
        create(workload("plain", WorkloadPhase.Training, 1, AcceleratorType.GPU, 1, null, null));
        AIWorkload legacy = workload("legacy", WorkloadPhase.Training, 1, AcceleratorType.GPU, 1, null, null);
        legacy.getMetadata().setFinalizers(List.of("example.com/keep", Annotations.FINALIZER));
        create(legacy);
        awaitState("plain", WorkloadState.Running);
        awaitState("legacy", WorkloadState.Running);
        assertTrue(get(client, "plain").getMetadata().getFinalizers().isEmpty(), "" + get(client, "plain").getMetadata().getFinalizers());
        // The earlier build's finalizer goes; another controller's stays.
        await().atMost(WAIT).until(() -> List.of("example.com/keep").equals(get(client, "legacy").getMetadata().getFinalizers()));
        // Marked for deletion (the other finalizer keeps it): its pods go now and its device is free.
        client.resources(AIWorkload.class).inNamespace(NS).withName("legacy").delete();
        await().atMost(WAIT).until(() -> pods(client, "legacy").isEmpty());
        assertNotNull(get(client, "legacy"), "kept by example.com/keep");
        client.resources(AIWorkload.class).inNamespace(NS).withName("legacy")
                .edit(w -> { w.getMetadata().setFinalizers(List.of()); return w; });
        client.resources(AIWorkload.class).inNamespace(NS).withName("plain").delete();
        await().atMost(WAIT).until(() -> get(client, "plain") == null && get(client, "legacy") == null && pods(client, "plain").isEmpty());
    }

    @Test
    void runToCompletionSucceedsAndFailsFromItsPods() {
        create(workload("ok", WorkloadPhase.Optimization, 1, AcceleratorType.GPU, 1, null, null));
        create(workload("bad", WorkloadPhase.Training, 2, AcceleratorType.GPU, 2, null, null));
        awaitState("ok", WorkloadState.Running);
        awaitState("bad", WorkloadState.Running);
        SimulatedKubelet.finish(client, NS, Fixtures.pod(client, NS, "ok", 0).getMetadata().getName(), true);
        AIWorkload ok = awaitState("ok", WorkloadState.Succeeded);
        assertEquals("True", Conditions.get(ok.getStatus().getConditions(), "Complete").getStatus());
        String bad1 = Fixtures.pod(client, NS, "bad", 1).getMetadata().getName();
        SimulatedKubelet.finish(client, NS, bad1, false);
        AIWorkload bad = awaitState("bad", WorkloadState.Failed);
        assertEquals("replica 1 (pod " + bad1 + ") failed: container main exited with code 1 (Error)", bad.getStatus().getMessage());
        await().atMost(WAIT).until(() -> Fixtures.pod(client, NS, "bad", 0) == null);
        // Finished work is not restarted.
        assertEquals(1, pods(client, "ok").size());
    }

    @Test
    void longRunningPhasesReplaceFailedPods() {
        create(workload("serve", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null));
        awaitState("serve", WorkloadState.Running);
        String first = Fixtures.pod(client, NS, "serve", 0).getMetadata().getName();
        SimulatedKubelet.finish(client, NS, first, false);
        await().atMost(WAIT).untilAsserted(() -> {
            Pod p = Fixtures.pod(client, NS, "serve", 0);
            assertNotNull(p);
            assertTrue(!first.equals(p.getMetadata().getName()) && p.getStatus() != null && "Running".equals(p.getStatus().getPhase()));
        });
        await().atMost(WAIT).until(() -> client.pods().inNamespace(NS).withName(first).get() == null);
        awaitState("serve", WorkloadState.Running);
        assertTrue(events("serve").stream().anyMatch(e -> "ReplicaReplaced".equals(e.getReason())));
    }

    @Test
    void restartRereadsStateWithoutBindingTwice() {
        create(workload("serve", WorkloadPhase.Inference, 2, AcceleratorType.GPU, 1, null, null));
        awaitState("serve", WorkloadState.Running);
        Map<String, String> before = pods(client, "serve").stream().collect(Collectors.toMap(p -> p.getMetadata().getName(),
                p -> p.getSpec().getNodeName() + "/" + p.getMetadata().getAnnotations().get(Annotations.DEVICES)));
        operator.close();
        operator = new TestOperator(client);
        create(workload("more", WorkloadPhase.Inference, 6, AcceleratorType.GPU, 1, null, null));
        awaitState("more", WorkloadState.Running);
        awaitState("serve", WorkloadState.Running);
        Map<String, String> after = pods(client, "serve").stream().collect(Collectors.toMap(p -> p.getMetadata().getName(),
                p -> p.getSpec().getNodeName() + "/" + p.getMetadata().getAnnotations().get(Annotations.DEVICES)));
        assertEquals(before, after, "the restarted operator keeps the pods it had and creates no new ones");
        Set<String> held = new HashSet<>();
        for (Pod p : client.pods().inNamespace(NS).list().getItems()) {
            for (String d : p.getMetadata().getAnnotations().get(Annotations.DEVICES).split(",")) {
                assertTrue(held.add(p.getSpec().getNodeName() + "/" + d), "device " + d + " on " + p.getSpec().getNodeName() + " handed out twice");
            }
        }
        assertEquals(8, held.size());
    }

    @Test
    void podsOfOthersUseCapacityToo() {
        Pod foreign = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("someone-else").withNamespace("other").endMetadata()
                .withNewSpec().withNodeName("h100-0").addNewContainer().withName("c").withImage("x").withNewResources()
                .addToRequests("nvidia.com/gpu", new io.fabric8.kubernetes.api.model.Quantity("7"))
                .addToLimits("nvidia.com/gpu", new io.fabric8.kubernetes.api.model.Quantity("7")).endResources().endContainer().endSpec().build();
        client.resource(foreign).create();
        // Once the operator's informer has shown it (a pod it has not seen yet cannot count).
        await().atMost(WAIT).until(() -> {
            var n = operator.snapshot.state().node("h100-0");
            return n != null && n.wholeDevicesFree() == 1;
        });
        create(workload("two", WorkloadPhase.Training, 1, AcceleratorType.GPU, 2, null, 40.0));
        AIWorkload w = awaitState("two", WorkloadState.Pending);
        assertTrue(w.getStatus().getMessage().contains("h100: 1 of 8 devices free"), w.getStatus().getMessage());
    }

    @Test
    void badInputFailsThatWorkloadOnlyWithAMessageNamingTheField() {
        // The mock API server does not run CEL, so the operator's own checks are what a user sees here.
        AIWorkload bad = workload("bad-fraction", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 1.5, null);
        create(bad);
        AIWorkload badCpu = workload("bad-cpu", WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        badCpu.getSpec().getResources().setCpu("four");
        create(badCpu);
        create(workload("fine", WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null));
        AIWorkload f = awaitState("bad-fraction", WorkloadState.Failed);
        assertEquals("invalid spec: spec.resources.accelerator.fraction is 1.5: use a value between 0 and 1, or count for whole devices",
                f.getStatus().getMessage());
        assertEquals("InvalidSpec", Conditions.get(f.getStatus().getConditions(), "Placed").getReason());
        assertEquals("invalid spec: spec.resources.cpu 'four' is not a valid quantity: use e.g. 4 or 500m",
                awaitState("bad-cpu", WorkloadState.Failed).getStatus().getMessage());
        awaitState("fine", WorkloadState.Running);

        // Fixing the spec (a new generation) places it.
        client.resources(AIWorkload.class).inNamespace(NS).withName("bad-fraction")
                .edit(w -> { w.getSpec().getResources().getAccelerator().setFraction(0.5); return w; });
        awaitState("bad-fraction", WorkloadState.Running);
    }

    @Test
    void missingPolicyKeepsTheWorkloadPendingWithTheFix() {
        AIWorkload w = workload("strict", WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        w.getSpec().setPolicy("gold");
        create(w);
        assertEquals("PlacementPolicy 'gold' not found: create it or set spec.policy to an existing one",
                awaitState("strict", WorkloadState.Pending).getStatus().getMessage());
        PlacementPolicy gold = new PlacementPolicy();
        gold.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("gold").build());
        gold.setSpec(new io.plimsoll.api.PlacementPolicySpec());
        client.resource(gold).create();
        awaitState("strict", WorkloadState.Running);
    }

    @Test
    void scaleDownRemovesReplicasAndFreesDevices() {
        create(workload("serve", WorkloadPhase.Inference, 3, AcceleratorType.GPU, 1, null, null));
        awaitState("serve", WorkloadState.Running);
        client.resources(AIWorkload.class).inNamespace(NS).withName("serve").edit(w -> { w.getSpec().setReplicas(1); return w; });
        await().atMost(WAIT).untilAsserted(() -> assertEquals(1, pods(client, "serve").size()));
        await().atMost(WAIT).untilAsserted(() -> assertEquals(1, get(client, "serve").getStatus().getPlacement().getReplicas().size()));
    }

    List<Event> events(String name) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName())).toList();
    }
}
