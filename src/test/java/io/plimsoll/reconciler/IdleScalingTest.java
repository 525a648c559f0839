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
