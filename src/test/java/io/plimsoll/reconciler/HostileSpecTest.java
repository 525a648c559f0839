package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.plimsoll.actuator.PodBinder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.LenientPodTemplate;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.ReplicaSlot;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.idle.Durations;
import io.plimsoll.snapshot.PoolProfiles;
import io.plimsoll.snapshot.Quantities;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Specs a hostile or careless tenant writes: each is refused with a message naming the field, or made harmless. */
class HostileSpecTest {

    static AIWorkload fromJson(String templateJson) {
        String json = "{\"apiVersion\":\"plimsoll.io/v1alpha1\",\"kind\":\"AIWorkload\",\"metadata\":{\"name\":\"x\",\"namespace\":\"t\"},"
                + "\"spec\":{\"phase\":\"Inference\",\"template\":" + templateJson + "}}";
        return Serialization.unmarshal(json, AIWorkload.class);
    }

    @Test
    void aTemplateThatIsNotAPodTemplateIsReadAndRefusedNamingTheField() {
        AIWorkload w = fromJson("{\"spec\":{\"containers\":\"oops\"}}");
        LenientPodTemplate.Unreadable bad = assertInstanceOf(LenientPodTemplate.Unreadable.class, w.getSpec().getTemplate());
        assertEquals("spec.template.spec.containers", bad.field());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WorkloadNeeds.parse(w));
        assertTrue(e.getMessage().startsWith("spec.template.spec.containers cannot be read"), e.getMessage());

        AIWorkload labels = fromJson("{\"metadata\":{\"labels\":[1,2]},\"spec\":{\"containers\":[{\"name\":\"m\",\"image\":\"i\"}]}}");
        assertEquals("spec.template.metadata.labels",
                assertInstanceOf(LenientPodTemplate.Unreadable.class, labels.getSpec().getTemplate()).field());
        // Written back, the template is exactly what was stored (nothing is lost if the object is ever re-serialized).
        assertTrue(Serialization.asJson(labels).contains("\"labels\":[1,2]"), Serialization.asJson(labels));
    }

    @Test
    void aGoodTemplateStillReadsAsAPodTemplate() {
        AIWorkload w = fromJson("{\"spec\":{\"containers\":[{\"name\":\"m\",\"image\":\"i\"}]}}");
        assertEquals("m", w.getSpec().getTemplate().getSpec().getContainers().get(0).getName());
        assertTrue(!(w.getSpec().getTemplate() instanceof LenientPodTemplate.Unreadable));
    }

    static PodTemplateSpec template(io.fabric8.kubernetes.api.model.Container... extra) {
        var b = new PodTemplateSpecBuilder().withNewSpec().addNewContainer().withName("main").withImage("i").endContainer();
        for (var c : extra) b = b.addToContainers(c);
        return b.endSpec().build();
    }

    @Test
    void acceleratorRequestsAndDeviceVariablesInAnyContainerAreRefused() {
        var sidecarGpu = new ContainerBuilder().withName("side").withImage("i").withNewResources()
                .addToLimits("nvidia.com/gpu", new Quantity("8")).endResources().build();
        var e = assertThrows(IllegalArgumentException.class, () -> TemplatePolicy.check(template(sidecarGpu)));
        assertEquals("spec.template.spec.containers[1].resources.limits[nvidia.com/gpu] is set: Plimsoll requests accelerators itself; remove it and set spec.resources.accelerator instead", e.getMessage());

        var env = new ContainerBuilder().withName("side").withImage("i").withEnv(new EnvVar("NVIDIA_VISIBLE_DEVICES", "all", null)).build();
        e = assertThrows(IllegalArgumentException.class, () -> TemplatePolicy.check(template(env)));
        assertTrue(e.getMessage().startsWith("spec.template.spec.containers[1].env NVIDIA_VISIBLE_DEVICES selects devices"), e.getMessage());

        PodTemplateSpec init = template();
        init.getSpec().setInitContainers(List.of(new ContainerBuilder().withName("init").withImage("i")
                .withEnv(new EnvVar("cuda_visible_devices", "0", null)).withNewResources()
                .addToRequests("google.com/tpu", new Quantity("4")).endResources().build()));
        List<String> problems = TemplatePolicy.problems(init);
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("spec.template.spec.initContainers[0].resources.requests[google.com/tpu]"), problems.toString());

        // CPU, memory, ephemeral storage and huge pages stay the tenant's to ask for.
        var plain = new ContainerBuilder().withName("side").withImage("i").withNewResources()
                .addToRequests("cpu", new Quantity("1")).addToRequests("hugepages-2Mi", new Quantity("1Gi")).endResources().build();
        assertEquals(List.of(), TemplatePolicy.problems(template(plain)));
    }

    @Test
    void podsDropPlimsollKeysFromTheTemplateAndTellEveryOtherContainerItHasNoGpu() {
        AIWorkload w = Fixtures.workload("w", WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        PodTemplateSpec t = template(new ContainerBuilder().withName("side").withImage("i").build());
        t.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                .withLabels(Map.of("plimsoll.io/workload", "someone-else", "app", "mine"))
                .withAnnotations(Map.of("plimsoll.io/gpu-milli", "0", "plimsoll.io/devices", "3", "note", "kept")).build());
        w.getSpec().setTemplate(t);
        PoolProfile pool = new PoolProfile("t4", AcceleratorType.GPU, "T4", 16, 4, "nvidia.com/gpu", SharingMode.Fractional,
                List.of(), null, 2.0, null);
        var pod = PodBinder.buildPod(w, "w-0-abcde", 0, pool, new ReplicaSlot("n", List.of(1), 0, null, 1000, 1 << 30, 0.5),
                new Quantity("1"), new Quantity("1Gi"));
        assertEquals("w", pod.getMetadata().getLabels().get("plimsoll.io/workload"));
        assertEquals("mine", pod.getMetadata().getLabels().get("app"));
        assertEquals("kept", pod.getMetadata().getAnnotations().get("note"));
        assertEquals(null, pod.getMetadata().getAnnotations().get("plimsoll.io/gpu-milli"), "a template's share is never copied");
        assertEquals("1", pod.getMetadata().getAnnotations().get("plimsoll.io/devices"));
        assertEquals("void", env(pod.getSpec().getContainers().get(1), "NVIDIA_VISIBLE_DEVICES"));
        assertEquals("1", env(pod.getSpec().getContainers().get(0), "NVIDIA_VISIBLE_DEVICES"));
    }

    static String env(io.fabric8.kubernetes.api.model.Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
    }

    @Test
    void sidecarsCountInTheFitAndHugeNumbersAreRefusedOrSaturate() {
        AIWorkload w = Fixtures.workload("w", WorkloadPhase.Inference, 1, AcceleratorType.None, null, null, null);
        w.getSpec().setTemplate(template(new ContainerBuilder().withName("side").withImage("i").withNewResources()
                .addToRequests("cpu", new Quantity("3")).addToRequests("memory", new Quantity("1Gi")).endResources().build()));
        var need = WorkloadNeeds.parse(w).need();
        assertEquals(5000, need.cpuMilli(), "2 cores for the main container plus 3 for the sidecar");

        w.getSpec().getResources().setMemory(new BigInteger("18446744073709551616").toString());
        var e = assertThrows(IllegalArgumentException.class, () -> WorkloadNeeds.parse(w));
        assertTrue(e.getMessage().startsWith("spec.resources.memory '18446744073709551616' is more than any node has"), e.getMessage());
        assertEquals(Long.MAX_VALUE, Quantities.bytes(new Quantity("18446744073709551616")), "2^64 bytes never reads as 0");
        assertEquals(Integer.MAX_VALUE, Quantities.count(new Quantity("1e30")));
        assertEquals(0, Quantities.bytes(new Quantity("-5Gi")));

        w.getSpec().getResources().setMemory("8Gi");
        w.getSpec().setIdleTimeout("3000000000000h");
        e = assertThrows(IllegalArgumentException.class, () -> WorkloadNeeds.parse(w));
        assertTrue(e.getMessage().startsWith("spec.idleTimeout '3000000000000h' is longer than the 365-day maximum"), e.getMessage());
        assertTrue(Durations.parseMillis("3000000000000h") > 0, "never wraps to negative");
        assertTrue(Durations.parseMillis("9999999h".repeat(8)) > 0, "a long sum saturates");
        assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis("9h".repeat(400_000)), "a pathological string is refused before any pattern runs");
    }

    @Test
    void trainingDeclarationsOnAnotherPhaseAreRefusedNamingTheFieldAndTheFix() {
        AIWorkload w = Fixtures.workload("w", WorkloadPhase.Inference, 1, AcceleratorType.None, null, null, null);
        io.plimsoll.api.TrainingSpec t = new io.plimsoll.api.TrainingSpec();
        t.setCheckpointsOnTermination(true);
        w.getSpec().setTraining(t);
        var e = assertThrows(IllegalArgumentException.class, () -> WorkloadNeeds.parse(w));
        assertEquals("spec.training applies only to phase Training: remove spec.training or set spec.phase to Training", e.getMessage());
        w.getSpec().setPhase(WorkloadPhase.Training);
        assertEquals(WorkloadPhase.Training, WorkloadNeeds.parse(w).need().phase());
    }

    @Test
    void aPoolCostPastTheBoundReadsAtTheBound() {
        var p = Fixtures.gpuPool("x", "T4", 16, 4, SharingMode.Exclusive, 1e308);
        assertEquals(PoolProfiles.MAX_COST_PER_NODE_HOUR, PoolProfiles.of(p).costPerNodeHour());
        p.getSpec().setCostPerNodeHour(Double.NaN);
        assertEquals(0, PoolProfiles.of(p).costPerNodeHour());
    }

    @Test
    void aNodeAtItsPodCapacityTakesNoMorePods() {
        PoolProfile pool = new PoolProfile("cpu", AcceleratorType.None, null, 0, 0, null, SharingMode.Exclusive, List.of(), null, 1.0, null);
        ClusterState state = new ClusterState();
        state.addPool(pool);
        NodeState n = new NodeState("c-0", "cpu", true, 64_000, 256L << 30, 0, Map.of()).limitPods(2);
        n.usePod();
        state.addNode(n);
        AIWorkload w = Fixtures.workload("w", WorkloadPhase.Optimization, 3, AcceleratorType.None, null, null, null);
        w.getSpec().getResources().setCpu("100m");
        var need = WorkloadNeeds.parse(w).need();
        var d = new PlacementEngine().place(need.withReplicas(1), state, PhaseRules.DEFAULT);
        assertTrue(d.placed(), d.explain());
        state.node("c-0").apply(d.slots().get(0));
        var full = new PlacementEngine().place(need.withReplicas(1), state, PhaseRules.DEFAULT);
        assertTrue(!full.placed());
        assertTrue(full.explain().contains("pod capacity"), full.explain());
    }
}
