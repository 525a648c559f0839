package io.plimsoll.sandbox;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;

/**
 * Stands in for the kubelets of the sandbox's fake nodes: a pod bound to a node that exists is marked Running,
 * as a kubelet would once the containers start, and a pod deleted with a grace period is removed when it ends. Nothing
 * is actually run.
 *
 * <p>Like a real kubelet, it sends one request per pod it starts: a JSON merge patch of the pod's status. The nodes
 * come from a watch (a GET only for a node the watch has not shown yet), and the pod from the informer. It used to
 * read the node and the pod before each start, three requests per pod on one thread: on a busy API server it fell
 * behind, and in a 10,000-workload bench on kube-apiserver it had started only 930 of 6,727 pods when all had settled.
 */
public final class SimulatedKubelet implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SimulatedKubelet.class);
    /** A kubelet takes a moment to start containers; the pause also keeps the embedded API's watch events for one
     * pod apart (the Fabric8 mock server can deliver an update before the creation it follows when they are a few
     * microseconds apart, which a real API server's resourceVersion ordering never does). */
    private static final long START_DELAY_MS = 250;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final KubernetesClient client;
    private final SharedIndexInformer<Node> nodes;
    private final SharedIndexInformer<Pod> informer;
    /** Kubelets start their pods side by side: a few threads, so a busy API server does not leave pods unstarted. */
    private final java.util.concurrent.ScheduledExecutorService timer =
            java.util.concurrent.Executors.newScheduledThreadPool(4, r -> {
                Thread t = new Thread(r, "simulated-kubelet");
                t.setDaemon(true);
                return t;
            });

    public SimulatedKubelet(KubernetesClient client) {
        this.client = client;
        this.nodes = client.nodes().inform();
        this.informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override public void onAdd(Pod pod) { later(pod); }
            @Override public void onUpdate(Pod oldPod, Pod pod) { later(pod); }
            @Override public void onDelete(Pod pod, boolean unknown) { }
        });
    }

    private void later(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            stopLater(pod);
            return;
        }
        timer.schedule(() -> start(pod), START_DELAY_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Pods being stopped (by uid): each is removed once. */
    private final java.util.Set<String> stopping = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A pod deleted with a grace period stays, terminating, until its kubelet has stopped its containers and removes it
     * (on a real API server; the embedded one removes it at once). As a container that does not exit on SIGTERM, it is
     * removed when its grace period ends ({@code deletionTimestamp}), so that whoever waits for its room waits as
     * long as it would on a cluster.
     */
    private void stopLater(Pod pod) {
        if (pod.getSpec() == null || pod.getSpec().getNodeName() == null || !stopping.add(pod.getMetadata().getUid())) return;
        long wait;
        try {
            wait = Math.max(0, Instant.parse(pod.getMetadata().getDeletionTimestamp()).toEpochMilli() - System.currentTimeMillis());
        } catch (RuntimeException e) {
            wait = 0;
        }
        timer.schedule(() -> {
            try {
                client.resource(pod).withGracePeriod(0).delete();
            } catch (RuntimeException e) {
                LOG.debugf("kubelet could not remove %s: %s", pod.getMetadata().getName(), e.getMessage());
            } finally {
                stopping.remove(pod.getMetadata().getUid());
            }
        }, wait, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void start(Pod seen) {
        // The pod as the informer has it now (the event's copy may be older), or gone.
        Pod pod = informer.getStore().get(seen);
        if (pod == null) return;
        String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (node == null || (phase != null && !"Pending".equals(phase)) || pod.getMetadata().getDeletionTimestamp() != null) return;
        try {
            if (nodes.getStore().getByKey(node) == null && client.nodes().withName(node).get() == null) return;
            String now = Instant.now().toString();
            // Only what starting changes: a merge patch leaves the rest (conditions set by others meanwhile) as it is.
            var status = new PodStatusBuilder()
                    .withPhase("Running").withStartTime(now)
                    .withContainerStatuses(List.of(new ContainerStatusBuilder()
                            .withName(pod.getSpec().getContainers().get(0).getName()).withReady(true)
                            .withImage(pod.getSpec().getContainers().get(0).getImage())
                            .withNewState().withNewRunning().withStartedAt(now).endRunning().endState()
                            .build()))
                    .build();
            // With the pod given (not only its name), Fabric8 sends the patch alone, without reading the pod first.
            client.resource(pod).subresource("status")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), JSON.writeValueAsString(java.util.Map.of("status", status)));
        } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
            LOG.debugf("kubelet could not start %s: %s", pod.getMetadata().getName(), e.getMessage());
        }
    }

    /** Marks a pod finished, as its container exiting would; for tests and demos of run-to-completion phases. */
    public static void finish(KubernetesClient client, String namespace, String pod, boolean success) {
        client.pods().inNamespace(namespace).withName(pod).editStatus(p -> {
            if (p.getStatus() == null) p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
            p.getStatus().setPhase(success ? "Succeeded" : "Failed");
            p.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder()
                    .withName(p.getSpec().getContainers().get(0).getName()).withReady(false)
                    .withNewState().withNewTerminated().withExitCode(success ? 0 : 1)
                    .withReason(success ? "Completed" : "Error").endTerminated().endState().build()));
            return p;
        });
    }

    @Override
    public void close() {
        informer.close();
        nodes.close();
        timer.shutdownNow();
    }
}
