package io.plimsoll.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.reconciler.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The whole Quarkus application (CDI wiring, QOSDK, health) against Quarkus' mock API server. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class OperatorApplicationTest {

    @Inject
    KubernetesClient client;

    @Test
    void placesAWorkloadThroughTheWiredOperator() {
        client.resource(Fixtures.gpuPool("l4", "L4", 24, 4, SharingMode.Fractional, 3.6)).create();
        Fixtures.gpuNode(client, "l4-0", "l4", 4);
        client.resource(Fixtures.workload("wired", WorkloadPhase.Inference, 1, AcceleratorType.GPU, null, 0.5, null)).create();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            AIWorkload w = Fixtures.get(client, "wired");
            assertNotNull(w.getStatus());
            // No kubelet here: placed and bound, never started.
            assertEquals(WorkloadState.Placed, w.getStatus().getState(), w.getStatus().getMessage());
            assertEquals("l4", w.getStatus().getPlacement().getPool());
        });
    }

    @Test
    void healthEndpointsAnswer() {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200).body(containsString("UP"));
        given().get("/q/metrics").then().statusCode(200).body(containsString("plimsoll_placement_duration_seconds"));
    }

    /** crds/ is what users install; it must be exactly what the Java types generate. */
    @Test
    void committedCrdsMatchTheJavaTypes() throws IOException {
        Path generated = Path.of("target/crds-generated");
        Path committed = Path.of(System.getProperty("plimsoll.crds.committed", "crds"));
        List<Path> files;
        try (Stream<Path> s = Files.list(generated)) {
            files = s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no CRD was generated into " + generated);
        for (Path g : files) {
            Path c = committed.resolve(g.getFileName());
            assertEquals(Files.readString(g), Files.exists(c) ? Files.readString(c) : "<missing>",
                    c + " is stale: run ./mvnw package -DskipTests to regenerate crds/ and commit it");
        }
        try (Stream<Path> s = Files.list(committed)) {
            assertEquals(files.stream().map(p -> p.getFileName().toString()).toList(),
                    s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted().toList(),
                    "crds/ holds a CRD the Java types no longer generate");
        }
    }
}
