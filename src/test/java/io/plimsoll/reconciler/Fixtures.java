package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AIWorkloadSpec;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.AcceleratorPoolSpec;
import io.plimsoll.api.AcceleratorRequest;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.PoolAccelerator;
import io.plimsoll.api.ReplicaResources;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.sandbox.DemoCluster;

import java.util.List;
import java.util.Map;

/** Small builders for the objects API-level tests create. */
public final class Fixtures {
    private Fixtures() {}

    public static final String NS = "team-a";

    public static AIWorkload workload(String name, WorkloadPhase phase, int replicas, AcceleratorType type,
                                      Integer count, Double fraction, Double minMemoryGiB) {
        AIWorkload w = new AIWorkload();
        w.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        AIWorkloadSpec spec = new AIWorkloadSpec();
        spec.setPhase(phase);
        spec.setReplicas(replicas);
        spec.setTemplate(new PodTemplateSpecBuilder().withNewSpec().addNewContainer().withName("main")
                .withImage("example.org/job:1").endContainer().endSpec().build());
        ReplicaResources res = new ReplicaResources();
        res.setCpu("2");
        res.setMemory("8Gi");
        AcceleratorRequest acc = new AcceleratorRequest();
        acc.setType(type);
        acc.setCount(count);
        acc.setFraction(fraction);
        acc.setMinMemoryGiB(minMemoryGiB);
        res.setAccelerator(acc);
        spec.setResources(res);
        w.setSpec(spec);
        return w;
    }

    /**
     * Gives the workload a priority the way users must: a PriorityClass the admin owns (created here if missing, named
     * {@code prio-N}) named by spec.priorityClassName. A raw spec.priority is not trusted.
     */
    public static AIWorkload withPriority(KubernetesClient client, AIWorkload w, int priority) {
        String name = "prio-" + (priority < 0 ? "minus-" + (-priority) : String.valueOf(priority));
        if (client.resources(io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass.class).withName(name).get() == null) {
            client.resource(new io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder().withNewMetadata().withName(name)
                    .endMetadata().withValue(priority).build()).create();
        }
        w.getSpec().setPriorityClassName(name);
        return w;
    }

    /** A Tenant selecting the namespaces labelled {@code label=name}, with GPU-equivalent guarantee and limit. */
    public static io.plimsoll.api.Tenant tenant(String name, String label, double guaranteed, double limit) {
        io.plimsoll.api.Tenant t = new io.plimsoll.api.Tenant();
        t.setMetadata(new ObjectMetaBuilder().withName(name).build());
        io.plimsoll.api.TenantSpec spec = new io.plimsoll.api.TenantSpec();
        spec.setNamespaceSelector(new io.fabric8.kubernetes.api.model.LabelSelectorBuilder().withMatchLabels(Map.of(label, name)).build());
        spec.setGuaranteed(new io.plimsoll.api.TenantQuota(guaranteed, null));
        spec.setLimit(new io.plimsoll.api.TenantQuota(limit, null));
        t.setSpec(spec);
        return t;
    }

    public static AcceleratorPool gpuPool(String name, String model, int memoryGiB, int devices, SharingMode sharing, double cost) {
        AcceleratorPool p = new AcceleratorPool();
        p.setMetadata(new ObjectMetaBuilder().withName(name).build());
        AcceleratorPoolSpec spec = new AcceleratorPoolSpec();
        spec.setNodeSelector(Map.of(DemoCluster.POOL_LABEL, name));
        PoolAccelerator a = new PoolAccelerator();
        a.setType(AcceleratorType.GPU);
        a.setModel(model);
        a.setMemoryGiB(memoryGiB);
        a.setDevicesPerNode(devices);
        a.setResourceName("nvidia.com/gpu");
        a.setSharing(sharing);
        spec.setAccelerator(a);
        spec.setCostPerNodeHour(cost);
        p.setSpec(spec);
        return p;
    }

    /** An H100 pool (exclusive, $88/node-hour) and a T4 pool (fractional, $2) with the given numbers of nodes. */
    public static void h100AndT4(KubernetesClient client, int h100Nodes, int t4Nodes) {
        client.resource(gpuPool("h100", "H100", 80, 8, SharingMode.Exclusive, 88.0)).create();
        client.resource(gpuPool("t4", "T4", 16, 4, SharingMode.Fractional, 2.0)).create();
        for (int i = 0; i < h100Nodes; i++) gpuNode(client, "h100-" + i, "h100", 8);
        for (int i = 0; i < t4Nodes; i++) gpuNode(client, "t4-" + i, "t4", 4);
    }

    public static void gpuNode(KubernetesClient client, String name, String pool, int devices) {
        client.nodes().resource(DemoCluster.node(name, pool, 64, 512, Map.of("nvidia.com/gpu", String.valueOf(devices)))).create();
    }

    public static AIWorkload get(KubernetesClient client, String name) {
        return client.resources(AIWorkload.class).inNamespace(NS).withName(name).get();
    }

    /** The live pod of a replica (pod names carry a random suffix; the replica label says which replica). */
    public static Pod pod(KubernetesClient client, String namespace, String workload, int replica) {
        return client.pods().inNamespace(namespace).withLabel(Annotations.WORKLOAD, workload)
                .withLabel(Annotations.REPLICA, String.valueOf(replica)).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).findFirst().orElse(null);
    }

    public static List<Pod> pods(KubernetesClient client, String workload) {
        return client.pods().inNamespace(NS).withLabel(Annotations.WORKLOAD, workload).list().getItems();
    }
}
