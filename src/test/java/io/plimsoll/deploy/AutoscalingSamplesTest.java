package io.plimsoll.deploy;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceSubresourceScale;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/samples/autoscaling: an HPA and a KEDA ScaledObject that drive a sample Inference workload through the
 * AIWorkload's /scale subresource. They stay out of deploy/samples/kustomization.yaml (so the sandbox and
 * {@code kubectl apply -k deploy/samples} never need KEDA). The HPA is also created on a real API server
 * (ScaleOnRealApiTest); KEDA's CRD is not available there, so the ScaledObject is checked here.
 */
class AutoscalingSamplesTest {
    static final Path SAMPLES = Path.of("deploy/samples");
    static final Path AUTOSCALING = SAMPLES.resolve("autoscaling");

    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path file) throws IOException {
        return (Map<String, Object>) new Yaml().load(Files.readString(file));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> m, String key) {
        Object v = m.get(key);
        assertTrue(v instanceof Map, key + " is missing or not a map: " + m);
        return (Map<String, Object>) v;
    }

    static CustomResourceDefinition aiWorkloadCrd() throws IOException {
        return Serialization.unmarshal(Files.readString(Path.of("crds/aiworkloads.plimsoll.io-v1.yml")), CustomResourceDefinition.class);
    }

    /** The sample workloads (kind AIWorkload) of deploy/samples, by namespace/name, with their phase. */
    static Map<String, String> sampleWorkloadPhases() throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.list(SAMPLES)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                for (Object doc : new Yaml().loadAll(Files.readString(f))) {
                    if (!(doc instanceof Map<?, ?> d) || !"AIWorkload".equals(d.get("kind"))) continue;
                    Map<?, ?> meta = (Map<?, ?>) d.get("metadata");
                    out.put(meta.get("namespace") + "/" + meta.get("name"), String.valueOf(((Map<?, ?>) d.get("spec")).get("phase")));
                }
            }
        }
        return out;
    }

    @Test
    void theCrdDeclaresTheScaleSubresourceTheSamplesUse() throws IOException {
        CustomResourceSubresourceScale scale = aiWorkloadCrd().getSpec().getVersions().get(0).getSubresources().getScale();
        assertNotNull(scale, "crds/aiworkloads.plimsoll.io-v1.yml has no subresources.scale");
        assertEquals(".spec.replicas", scale.getSpecReplicasPath());
        assertEquals(".status.replicas", scale.getStatusReplicasPath());
        assertEquals(".status.selector", scale.getLabelSelectorPath());
    }

    @Test
    void eachAutoscalerTargetsASampleInferenceWorkloadWithinTheReplicaBound() throws IOException {
        Number max = aiWorkloadCrd().getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties()
                .get("spec").getProperties().get("replicas").getMaximum();
        Map<String, String> workloads = sampleWorkloadPhases();
        List<String> kinds = new ArrayList<>();
        try (Stream<Path> files = Files.list(AUTOSCALING)) {
            for (Path f : files.sorted().toList()) {
                Map<String, Object> obj = yaml(f);
                String kind = (String) obj.get("kind");
                kinds.add(kind);
                Map<String, Object> spec = map(obj, "spec");
                Map<String, Object> ref = map(spec, "scaleTargetRef");
                assertEquals("plimsoll.io/v1alpha1", ref.get("apiVersion"), f.toString());
                assertEquals("AIWorkload", ref.get("kind"), f.toString());
                String target = map(obj, "metadata").get("namespace") + "/" + ref.get("name");
                assertEquals("Inference", workloads.get(target), f + ": scaleTargetRef " + target + " is not a sample Inference workload " + workloads);
                String maxField = "HorizontalPodAutoscaler".equals(kind) ? "maxReplicas" : "maxReplicaCount";
                assertTrue(((Number) spec.get(maxField)).intValue() <= max.intValue(), f + ": " + maxField + " above the CRD's maximum " + max);
            }
        }
        assertEquals(List.of("HorizontalPodAutoscaler", "ScaledObject"), kinds);
    }

    @Test
    void theScaledObjectScalesToZeroOnAPrometheusRequestRate() throws IOException {
        Map<String, Object> so = yaml(AUTOSCALING.resolve("keda-scaledobject.yaml"));
        assertEquals("keda.sh/v1alpha1", so.get("apiVersion"));
        Map<String, Object> spec = map(so, "spec");
        assertEquals(0, spec.get("minReplicaCount"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> triggers = (List<Map<String, Object>>) spec.get("triggers");
        assertEquals("prometheus", triggers.get(0).get("type"));
        Map<String, Object> metadata = map(triggers.get(0), "metadata");
        for (String key : List.of("serverAddress", "query", "threshold")) assertNotNull(metadata.get(key), "prometheus trigger needs " + key);
        // KEDA's CRD types trigger metadata as a map of strings: an unquoted number is refused there.
        metadata.forEach((k, v) -> assertTrue(v instanceof String, "trigger metadata " + k + " must be a string (quote it): " + v));
    }

    @Test
    void theAutoscalersStayOutOfTheSamplesKustomization() throws IOException {
        String kustomization = Files.readString(SAMPLES.resolve("kustomization.yaml"));
        assertFalse(kustomization.contains("autoscaling"),
                "deploy/samples/kustomization.yaml must not list autoscaling/: the sandbox and kubectl apply -k would need KEDA");
    }
}
