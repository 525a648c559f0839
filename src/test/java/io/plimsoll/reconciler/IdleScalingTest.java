package io.plimsoll.reconciler;

import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static io.plimsoll.reconciler.Fixtures.NS;
import static io.plimsoll.reconciler.Fixtures.get;
import static io.plimsoll.reconciler.Fixtures.pods;
import static io.plimsoll.reconciler.Fixtures.workload;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Idle Inference and Workbench workloads go to zero and come back; a missing or bad signal changes nothing. */
class IdleScalingTest extends OperatorOnEmbeddedApi {

    AIWorkload create(String name, WorkloadPhase phase, String lastActivity, String idleTimeout) {
        AIWorkload w = workload(name, phase, 1, AcceleratorType.GPU, null, 0.5, null);
        if (lastActivity != null) w.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", lastActivity));
        w.getSpec().setIdleTimeout(idleTimeout);
        return client.resource(w).create();
    }

    void annotate(String name, String lastActivity) {
        client.resources(AIWorkload.class).inNamespace(NS).withName(name).edit(w -> {
            w.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", lastActivity));
            return w;
        });
    }

    String idleReason(String name) {
        return Conditions.get(get(client, name).getStatus().getConditions(), "Idle").getReason();
    }

    @Test
    void idleInferenceScalesToZeroFreesItsDevicesAndComesBackOnActivity() {
        create("serve", WorkloadPhase.Inference, Instant.now().minus(Duration.ofHours(2)).toString(), "30m");
        AIWorkload idle = awaitState("serve", WorkloadState.Idle);
        assertTrue(idle.getStatus().getMessage().startsWith("idle for 2h"), idle.getStatus().getMessage());
        assertNotNull(idle.getStatus().getScaledToZeroAt());
        assertEquals(1, idle.getSpec().getReplicas(), "the declared replicas are kept");
        assertEquals("True", Conditions.get(idle.getStatus().getConditions(), "Idle").getStatus());
        await().atMost(WAIT).until(() -> pods(client, "serve").isEmpty());
        await().atMost(WAIT).untilAsserted(() -> {
            AcceleratorPool t4 = client.resources(AcceleratorPool.class).withName("t4").get();
            assertEquals(0.0, t4.getStatus().getDevicesAllocated(), 1e-9);
        });
        assertTrue(client.v1().events().inNamespace(NS).list().getItems().stream().anyMatch(e -> "ScaledToZero".equals(e.getReason())));
        assertEquals(1.0, operator.registry.get("plimsoll.scale.downs").tags("kind", "workload", "target", "Inference").counter().count());

        annotate("serve", Instant.now().toString());
        AIWorkload back = awaitState("serve", WorkloadState.Running);
        assertEquals(null, back.getStatus().getScaledToZeroAt());
        assertEquals(1, pods(client, "serve").size());
        assertEquals("Active", idleReason("serve"));
    }

    AIWorkload createWhole(String name, String lastActivity) {
        AIWorkload w = workload(name, WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
        w.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", lastActivity));
        return client.resource(w).create();
    }

    static Map<String, String> ann(io.fabric8.kubernetes.api.model.Pod p) {
        return p.getMetadata().getAnnotations();
    }

    double t4Allocated() {
        AcceleratorPool t4 = client.resources(AcceleratorPool.class).withName("t4").get();
        return t4.getStatus() == null || t4.getStatus().getDevicesAllocated() == null ? -1 : t4.getStatus().getDevicesAllocated();
    }

    @Test
    void idleInferenceParksInPlaceAndTakesItsWholeDeviceBackWithoutARestart() {
        // active 5 s ago: placed whole; under the adaptive rule (no history: 15-minute horizon) it parks when its
        // 10 s warm window ends, in place
        createWhole("warm", Instant.now().minus(Duration.ofSeconds(5)).toString());
        awaitState("warm", WorkloadState.Running);
        String whole = Fixtures.pod(client, NS, "warm", 0).getMetadata().getName();
        AIWorkload parked = awaitState("warm", WorkloadState.Parked);
        io.fabric8.kubernetes.api.model.Pod pod = Fixtures.pod(client, NS, "warm", 0);
        assertEquals(whole, pod.getMetadata().getName(), "parked in place: same pod");
        assertEquals("250", ann(pod).get("plimsoll.io/gpu-milli"));
        assertNotNull(ann(pod).get("plimsoll.io/parked-since"));
        assertEquals(null, pod.getSpec().getContainers().get(0).getResources().getRequests().get("nvidia.com/gpu"),
                "on a Fractional pool Plimsoll pins the device itself, so the replica can park in place");
        assertTrue(pod.getSpec().getContainers().get(0).getEnv().stream().anyMatch(e -> e.getName().equals("NVIDIA_VISIBLE_DEVICES")));
        assertEquals(Boolean.TRUE, parked.getStatus().getPlacement().getReplicas().get(0).getParked());
        assertEquals("Parked", idleReason("warm"));
        assertEquals("True", Conditions.get(parked.getStatus().getConditions(), "Idle").getStatus());
        await().atMost(WAIT).untilAsserted(() -> assertEquals(0.25, t4Allocated(), 1e-9));
        assertTrue(client.v1().events().inNamespace(NS).list().getItems().stream().anyMatch(e -> "Parked".equals(e.getReason())),
                () -> client.v1().events().inNamespace(NS).list().getItems().stream().map(e -> e.getReason() + ": " + e.getMessage()).toList().toString());
        assertEquals(1.0, operator.registry.get("plimsoll.scale.downs").tags("kind", "park", "target", "Inference").counter().count());

        // a garbled signal changes nothing: the replica stays parked
        annotate("warm", "yesterday");
        await().atMost(WAIT).untilAsserted(() -> assertEquals("BadActivitySignal", idleReason("warm")));
        assertEquals("250", ann(Fixtures.pod(client, NS, "warm", 0)).get("plimsoll.io/gpu-milli"));

        annotate("warm", Instant.now().toString());
        await().atMost(WAIT).untilAsserted(() -> {
            io.fabric8.kubernetes.api.model.Pod now = Fixtures.pod(client, NS, "warm", 0);
            assertEquals(pod.getMetadata().getName(), now.getMetadata().getName(), "resumed in place: same pod, nothing restarted");
            assertEquals(null, ann(now).get("plimsoll.io/gpu-milli"));
            assertEquals(null, ann(now).get("plimsoll.io/parked-since"));
            assertEquals(WorkloadState.Running, get(client, "warm").getStatus().getState());
        });
        assertTrue(client.v1().events().inNamespace(NS).list().getItems().stream().anyMatch(e -> "Resumed".equals(e.getReason())));
    }

    io.plimsoll.api.PlacementPolicy inferencePolicy(String name, Double parkFraction, boolean dryRun) {
        io.plimsoll.api.PlacementPolicy p = new io.plimsoll.api.PlacementPolicy();
        p.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).build());
        p.setSpec(new io.plimsoll.api.PlacementPolicySpec());
        io.plimsoll.api.PhaseRule r = new io.plimsoll.api.PhaseRule();
        r.setParkFraction(parkFraction);
        p.getSpec().setInference(r);
        p.getSpec().setDryRun(dryRun);
        return client.resource(p).create();
    }

    @Test
    void parkFractionZeroTurnsParkingOffAndDryRunOnlyReportsIt() {
        inferencePolicy("no-park", 0.0, false);
        inferencePolicy("show-me", null, true);
        for (String[] wp : new String[][] {{"kept", "no-park"}, {"shown", "show-me"}}) {
            AIWorkload w = workload(wp[0], WorkloadPhase.Inference, 1, AcceleratorType.GPU, 1, null, null);
            w.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", Instant.now().minus(Duration.ofMinutes(1)).toString()));
            w.getSpec().setPolicy(wp[1]);
            client.resource(w).create();
        }
        awaitState("kept", WorkloadState.Running);
        awaitState("shown", WorkloadState.Running);
        await().atMost(WAIT).untilAsserted(() -> {
            assertEquals("Active", idleReason("kept"));
            assertEquals("WouldPark", idleReason("shown"));
        });
        assertTrue(Conditions.get(get(client, "kept").getStatus().getConditions(), "Idle").getMessage().contains("parking is off"));
        assertTrue(Conditions.get(get(client, "shown").getStatus().getConditions(), "Idle").getMessage().contains("would park idle replicas in place at 0.25"));
        assertTrue(client.v1().events().inNamespace(NS).list().getItems().stream().anyMatch(e -> "WouldPark".equals(e.getReason())));
        for (String n : new String[] {"kept", "shown"}) {
            assertEquals(null, ann(Fixtures.pod(client, NS, n, 0)).get("plimsoll.io/gpu-milli"), n + " keeps its whole device");
        }
    }

    @Test
    void aResumingReplicaMovesTheParkedReplicaTheEnginePackedOntoItsDevice() {
        // idle for a minute when created: their replicas are placed parked (a 0.25 share) from the start
        createWhole("model-a", Instant.now().minus(Duration.ofMinutes(1)).toString());
        awaitState("model-a", WorkloadState.Parked);
        createWhole("model-b", Instant.now().minus(Duration.ofMinutes(1)).toString());
        awaitState("model-b", WorkloadState.Parked);
        io.fabric8.kubernetes.api.model.Pod a = Fixtures.pod(client, NS, "model-a", 0);
        io.fabric8.kubernetes.api.model.Pod b = Fixtures.pod(client, NS, "model-b", 0);
        // b's pod goes (as consolidation or a node drain would do it): it comes back parked, as a share the engine
        // packs onto the partly used device of a's parked replica
        client.pods().inNamespace(NS).withName(b.getMetadata().getName()).delete();
        await().atMost(WAIT).untilAsserted(() -> {
            io.fabric8.kubernetes.api.model.Pod nb = Fixtures.pod(client, NS, "model-b", 0);
            assertNotNull(nb);
            assertTrue(!nb.getMetadata().getName().equals(b.getMetadata().getName()));
            assertEquals("250", ann(nb).get("plimsoll.io/gpu-milli"));
            assertNotNull(ann(nb).get("plimsoll.io/parked-since"));
            assertEquals(a.getSpec().getNodeName() + "/" + ann(a).get("plimsoll.io/devices"),
                    nb.getSpec().getNodeName() + "/" + ann(nb).get("plimsoll.io/devices"));
        });
        String bOnA = Fixtures.pod(client, NS, "model-b", 0).getMetadata().getName();

        annotate("model-a", Instant.now().toString());
        await().atMost(WAIT).untilAsserted(() -> {
            io.fabric8.kubernetes.api.model.Pod na = Fixtures.pod(client, NS, "model-a", 0);
            assertEquals(a.getMetadata().getName(), na.getMetadata().getName(), "a resumes in place");
            assertEquals(null, ann(na).get("plimsoll.io/gpu-milli"));
            io.fabric8.kubernetes.api.model.Pod nb = Fixtures.pod(client, NS, "model-b", 0);
            assertNotNull(nb);
            assertTrue(!nb.getMetadata().getName().equals(bOnA), "b was moved off a's device");
            assertTrue(!(na.getSpec().getNodeName() + "/" + ann(na).get("plimsoll.io/devices"))
                    .equals(nb.getSpec().getNodeName() + "/" + ann(nb).get("plimsoll.io/devices")), "b no longer shares a's device");
            assertNotNull(ann(nb).get("plimsoll.io/parked-since"), "b stays parked where it went");
            assertEquals(1.25, t4Allocated(), 1e-9);
        });
        assertEquals(WorkloadState.Parked, get(client, "model-b").getStatus().getState());
    }

    @Test
    void idleWorkbenchIsCulledAfterSixtyMinutesByDefaultAndResumesWhenReplicasAreSet() {
        create("notebook", WorkloadPhase.Workbench, Instant.now().minus(Duration.ofMinutes(50)).toString(), null);
        awaitState("notebook", WorkloadState.Running);
        create("old-notebook", WorkloadPhase.Workbench, Instant.now().minus(Duration.ofMinutes(61)).toString(), null);
        awaitState("old-notebook", WorkloadState.Idle);
        client.resources(AIWorkload.class).inNamespace(NS).withName("old-notebook").edit(w -> { w.getSpec().setReplicas(1); w.getSpec().setIdleTimeout("4h"); return w; });
        awaitState("old-notebook", WorkloadState.Running);
        assertEquals("Running", get(client, "notebook").getStatus().getState().name(), "50 minutes idle is under the 60-minute default");
    }

    @Test
    void dryRunPolicyReportsTheScaleDownAndItsSavingButKeepsTheReplicas() {
        io.plimsoll.api.PlacementPolicy p = new io.plimsoll.api.PlacementPolicy();
        p.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("cautious").build());
        p.setSpec(new io.plimsoll.api.PlacementPolicySpec());
        p.getSpec().setDryRun(true);
        client.resource(p).create();
        AIWorkload w = workload("careful", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null);
        w.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", Instant.now().minus(Duration.ofHours(3)).toString()));
        w.getSpec().setIdleTimeout("30m");
        w.getSpec().setPolicy("cautious");
        client.resource(w).create();
        awaitState("careful", WorkloadState.Running);
        await().atMost(WAIT).untilAsserted(() -> assertEquals("WouldScaleToZero", idleReason("careful")));
        assertTrue(Conditions.get(get(client, "careful").getStatus().getConditions(), "Idle").getMessage().contains("saving $0.25/h"),
                Conditions.get(get(client, "careful").getStatus().getConditions(), "Idle").getMessage());
        assertEquals(1, pods(client, "careful").size(), "dry run keeps the replica");
        assertEquals(WorkloadState.Running, get(client, "careful").getStatus().getState());
    }

    @Test
    void missingOrBadSignalNeverScalesDown() {
        create("silent", WorkloadPhase.Inference, null, "1m");
        create("garbled", WorkloadPhase.Inference, "yesterday", "1m");
        awaitState("silent", WorkloadState.Running);
        awaitState("garbled", WorkloadState.Running);
        await().atMost(WAIT).untilAsserted(() -> {
            assertEquals("NoActivitySignal", idleReason("silent"));
            assertEquals("BadActivitySignal", idleReason("garbled"));
        });
        assertTrue(Conditions.get(get(client, "garbled").getStatus().getConditions(), "Idle").getMessage()
                .contains("not an RFC 3339 time"));
        assertEquals(1, pods(client, "silent").size());
        assertEquals(1, pods(client, "garbled").size());
    }

    @Test
    void prometheusSourceDrivesScaleDownAndItsErrorsNeverDo() throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> mode = new java.util.concurrent.atomic.AtomicReference<>("idle");
        com.sun.net.httpserver.HttpServer prom = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        prom.createContext("/api/v1/", ex -> {
            long now = Instant.now().getEpochSecond();
            String body;
            int code = 200;
            if (mode.get().equals("idle")) {
                StringBuilder values = new StringBuilder();
                for (long t = now - 3600; t <= now - 30; t += 60) values.append(values.length() == 0 ? "" : ",").append("[").append(t).append(",\"0\"]");
                body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[" + values + "]}]}}";
            } else {
                code = 400;
                body = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error: unexpected end of input\"}";
            }
            byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(code, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        prom.start();
        try {
            operator.close();
            operator = new TestOperator(client, null, new io.plimsoll.activity.PrometheusActivitySource(
                    java.net.URI.create("http://127.0.0.1:" + prom.getAddress().getPort()), Duration.ofSeconds(2),
                    java.net.http.HttpClient.newHttpClient()));
            mode.set("error");
            create("metered", WorkloadPhase.Inference, null, "30m");
            awaitState("metered", WorkloadState.Running);
            await().atMost(WAIT).untilAsserted(() -> assertEquals("BadActivitySignal", idleReason("metered")));
            assertTrue(Conditions.get(get(client, "metered").getStatus().getConditions(), "Idle").getMessage()
                    .contains("parse error"), "Prometheus's message is passed on");
            assertEquals(1, pods(client, "metered").size(), "a failing source never scales down");

            mode.set("idle");
            client.resources(AIWorkload.class).inNamespace(NS).withName("metered").edit(w -> { w.getSpec().setIdleTimeout("20m"); return w; });
            AIWorkload idle = awaitState("metered", WorkloadState.Idle);
            assertTrue(idle.getStatus().getMessage().startsWith("idle for"), idle.getStatus().getMessage());
        } finally {
            prom.stop(0);
        }
    }

    @Test
    void aReplicaParksAtLeastAtTheDeviceMemoryItsPodsWereMeasuredToHold() throws Exception {
        com.sun.net.httpserver.HttpServer prom = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        prom.createContext("/api/v1/query_range", ex -> {
            // GPU utilisation 0 for the last hour: the annotation (5 s ago) is the latest activity.
            long now = Instant.now().getEpochSecond();
            StringBuilder values = new StringBuilder();
            for (long t = now - 3600; t <= now - 30; t += 60) values.append(values.length() == 0 ? "" : ",").append("[").append(t).append(",\"0\"]");
            reply(ex, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[" + values + "]}]}}");
        });
        prom.createContext("/api/v1/query", ex -> reply(ex, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                + "[{\"metric\":{\"pod\":\"big-0-x\"},\"value\":[" + Instant.now().getEpochSecond() + ",\"10240\"]}]}}"));
        prom.start();
        try {
            operator.close();
            operator = new TestOperator(client, null, new io.plimsoll.activity.PrometheusActivitySource(
                    java.net.URI.create("http://127.0.0.1:" + prom.getAddress().getPort()), Duration.ofSeconds(2),
                    java.net.http.HttpClient.newHttpClient()), clock);
            // Declares no model memory; its pods hold 10 GiB of the T4's 16: parked at 10/16, not at parkFraction 0.25.
            createWhole("big", Instant.now().minus(Duration.ofSeconds(5)).toString());
            awaitState("big", WorkloadState.Parked);
            assertEquals("625", ann(Fixtures.pod(client, NS, "big", 0)).get("plimsoll.io/gpu-milli"));
            await().atMost(WAIT).untilAsserted(() -> assertEquals(0.625, t4Allocated(), 1e-9));
        } finally {
            prom.stop(0);
        }
    }

    static void reply(com.sun.net.httpserver.HttpExchange ex, String body) throws java.io.IOException {
        byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Test
    void trainingIsNeverCulledAndRecentInferenceStays() {
        AIWorkload train = workload("train", WorkloadPhase.Training, 1, AcceleratorType.GPU, 1, null, null);
        train.getMetadata().setAnnotations(Map.of("plimsoll.io/last-activity", Instant.now().minus(Duration.ofDays(2)).toString()));
        client.resource(train).create();
        create("busy", WorkloadPhase.Inference, Instant.now().toString(), null);
        awaitState("train", WorkloadState.Running);
        awaitState("busy", WorkloadState.Running);
        await().atMost(WAIT).untilAsserted(() -> assertEquals("Active", idleReason("busy")));
        assertEquals(null, Conditions.get(get(client, "train").getStatus().getConditions(), "Idle"), "no idleness for training");
    }
}
