package io.plimsoll.realapi;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.sandbox.DemoCluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Nodes without kubelets, as KWOK-style tests make them: the API server drops a Node's status on create, so the
 * capacity, allocatable and Ready condition are written afterwards through the status subresource, as a kubelet
 * would. Use the admin client (the operator may not create nodes).
 */
public final class FakeNodes {
    private FakeNodes() {}

    /** Creates the node, then writes {@code node}'s status (capacity, allocatable, conditions) through nodes/status. */
    public static Node create(KubernetesClient admin, Node node) {
        NodeStatus status = node.getStatus();
        Node made = admin.nodes().resource(node).create();
        if (status != null) {
            made.setStatus(status);
            made = admin.nodes().resource(made).updateStatus();
        }
        return made;
    }

    /** A Ready GPU node in {@code pool} (label plimsoll.io/pool) with {@code devices} nvidia.com/gpu, 64 cores, 512 GiB. */
    public static Node gpuNode(KubernetesClient admin, String name, String pool, int devices) {
        return create(admin, DemoCluster.node(name, pool, 64, 512, Map.of("nvidia.com/gpu", String.valueOf(devices))));
    }

    /** A Ready CPU-only node in {@code pool}. */
    public static Node cpuNode(KubernetesClient admin, String name, String pool, int cores, int memoryGiB) {
        return create(admin, DemoCluster.node(name, pool, cores, memoryGiB, Map.of()));
    }

    /** The sandbox's demo cluster (14 nodes: CPU, T4, L4, A100, A100 MIG, H100, TPU v5e), matching deploy/samples/pools.yaml. */
    public static List<Node> demoCluster(KubernetesClient admin) {
        List<Node> out = new ArrayList<>();
        for (Node n : DemoCluster.nodes()) out.add(create(admin, n));
        return out;
    }

    /** Sets the node's Ready condition (e.g. to simulate a node going NotReady), through nodes/status. */
    public static Node setReady(KubernetesClient admin, String name, boolean ready) {
        return admin.nodes().withName(name).editStatus(n -> {
            n.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).forEach(c -> {
                c.setStatus(ready ? "True" : "False");
                c.setReason(ready ? "KubeletReady" : "KubeletNotReady");
            });
            return n;
        });
    }
}
