package io.plimsoll.api;

import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.plimsoll.api.CrdValidationRulesTest.schema;
import static io.plimsoll.api.CrdValidationRulesTest.violations;
import static io.plimsoll.api.CrdValidationRulesTest.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The CEL rules of the Tenant CRD and of AcceleratorPool's gpuEquivalent (the real API server runs them in TenantOnRealApiTest). */
class TenantCrdRulesTest {
    static List<String> tenant(String specYaml) throws Exception {
        return violations(schema("tenants.plimsoll.io-v1.yml").getProperties().get("spec"), yaml(specYaml));
    }

    @Test
    void limitBelowGuaranteedIsRefusedWithTheFix() throws Exception {
        String sel = "namespaceSelector: {matchLabels: {plimsoll.io/tenant: team-a}}";
        assertEquals(List.of(), tenant("{" + sel + ", guaranteed: {gpuEquivalents: 4.0, cpuCores: 8.0}, limit: {gpuEquivalents: 4.0}}"));
        assertEquals(List.of(), tenant("{" + sel + ", limit: {gpuEquivalents: 2.0}}"), "no guarantee: any limit");
        assertEquals(List.of(), tenant("{" + sel + ", guaranteed: {gpuEquivalents: 2.0}}"), "no limit");
        assertEquals(List.of("spec.limit.gpuEquivalents is below spec.guaranteed.gpuEquivalents: raise the limit to at least the"
                + " guarantee, or lower the guarantee"), tenant("{" + sel + ", guaranteed: {gpuEquivalents: 8.0}, limit: {gpuEquivalents: 4.0}}"));
        assertEquals(List.of("spec.limit.cpuCores is below spec.guaranteed.cpuCores: raise the limit to at least the guarantee, or"
                + " lower the guarantee"), tenant("{" + sel + ", guaranteed: {cpuCores: 8.0}, limit: {cpuCores: 4.0}}"));
    }

    @Test
    void anEmptySelectorAndARepeatedPoolCapAreRefused() throws Exception {
        assertEquals(List.of("spec.namespaceSelector is empty, which would select every namespace: add matchLabels or matchExpressions"
                + " (e.g. matchLabels: {plimsoll.io/tenant: team-a})"), tenant("{namespaceSelector: {}}"));
        assertEquals(List.of(), tenant("{namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}}"));
        assertEquals(List.of("spec.poolCaps names a pool more than once: keep one entry per pool"),
                tenant("{namespaceSelector: {matchLabels: {a: b}}, poolCaps: [{pool: h100, gpuEquivalents: 2.0}, {pool: h100, gpuEquivalents: 3.0}]}"));
    }

    @Test
    void gpuEquivalentIsForGpuAndTpuPoolsOnly() throws Exception {
        JSONSchemaProps spec = schema("acceleratorpools.plimsoll.io-v1.yml").getProperties().get("spec");
        assertEquals(List.of(), violations(spec, yaml("{nodeSelector: {a: b}, accelerator: {type: GPU, model: L4, memoryGiB: 24,"
                + " devicesPerNode: 4, resourceName: nvidia.com/gpu, gpuEquivalent: 0.25}}")));
        assertEquals(List.of("gpuEquivalent applies only to GPU and TPU pools: remove it (tenants count CPU pools in cpuCores)"),
                violations(spec, yaml("{nodeSelector: {a: b}, accelerator: {type: None, gpuEquivalent: 1.0}}")));
        JSONSchemaProps g = spec.getProperties().get("accelerator").getProperties().get("gpuEquivalent");
        assertEquals(Boolean.TRUE, g.getExclusiveMinimum());
        assertEquals(0.0, g.getMinimum());
        assertEquals(100.0, g.getMaximum());
    }

    @Test
    void theTenantSamplesSatisfyTheirCrds() throws Exception {
        int tenants = 0;
        for (String doc : Files.readString(Path.of("deploy/samples/tenants/tenants.yaml")).split("(?m)^---\\s*$")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> obj = (Map<String, Object>) yaml(doc);
            assertEquals("Tenant", obj.get("kind"));
            assertEquals(List.of(), violations(schema("tenants.plimsoll.io-v1.yml"), obj));
            tenants++;
        }
        assertEquals(2, tenants);
    }
}
