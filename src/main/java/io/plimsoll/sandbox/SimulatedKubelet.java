package io.plimsoll.sandbox;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;

/**
 * Stands in for the kubelets of the sandbox's fake nodes: a pod bound to a node that exists is marked Running,
 * as a kubelet would once the containers start. Nothing is actually run.
 */
public final class SimulatedKubelet implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SimulatedKubelet.class);
    /** A kubelet takes a moment to start containers; the pause also keeps the embedded API's watch events for one
     * pod apart (the Fabric8 mock server can deliver an update before the creation it follows when they are a few
     * microseconds apart, which a real API server's resourceVersion ordering never does). */
    private static final long START_DELAY_MS = 250;

    private final KubernetesClient client;
    private final SharedIndexInformer<Pod> informer;
    private final java.util.concurrent.ScheduledExecutorService timer =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "simulated-kubelet");
                t.setDaemon(true);
                return t;
            });

    public SimulatedKubelet(KubernetesClient client) {
        this.client = client;
        this.informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override public void onAdd(Pod pod) { later(pod); }
            @Override public void onUpdate(Pod oldPod, Pod pod) { later(pod); }
            @Override public void onDelete(Pod pod, boolean unknown) { }
        });
    }

    private void later(Pod pod) {
        timer.schedule(() -> start(pod), START_DELAY_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void start(Pod pod) {
        String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (node == null || (phase != null && !"Pending".equals(phase)) || pod.getMetadata().getDeletionTimestamp() != null) return;
        if (client.nodes().withName(node).get() == null) return;
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .editStatus(p -> {
                        if (p.getStatus() == null) p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
                        p.getStatus().setPhase("Running");
                        p.getStatus().setStartTime(Instant.now().toString());
                        p.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder()
                                .withName(p.getSpec().getContainers().get(0).getName()).withReady(true)
                                .withImage(p.getSpec().getContainers().get(0).getImage())
                                .withNewState().withNewRunning().withStartedAt(Instant.now().toString()).endRunning().endState()
                                .build()));
                        return p;
                    });
        } catch (RuntimeException e) {
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
        timer.shutdownNow();
    }
}
