package io.plimsoll.actuator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.ScaleTargetRef;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.HashMap;
import java.util.Map;

/** The only code that changes nodes and scale targets: cordons, node annotations, Cluster API marks, /scale. */
@ApplicationScoped
public class NodeActuator {
    /** Cluster API's mark on a Machine: delete this one first when the MachineDeployment scales down. */
    public static final String CAPI_DELETE_MACHINE = "cluster.x-k8s.io/delete-machine";
    /** Annotations Cluster API puts on a Node to name its Machine. */
    public static final String CAPI_MACHINE = "cluster.x-k8s.io/machine";
    public static final String CAPI_NAMESPACE = "cluster.x-k8s.io/cluster-namespace";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;

    @Inject
    public NodeActuator(KubernetesClient client) {
        this.client = client;
    }

    /** Sets (value non-null) or removes (null) an annotation on a node, with a merge patch. */
    public void annotate(String node, String key, String value) {
        Map<String, Object> ann = new HashMap<>();
        ann.put(key, value);
        client.nodes().withName(node).patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), json(Map.of("metadata", Map.of("annotations", ann))));
    }

    public void cordon(String node) {
        client.nodes().withName(node).patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), "{\"spec\":{\"unschedulable\":true}}");
    }

    public void uncordon(String node) {
        client.nodes().withName(node).patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), "{\"spec\":{\"unschedulable\":null}}");
    }

    /** Marks the node's Cluster API Machine for deletion; false when the node names no Machine. */
    public boolean markMachineForDeletion(Map<String, String> nodeAnnotations, String machineApiVersion) {
        String machine = nodeAnnotations == null ? null : nodeAnnotations.get(CAPI_MACHINE);
        String ns = nodeAnnotations == null ? null : nodeAnnotations.get(CAPI_NAMESPACE);
        if (machine == null || ns == null) return false;
        GenericKubernetesResource m = client.genericKubernetesResources(machineApiVersion, "Machine").inNamespace(ns).withName(machine).get();
        if (m == null) return false;
        client.genericKubernetesResources(machineApiVersion, "Machine").inNamespace(ns).withName(machine)
                .edit(x -> {
                    Map<String, String> a = x.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(x.getMetadata().getAnnotations());
                    a.put(CAPI_DELETE_MACHINE, "yes");
                    x.getMetadata().setAnnotations(a);
                    return x;
                });
        return true;
    }

    /** The target's desired replicas, from its /scale subresource. */
    public int replicas(ScaleTargetRef ref) {
        try {
            JsonNode scale = JSON.readTree(client.raw(ref.scalePath()));
            return scale.path("spec").path("replicas").asInt();
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + ref.scalePath() + ": " + e.getMessage()
                    + " (check spec.scaling.scaleTargetRef and that the operator may get it)", e);
        }
    }

    /** Sets the target's replicas through its /scale subresource. */
    public void setReplicas(ScaleTargetRef ref, int replicas) {
        String body = json(Map.of("apiVersion", "autoscaling/v1", "kind", "Scale",
                "metadata", ref.getNamespace() == null ? Map.of("name", ref.getName()) : Map.of("name", ref.getName(), "namespace", ref.getNamespace()),
                "spec", Map.of("replicas", replicas)));
        client.raw(ref.scalePath(), "PUT", body);
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
