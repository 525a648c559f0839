package io.plimsoll.events;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records Kubernetes events for Plimsoll's decisions. The same reason and message for the same object is
 * recorded once (a pending workload retried every few seconds does not flood the event list).
 * Events are best effort: a failure to record one is logged, never fails a reconcile. They are sent in order by one
 * thread of their own, so no decision waits on the API server for an event.
 */
@ApplicationScoped
public class EventRecorder {
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    public static final String COMPONENT = "plimsoll";

    private final KubernetesClient client;
    private final Map<String, String> lastByObject = new ConcurrentHashMap<>();
    private final java.util.concurrent.ThreadPoolExecutor sender = new java.util.concurrent.ThreadPoolExecutor(1, 1, 10,
            java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "plimsoll-events");
                t.setDaemon(true);
                return t;
            });

    @Inject
    public EventRecorder(KubernetesClient client) {
        this.client = client;
        sender.allowCoreThreadTimeOut(true);
    }

    public void normal(HasMetadata obj, String reason, String message) {
        record(obj, "Normal", reason, message);
    }

    public void warning(HasMetadata obj, String reason, String message) {
        record(obj, "Warning", reason, message);
    }

    private void record(HasMetadata obj, String type, String reason, String message) {
        String objKey = obj.getKind() + "/" + obj.getMetadata().getNamespace() + "/" + obj.getMetadata().getName()
                + "/" + obj.getMetadata().getUid();
        String last = lastByObject.put(objKey, reason + "|" + message);
        if ((reason + "|" + message).equals(last)) return;
        String ns = obj.getMetadata().getNamespace() == null ? "default" : obj.getMetadata().getNamespace();
        String now = Instant.now().toString();
        String msg = message.length() > 1000 ? message.substring(0, 997) + "..." : message;
        sender.execute(() -> send(obj, objKey, ns, now, type, reason, msg));
    }

    private void send(HasMetadata obj, String objKey, String ns, String now, String type, String reason, String msg) {
        try {
            client.v1().events().inNamespace(ns).resource(new EventBuilder()
                    .withNewMetadata().withGenerateName(obj.getMetadata().getName() + ".").withNamespace(ns).endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(obj.getApiVersion())
                            .withKind(obj.getKind()).withName(obj.getMetadata().getName())
                            .withNamespace(obj.getMetadata().getNamespace()).withUid(obj.getMetadata().getUid())
                            .withResourceVersion(obj.getMetadata().getResourceVersion()).build())
                    .withType(type).withReason(reason).withMessage(msg)
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .withReportingComponent(COMPONENT)
                    .build()).create();
        } catch (RuntimeException e) { // the API's refusal, or a client closed while the operator stops
            LOG.warnf("could not record event %s on %s: %s", reason, objKey, e.getMessage());
        }
    }

    /** Forgets an object's last event, e.g. when it is deleted. */
    public void forget(HasMetadata obj) {
        lastByObject.keySet().removeIf(k -> k.endsWith("/" + obj.getMetadata().getUid()));
    }
}
