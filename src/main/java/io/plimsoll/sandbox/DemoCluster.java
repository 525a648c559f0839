package io.plimsoll.sandbox;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sandbox's heterogeneous demo cluster: CPU nodes; T4, L4, A100 and H100 GPU nodes; an A100 node
 * partitioned with MIG; a TPU v5e pool. Node labels match the pools in deploy/samples/pools.yaml.
 */
public final class DemoCluster {
    private DemoCluster() {}

    public static final String POOL_LABEL = "plimsoll.io/pool";

    public static List<Node> nodes() {
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) out.add(node("cpu-" + i, "cpu", 16, 64, Map.of()));
        for (int i = 0; i < 2; i++) out.add(node("t4-" + i, "t4", 32, 128, Map.of("nvidia.com/gpu", "4")));
        for (int i = 0; i < 2; i++) out.add(node("l4-" + i, "l4", 48, 192, Map.of("nvidia.com/gpu", "4")));
        for (int i = 0; i < 2; i++) out.add(node("a100-" + i, "a100", 96, 1024, Map.of("nvidia.com/gpu", "8")));
        // 8 A100 80GB split into 4x 1g.10gb + 1x 3g.40gb each (7 compute slices per GPU).
        out.add(node("a100-mig-0", "a100-mig", 96, 1024,
                Map.of("nvidia.com/mig-1g.10gb", "32", "nvidia.com/mig-3g.40gb", "8")));
        for (int i = 0; i < 2; i++) out.add(node("h100-" + i, "h100", 192, 2048, Map.of("nvidia.com/gpu", "8")));
        for (int i = 0; i < 2; i++) {
            Node n = node("tpu-v5e-" + i, "tpu-v5e", 112, 192, Map.of("google.com/tpu", "4"));
            n.getMetadata().getLabels().put("cloud.google.com/gke-tpu-topology", "2x2");
            n.getMetadata().getLabels().put("cloud.google.com/gke-tpu-accelerator", "tpu-v5-lite-podslice");
            out.add(n);
        }
        return out;
    }

    /** A Ready node with the given allocatable CPU (cores), memory (GiB) and extended resources. */
    public static Node node(String name, String pool, int cores, int memoryGiB, Map<String, String> extended) {
        return node(name, pool, new Quantity(String.valueOf(cores)), new Quantity(memoryGiB + "Gi"), extended);
    }

    /** A Ready node with the given allocatable CPU and memory quantities and extended resources. */
    public static Node node(String name, String pool, Quantity cpu, Quantity memory, Map<String, String> extended) {
        Map<String, Quantity> alloc = new LinkedHashMap<>();
        alloc.put("cpu", cpu);
        alloc.put("memory", memory);
        alloc.put("pods", new Quantity("110"));
        extended.forEach((k, v) -> alloc.put(k, new Quantity(v)));
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("kubernetes.io/hostname", name);
        labels.put(POOL_LABEL, pool);
        labels.put("plimsoll.io/fake-node", "true");
        return new NodeBuilder()
                .withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().endSpec()
                .withNewStatus().withAllocatable(alloc).withCapacity(alloc)
                .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady").endCondition()
                .endStatus()
                .build();
    }

    public static void seed(KubernetesClient client) {
        for (Node n : nodes()) client.nodes().resource(n).create();
    }
}
