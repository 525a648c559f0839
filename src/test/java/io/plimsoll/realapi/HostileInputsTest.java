package io.plimsoll.realapi;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.PhaseRule;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.PlacementPolicySpec;
import io.plimsoll.api.ReplicaPlacement;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.reconciler.TestOperator;
import io.plimsoll.sandbox.DemoCluster;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The hostile-input corpus (issue #12): bad or malicious inputs, each sent to a real kube-apiserver with Plimsoll's
 * CRDs and to the operator running against it as the chart's ServiceAccount. Every case is refused with a message
 * that names the field, or handled; after every case (see {@link #invariants()}):
 * <ol>
 *   <li>a bystander tenant's whole-GPU and fractional Inference workloads still run, on the same pods;</li>
 *   <li>the operator is healthy (every informer runs and watches);</li>
 *   <li>no device is handed out twice: by the workloads' own records (status.placement.replicas[], shares
 *       summed per device) and by the pods bound to GPU nodes (pinned by NVIDIA_VISIBLE_DEVICES, counted by the
 *       share their workload's status gives, plus pods requesting nvidia.com/gpu);</li>
 *   <li>the case's own expectation.</li>
 * </ol>
 * One API server, one shared cluster (Fractional L4 and Exclusive A100 GPU pools, a CPU pool, and three small
 * pools for the node cases), one operator for the class (restarted once, by case H55). The case table is
 * docs/hostile-inputs.md; {@link HostileInputsTableTest} keeps it in step with {@link #caseIds()}.
 *
 * <p>No kubelet runs: {@link SimulatedKubelet} marks bound pods Running and {@link PodReaper} finishes the deletion
 * of pods that are terminating, as a kubelet would once their containers stopped.
 */
@RealApi
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputsTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final Duration POLL = Duration.ofMillis(100);
    static final String GROUP = "plimsoll.io";
    static final String VERSION = "v1alpha1";
    static final String GPU = "nvidia.com/gpu";
    static final String NVIDIA_VISIBLE_DEVICES = "NVIDIA_VISIBLE_DEVICES";
    static final String LAST_ACTIVITY = "plimsoll.io/last-activity";
    static final Pattern ID = Pattern.compile("^H\\d{2}");

    static final ResourceDefinitionContext AIW = new ResourceDefinitionContext.Builder().withGroup(GROUP)
            .withVersion(VERSION).withKind("AIWorkload").withPlural("aiworkloads").withNamespaced(true).build();
    static final ResourceDefinitionContext APOOL = new ResourceDefinitionContext.Builder().withGroup(GROUP)
            .withVersion(VERSION).withKind("AcceleratorPool").withPlural("acceleratorpools").withNamespaced(false).build();
    static final ResourceDefinitionContext PPOL = new ResourceDefinitionContext.Builder().withGroup(GROUP)
            .withVersion(VERSION).withKind("PlacementPolicy").withPlural("placementpolicies").withNamespaced(false).build();

    static RealApiServer api;
    static KubernetesClient admin;
    static TestOperator operator;
    static SimulatedKubelet kubelet;
    static PodReaper reaper;
    static String bystanderNs;
    /** Bystander workload name to the name of its one pod, as first placed. */
    static final Map<String, String> bystanderPods = new TreeMap<>();
    /** Every namespace a case made (the bystander's too), for the cross-namespace checks. */
    static final List<String> tenantNamespaces = new CopyOnWriteArrayList<>();
    /** What the user saw, per case id: written to target/hostile-inputs-observed.md for the table. */
    static final Map<String, String> observed = new ConcurrentSkipListMap<>();
    static String refusedNs;
    static String invalidNs;
    /** Case H54's workload, stored while the CRD's template was free-form; deleted by H56. */
    static String brokenNs;
    static long classStart;

    // ---- the shared cluster ---------------------------------------------------------------------------------

    @BeforeAll
    static void cluster(RealApiServer server) {
        classStart = System.nanoTime();
        api = server;
        admin = server.adminClient();
        admin.resource(Fixtures.gpuPool("frac", "L4", 24, 4, SharingMode.Fractional, 3.6)).create();
        admin.resource(Fixtures.gpuPool("excl", "A100", 80, 4, SharingMode.Exclusive, 14.7)).create();
        admin.resource(cpuPool("cpu", 0.68)).create();
        // Pools for the node cases, reached only through their own policies.
        admin.resource(cpuPool("tiny", 0.1)).create();
        admin.resource(Fixtures.gpuPool("liar", "T4", 16, 2, SharingMode.Exclusive, 2.0)).create();
        admin.resource(Fixtures.gpuPool("one", "L4", 24, 1, SharingMode.Fractional, 1.0)).create();
        for (int i = 0; i < 2; i++) FakeNodes.gpuNode(admin, "frac-" + i, "frac", 4);
        for (int i = 0; i < 2; i++) FakeNodes.gpuNode(admin, "excl-" + i, "excl", 4);
        FakeNodes.cpuNode(admin, "cpu-0", "cpu", 64, 256);
        Node tiny = DemoCluster.node("tiny-0", "tiny", 16, 64, Map.of());
        tiny.getStatus().getAllocatable().put("pods", new Quantity("1"));
        FakeNodes.create(admin, tiny);
        FakeNodes.gpuNode(admin, "liar-0", "liar", 1_000_000);
        FakeNodes.gpuNode(admin, "one-0", "one", 1);
        List<String> main = List.of("frac", "excl", "cpu");
        admin.resource(policy(PlacementPolicy.DEFAULT_NAME, Map.of(WorkloadPhase.Training, main, WorkloadPhase.Inference, main,
                WorkloadPhase.Optimization, main, WorkloadPhase.Workbench, main))).create();
        admin.resource(policy("tiny-only", Map.of(WorkloadPhase.Optimization, List.of("tiny")))).create();
        admin.resource(policy("liar-only", Map.of(WorkloadPhase.Optimization, List.of("liar")))).create();
        admin.resource(policy("only-one", Map.of(WorkloadPhase.Inference, List.of("one")))).create();

        kubelet = new SimulatedKubelet(admin);
        reaper = new PodReaper(admin);
        operator = api.startOperator("hostile-0");

        bystanderNs = ns("bystander");
        create(gpu(bystanderNs, "whole", WorkloadPhase.Inference, 1, 1, null, "A100"));
        create(gpu(bystanderNs, "share", WorkloadPhase.Inference, 1, null, 0.5, "L4"));
        for (String w : List.of("whole", "share")) {
            awaitState(bystanderNs, w, WorkloadState.Running);
            List<Pod> pods = livePods(bystanderNs, w);
            assertEquals(1, pods.size(), "bystander " + w + " pods: " + names(pods));
            assertEquals("Running", pods.get(0).getStatus().getPhase());
            bystanderPods.put(w, pods.get(0).getMetadata().getName());
        }
        refusedNs = ns("refused");
        invalidNs = ns("invalid");
        System.err.printf("hostile inputs: cluster, operator and bystander ready in %d ms%n", (System.nanoTime() - classStart) / 1_000_000);
    }

    @AfterAll
    static void stop() throws IOException {
        if (operator != null) operator.close();
        if (kubelet != null) kubelet.close();
        if (reaper != null) reaper.close();
        StringBuilder b = new StringBuilder("# Observed by HostileInputsTest (generated; not the published table)\n\n");
        observed.forEach((id, what) -> b.append("- ").append(id).append(": ").append(what.replace('\n', ' ')).append('\n'));
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/hostile-inputs-observed.md"), b.toString());
        System.err.printf("hostile inputs: class ran %d ms%n", (System.nanoTime() - classStart) / 1_000_000);
    }

    /** After every case: the bystander is untouched, the operator healthy, no device handed out twice. */
    @AfterEach
    void invariants() {
        await().atMost(WAIT).pollInterval(POLL).untilAsserted(() -> assertTrue(operator.healthy(), "operator not healthy: " + operator.unhealthy()));
        for (var e : bystanderPods.entrySet()) {
            AIWorkload w = get(bystanderNs, e.getKey());
            assertNotNull(w, "bystander " + e.getKey() + " is gone");
            assertEquals(WorkloadState.Running, w.getStatus().getState(), "bystander " + e.getKey() + ": " + w.getStatus().getMessage());
            List<Pod> pods = livePods(bystanderNs, e.getKey());
            assertEquals(List.of(e.getValue()), names(pods), "bystander " + e.getKey() + " keeps its pod");
            assertEquals("Running", pods.get(0).getStatus().getPhase());
        }
        assertNoDeviceHandedOutTwice();
    }

    // ---- H01-H26: refused by the API server ------------------------------------------------------------------

    /** A case the API server refuses: {@code mutate} breaks a valid object; the 422 must name {@code field}. */
    record Refused(String id, String title, ResourceDefinitionContext kind, String field, String says, Consumer<Map<String, Object>> mutate) {
        @Override
        public String toString() {
            return id + " " + title;
        }
    }

    static List<Refused> apiServerCases() {
        String longTimeout = "1h".repeat(33);
        return List.of(
                new Refused("H01", "template.spec.containers is a string", AIW, "spec.template.spec.containers", "must be of type array",
                        m -> put(m, "spec.template.spec.containers", "oops")),
                new Refused("H02", "template.metadata.labels is a list of numbers", AIW, "spec.template.metadata.labels", "must be of type object",
                        m -> put(m, "spec.template.metadata.labels", List.of(1, 2))),
                new Refused("H03", "count and fraction together", AIW, "spec.resources.accelerator", "not both",
                        m -> put(m, "spec.resources.accelerator.count", 1)),
                new Refused("H04", "fraction 1.5", AIW, "spec.resources.accelerator", "fraction must be greater than 0 and less than 1",
                        m -> put(m, "spec.resources.accelerator.fraction", 1.5)),
                new Refused("H05", "fraction on a TPU", AIW, "spec.resources.accelerator", "fraction is only supported for GPUs",
                        m -> put(m, "spec.resources.accelerator.type", "TPU")),
                new Refused("H06", "type None with a count", AIW, "spec.resources.accelerator", "type None asks for no accelerator",
                        m -> {
                            put(m, "spec.resources.accelerator.type", "None");
                            remove(m, "spec.resources.accelerator.fraction");
                            put(m, "spec.resources.accelerator.count", 2);
                        }),
                new Refused("H07", "topology on a GPU", AIW, "spec.resources.accelerator", "topology applies only to type TPU",
                        m -> put(m, "spec.resources.accelerator.topology", "2x2")),
                new Refused("H08", "replicas -1", AIW, "spec.replicas", "greater than or equal to 0",
                        m -> put(m, "spec.replicas", -1)),
                new Refused("H09", "replicas 100000", AIW, "spec.replicas", "less than or equal to 512",
                        m -> put(m, "spec.replicas", 100000)),
                new Refused("H10", "priority 2147483647", AIW, "spec.priority", "less than or equal to 1000000000",
                        m -> put(m, "spec.priority", 2147483647)),
                new Refused("H11", "idleTimeout 3000000000000h", AIW, "spec.idleTimeout", "should match",
                        m -> put(m, "spec.idleTimeout", "3000000000000h")),
                new Refused("H12", "idleTimeout of 66 characters (1h x 33)", AIW, "spec.idleTimeout", "Too long",
                        m -> put(m, "spec.idleTimeout", longTimeout)),
                new Refused("H13", "cpu \"lots\"", AIW, "spec.resources.cpu", "should match",
                        m -> put(m, "spec.resources.cpu", "lots")),
                new Refused("H14", "minMemoryGiB -1", AIW, "spec.resources.accelerator.minMemoryGiB", "greater than or equal to 0",
                        m -> put(m, "spec.resources.accelerator.minMemoryGiB", -1)),
                new Refused("H15", "count 1000", AIW, "spec.resources.accelerator.count", "less than or equal to 64",
                        m -> {
                            remove(m, "spec.resources.accelerator.fraction");
                            put(m, "spec.resources.accelerator.count", 1000);
                        }),
                new Refused("H16", "phase \"Mining\"", AIW, "spec.phase", "Unsupported value",
                        m -> put(m, "spec.phase", "Mining")),
                new Refused("H17", "AcceleratorPool costPerNodeHour 1e308", APOOL, "spec.costPerNodeHour", "less than or equal to 100000",
                        m -> put(m, "spec.costPerNodeHour", 1e308)),
                new Refused("H18", "AcceleratorPool devicesPerNode 100000", APOOL, "spec.accelerator.devicesPerNode", "less than or equal to 256",
                        m -> put(m, "spec.accelerator.devicesPerNode", 100000)),
                // Sent as the integer 5, the API server prints the bound 0.9 as "0" (it formats it as the value's type).
                new Refused("H19", "PlacementPolicy parkFraction 5", PPOL, "spec.inference.parkFraction", "should be less than or equal to",
                        m -> put(m, "spec.inference.parkFraction", 5)),
                new Refused("H20", "fraction 0", AIW, "spec.resources.accelerator", "fraction must be greater than 0",
                        m -> put(m, "spec.resources.accelerator.fraction", 0)),
                new Refused("H21", "type GPU with neither count nor fraction", AIW, "spec.resources.accelerator", "needs count",
                        m -> remove(m, "spec.resources.accelerator.fraction")),
                new Refused("H22", "memory \"-5Gi\"", AIW, "spec.resources.memory", "should match",
                        m -> put(m, "spec.resources.memory", "-5Gi")),
                new Refused("H23", "spec.policy of 300 characters", AIW, "spec.policy", "Too long",
                        m -> put(m, "spec.policy", "p".repeat(300))),
                new Refused("H24", "AcceleratorPool with an empty nodeSelector (every node)", APOOL, "spec.nodeSelector", "at least one label",
                        m -> put(m, "spec.nodeSelector", Map.of())),
                new Refused("H25", "AcceleratorPool sharing MIG without migProfiles", APOOL, "spec.accelerator", "migProfiles",
                        m -> put(m, "spec.accelerator.sharing", "MIG")),
                new Refused("H26", "PlacementPolicy defaultPriority 2000000000", PPOL, "spec.inference.defaultPriority", "less than or equal to 1000000000",
                        m -> put(m, "spec.inference.defaultPriority", 2_000_000_000)),
                new Refused("H27", "PlacementPolicy parkFraction 1.5", PPOL, "spec.inference.parkFraction", "less than or equal to 0.9",
                        m -> put(m, "spec.inference.parkFraction", 1.5)));
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("apiServerCases")
    void refusedByTheApiServer(Refused c) {
        Map<String, Object> obj = base(c.kind(), "bad-" + c.id().toLowerCase(Locale.ROOT));
        c.mutate().accept(obj);
        GenericKubernetesResource g = Serialization.jsonMapper().convertValue(obj, GenericKubernetesResource.class);
        io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
                io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> op = c.kind().isNamespaceScoped()
                ? admin.genericKubernetesResources(c.kind()).inNamespace(refusedNs) : admin.genericKubernetesResources(c.kind());
        KubernetesClientException e;
        try {
            op.resource(g).create();
            op.withName(g.getMetadata().getName()).withGracePeriod(0).delete();
            fail(c + ": the API server accepted it");
            return;
        } catch (KubernetesClientException x) {
            e = x;
        }
        String msg = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
        observed.put(c.id(), "HTTP " + e.getCode() + ": " + msg);
        assertEquals(422, e.getCode(), c + ": " + e.getMessage());
        assertTrue(msg.contains(c.field()), c + ": the message names " + c.field() + ": " + msg);
        assertTrue(msg.contains(c.says()), c + ": the message says '" + c.says() + "': " + msg);
        assertNull(op.withName(g.getMetadata().getName()).get(), "nothing stored");
    }

    /** A valid object of the kind, as JSON, for a case to break. */
    static Map<String, Object> base(ResourceDefinitionContext kind, String name) {
        Object typed;
        if (kind == AIW) {
            AIWorkload w = gpu(refusedNs, name, WorkloadPhase.Inference, 1, null, 0.5, "L4");
            typed = w;
        } else if (kind == APOOL) {
            typed = Fixtures.gpuPool(name, "L4", 24, 4, SharingMode.Fractional, 3.6);
        } else {
            typed = policy(name, Map.of(WorkloadPhase.Inference, List.of("frac")));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = Serialization.jsonMapper().convertValue(typed, LinkedHashMap.class);
        m.remove("status");
        return m;
    }

    // ---- H30-H38: accepted by the API server, refused by the operator (Failed, InvalidSpec) -------------------

    /** Accepted by the API server; the operator fails the workload with an InvalidSpec naming {@code field}. */
    record Invalid(String id, String title, String field, Consumer<AIWorkload> mutate) {
        @Override
        public String toString() {
            return id + " " + title;
        }
    }

    static List<Invalid> operatorCases() {
        return List.of(
                new Invalid("H30", "a sidecar requesting nvidia.com/gpu: 8", "spec.template.spec.containers[1].resources.requests[nvidia.com/gpu]",
                        w -> w.getSpec().getTemplate().getSpec().getContainers().add(new ContainerBuilder().withName("side").withImage("example.org/side:1")
                                .withNewResources().addToRequests(GPU, new Quantity("8")).addToLimits(GPU, new Quantity("8")).endResources().build())),
                new Invalid("H31", "an init container with NVIDIA_VISIBLE_DEVICES=all", "spec.template.spec.initContainers[0].env NVIDIA_VISIBLE_DEVICES",
                        w -> w.getSpec().getTemplate().getSpec().setInitContainers(new ArrayList<>(List.of(new ContainerBuilder().withName("init")
                                .withImage("example.org/init:1").addNewEnv().withName(NVIDIA_VISIBLE_DEVICES).withValue("all").endEnv().build())))),
                new Invalid("H32", "CUDA_VISIBLE_DEVICES in the main container", "spec.template.spec.containers[0].env CUDA_VISIBLE_DEVICES",
                        w -> w.getSpec().getTemplate().getSpec().getContainers().get(0).setEnv(new ArrayList<>(List.of(new EnvVar("CUDA_VISIBLE_DEVICES", "0,1,2,3", null))))),
                new Invalid("H33", "template.spec.resourceClaims (a DRA claim)", "spec.template.spec.resourceClaims",
                        w -> w.getSpec().getTemplate().getSpec().setResourceClaims(new ArrayList<>(List.of(new PodResourceClaimBuilder()
                                .withName("gpus").withResourceClaimName("all-the-gpus").build())))),
                new Invalid("H34", "memory 18446744073709551616 (2^64 bytes)", "spec.resources.memory",
                        w -> w.getSpec().getResources().setMemory(BigInteger.TWO.pow(64).toString())),
                new Invalid("H35", "cpu 100001", "spec.resources.cpu",
                        w -> w.getSpec().getResources().setCpu("100001")),
                new Invalid("H36", "idleTimeout 8761h (over 365 days)", "spec.idleTimeout",
                        w -> w.getSpec().setIdleTimeout("8761h")),
                new Invalid("H37", "a container's resources.claims", "spec.template.spec.containers[0].resources.claims",
                        w -> w.getSpec().getTemplate().getSpec().getContainers().get(0).setResources(new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
                                .withClaims(new ResourceClaimBuilder().withName("gpus").build()).build())),
                new Invalid("H38", "amd.com/gpu in the main container's limits", "spec.template.spec.containers[0].resources.limits[amd.com/gpu]",
                        w -> w.getSpec().getTemplate().getSpec().getContainers().get(0).setResources(new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
                                .addToLimits("amd.com/gpu", new Quantity("1")).build())));
    }

    @Order(2)
    @ParameterizedTest(name = "{0}")
    @MethodSource("operatorCases")
    void refusedByTheOperator(Invalid c) {
        String name = "inv-" + c.id().toLowerCase(Locale.ROOT);
        AIWorkload w = gpu(invalidNs, name, WorkloadPhase.Inference, 1, null, 0.5, "L4");
        c.mutate().accept(w);
        create(w); // the API server takes it
        AIWorkload got = awaitState(invalidNs, name, WorkloadState.Failed);
        var placed = condition(got, "Placed");
        observed.put(c.id(), "state Failed; Placed=" + placed.getStatus() + " " + placed.getReason() + ": " + placed.getMessage());
        assertEquals("False", placed.getStatus());
        assertEquals("InvalidSpec", placed.getReason());
        assertTrue(placed.getMessage().startsWith(c.field()), c + ": the condition names " + c.field() + ": " + placed.getMessage());
        assertTrue(got.getStatus().getMessage().contains(c.field()), got.getStatus().getMessage());
        await().atMost(WAIT).pollInterval(POLL).untilAsserted(() -> assertTrue(events(invalidNs, name).stream().anyMatch(e ->
                "InvalidSpec".equals(e.getReason()) && "Warning".equals(e.getType()) && e.getMessage().contains(c.field())), "InvalidSpec event"));
        assertEquals(List.of(), livePods(invalidNs, name), "no pod");
        deleteAndWait(invalidNs, name);
    }

    // ---- H40-H61: handled by the operator ----------------------------------------------------------------------

    @Test
    @Order(40)
    @DisplayName("H40 template annotations plimsoll.io/gpu-milli \"0\" and plimsoll.io/devices \"0\"")
    void templateAnnotationsAreDropped() {
        String ns = ns("h40");
        AIWorkload w = gpu(ns, "annotated", WorkloadPhase.Inference, 1, 1, null, "L4");
        w.getSpec().getTemplate().setMetadata(new ObjectMetaBuilder()
                .withAnnotations(Map.of("plimsoll.io/gpu-milli", "0", "plimsoll.io/devices", "0", "note", "kept")).build());
        create(w);
        AIWorkload got = awaitState(ns, "annotated", WorkloadState.Running);
        ReplicaPlacement rp = got.getStatus().getPlacement().getReplicas().get(0);
        assertNull(rp.getFraction(), "counted whole");
        assertEquals("1x L4", got.getStatus().getDevices());
        Pod pod = livePods(ns, "annotated").get(0);
        Map<String, String> ann = pod.getMetadata().getAnnotations();
        assertNull(ann.get("plimsoll.io/gpu-milli"), "the template's share is not on the pod: " + ann);
        assertEquals(String.valueOf(rp.getDevices().get(0)), ann.get("plimsoll.io/devices"), "the device is Plimsoll's choice");
        assertEquals(String.valueOf(rp.getDevices().get(0)), env(pod.getSpec().getContainers().get(0), NVIDIA_VISIBLE_DEVICES));
        assertEquals("kept", ann.get("note"));
        observed.put("H40", "Running, 1x L4 on " + rp.getNode() + " device " + rp.getDevices() + "; pod annotations " + ann);
        deleteAndWait(ns, "annotated");
    }

    @Test
    @Order(41)
    @DisplayName("H41 template label plimsoll.io/workload naming the bystander's workload")
    void templateLabelsAreDropped() {
        String ns = ns("h41");
        AIWorkload w = gpu(ns, "whole", WorkloadPhase.Inference, 1, 1, null, "A100"); // the bystander's name, in another namespace
        w.getSpec().getTemplate().setMetadata(new ObjectMetaBuilder()
                .withLabels(Map.of(Annotations.WORKLOAD, "share", Annotations.REPLICA, "7", "app", "mine")).build());
        create(w);
        awaitState(ns, "whole", WorkloadState.Running);
        Pod pod = livePods(ns, "whole").get(0);
        assertEquals("whole", pod.getMetadata().getLabels().get(Annotations.WORKLOAD));
        assertEquals("0", pod.getMetadata().getLabels().get(Annotations.REPLICA));
        assertEquals("mine", pod.getMetadata().getLabels().get("app"));
        observed.put("H41", "Running; pod labels " + pod.getMetadata().getLabels());
        deleteAndWait(ns, "whole");
    }

    @Test
    @Order(42)
    @DisplayName("H42 template nodeName and schedulerName pointing elsewhere")
    void templateNodeNameIsOverridden() {
        String ns = ns("h42");
        AIWorkload w = gpu(ns, "steer", WorkloadPhase.Inference, 1, null, 0.25, "L4");
        w.getSpec().getTemplate().getSpec().setNodeName("excl-0");
        w.getSpec().getTemplate().getSpec().setSchedulerName("default-scheduler");
        create(w);
        AIWorkload got = awaitState(ns, "steer", WorkloadState.Running);
        Pod pod = livePods(ns, "steer").get(0);
        assertTrue(pod.getSpec().getNodeName().startsWith("frac-"), pod.getSpec().getNodeName());
        assertEquals(got.getStatus().getPlacement().getReplicas().get(0).getNode(), pod.getSpec().getNodeName());
        assertEquals("plimsoll", pod.getSpec().getSchedulerName());
        observed.put("H42", "Running on " + pod.getSpec().getNodeName() + " with schedulerName " + pod.getSpec().getSchedulerName());
        deleteAndWait(ns, "steer");
    }

    @Test
    @Order(43)
    @DisplayName("H43 envFrom a ConfigMap with NVIDIA_VISIBLE_DEVICES=all, in the main container and a sidecar")
    void envFromCannotWidenTheDevices() {
        String ns = ns("h43");
        admin.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("gpu-env").endMetadata()
                .addToData(NVIDIA_VISIBLE_DEVICES, "all").build()).create();
        AIWorkload w = gpu(ns, "sneaky", WorkloadPhase.Inference, 1, null, 0.5, "L4");
        List<Container> cs = w.getSpec().getTemplate().getSpec().getContainers();
        cs.get(0).setEnvFrom(List.of(new io.fabric8.kubernetes.api.model.EnvFromSourceBuilder().withNewConfigMapRef().withName("gpu-env").endConfigMapRef().build()));
        cs.add(new ContainerBuilder().withName("side").withImage("example.org/side:1").withEnvFrom(cs.get(0).getEnvFrom()).build());
        create(w);
        AIWorkload got = awaitState(ns, "sneaky", WorkloadState.Running);
        Pod pod = livePods(ns, "sneaky").get(0);
        String device = String.valueOf(got.getStatus().getPlacement().getReplicas().get(0).getDevices().get(0));
        // An explicit env entry wins over envFrom (Kubernetes' rule), so each container sees what Plimsoll gave it.
        assertEquals(device, env(pod.getSpec().getContainers().get(0), NVIDIA_VISIBLE_DEVICES));
        assertEquals("void", env(pod.getSpec().getContainers().get(1), NVIDIA_VISIBLE_DEVICES));
        observed.put("H43", "Running; main NVIDIA_VISIBLE_DEVICES=" + device + ", sidecar void (explicit env overrides envFrom)");
        deleteAndWait(ns, "sneaky");
    }

    @Test
    @Order(44)
    @DisplayName("H44 the tenant edits its own running pod: plimsoll.io/gpu-milli \"1\"")
    void editingOnesOwnPodChangesNothing() {
        String ns = ns("h44");
        create(gpu(ns, "edited", WorkloadPhase.Inference, 1, null, 0.5, "L4"));
        awaitState(ns, "edited", WorkloadState.Running);
        Pod pod = livePods(ns, "edited").get(0);
        admin.pods().inNamespace(ns).withName(pod.getMetadata().getName()).edit(p -> {
            p.getMetadata().getAnnotations().put("plimsoll.io/gpu-milli", "1");
            return p;
        });
        // Fill the pool: 0.5 (bystander) + 0.5 (edited) of 8 devices are taken, so exactly 28 quarters are free.
        // Believing the edit (0.001) would free another quarter.
        create(gpu(ns, "filler", WorkloadPhase.Inference, 30, null, 0.25, "L4"));
        AIWorkload filler = awaitState(ns, "filler", WorkloadState.Pending);
        assertEquals(28, filler.getStatus().getPlacement().getReplicas().size(), filler.getStatus().getMessage());
        assertTrue(filler.getStatus().getMessage().startsWith("cannot place 2 of 30"), filler.getStatus().getMessage());
        assertEquals(List.of(pod.getMetadata().getName()), names(livePods(ns, "edited")), "the edited pod stays");
        observed.put("H44", "edit accepted by the API server, ignored by Plimsoll: 28 of 30 quarter replicas placed (" + filler.getStatus().getMessage() + ")");
        assertNoDeviceHandedOutTwice();
        deleteAndWait(ns, "filler");
        deleteAndWait(ns, "edited");
    }

    @Test
    @Order(45)
    @DisplayName("H45 a plain pod with plimsoll.io labels and annotations, no pool, bound to a GPU node")
    void aPlainPodsAnnotationsAreNotBelieved() {
        String ns = ns("h45");
        String node = freeFracNode();
        Pod squatter = new PodBuilder().withNewMetadata().withName("squatter").withNamespace(ns)
                .withLabels(Map.of(Annotations.WORKLOAD, "whole", Annotations.REPLICA, "0", Annotations.MANAGED_BY, Annotations.MANAGER))
                .withAnnotations(Map.of("plimsoll.io/devices", "0,1,2,3", "plimsoll.io/gpu-milli", "1000", "plimsoll.io/parked-since", "never",
                        "plimsoll.io/cost-per-hour", "NaN", "plimsoll.io/mig-profile", "7g.80gb"))
                .endMetadata().withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("example.org/c:1").endContainer()
                .endSpec().build();
        admin.pods().inNamespace(ns).resource(squatter).create();
        create(gpu(ns, "too-big", WorkloadPhase.Inference, 1, 8, null, "L4"));
        create(gpu(ns, "fourway", WorkloadPhase.Inference, 1, 4, null, "L4"));
        AIWorkload big = awaitState(ns, "too-big", WorkloadState.Pending);
        assertFalse(big.getStatus().getUnplaceable().isEmpty(), "a pending workload still gets its reasons");
        AIWorkload four = awaitState(ns, "fourway", WorkloadState.Running);
        assertEquals(node, four.getStatus().getPlacement().getReplicas().get(0).getNode(), "the devices the annotations claim are free");
        assertNotNull(admin.pods().inNamespace(ns).withName("squatter").get(), "a pod that names no workload as controller is left alone");
        observed.put("H45", "annotations ignored: fourway placed on " + node + " devices "
                + four.getStatus().getPlacement().getReplicas().get(0).getDevices() + "; too-big Pending: " + big.getStatus().getMessage());
        deleteAndWait(ns, "too-big");
        deleteAndWait(ns, "fourway");
        deletePod(ns, "squatter");
    }

    @Test
    @Order(46)
    @DisplayName("H46 a plain pod with NVIDIA_VISIBLE_DEVICES=all bound to a GPU node")
    void aPodThatSeesAllDevicesHoldsThem() {
        String ns = ns("h46");
        String node = freeFracNode();
        Pod greedy = new PodBuilder().withNewMetadata().withName("greedy").withNamespace(ns).endMetadata().withNewSpec().withNodeName(node)
                .addNewContainer().withName("c").withImage("example.org/c:1").addNewEnv().withName(NVIDIA_VISIBLE_DEVICES).withValue("all").endEnv()
                .endContainer().endSpec().build();
        admin.pods().inNamespace(ns).resource(greedy).create();
        create(gpu(ns, "four", WorkloadPhase.Inference, 1, 4, null, "L4"));
        create(gpu(ns, "quarter", WorkloadPhase.Inference, 1, null, 0.25, "L4"));
        AIWorkload four = awaitState(ns, "four", WorkloadState.Pending);
        AIWorkload quarter = awaitState(ns, "quarter", WorkloadState.Running);
        assertNotEquals(node, quarter.getStatus().getPlacement().getReplicas().get(0).getNode(), "no share on a device the pod can see");
        assertEquals(List.of(), livePods(ns, "four"));
        String pending = four.getStatus().getMessage();
        assertNoDeviceHandedOutTwice();
        deletePod(ns, "greedy");
        four = awaitState(ns, "four", WorkloadState.Running);
        assertEquals(node, four.getStatus().getPlacement().getReplicas().get(0).getNode(), "placed there once the pod is gone");
        observed.put("H46", "devices held while the pod lives: four Pending (" + pending + "), quarter on another node; placed on " + node + " after it went");
        deleteAndWait(ns, "four");
        deleteAndWait(ns, "quarter");
    }

    @Test
    @Order(47)
    @DisplayName("H47 a forged pod with the workload's labels and controller owner reference")
    void aForgedPodIsDeleted() {
        String ns = ns("h47");
        create(gpu(ns, "real", WorkloadPhase.Inference, 1, null, 0.5, "L4"));
        AIWorkload real = awaitState(ns, "real", WorkloadState.Running);
        Pod pod = livePods(ns, "real").get(0);
        ReplicaPlacement rp = real.getStatus().getPlacement().getReplicas().get(0);
        Pod forged = new PodBuilder().withNewMetadata().withName("real-0-frgd9").withNamespace(ns)
                .withLabels(pod.getMetadata().getLabels()).withAnnotations(Map.of("plimsoll.io/pool", "frac",
                        "plimsoll.io/devices", String.valueOf(rp.getDevices().get(0)), "plimsoll.io/gpu-milli", "1"))
                .addNewOwnerReference().withApiVersion(GROUP + "/" + VERSION).withKind("AIWorkload").withName("real")
                .withUid(real.getMetadata().getUid()).withController(true).endOwnerReference().endMetadata()
                .withNewSpec().withNodeName(rp.getNode()).addNewContainer().withName("main").withImage("example.org/miner:1")
                .addNewEnv().withName(NVIDIA_VISIBLE_DEVICES).withValue(String.valueOf(rp.getDevices().get(0))).endEnv()
                .endContainer().endSpec().build();
        admin.pods().inNamespace(ns).resource(forged).create();
        await().atMost(WAIT).pollInterval(POLL).until(() -> {
            Pod f = admin.pods().inNamespace(ns).withName("real-0-frgd9").get();
            return f == null || f.getMetadata().getDeletionTimestamp() != null;
        });
        Event ev = await().atMost(WAIT).pollInterval(POLL).until(() -> events(ns, "real").stream()
                .filter(e -> "UnrecordedPod".equals(e.getReason())).findFirst().orElse(null), Objects::nonNull);
        assertTrue(ev.getMessage().contains("real-0-frgd9"), ev.getMessage());
        assertEquals(List.of(pod.getMetadata().getName()), names(livePods(ns, "real")), "the real replica is unchanged");
        AIWorkload after = get(ns, "real");
        assertEquals(WorkloadState.Running, after.getStatus().getState());
        assertEquals(pod.getMetadata().getName(), after.getStatus().getPlacement().getReplicas().get(0).getPod());
        observed.put("H47", "forged pod deleted; event UnrecordedPod: " + ev.getMessage());
        deleteAndWait(ns, "real");
    }

    @Test
    @Order(48)
    @DisplayName("H48 a sidecar asking for 2^64 bytes of memory")
    void aSidecarAskingForEverythingIsPending() {
        String ns = ns("h48");
        AIWorkload w = gpu(ns, "hog", WorkloadPhase.Inference, 1, null, 0.25, "L4");
        w.getSpec().getTemplate().getSpec().getContainers().add(new ContainerBuilder().withName("side").withImage("example.org/side:1")
                .withNewResources().addToRequests("memory", new Quantity(BigInteger.TWO.pow(64).toString())).endResources().build());
        create(w);
        AIWorkload got = awaitState(ns, "hog", WorkloadState.Pending);
        String msg = got.getStatus().getMessage();
        assertTrue(msg.startsWith("cannot place 1 of 1"), msg);
        assertTrue(msg.toLowerCase(Locale.ROOT).contains("memory"), msg);
        assertEquals(List.of(), livePods(ns, "hog"), "nothing bound");
        observed.put("H48", "Pending: " + msg);
        deleteAndWait(ns, "hog");
    }

    @Test
    @Order(49)
    @DisplayName("H49 a node whose status.allocatable.pods is 1")
    void aNodesPodCapacityIsHonoured() {
        String ns = ns("h49");
        AIWorkload w = cpuOnly(ns, "crowd", WorkloadPhase.Optimization, 3);
        w.getSpec().setPolicy("tiny-only");
        w.getSpec().getResources().setCpu("100m");
        create(w);
        AIWorkload got = awaitState(ns, "crowd", WorkloadState.Pending);
        assertEquals(1, podsOnNode("tiny-0").size(), "one pod on tiny-0: " + names(podsOnNode("tiny-0")));
        assertTrue(got.getStatus().getMessage().contains("pod capacity"), got.getStatus().getMessage());
        observed.put("H49", "one pod bound, Pending: " + got.getStatus().getMessage());
        deleteAndWait(ns, "crowd");
    }

    @Test
    @Order(50)
    @DisplayName("H50 a node advertising nvidia.com/gpu: 1000000 in a pool of 2 devices per node")
    void aNodeCannotAdvertiseItsWayToMoreDevices() {
        String ns = ns("h50");
        AIWorkload w = gpu(ns, "greedy-node", WorkloadPhase.Optimization, 3, 1, null, null);
        w.getSpec().setPolicy("liar-only");
        create(w);
        AIWorkload got = awaitState(ns, "greedy-node", WorkloadState.Pending);
        long used = podsOnNode("liar-0").stream().mapToLong(p -> gpuRequest(p)).sum();
        assertEquals(2, used, "never more than devicesPerNode on liar-0");
        assertEquals(2, got.getStatus().getPlacement().getReplicas().size());
        observed.put("H50", "2 of 3 replicas placed (devicesPerNode 2), Pending: " + got.getStatus().getMessage());
        deleteAndWait(ns, "greedy-node");
    }

    @Test
    @Order(51)
    @DisplayName("H51 spec.policy naming a PlacementPolicy that does not exist")
    void aMissingPolicyLeavesTheWorkloadPending() {
        String ns = ns("h51");
        AIWorkload w = gpu(ns, "lost", WorkloadPhase.Inference, 1, null, 0.25, "L4");
        w.getSpec().setPolicy("no-such-policy");
        create(w);
        AIWorkload got = awaitState(ns, "lost", WorkloadState.Pending);
        var placed = condition(got, "Placed");
        assertEquals("PolicyNotFound", placed.getReason());
        assertTrue(placed.getMessage().contains("no-such-policy"), placed.getMessage());
        await().atMost(WAIT).pollInterval(POLL).until(() -> events(ns, "lost").stream().anyMatch(e -> "PolicyNotFound".equals(e.getReason())));
        assertEquals(List.of(), livePods(ns, "lost"));
        observed.put("H51", "Pending, Placed=False PolicyNotFound: " + placed.getMessage());
        deleteAndWait(ns, "lost");
    }

    @Test
    @Order(52)
    @DisplayName("H52 a privileged container in a namespace enforcing Pod Security restricted, then fixed")
    void podSecurityRefusalIsReportedAndFixable() {
        String ns = "h52-" + UUID.randomUUID().toString().substring(0, 6);
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns)
                .withLabels(Map.of("pod-security.kubernetes.io/enforce", "restricted")).endMetadata().build()).create();
        tenantNamespaces.add(ns);
        AIWorkload w = gpu(ns, "priv", WorkloadPhase.Inference, 1, null, 0.25, "L4");
        w.getSpec().getTemplate().getSpec().getContainers().get(0).setSecurityContext(new io.fabric8.kubernetes.api.model.SecurityContextBuilder()
                .withPrivileged(true).build());
        create(w);
        AIWorkload got = awaitCondition(ns, "priv", "Placed", "PodRefused");
        assertEquals(WorkloadState.Pending, got.getStatus().getState());
        String msg = got.getStatus().getMessage();
        assertTrue(msg.contains("violates PodSecurity \"restricted"), msg);
        assertTrue(msg.contains("privileged"), msg);
        await().atMost(WAIT).pollInterval(POLL).until(() -> events(ns, "priv").stream().anyMatch(e -> "PodRefused".equals(e.getReason())));
        assertEquals(List.of(), livePods(ns, "priv"), "no pod");
        assertTrue(operator.healthy(), operator.unhealthy());
        observed.put("H52", "Pending, Placed=False PodRefused: " + msg);
        long fixedAt = System.nanoTime();
        admin.resources(AIWorkload.class).inNamespace(ns).withName("priv").edit(x -> {
            x.getSpec().getTemplate().getSpec().getContainers().get(0).setSecurityContext(new io.fabric8.kubernetes.api.model.SecurityContextBuilder()
                    .withPrivileged(false).withAllowPrivilegeEscalation(false).withRunAsNonRoot(true)
                    .withNewCapabilities().withDrop("ALL").endCapabilities()
                    .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().build());
            return x;
        });
        await().atMost(Duration.ofSeconds(40)).pollInterval(POLL).until(() -> get(ns, "priv").getStatus().getState() == WorkloadState.Running);
        observed.merge("H52", "; after the fix: Running " + (System.nanoTime() - fixedAt) / 1_000_000 + " ms later (back-off)", String::concat);
        deleteAndWait(ns, "priv");
    }

    @Test
    @Order(53)
    @DisplayName("H53 a Training gang of 2 in a namespace with a ResourceQuota of 1 pod")
    void aGangRefusedHalfwayIsRolledBack() {
        String ns = ns("h53");
        admin.resourceQuotas().inNamespace(ns).resource(new ResourceQuotaBuilder().withNewMetadata().withName("one-pod").endMetadata()
                .withNewSpec().addToHard("pods", new Quantity("1")).endSpec().build()).create();
        // No controller manager runs: write the quota's status as its controller would, so admission enforces it.
        admin.resourceQuotas().inNamespace(ns).withName("one-pod").editStatus(q -> {
            q.setStatus(new io.fabric8.kubernetes.api.model.ResourceQuotaStatusBuilder().addToHard("pods", new Quantity("1"))
                    .addToUsed("pods", new Quantity("0")).build());
            return q;
        });
        AIWorkload got;
        try (StatusHistory history = new StatusHistory(ns)) {
            create(cpuOnly(ns, "gang", WorkloadPhase.Training, 2));
            // From the history, not the latest copy: the first refusal's report can be overwritten (see H71).
            got = await().atMost(WAIT).pollInterval(POLL).until(() -> history.first(ns, "gang", w -> "PodRefused".equals(reason(w, "Placed"))), Objects::nonNull);
        }
        assertEquals(WorkloadState.Pending, got.getStatus().getState());
        String msg = got.getStatus().getMessage();
        assertTrue(msg.contains("exceeded quota"), msg);
        assertTrue(msg.contains("the 1 gang member(s) already created were deleted"), msg);
        await().atMost(WAIT).pollInterval(POLL).until(() -> events(ns, "gang").stream().anyMatch(e -> "PodRefused".equals(e.getReason())));
        await().atMost(WAIT).pollInterval(POLL).untilAsserted(() -> assertEquals(List.of(), names(admin.pods().inNamespace(ns).list().getItems()),
                "no pod left behind"));
        observed.put("H53", "Pending, Placed=False PodRefused: " + msg);
        deleteAndWait(ns, "gang");
    }

    @Test
    @Order(54)
    @DisplayName("H54 a workload stored while the CRD's spec.template was free-form, then the real CRD restored")
    void aStoredMalformedTemplateFailsOnlyItsWorkload() {
        String ns = ns("h54");
        brokenNs = ns;
        String crdName = "aiworkloads.plimsoll.io";
        CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions().withName(crdName).get();
        JSONSchemaProps spec = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        spec.getProperties().put("template", new JSONSchemaPropsBuilder().withType("object").withXKubernetesPreserveUnknownFields(true).build());
        admin.apiextensions().v1().customResourceDefinitions().resource(crd).update();
        Map<String, Object> bad = base(AIW, "broken");
        ((Map<String, Object>) bad.get("metadata")).put("namespace", ns);
        put(bad, "spec.template.spec.containers", "oops");
        GenericKubernetesResource g = Serialization.jsonMapper().convertValue(bad, GenericKubernetesResource.class);
        // The server takes a moment to serve the new schema.
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptionsMatching(e -> e instanceof KubernetesClientException k && k.getCode() == 422)
                .until(() -> admin.genericKubernetesResources(AIW).inNamespace(ns).resource(g).create() != null);
        restoreCrd();
        AIWorkload got = awaitState(ns, "broken", WorkloadState.Failed);
        var placed = condition(got, "Placed");
        assertEquals("InvalidSpec", placed.getReason());
        assertTrue(placed.getMessage().startsWith("spec.template.spec.containers"), placed.getMessage());
        await().atMost(WAIT).pollInterval(POLL).until(() -> events(ns, "broken").stream().anyMatch(e -> "InvalidSpec".equals(e.getReason())));
        create(gpu(ns, "neighbour", WorkloadPhase.Inference, 1, null, 0.25, "L4"));
        awaitState(ns, "neighbour", WorkloadState.Running);
        observed.put("H54", "Failed, Placed=False InvalidSpec: " + placed.getMessage());
        deleteAndWait(ns, "neighbour");
    }

    @Test
    @Order(55)
    @DisplayName("H55 a new operator starts while the malformed workload is stored")
    void aNewOperatorStartsPastAMalformedWorkload() {
        assertNotNull(get(brokenNs, "broken"), "H54's workload is still there");
        long t0 = System.nanoTime();
        operator.close();
        operator = api.startOperator("hostile-1");
        String ns = ns("h55");
        create(gpu(ns, "after-restart", WorkloadPhase.Inference, 1, null, 0.25, "L4"));
        awaitState(ns, "after-restart", WorkloadState.Running);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        AIWorkload broken = get(brokenNs, "broken");
        assertEquals(WorkloadState.Failed, broken.getStatus().getState());
        assertTrue(operator.healthy(), operator.unhealthy());
        observed.put("H55", "the new operator took the lease and placed new work " + ms + " ms after the old one stopped; broken stays Failed");
        deleteAndWait(ns, "after-restart");
    }

    @Test
    @Order(56)
    @DisplayName("H56 deleting the malformed workload")
    void deletingTheMalformedWorkloadCompletes() {
        admin.resources(AIWorkload.class).inNamespace(brokenNs).withName("broken").delete();
        await().atMost(WAIT).pollInterval(POLL).until(() -> admin.genericKubernetesResources(AIW).inNamespace(brokenNs).withName("broken").get() == null);
        observed.put("H56", "deleted: the object is gone");
    }

    @Test
    @Order(57)
    @DisplayName("H57 last-activity annotation \"yesterday\" (not RFC 3339)")
    void aGarbageActivitySignalScalesNothingDown() {
        String ns = ns("h57");
        AIWorkload w = cpuOnly(ns, "chatty", WorkloadPhase.Inference, 1);
        w.getSpec().setIdleTimeout("1s");
        w.getMetadata().setAnnotations(Map.of(LAST_ACTIVITY, "yesterday"));
        create(w);
        awaitState(ns, "chatty", WorkloadState.Running);
        AIWorkload got = awaitCondition(ns, "chatty", "Idle", "BadActivitySignal");
        String pod = livePods(ns, "chatty").get(0).getMetadata().getName();
        Event ev = await().atMost(WAIT).pollInterval(POLL).until(() -> events(ns, "chatty").stream()
                .filter(e -> "BadActivitySignal".equals(e.getReason()) && "Warning".equals(e.getType())).findFirst().orElse(null), Objects::nonNull);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).pollInterval(POLL).until(() ->
                get(ns, "chatty").getStatus().getState() == WorkloadState.Running && names(livePods(ns, "chatty")).equals(List.of(pod)));
        assertTrue(events(ns, "chatty").stream().noneMatch(e -> "ScaledToZero".equals(e.getReason())));
        observed.put("H57", "Running, Idle=False BadActivitySignal, warning event: " + ev.getMessage());
        assertTrue(condition(got, "Idle").getMessage().contains("yesterday"));
        deleteAndWait(ns, "chatty");
    }

    @Test
    @Order(58)
    @DisplayName("H58 last-activity annotation in the future")
    void aFutureActivitySignalScalesNothingDown() {
        String ns = ns("h58");
        AIWorkload w = cpuOnly(ns, "timetraveller", WorkloadPhase.Inference, 1);
        w.getSpec().setIdleTimeout("1s");
        w.getMetadata().setAnnotations(Map.of(LAST_ACTIVITY, Instant.now().plus(Duration.ofDays(3650)).toString()));
        create(w);
        awaitState(ns, "timetraveller", WorkloadState.Running);
        AIWorkload got = awaitCondition(ns, "timetraveller", "Idle", "BadActivitySignal");
        assertTrue(condition(got, "Idle").getMessage().contains("in the future"), condition(got, "Idle").getMessage());
        await().atMost(WAIT).pollInterval(POLL).until(() -> events(ns, "timetraveller").stream()
                .anyMatch(e -> "BadActivitySignal".equals(e.getReason()) && "Warning".equals(e.getType())));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).pollInterval(POLL).until(() ->
                get(ns, "timetraveller").getStatus().getState() == WorkloadState.Running && livePods(ns, "timetraveller").size() == 1);
        observed.put("H58", "Running, Idle=False BadActivitySignal: " + condition(got, "Idle").getMessage());
        deleteAndWait(ns, "timetraveller");
    }

    @Test
    @Order(59)
    @DisplayName("H59 a workload at zero whose last-activity is then set to garbage")
    void aWorkloadAtZeroStaysThereOnAGarbageSignal() {
        String ns = ns("h59");
        AIWorkload w = cpuOnly(ns, "napper", WorkloadPhase.Inference, 1);
        w.getSpec().setIdleTimeout("1s");
        w.getMetadata().setAnnotations(Map.of(LAST_ACTIVITY, Instant.now().minusSeconds(60).toString()));
        create(w);
        AIWorkload idle = awaitState(ns, "napper", WorkloadState.Idle);
        String zeroAt = idle.getStatus().getScaledToZeroAt();
        assertNotNull(zeroAt);
        admin.resources(AIWorkload.class).inNamespace(ns).withName("napper").edit(x -> {
            x.getMetadata().getAnnotations().put(LAST_ACTIVITY, "garbage");
            return x;
        });
        AIWorkload got = awaitCondition(ns, "napper", "Idle", "BadActivitySignal");
        assertEquals(WorkloadState.Idle, got.getStatus().getState());
        assertEquals(zeroAt, got.getStatus().getScaledToZeroAt(), "scaledToZeroAt kept");
        assertTrue(condition(got, "Idle").getMessage().contains("stays at zero"), condition(got, "Idle").getMessage());
        assertEquals(List.of(), livePods(ns, "napper"));
        assertTrue(events(ns, "napper").stream().noneMatch(e -> "Resumed".equals(e.getReason())), "no Resumed event");
        observed.put("H59", "stays Idle at zero (scaledToZeroAt " + zeroAt + " kept), Idle condition: " + condition(got, "Idle").getMessage());
        deleteAndWait(ns, "napper");
    }

    @Test
    @Order(60)
    @DisplayName("H60 low-priority work in one namespace needs the device of a parked priority-1000 workload in another")
    void lowPriorityWorkNeverTakesAnotherTenantsParkedDevice() {
        String nsVip = ns("h60-vip");
        String nsLow = ns("h60-low");
        AIWorkload vip = gpu(nsVip, "vip-sleeper", WorkloadPhase.Inference, 1, 1, null, "L4");
        vip.getSpec().setPolicy("only-one");
        io.plimsoll.reconciler.Fixtures.withPriority(admin, vip, 1000);
        vip.getMetadata().setAnnotations(Map.of(LAST_ACTIVITY, Instant.now().minusSeconds(60).toString()));
        create(vip);
        awaitState(nsVip, "vip-sleeper", WorkloadState.Parked);
        AIWorkload low = gpu(nsLow, "low-climber", WorkloadPhase.Inference, 1, 1, null, "L4");
        low.getSpec().setPolicy("only-one");
        io.plimsoll.reconciler.Fixtures.withPriority(admin, low, -1000);
        low.getMetadata().setAnnotations(Map.of(LAST_ACTIVITY, Instant.now().toString()));
        create(low);
        AIWorkload pending = awaitState(nsLow, "low-climber", WorkloadState.Pending);
        assertEquals(WorkloadState.Parked, get(nsVip, "vip-sleeper").getStatus().getState(), "the parked one keeps its device");
        assertEquals(List.of(), livePods(nsLow, "low-climber"));
        for (Event e : events(nsLow, null)) {
            assertFalse(e.getMessage().contains(nsVip) || e.getMessage().contains("vip-sleeper"), e.getMessage());
            assertNotEquals("MadeRoom", e.getReason());
        }
        for (Event e : events(nsVip, null)) assertFalse(e.getMessage().contains(nsLow) || e.getMessage().contains("low-climber"), e.getMessage());
        assertFalse(pending.getStatus().getMessage().contains(nsVip) || pending.getStatus().getMessage().contains("vip-sleeper"), pending.getStatus().getMessage());
        observed.put("H60", "low Pending (" + pending.getStatus().getMessage() + "); vip stays Parked; no event names the other side");
        deleteAndWait(nsLow, "low-climber");
        deleteAndWait(nsVip, "vip-sleeper");
    }

    @Test
    @Order(62)
    @DisplayName("H61 a workload named with 70 characters (its pods' label value may have at most 63)")
    void aNameTooLongForAPodLabelIsReported() {
        String ns = ns("h61");
        String name = "w" + "x".repeat(69);
        create(gpu(ns, name, WorkloadPhase.Inference, 1, null, 0.25, "L4"));
        AIWorkload got = awaitCondition(ns, name, "Placed", "InvalidSpec");
        assertEquals(WorkloadState.Failed, got.getStatus().getState());
        String msg = got.getStatus().getMessage();
        assertTrue(msg.contains("metadata.name is 70 characters") && msg.contains("63"), msg);
        assertEquals(List.of(), admin.pods().inNamespace(ns).list().getItems().stream().filter(HostileInputsTest::isLive).toList());
        observed.put("H61", "Failed, Placed=False InvalidSpec: " + msg);
        deleteAndWait(ns, name);
    }

    @Test
    @Order(63)
    @DisplayName("H62 template priorityClassName system-node-critical")
    void aCriticalPriorityClassIsRefused() {
        // Kubernetes itself lets any namespace use the system priority classes; Plimsoll refuses them in a template.
        String ns = ns("h62");
        AIWorkload w = gpu(ns, "vip-claim", WorkloadPhase.Inference, 1, null, 0.25, "L4");
        w.getSpec().getTemplate().getSpec().setPriorityClassName("system-node-critical");
        create(w);
        AIWorkload got = awaitCondition(ns, "vip-claim", "Placed", "InvalidSpec");
        assertEquals(WorkloadState.Failed, got.getStatus().getState());
        String msg = got.getStatus().getMessage();
        assertTrue(msg.contains("spec.template.spec.priorityClassName system-node-critical is reserved"), msg);
        assertEquals(List.of(), livePods(ns, "vip-claim"));
        observed.put("H62", "Failed, Placed=False InvalidSpec: " + msg);
        deleteAndWait(ns, "vip-claim");
    }

    @Test
    @Order(64)
    @DisplayName("H63 a sidecar requesting memory -1Gi")
    void aNegativeSidecarRequestIsRefusedByTheApiServer() {
        String ns = ns("h63");
        AIWorkload w = gpu(ns, "negative", WorkloadPhase.Inference, 1, null, 0.25, "L4");
        w.getSpec().getTemplate().getSpec().getContainers().add(new ContainerBuilder().withName("side").withImage("example.org/side:1")
                .withNewResources().addToRequests("memory", new Quantity("-1Gi")).endResources().build());
        create(w);
        AIWorkload got = awaitCondition(ns, "negative", "Placed", "PodRefused");
        String msg = got.getStatus().getMessage();
        assertTrue(msg.contains("spec.containers[1].resources.requests[memory]"), msg);
        assertEquals(List.of(), livePods(ns, "negative"));
        observed.put("H63", "Pending, Placed=False PodRefused: " + msg);
        deleteAndWait(ns, "negative");
    }

    @Test
    @Order(65)
    @DisplayName("H64 template metadata naming the bystander's namespace, a pod name, owner references and finalizers")
    void templateMetadataCannotAimAtAnotherNamespace() {
        String ns = ns("h64");
        AIWorkload target = get(bystanderNs, "share");
        AIWorkload w = gpu(ns, "aimed", WorkloadPhase.Inference, 1, null, 0.25, "L4");
        w.getSpec().getTemplate().setMetadata(new ObjectMetaBuilder().withNamespace(bystanderNs).withName(bystanderPods.get("share"))
                .withFinalizers("example.org/never-let-go")
                .addNewOwnerReference().withApiVersion(GROUP + "/" + VERSION).withKind("AIWorkload").withName("share")
                .withUid(target.getMetadata().getUid()).withController(true).endOwnerReference().build());
        create(w);
        awaitState(ns, "aimed", WorkloadState.Running);
        Pod pod = livePods(ns, "aimed").get(0);
        assertEquals(ns, pod.getMetadata().getNamespace());
        assertTrue(pod.getMetadata().getName().startsWith("aimed-0-"), pod.getMetadata().getName());
        assertEquals(1, pod.getMetadata().getOwnerReferences().size());
        assertEquals(get(ns, "aimed").getMetadata().getUid(), pod.getMetadata().getOwnerReferences().get(0).getUid());
        assertTrue(pod.getMetadata().getFinalizers() == null || pod.getMetadata().getFinalizers().isEmpty(), "" + pod.getMetadata().getFinalizers());
        observed.put("H64", "Running; pod " + pod.getMetadata().getName() + " in " + ns + ", owned by its own workload only, no finalizers");
        deleteAndWait(ns, "aimed");
    }

    @Test
    @Order(66)
    @DisplayName("H66 last-activity \"-300000000-01-01T00:00:00Z\" (a year Java parses, outside epoch milliseconds)")
    void anActivityTimeBeyondTheClockScalesNothingDown() {
        String ns = ns("h66");
        AIWorkload w = cpuOnly(ns, "ancient", WorkloadPhase.Inference, 1);
        w.getSpec().setIdleTimeout("1s");
        w.getMetadata().setAnnotations(Map.of(LAST_ACTIVITY, "-300000000-01-01T00:00:00Z"));
        create(w);
        try {
            // Not RFC 3339 (a year of nine digits): a bad signal, reported, nothing scaled down. Going to zero as long idle
            // would also do; no status at all would not.
            AIWorkload got = await().atMost(WAIT).pollInterval(POLL).until(() -> get(ns, "ancient"), x -> x != null && x.getStatus() != null
                    && condition(x, "Idle") != null && (x.getStatus().getState() == WorkloadState.Idle
                    || (x.getStatus().getState() == WorkloadState.Running && "BadActivitySignal".equals(condition(x, "Idle").getReason()))));
            observed.put("H66", "state " + got.getStatus().getState() + ", Idle=" + condition(got, "Idle").getReason() + ": " + condition(got, "Idle").getMessage());
        } finally {
            deleteAndWait(ns, "ancient");
        }
    }

    @Test
    @Order(67)
    @DisplayName("H67 last-activity annotation of 200,000 characters")
    void aHugeActivityAnnotationIsReportedBriefly() {
        String ns = ns("h67");
        AIWorkload w = cpuOnly(ns, "verbose", WorkloadPhase.Inference, 1);
        w.getSpec().setIdleTimeout("1s");
        w.getMetadata().setAnnotations(Map.of(LAST_ACTIVITY, "9".repeat(200_000)));
        create(w);
        awaitState(ns, "verbose", WorkloadState.Running);
        AIWorkload got = awaitCondition(ns, "verbose", "Idle", "BadActivitySignal");
        Event ev = await().atMost(WAIT).pollInterval(POLL).until(() -> events(ns, "verbose").stream()
                .filter(e -> "BadActivitySignal".equals(e.getReason())).findFirst().orElse(null), Objects::nonNull);
        assertTrue(ev.getMessage().length() <= 1024, "event message of " + ev.getMessage().length() + " characters");
        int condLen = condition(got, "Idle").getMessage().length();
        observed.put("H67", "Running, Idle=False BadActivitySignal; event message " + ev.getMessage().length()
                + " characters, Idle condition message " + condLen + " characters");
        deleteAndWait(ns, "verbose");
    }

    @Test
    @Order(68)
    @DisplayName("H68 a plain pod requesting nvidia.com/gpu: 4 bound to a Fractional pool's node (another scheduler's whole-GPU pod)")
    void anotherSchedulersWholeGpuPodIsCountedByItsRequest() {
        String ns = ns("h68");
        String node = freeFracNode();
        Pod hog = new PodBuilder().withNewMetadata().withName("foreign").withNamespace(ns).endMetadata().withNewSpec().withNodeName(node)
                .addNewContainer().withName("c").withImage("example.org/c:1").withNewResources().addToRequests(GPU, new Quantity("4"))
                .addToLimits(GPU, new Quantity("4")).endResources().endContainer().endSpec().build();
        admin.pods().inNamespace(ns).resource(hog).create();
        create(gpu(ns, "four", WorkloadPhase.Inference, 1, 4, null, "L4"));
        create(gpu(ns, "quarter", WorkloadPhase.Inference, 1, null, 0.25, "L4"));
        AIWorkload four = awaitState(ns, "four", WorkloadState.Pending);
        AIWorkload quarter = awaitState(ns, "quarter", WorkloadState.Running);
        assertNotEquals(node, quarter.getStatus().getPlacement().getReplicas().get(0).getNode());
        observed.put("H68", "the node's 4 devices counted by the request: four Pending (" + four.getStatus().getMessage() + "), quarter on another node");
        deleteAndWait(ns, "four");
        deleteAndWait(ns, "quarter");
        deletePod(ns, "foreign");
    }

    @Test
    @Order(69)
    @DisplayName("H69 last-activity \"1969-12-31T23:59:59Z\" (RFC 3339, before the Unix epoch) with idleTimeout 1s")
    void anActivityTimeBeforeTheEpochIsIdle() {
        String ns = ns("h69");
        AIWorkload w = cpuOnly(ns, "sixties", WorkloadPhase.Inference, 1);
        w.getSpec().setIdleTimeout("1s");
        w.getMetadata().setAnnotations(Map.of(LAST_ACTIVITY, "1969-12-31T23:59:59Z"));
        create(w);
        try {
            // Idle for 57 years with a 1 s timeout: to zero; or, at the least, the time reported as a bad signal.
            AIWorkload got = await().atMost(Duration.ofSeconds(10)).pollInterval(POLL).until(() -> get(ns, "sixties"), x -> x != null
                    && x.getStatus() != null && condition(x, "Idle") != null && (x.getStatus().getState() == WorkloadState.Idle
                    || "BadActivitySignal".equals(condition(x, "Idle").getReason())));
            observed.put("H69", "state " + got.getStatus().getState() + ", Idle=" + condition(got, "Idle").getStatus() + " "
                    + condition(got, "Idle").getReason() + ": " + condition(got, "Idle").getMessage());
        } finally {
            deleteAndWait(ns, "sixties");
        }
    }

    @Test
    @Order(70)
    @DisplayName("H70 hostPath /dev/nvidia0 mounted into the main container, in a namespace enforcing Pod Security baseline")
    void aHostPathToTheDevicesIsPodSecuritysToRefuse() {
        String ns = "h70-" + UUID.randomUUID().toString().substring(0, 6);
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns)
                .withLabels(Map.of("pod-security.kubernetes.io/enforce", "baseline")).endMetadata().build()).create();
        tenantNamespaces.add(ns);
        AIWorkload w = gpu(ns, "devmount", WorkloadPhase.Inference, 1, null, 0.25, "L4");
        var spec = w.getSpec().getTemplate().getSpec();
        spec.setVolumes(new ArrayList<>(List.of(new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("gpu0")
                .withNewHostPath().withPath("/dev/nvidia0").endHostPath().build())));
        spec.getContainers().get(0).setVolumeMounts(new ArrayList<>(List.of(new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                .withName("gpu0").withMountPath("/dev/nvidia0").build())));
        create(w);
        AIWorkload got = awaitCondition(ns, "devmount", "Placed", "PodRefused");
        String msg = got.getStatus().getMessage();
        assertTrue(msg.contains("violates PodSecurity \"baseline") && msg.contains("hostPath"), msg);
        assertEquals(List.of(), livePods(ns, "devmount"));
        observed.put("H70", "Pending, Placed=False PodRefused: " + msg);
        deleteAndWait(ns, "devmount");
    }

    @Test
    @Order(71)
    @DisplayName("H71 ten refused gangs at once: the PodRefused report stays while the back-off lasts")
    void aRefusalReportIsNotWipedDuringTheBackOff() throws InterruptedException {
        List<String> namespaces = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String ns = ns("h71-" + i);
            admin.resourceQuotas().inNamespace(ns).resource(new ResourceQuotaBuilder().withNewMetadata().withName("one-pod").endMetadata()
                    .withNewSpec().addToHard("pods", new Quantity("1")).endSpec().build()).create();
            admin.resourceQuotas().inNamespace(ns).withName("one-pod").editStatus(q -> {
                q.setStatus(new io.fabric8.kubernetes.api.model.ResourceQuotaStatusBuilder().addToHard("pods", new Quantity("1"))
                        .addToUsed("pods", new Quantity("0")).build());
                return q;
            });
            namespaces.add(ns);
        }
        List<String> wiped = new ArrayList<>();
        try (StatusHistory history = new StatusHistory(null)) {
            for (String ns : namespaces) create(cpuOnly(ns, "gang", WorkloadPhase.Training, 2));
            for (String ns : namespaces) {
                await().atMost(WAIT).pollInterval(POLL).until(() -> history.first(ns, "gang", w -> "PodRefused".equals(reason(w, "Placed"))), Objects::nonNull);
            }
            // Well inside the first 10 s back-off: the refusal stands for 2 s (and the history below shows no moment it did not).
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).pollInterval(POLL).until(() -> namespaces.stream()
                    .allMatch(ns -> "PodRefused".equals(reason(admin.resources(AIWorkload.class).inNamespace(ns).withName("gang").get(), "Placed"))));
            for (String ns : namespaces) {
                boolean refused = false;
                for (AIWorkload w : history.of(ns, "gang")) {
                    boolean says = w.getStatus() != null && w.getStatus().getState() == WorkloadState.Pending && "PodRefused".equals(reason(w, "Placed"));
                    if (says) refused = true;
                    else if (refused) {
                        wiped.add(ns + " at resourceVersion " + w.getMetadata().getResourceVersion() + ": state "
                                + (w.getStatus() == null ? null : w.getStatus().getState()) + ", Placed " + reason(w, "Placed"));
                        break;
                    }
                }
            }
        } finally {
            for (String ns : namespaces) deleteAndWait(ns, "gang");
        }
        observed.put("H71", wiped.isEmpty() ? "the report stayed in all 10 namespaces" : "report wiped in " + wiped.size() + " of 10: " + wiped);
        assertEquals(List.of(), wiped, "the PodRefused report was wiped during the back-off");
    }

    @Test
    @Order(99)
    @DisplayName("H65 after all cases: no event or status names another tenant's namespace")
    void nothingNamesAnotherNamespace() {
        List<Event> all = admin.v1().events().inAnyNamespace().list().getItems();
        int looked = 0;
        for (Event e : all) {
            String own = e.getMetadata().getNamespace();
            for (String other : tenantNamespaces) {
                if (other.equals(own) || e.getMessage() == null) continue;
                assertFalse(e.getMessage().contains(other), "event " + e.getReason() + " in " + own + " names " + other + ": " + e.getMessage());
            }
            looked++;
        }
        for (AIWorkload w : admin.resources(AIWorkload.class).inAnyNamespace().list().getItems()) {
            String own = w.getMetadata().getNamespace();
            String msg = w.getStatus() == null ? null : w.getStatus().getMessage();
            for (String other : tenantNamespaces) {
                if (!other.equals(own) && msg != null) assertFalse(msg.contains(other), w.getMetadata().getName() + ": " + msg);
            }
        }
        observed.put("H65", looked + " events in " + tenantNamespaces.size() + " tenant namespaces checked");
    }

    // ---- the invariant: no device handed out twice --------------------------------------------------------------

    /**
     * Over the workloads' records (status.placement.replicas[] of live pods, MIG aside): at most one whole device's
     * worth per node and device. Over the live pods bound to GPU nodes: pods pinned by NVIDIA_VISIBLE_DEVICES in their
     * first container (counted by the share their workload's status gives, else whole) never exceed a device, and
     * pinned devices plus nvidia.com/gpu requests never exceed the node's devices (capped at its pool's devicesPerNode).
     */
    static void assertNoDeviceHandedOutTwice() {
        List<Pod> allPods = admin.pods().inAnyNamespace().list().getItems();
        Map<String, Pod> live = new HashMap<>();
        for (Pod p : allPods) if (isLive(p)) live.put(key(p), p);
        Map<String, Double> byRecord = new TreeMap<>();
        Map<String, Double> shareOf = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (AIWorkload w : admin.resources(AIWorkload.class).inAnyNamespace().list().getItems()) {
            if (w.getStatus() == null || w.getStatus().getPlacement() == null) continue;
            for (ReplicaPlacement rp : w.getStatus().getPlacement().getReplicas()) {
                if (rp.getMigProfile() != null || rp.getDevices() == null) continue;
                double f = rp.getFraction() == null ? 1.0 : rp.getFraction();
                String podKey = w.getMetadata().getNamespace() + "/" + rp.getPod();
                shareOf.put(podKey, f);
                if (!live.containsKey(podKey)) continue;
                for (Integer d : rp.getDevices()) byRecord.merge(rp.getNode() + "#" + d, f, Double::sum);
            }
        }
        byRecord.forEach((dev, sum) -> {
            if (sum > 1.0 + 1e-9) problems.add("records: " + dev + " handed out " + sum + " times");
        });
        Map<String, Integer> perNode = pinnableDevices();
        for (var node : perNode.entrySet()) {
            int devices = node.getValue();
            double[] pinned = new double[devices];
            long requested = 0;
            List<String> who = new ArrayList<>();
            for (Pod p : live.values()) {
                if (!node.getKey().equals(p.getSpec().getNodeName())) continue;
                long req = gpuRequest(p);
                if (req > 0) {
                    requested += req;
                    who.add(key(p) + " requests " + req);
                    continue;
                }
                List<Integer> visible = visible(p, devices);
                if (visible.isEmpty()) continue;
                double f = shareOf.getOrDefault(key(p), 1.0);
                for (int d : visible) pinned[d] += f;
                who.add(key(p) + " pinned " + visible + " x" + f);
            }
            int pinnedDevices = 0;
            for (int d = 0; d < devices; d++) {
                if (pinned[d] > 1.0 + 1e-9) problems.add("pods: " + node.getKey() + " device " + d + " pinned " + pinned[d] + " times: " + who);
                if (pinned[d] > 0) pinnedDevices++;
            }
            if (pinnedDevices + requested > devices) {
                problems.add("pods: " + node.getKey() + " has " + devices + " devices, " + pinnedDevices + " pinned + " + requested + " requested: " + who);
            }
        }
        assertEquals(List.of(), problems, "no device handed out twice");
    }

    /** GPU nodes and their devices: allocatable nvidia.com/gpu, capped at the devicesPerNode of the pool they are in. */
    static Map<String, Integer> pinnableDevices() {
        List<AcceleratorPool> pools = admin.resources(AcceleratorPool.class).list().getItems();
        Map<String, Integer> out = new TreeMap<>();
        for (Node n : admin.nodes().list().getItems()) {
            Quantity q = n.getStatus() == null || n.getStatus().getAllocatable() == null ? null : n.getStatus().getAllocatable().get(GPU);
            if (q == null) continue;
            long devices = q.getNumericalAmount().longValue();
            for (AcceleratorPool p : pools) {
                Map<String, String> sel = p.getSpec().getNodeSelector();
                if (sel != null && !sel.isEmpty() && n.getMetadata().getLabels().entrySet().containsAll(sel.entrySet())
                        && p.getSpec().getAccelerator() != null && p.getSpec().getAccelerator().getDevicesPerNode() != null) {
                    devices = Math.min(devices, p.getSpec().getAccelerator().getDevicesPerNode());
                }
            }
            out.put(n.getMetadata().getName(), (int) Math.min(devices, 4096));
        }
        return out;
    }

    /** Device indexes in the first container's NVIDIA_VISIBLE_DEVICES ("all" is every device). */
    static List<Integer> visible(Pod p, int devices) {
        String v = env(p.getSpec().getContainers().get(0), NVIDIA_VISIBLE_DEVICES);
        if (v == null) return List.of();
        if (v.trim().equalsIgnoreCase("all")) {
            List<Integer> out = new ArrayList<>();
            for (int d = 0; d < devices; d++) out.add(d);
            return out;
        }
        List<Integer> out = new ArrayList<>();
        for (String part : v.split(",")) {
            try {
                int d = Integer.parseInt(part.trim());
                if (d >= 0 && d < devices && !out.contains(d)) out.add(d);
            } catch (NumberFormatException ignored) {
                // void, none: no device
            }
        }
        return out;
    }

    static long gpuRequest(Pod p) {
        long n = 0;
        for (Container c : p.getSpec().getContainers()) {
            if (c.getResources() == null) continue;
            Quantity q = c.getResources().getRequests() == null ? null : c.getResources().getRequests().get(GPU);
            if (q == null && c.getResources().getLimits() != null) q = c.getResources().getLimits().get(GPU);
            if (q != null) n += q.getNumericalAmount().longValue();
        }
        return n;
    }

    // ---- the case table ----------------------------------------------------------------------------------------

    /** Every case id in the corpus, in order: the parameterized cases' and those in the test methods' display names. */
    static List<String> caseIds() {
        List<String> ids = new ArrayList<>();
        apiServerCases().forEach(c -> ids.add(c.id()));
        operatorCases().forEach(c -> ids.add(c.id()));
        List<Method> methods = new ArrayList<>(List.of(HostileInputsTest.class.getDeclaredMethods()));
        methods.sort(java.util.Comparator.comparing(Method::getName));
        List<String> named = new ArrayList<>();
        for (Method m : methods) {
            DisplayName d = m.getAnnotation(DisplayName.class);
            if (d == null) continue;
            Matcher x = ID.matcher(d.value());
            if (x.lookingAt()) named.add(x.group());
        }
        named.sort(String::compareTo);
        ids.addAll(named);
        return ids;
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    static String ns(String prefix) {
        String n = api.createNamespace(prefix);
        tenantNamespaces.add(n);
        return n;
    }

    static AIWorkload gpu(String ns, String name, WorkloadPhase phase, int replicas, Integer count, Double fraction, String model) {
        AIWorkload w = Fixtures.workload(name, phase, replicas, AcceleratorType.GPU, count, fraction, null);
        w.getMetadata().setNamespace(ns);
        w.getSpec().getResources().setCpu("500m");
        w.getSpec().getResources().setMemory("1Gi");
        if (model != null) w.getSpec().getResources().getAccelerator().setModels(new ArrayList<>(List.of(model)));
        return w;
    }

    static AIWorkload cpuOnly(String ns, String name, WorkloadPhase phase, int replicas) {
        AIWorkload w = Fixtures.workload(name, phase, replicas, AcceleratorType.None, null, null, null);
        w.getMetadata().setNamespace(ns);
        w.getSpec().getResources().setCpu("500m");
        w.getSpec().getResources().setMemory("1Gi");
        return w;
    }

    static AcceleratorPool cpuPool(String name, double cost) {
        AcceleratorPool p = Fixtures.gpuPool(name, null, 0, 0, SharingMode.Exclusive, cost);
        p.getSpec().setAccelerator(new io.plimsoll.api.PoolAccelerator());
        return p;
    }

    static PlacementPolicy policy(String name, Map<WorkloadPhase, List<String>> pools) {
        PlacementPolicy p = new PlacementPolicy();
        p.setMetadata(new ObjectMetaBuilder().withName(name).build());
        PlacementPolicySpec spec = new PlacementPolicySpec();
        pools.forEach((phase, list) -> {
            PhaseRule r = new PhaseRule();
            r.setPools(new ArrayList<>(list));
            switch (phase) {
                case Training -> spec.setTraining(r);
                case Inference -> spec.setInference(r);
                case Optimization -> spec.setOptimization(r);
                case Workbench -> spec.setWorkbench(r);
            }
        });
        p.setSpec(spec);
        return p;
    }

    static void create(AIWorkload w) {
        admin.resource(w).create();
    }

    static AIWorkload get(String ns, String name) {
        return admin.resources(AIWorkload.class).inNamespace(ns).withName(name).get();
    }

    static AIWorkload awaitState(String ns, String name, WorkloadState state) {
        return await().atMost(WAIT).pollInterval(POLL).until(() -> get(ns, name), w -> w != null && w.getStatus() != null
                && w.getStatus().getState() == state);
    }

    static AIWorkload awaitCondition(String ns, String name, String type, String reason) {
        return await().atMost(WAIT).pollInterval(POLL).until(() -> get(ns, name), w -> w != null && w.getStatus() != null
                && condition(w, type) != null && reason.equals(condition(w, type).getReason()));
    }

    static io.fabric8.kubernetes.api.model.Condition condition(AIWorkload w, String type) {
        return w.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    /** Deletes the workload and waits until it is gone and its pods with it. */
    static void deleteAndWait(String ns, String name) {
        admin.resources(AIWorkload.class).inNamespace(ns).withName(name).delete();
        await().atMost(WAIT).pollInterval(POLL).until(() -> get(ns, name) == null);
        await().atMost(WAIT).pollInterval(POLL).until(() -> admin.pods().inNamespace(ns).list().getItems().stream()
                .noneMatch(p -> name.equals(p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(Annotations.WORKLOAD))));
    }

    static void deletePod(String ns, String name) {
        admin.pods().inNamespace(ns).withName(name).withGracePeriod(0).delete();
        await().atMost(WAIT).pollInterval(POLL).until(() -> admin.pods().inNamespace(ns).withName(name).get() == null);
    }

    static List<Pod> livePods(String ns, String workload) {
        // Filtered here, not by a label selector: a selector cannot even name a workload whose name is over 63 characters.
        return admin.pods().inNamespace(ns).list().getItems().stream()
                .filter(p -> p.getMetadata().getLabels() != null && workload.equals(p.getMetadata().getLabels().get(Annotations.WORKLOAD)))
                .filter(HostileInputsTest::isLive).sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName())).toList();
    }

    static List<Pod> podsOnNode(String node) {
        return admin.pods().inAnyNamespace().withField("spec.nodeName", node).list().getItems().stream().filter(HostileInputsTest::isLive).toList();
    }

    /** A node of the Fractional pool with no live pod on it. */
    static String freeFracNode() {
        for (String n : List.of("frac-0", "frac-1")) if (podsOnNode(n).isEmpty()) return n;
        throw new AssertionError("no free frac node: " + names(podsOnNode("frac-0")) + " " + names(podsOnNode("frac-1")));
    }

    static boolean isLive(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return p.getMetadata().getDeletionTimestamp() == null && !"Succeeded".equals(phase) && !"Failed".equals(phase);
    }

    static List<Event> events(String ns, String involved) {
        return admin.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> involved == null || involved.equals(e.getInvolvedObject().getName())).toList();
    }

    static List<String> names(List<Pod> pods) {
        return pods.stream().map(p -> p.getMetadata().getName()).sorted().collect(Collectors.toList());
    }

    static String key(Pod p) {
        return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
    }

    static String env(Container c, String name) {
        if (c.getEnv() == null) return null;
        return c.getEnv().stream().filter(e -> name.equals(e.getName())).map(EnvVar::getValue).findFirst().orElse(null);
    }

    @SuppressWarnings("unchecked")
    static void put(Map<String, Object> m, String path, Object value) {
        String[] parts = path.split("\\.");
        Map<String, Object> at = m;
        for (int i = 0; i < parts.length - 1; i++) {
            Object next = at.get(parts[i]);
            if (!(next instanceof Map)) {
                next = new LinkedHashMap<String, Object>();
                at.put(parts[i], next);
            }
            at = (Map<String, Object>) next;
        }
        at.put(parts[parts.length - 1], value);
    }

    @SuppressWarnings("unchecked")
    static void remove(Map<String, Object> m, String path) {
        String[] parts = path.split("\\.");
        Map<String, Object> at = m;
        for (int i = 0; i < parts.length - 1; i++) {
            at = (Map<String, Object>) at.get(parts[i]);
            if (at == null) return;
        }
        at.remove(parts[parts.length - 1]);
    }

    /** Puts the committed AIWorkload CRD back and waits until the server validates templates again. */
    static void restoreCrd() {
        CustomResourceDefinition file;
        try (InputStream in = Files.newInputStream(RealApiServer.CRDS.resolve("aiworkloads.plimsoll.io-v1.yml"))) {
            file = Serialization.unmarshal(in, CustomResourceDefinition.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CustomResourceDefinition now = admin.apiextensions().v1().customResourceDefinitions().withName(file.getMetadata().getName()).get();
        now.setSpec(file.getSpec());
        admin.apiextensions().v1().customResourceDefinitions().resource(now).update();
        Map<String, Object> probe = base(AIW, "schema-probe");
        put(probe, "spec.template.spec.containers", "oops");
        GenericKubernetesResource g = Serialization.jsonMapper().convertValue(probe, GenericKubernetesResource.class);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            try {
                admin.genericKubernetesResources(AIW).inNamespace(refusedNs).resource(g).dryRun().create();
                return false;
            } catch (KubernetesClientException e) {
                return e.getCode() == 422;
            }
        });
    }

    static String reason(AIWorkload w, String type) {
        var c = w.getStatus() == null ? null : condition(w, type);
        return c == null ? null : c.getReason();
    }

    /** Every version of the AIWorkloads of a namespace (all namespaces when null) the informer delivers, in order. */
    static final class StatusHistory implements AutoCloseable {
        private final List<AIWorkload> seen = new CopyOnWriteArrayList<>();
        private final SharedIndexInformer<AIWorkload> informer;

        StatusHistory(String namespace) {
            var op = admin.resources(AIWorkload.class);
            ResourceEventHandler<AIWorkload> h = new ResourceEventHandler<>() {
                @Override public void onAdd(AIWorkload w) { seen.add(w); }
                @Override public void onUpdate(AIWorkload o, AIWorkload w) { seen.add(w); }
                @Override public void onDelete(AIWorkload w, boolean unknown) { }
            };
            informer = namespace == null ? op.inAnyNamespace().inform(h) : op.inNamespace(namespace).inform(h);
        }

        List<AIWorkload> of(String ns, String name) {
            return seen.stream().filter(w -> ns.equals(w.getMetadata().getNamespace()) && name.equals(w.getMetadata().getName())).toList();
        }

        AIWorkload first(String ns, String name, java.util.function.Predicate<AIWorkload> p) {
            return of(ns, name).stream().filter(p).findFirst().orElse(null);
        }

        @Override
        public void close() {
            informer.close();
        }
    }

    /**
     * Finishes the deletion of terminating pods, as the kubelet does once their containers stopped (no kubelet runs
     * here, so a deleted pod bound to a node would otherwise stay Terminating and hold its node's capacity forever).
     */
    static final class PodReaper implements AutoCloseable {
        private final KubernetesClient client;
        private final SharedIndexInformer<Pod> informer;
        private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pod-reaper");
            t.setDaemon(true);
            return t;
        });

        PodReaper(KubernetesClient client) {
            this.client = client;
            this.informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
                @Override public void onAdd(Pod pod) { reap(pod); }
                @Override public void onUpdate(Pod oldPod, Pod pod) { reap(pod); }
                @Override public void onDelete(Pod pod, boolean unknown) { }
            });
        }

        private void reap(Pod pod) {
            if (pod.getMetadata().getDeletionTimestamp() == null) return;
            worker.submit(() -> {
                try {
                    client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
                } catch (RuntimeException e) {
                    // gone already
                }
            });
        }

        @Override
        public void close() {
            informer.close();
            worker.shutdownNow();
        }
    }
}
