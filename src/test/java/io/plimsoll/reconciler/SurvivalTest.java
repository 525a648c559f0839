package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.MockResponse;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.sandbox.EmbeddedKubernetes;
import io.plimsoll.sandbox.SimulatedKubelet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static io.plimsoll.reconciler.Fixtures.NS;
import static io.plimsoll.reconciler.Fixtures.workload;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour when things break: the leader dies, the API answers conflicts and server errors. */
class SurvivalTest {
    // Generous: after a cut, watches come back with the client's reconnect backoff, which a loaded CI machine stretches.
    static final Duration WAIT = Duration.ofSeconds(60);

    EmbeddedKubernetes k8s;
    KubernetesClient client;
    SimulatedKubelet kubelet;
    final List<AutoCloseable> toClose = new java.util.ArrayList<>();

    @BeforeEach
    void start() {
        k8s = new EmbeddedKubernetes();
        client = k8s.client();
        Fixtures.h100AndT4(client, 2, 1);
        kubelet = new SimulatedKubelet(client);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception ignored) {
                // already stopped by the test
            }
        }
        kubelet.close();
        k8s.close();
    }

    static LeaderElectionConfiguration lease(String identity) {
        return new LeaderElectionConfiguration("plimsoll-leader", "plimsoll-system", Duration.ofSeconds(3),
                Duration.ofSeconds(2), Duration.ofMillis(250), identity, null, false);
    }

    String holder() {
        Lease l = client.leases().inNamespace("plimsoll-system").withName("plimsoll-leader").get();
        return l == null || l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
    }

    void awaitRunning(String name) {
        await().atMost(WAIT).untilAsserted(() -> {
            AIWorkload w = Fixtures.get(client, name);
            assertTrue(w.getStatus() != null && w.getStatus().getState() == WorkloadState.Running,
                    () -> name + ": " + (w.getStatus() == null ? "no status" : w.getStatus().getMessage()));
        });
    }

    /** Every pod of every workload holds its own devices, and each workload has exactly its replicas. */
    void assertNoDoubleBinding(List<String> workloads, List<Integer> replicas) {
        Set<String> held = new HashSet<>();
        for (int i = 0; i < workloads.size(); i++) {
            List<Pod> pods = Fixtures.pods(client, workloads.get(i));
            assertEquals(replicas.get(i), pods.size(), workloads.get(i) + " pods");
            for (Pod p : pods) {
                var ann = p.getMetadata().getAnnotations();
                for (String d : ann.get(Annotations.DEVICES).split(",")) {
                    String key = p.getSpec().getNodeName() + "/" + d;
                    if (ann.get(Annotations.GPU_MILLI) == null) assertTrue(held.add(key), key + " handed out twice");
                }
            }
        }
    }

    @Test
    void standbyTakesOverWhenTheLeaderDiesWithoutLosingOrDoublingWork() throws Exception {
        KubernetesClient clientA = k8s.newClient("operator-a");
        TestOperator a = new TestOperator(clientA, lease("a"));
        toClose.add(a);
        toClose.add(clientA);
        await().atMost(WAIT).until(() -> "a".equals(holder()));
        KubernetesClient clientB = k8s.newClient("operator-b");
        TestOperator b = new TestOperator(clientB, lease("b"));
        toClose.add(b);
        toClose.add(clientB);

        client.resource(workload("train", WorkloadPhase.Training, 2, AcceleratorType.GPU, 4, null, 40.0)).create();
        awaitRunning("train");
        assertEquals("a", holder(), "the standby does not take the lease from a live leader");

        // The leader dies while new work arrives: its connections go first, so it cannot release the lease.
        client.resource(workload("serve", WorkloadPhase.Inference, 3, AcceleratorType.GPU, 1, null, 40.0)).create();
        clientA.close();
        a.close();

        await().atMost(WAIT).until(() -> "b".equals(holder()));
        client.resource(workload("more", WorkloadPhase.Training, 1, AcceleratorType.GPU, 4, null, 40.0)).create();
        awaitRunning("serve");
        awaitRunning("more");
        awaitRunning("train");
        assertNoDoubleBinding(List.of("train", "serve", "more"), List.of(2, 3, 1));
    }

    @Test
    void droppedWatchesAreReestablishedWithoutMissingChanges() throws Exception {
        AtomicInteger podWatches = new AtomicInteger();
        k8s.dispatcher().observe(r -> {
            if ("GET".equals(r.getMethod()) && r.getPath().startsWith("/api/v1/pods") && r.getPath().contains("watch=true")) {
                podWatches.incrementAndGet();
            }
        });
        int apiPort = java.net.URI.create(k8s.url()).getPort();
        TcpProxy proxy = new TcpProxy(apiPort);
        toClose.add(proxy);
        KubernetesClient viaProxy = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration())
                        .withMasterUrl("http://127.0.0.1:" + proxy.port() + "/").build()).build();
        toClose.add(viaProxy);
        // A real API server resumes a dropped watch from its resourceVersion, replaying what happened meanwhile, or, once
        // that history is gone, answers 410 Gone and the informer lists again. The mock server can do neither: it resumes
        // a watch from now, silently missing what happened while it was down. So here, once the watches were cut, a
        // watch that resumes from a resourceVersion gets the 410 (as a compacted history would) whenever its resource
        // changed since the client last listed it; the informer then lists again. Whether the operator misses no change
        // is what this test checks.
        java.util.concurrent.atomic.AtomicBoolean cut = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.Map<String, Long> listed = new java.util.concurrent.ConcurrentHashMap<>(), changed = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicLong clockTick = new java.util.concurrent.atomic.AtomicLong();
        AtomicInteger gone = new AtomicInteger();
        k8s.dispatcher().intercept(r -> {
            String path = r.getPath();
            String resource = resourceOf(path);
            boolean watch = path.contains("watch=true");
            if (!"GET".equals(r.getMethod())) {
                changed.put(resource, clockTick.incrementAndGet());
                return null;
            }
            if (!watch && !path.substring(0, path.indexOf('?') < 0 ? path.length() : path.indexOf('?')).endsWith("/" + resource)) return null;
            if (!watch) {
                listed.put(resource, clockTick.incrementAndGet());
                return null;
            }
            if (!cut.get() || !path.contains("resourceVersion=")) return null;
            if (changed.getOrDefault(resource, 0L) < listed.getOrDefault(resource, 0L)) return null;
            gone.incrementAndGet();
            // What the API server sends then: the watch opens, carries one ERROR event with a 410 Status, and ends.
            return new MockResponse().withWebSocketUpgrade(new io.fabric8.mockwebserver.http.WebSocketListener() {
                @Override
                public void onOpen(io.fabric8.mockwebserver.http.WebSocket ws, io.fabric8.mockwebserver.http.Response response) {
                    ws.send("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                            + "\"message\":\"too old resource version\",\"reason\":\"Expired\",\"code\":410}}");
                    ws.close(1000, "");
                }
            });
        });
        Runnable cutAll = () -> {
            cut.set(true);
            proxy.cut();
        };
        TestOperator op = new TestOperator(viaProxy);
        toClose.add(op);
        client.resource(workload("first", WorkloadPhase.Training, 1, AcceleratorType.GPU, 8, null, 40.0)).create();
        awaitRunning("first");

        // Every watch drops; while the operator reconnects, capacity is freed and new work arrives.
        int watchesBefore = podWatches.get();
        cutAll.run();
        client.resources(AIWorkload.class).inNamespace(NS).withName("first").delete();
        client.resource(workload("second", WorkloadPhase.Training, 2, AcceleratorType.GPU, 8, null, 40.0)).create();
        cutAll.run();
        awaitRunning("second");
        await().atMost(WAIT).until(() -> Fixtures.get(client, "first") == null && Fixtures.pods(client, "first").isEmpty());
        assertNoDoubleBinding(List.of("second"), List.of(2));
        assertTrue(podWatches.get() > watchesBefore, "the pod watch was re-established after the cut");
        assertTrue(gone.get() > 0, "some watch resumed from a resourceVersion and was told to list again");
    }

    /** The resource (plural) a request path names: /api/v1/namespaces/ns/pods/x/status -> pods, /api/v1/nodes -> nodes. */
    static String resourceOf(String path) {
        int q = path.indexOf('?');
        String[] seg = (q < 0 ? path : path.substring(0, q)).replaceFirst("^/(api/[^/]+|apis/[^/]+/[^/]+)/?", "").split("/");
        if (seg.length >= 3 && seg[0].equals("namespaces")) return seg[2];
        return seg[0];
    }

    @Test
    void conflictsAndServerErrorsAreRetried() {
        AtomicInteger conflicts = new AtomicInteger(), errors = new AtomicInteger();
        Runnable undo409 = k8s.dispatcher().intercept(r -> "PATCH".equals(r.getMethod()) && r.getPath().contains("/aiworkloads/")
                && r.getPath().contains("/status") && conflicts.getAndIncrement() < 2
                ? new MockResponse().setResponseCode(409).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Conflict\",\"code\":409}")
                : null);
        Runnable undo500 = k8s.dispatcher().intercept(r -> "POST".equals(r.getMethod()) && r.getPath().endsWith("/pods")
                && errors.getAndIncrement() < 2
                ? new MockResponse().setResponseCode(503).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":503}")
                : null);
        TestOperator op = new TestOperator(client);
        toClose.add(op);
        client.resource(workload("serve", WorkloadPhase.Inference, 2, AcceleratorType.GPU, 1, null, 40.0)).create();
        awaitRunning("serve");
        assertTrue(conflicts.get() >= 2, "status conflicts were injected: " + conflicts.get());
        assertTrue(errors.get() >= 2, "pod creation errors were injected: " + errors.get());
        assertNoDoubleBinding(List.of("serve"), List.of(2));
        await().atMost(WAIT).until(() -> op.snapshot.reservationCount() == 0);
        undo409.run();
        undo500.run();
    }
}
