package io.plimsoll.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.PlacementPolicySpec;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The embedded API answers kubectl's discovery and table requests. */
class KubectlSupportTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void printerColumnPathsIncludingConditionFilters() throws Exception {
        JsonNode o = JSON.readTree("{\"status\":{\"placement\":{\"pool\":\"t4\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},{\"type\":\"Valid\",\"status\":\"True\"}]}}");
        assertEquals("t4", KubectlSupport.at(o, ".status.placement.pool").asText());
        assertEquals("True", KubectlSupport.at(o, ".status.conditions[?(@.type==\"Valid\")].status").asText());
        assertEquals(null, KubectlSupport.at(o, ".status.conditions[?(@.type==\"Gone\")].status"));
        assertEquals("90s", KubectlSupport.age(Instant.now().minusSeconds(90).toString()));
        assertEquals("3h", KubectlSupport.age(Instant.now().minusSeconds(3 * 3600 + 5).toString()));
    }

    @Test
    void discoveryAndTablesOverHttp() throws Exception {
        try (EmbeddedKubernetes k8s = new EmbeddedKubernetes()) {
            KubernetesClient c = k8s.client();
            PlacementPolicy p = new PlacementPolicy();
            p.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("default").build());
            p.setSpec(new PlacementPolicySpec());
            c.resource(p).create();
            var http = java.net.http.HttpClient.newHttpClient();
            var groups = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(k8s.url() + "apis")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals("APIGroupList", JSON.readTree(groups.body()).path("kind").asText());
            var res = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(k8s.url() + "apis/plimsoll.io/v1alpha1")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals("aiw", JSON.readTree(res.body()).path("resources").get(0).path("shortNames").get(0).asText());
            var table = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(k8s.url() + "apis/plimsoll.io/v1alpha1/placementpolicies"))
                    .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json").build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            JsonNode t = JSON.readTree(table.body());
            assertEquals("Table", t.path("kind").asText());
            assertEquals("Name", t.path("columnDefinitions").get(0).path("name").asText());
            assertEquals("default", t.path("rows").get(0).path("cells").get(0).asText());
        }
    }
}
