package io.plimsoll.snapshot;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.sandbox.DemoCluster;
import io.plimsoll.sandbox.EmbeddedKubernetes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The snapshot rebuilds only the nodes an event concerned. After any series of changes (pods bound and deleted,
 * finished, nodes cordoned, relabelled into another pool, added and removed, a pool added) its state must be what a
 * snapshot started from scratch sees: a node left stale would hand out devices that are taken, or hold free ones.
 */
class IncrementalSnapshotTest {
    private EmbeddedKubernetes k8s;
    private KubernetesClient client;
    private ClusterSnapshot incremental;

    @BeforeEach
    void start() {
        k8s = new EmbeddedKubernetes();
        client = k8s.client();
        Fixtures.h100AndT4(client, 3, 3);
        incremental = new ClusterSnapshot(client);
        incremental.start();
        incremental.state(); // built once; from here on only what events mark is rebuilt
    }

    @AfterEach
    void stop() {
        incremental.stop();
        k8s.close();
    }

    /** Every node and pool as text: capacity, use per device, pods, traits. */
    private static Map<String, String> render(ClusterState s) {
        Map<String, String> out = new TreeMap<>();
        for (NodeState n : s.nodes()) {
            out.put(n.name(), n + " labels=" + new TreeMap<>(n.traits().labels()) + " taints=" + n.traits().taints()
                    + " schedulable=" + n.schedulable());
        }
        s.pools().forEach(p -> out.put("pool " + p.name(), p.toString()));
        // The running shapes, tallied (FGD's typical workload): kept up to date node by node, like the nodes.
        var typical = s.typicalWorkload(null);
        if (typical != null) {
            for (var e : typical.entries()) {
                out.put("shape " + e.key(), e.count() + " x, mean " + Math.round(e.meanMemMib() * 1000) / 1000.0 + " MiB");
            }
        }
        return out;
    }

    private Map<String, String> fromScratch() {
        ClusterSnapshot fresh = new ClusterSnapshot(client);
        try {
            fresh.start();
            return render(fresh.state());
        } finally {
            fresh.stop();
        }
    }

    private void assertSameAsFromScratch(String after) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertEquals(fromScratch(), render(incremental.state()), after));
    }

    private Pod gpuPod(String name, String node, int gpus, String visible) {
        var container = new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("c").withImage("example.org/c:1")
                .withNewResources().addToRequests("cpu", new Quantity("1"))
                .addToRequests("nvidia.com/gpu", new Quantity(String.valueOf(gpus)))
                .addToLimits("nvidia.com/gpu", new Quantity(String.valueOf(gpus))).endResources();
        if (visible != null) container.addNewEnv().withName("NVIDIA_VISIBLE_DEVICES").withValue(visible).endEnv();
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace("other").endMetadata()
                .withNewSpec().withNodeName(node).withContainers(container.build()).endSpec().build();
        return client.pods().inNamespace("other").resource(pod).create();
    }

    @Test
    void aNodeHeartbeatIsNotACapacityChange() {
        long before = incremental.capacityFreedCount();
        client.nodes().withName("t4-0").editStatus(n -> {
            n.getStatus().getConditions().forEach(c -> c.setLastHeartbeatTime(java.time.Instant.now().toString()));
            n.getStatus().setImages(List.of(new io.fabric8.kubernetes.api.model.ContainerImageBuilder().withNames("example.org/x:1").build()));
            return n;
        });
        client.nodes().withName("t4-1").edit(n -> {
            n.getSpec().setUnschedulable(true);
            return n;
        });
        // The cordon comes after the heartbeat: once it is counted, the heartbeat was seen too.
        await().atMost(Duration.ofSeconds(20)).until(() -> incremental.capacityFreedCount() > before);
        assertEquals(before + 1, incremental.capacityFreedCount(), "the cordon counts, the heartbeat does not");
    }

    @Test
    void aSeriesOfChangesEndsWhereAFreshStartWould() {
        Random random = new Random(7);
        List<String> live = new ArrayList<>();
        List<String> nodes = new ArrayList<>(List.of("h100-0", "h100-1", "h100-2", "t4-0", "t4-1", "t4-2"));
        for (int step = 0; step < 60; step++) {
            int what = random.nextInt(8);
            String node = nodes.get(random.nextInt(nodes.size()));
            String did;
            switch (what) {
                case 0, 1, 2 -> {
                    String name = "p" + step;
                    gpuPod(name, node, 1 + random.nextInt(2), random.nextBoolean() ? null : String.valueOf(random.nextInt(4)));
                    live.add(name);
                    did = "pod " + name + " bound to " + node;
                }
                case 3 -> {
                    if (live.isEmpty()) continue;
                    String name = live.remove(random.nextInt(live.size()));
                    client.pods().inNamespace("other").withName(name).delete();
                    did = "pod " + name + " deleted";
                }
                case 4 -> {
                    if (live.isEmpty()) continue;
                    String name = live.remove(random.nextInt(live.size()));
                    client.pods().inNamespace("other").withName(name).editStatus(p -> {
                        p.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Succeeded").build());
                        return p;
                    });
                    did = "pod " + name + " finished";
                }
                case 5 -> {
                    boolean cordon = random.nextBoolean();
                    client.nodes().withName(node).edit(n -> {
                        n.getSpec().setUnschedulable(cordon);
                        return n;
                    });
                    did = "node " + node + (cordon ? " cordoned" : " uncordoned");
                }
                case 6 -> {
                    String pool = node.startsWith("h100") ? "t4" : "h100";
                    client.nodes().withName(node).edit(n -> {
                        n.getMetadata().getLabels().put(DemoCluster.POOL_LABEL, pool);
                        return n;
                    });
                    did = "node " + node + " relabelled into " + pool;
                }
                default -> {
                    String name = "extra-" + step;
                    Fixtures.gpuNode(client, name, node.startsWith("h100") ? "h100" : "t4", 4);
                    nodes.add(name);
                    did = "node " + name + " added";
                }
            }
            assertSameAsFromScratch("after step " + step + ": " + did);
        }
        client.resource(Fixtures.gpuPool("l4", "L4", 24, 4, SharingMode.Fractional, 3.0)).create();
        client.nodes().withName(nodes.get(0)).edit(n -> {
            n.getMetadata().getLabels().put(DemoCluster.POOL_LABEL, "l4");
            return n;
        });
        assertSameAsFromScratch("after a pool was added and a node moved into it");
        client.nodes().withName(nodes.get(nodes.size() - 1)).delete();
        assertSameAsFromScratch("after a node was deleted");
    }
}
