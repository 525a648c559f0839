package io.plimsoll.api;

import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Evaluates the CEL rules of the generated CRDs (crds/) the way the API server would, on the samples and on
 * specs that must be refused: the Fabric8 mock server does not run CEL, so this is where the rules are proven.
 */
class CrdValidationRulesTest {
    static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS).addVar("self", SimpleType.DYN).build();
    static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

    static JSONSchemaProps schema(String crdFile) throws IOException {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(Path.of("crds", crdFile)), CustomResourceDefinition.class);
        return crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    }

    /** Messages of the rules the object breaks, after applying schema defaults as the API server does. */
    @SuppressWarnings("unchecked")
    static List<String> violations(JSONSchemaProps schema, Object value) throws Exception {
        List<String> out = new ArrayList<>();
        if (value instanceof Map<?, ?> m && schema.getProperties() != null) {
            Map<String, Object> map = (Map<String, Object>) m;
            for (var e : schema.getProperties().entrySet()) {
                if (!map.containsKey(e.getKey()) && e.getValue().getDefault() != null) {
                    map.put(e.getKey(), cel(Serialization.jsonMapper().convertValue(e.getValue().getDefault(), Object.class)));
                }
                if (map.containsKey(e.getKey())) out.addAll(violations(e.getValue(), map.get(e.getKey())));
            }
        } else if (value instanceof List<?> l && schema.getItems() != null && schema.getItems().getSchema() != null) {
            for (Object o : l) out.addAll(violations(schema.getItems().getSchema(), o));
        }
        if (schema.getXKubernetesValidations() != null) {
            for (ValidationRule r : schema.getXKubernetesValidations()) {
                var program = RUNTIME.createProgram(COMPILER.compile(r.getRule()).getAst());
                if (!Boolean.TRUE.equals(program.eval(Map.of("self", value)))) out.add(r.getMessage());
            }
        }
        return out;
    }

    /** JSON/YAML values as CEL sees them: int64 for integers, double for numbers, mutable maps. */
    @SuppressWarnings("unchecked")
    static Object cel(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put((String) k, cel(x)));
            return out;
        }
        if (v instanceof List<?> l) return new ArrayList<>(l.stream().map(CrdValidationRulesTest::cel).toList());
        if (v instanceof Integer i) return i.longValue();
        if (v instanceof Float f) return f.doubleValue();
        return v;
    }

    static Object yaml(String yaml) {
        return cel(new org.yaml.snakeyaml.Yaml().load(yaml));
    }

    static List<String> accelerator(String yaml) throws Exception {
        JSONSchemaProps acc = schema("aiworkloads.plimsoll.io-v1.yml").getProperties().get("spec").getProperties()
                .get("resources").getProperties().get("accelerator");
        return violations(acc, yaml(yaml));
    }

    @Test
    void everySampleSatisfiesItsCrd() throws Exception {
        Map<String, String> crdOfKind = Map.of("AIWorkload", "aiworkloads.plimsoll.io-v1.yml",
                "AcceleratorPool", "acceleratorpools.plimsoll.io-v1.yml", "PlacementPolicy", "placementpolicies.plimsoll.io-v1.yml");
        int checked = 0;
        try (var files = Files.list(Path.of("deploy/samples"))) {
            // Regular files only: deploy/samples/autoscaling/ holds an HPA and a KEDA ScaledObject (AutoscalingSamplesTest).
            for (Path f : files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("kustomization.yaml")).toList()) {
                for (String doc : Files.readString(f).split("(?m)^---\\s*$")) {
                    Map<String, Object> obj = (Map<String, Object>) yaml(doc);
                    String crd = crdOfKind.get((String) obj.get("kind"));
                    assertEquals(List.of(), violations(schema(crd), obj), f + ": " + obj.get("kind"));
                    checked++;
                }
            }
        }
        assertEquals(15, checked, "7 pools, 1 policy, 7 workloads");
    }

    @Test
    void acceleratorRequestRulesRefuseContradictionsWithTheFix() throws Exception {
        assertEquals(List.of(), accelerator("{type: GPU, count: 2, minMemoryGiB: 40.0}"));
        assertEquals(List.of(), accelerator("{type: GPU, fraction: 0.25}"));
        assertEquals(List.of(), accelerator("{type: TPU, count: 4, topology: 2x2}"));
        assertEquals(List.of(), accelerator("{}"), "defaults to type None");
        assertEquals(List.of("set either count (whole devices) or fraction (part of one device), not both"),
                accelerator("{type: GPU, count: 1, fraction: 0.5}"));
        assertEquals(List.of("fraction must be greater than 0 and less than 1; for one or more whole devices use count instead"),
                accelerator("{type: GPU, fraction: 1.5}"));
        assertEquals(List.of("type None asks for no accelerator: remove count, fraction and minMemoryGiB, or set type to GPU or TPU"),
                accelerator("{type: None, count: 1}"));
        assertEquals(List.of("an accelerator request needs count (whole devices) or fraction (part of one device)"),
                accelerator("{type: GPU, minMemoryGiB: 16.0}"));
        assertEquals(List.of("topology applies only to type TPU: remove it or set type to TPU"),
                accelerator("{type: GPU, count: 1, topology: 2x2}"));
        assertEquals(List.of("fraction is only supported for GPUs: use count for TPU chips"),
                accelerator("{type: TPU, fraction: 0.5}"));
    }

    @Test
    void trainingDeclarationsAreRefusedOnOtherPhasesWithTheFix() throws Exception {
        JSONSchemaProps spec = schema("aiworkloads.plimsoll.io-v1.yml").getProperties().get("spec");
        assertEquals(List.of(), violations(spec, yaml("{phase: Training, training: {checkpointsOnTermination: true}}")));
        assertEquals(List.of(), violations(spec, yaml("{phase: Inference}")));
        assertEquals(List.of("spec.training applies only to phase Training: remove spec.training or set spec.phase to Training"),
                violations(spec, yaml("{phase: Inference, training: {checkpointsOnTermination: true}}")));
    }

    @Test
    void poolRulesRefuseIncompletePools() throws Exception {
        JSONSchemaProps spec = schema("acceleratorpools.plimsoll.io-v1.yml").getProperties().get("spec");
        assertEquals(List.of("a GPU or TPU pool needs model, memoryGiB, devicesPerNode and resourceName (e.g. nvidia.com/gpu)"),
                violations(spec, yaml("{nodeSelector: {a: b}, accelerator: {type: GPU, model: T4}}")));
        assertEquals(List.of("sharing MIG needs at least one entry in migProfiles (e.g. name: 1g.10gb, memoryGiB: 10)"),
                violations(spec, yaml("{nodeSelector: {a: b}, accelerator: {type: GPU, model: A100, memoryGiB: 80, devicesPerNode: 8, resourceName: nvidia.com/gpu, sharing: MIG}}")));
        assertEquals(List.of("only GPU pools can share devices: set sharing to Exclusive"),
                violations(spec, yaml("{nodeSelector: {a: b}, accelerator: {type: TPU, model: v5e, memoryGiB: 16, devicesPerNode: 4, resourceName: google.com/tpu, sharing: Fractional}}")));
        assertEquals(List.of("nodeSelector needs at least one label, otherwise every node would belong to the pool"),
                violations(spec, yaml("{nodeSelector: {}, accelerator: {type: None}}")));
    }
}
