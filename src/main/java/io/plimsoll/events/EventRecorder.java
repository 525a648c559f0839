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
 * recorded once (a pending workload retried every few seconds does not flood the event list). Warnings of one reason
 * on one object with a new message are coalesced, as client-go's event aggregation does: at most one per
 * {@link #SIMILAR_WARNING_MS}, and the latest message of a burst is sent when the interval ends, so the last word
 * arrives (a waiting workload's reasons change with every cluster change: at 4,000 workloads that was 10,600 events).
 * The interval grows with the number of objects that have such warnings, so that all of them together are resent at
 * most {@link #SIMILAR_PER_SECOND} times a second (3,300 waiting workloads: each every 5.5 min), as waiting workloads'
 * status details are: with 6 tenants, 10,000 workloads sent 8,500 Unschedulable warnings at a fixed 30 s.
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

    /** Warnings of one reason on one object are sent at most this often; a burst's latest message at the end. */
    public static final long SIMILAR_WARNING_MS = 30_000;
    /** Alike warnings of all objects together, resent at most this often a second (the interval grows with their number). */
    public static final int SIMILAR_PER_SECOND = 10;
    private final long similarWarningNanos;
    private final int similarPerSecond;
    /** The size of {@link #similar} above which entries whose interval is over are dropped (they would send at once anyway). */
    private int pruneAbove = 64;
    /** object key | reason -> the last warning of that reason sent, and the latest held back since. Guarded by itself. */
    private final Map<String, Similar> similar = new java.util.HashMap<>();
    private final java.util.concurrent.ScheduledExecutorService later = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "plimsoll-events-later");
        t.setDaemon(true);
        return t;
    });

    /** A warning held back: sent when its interval ends, unless it is what was last sent. */
    private record Held(HasMetadata obj, String message) {}

    private static final class Similar {
        long sentAtNanos;
        String sent;
        Held held;

        Similar(long sentAtNanos, String sent) {
            this.sentAtNanos = sentAtNanos;
            this.sent = sent;
        }
    }

    @Inject
    public EventRecorder(KubernetesClient client) {
        this(client, SIMILAR_WARNING_MS);
    }

    /** With another interval for alike warnings (tests). */
    public EventRecorder(KubernetesClient client, long similarWarningMs) {
        this(client, similarWarningMs, SIMILAR_PER_SECOND);
    }

    /** With another interval and rate for alike warnings (tests). */
    EventRecorder(KubernetesClient client, long similarWarningMs, int similarPerSecond) {
        this.client = client;
        this.similarWarningNanos = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(similarWarningMs);
        this.similarPerSecond = Math.max(1, similarPerSecond);
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
        if ("Warning".equals(type) && !sendNowOrHold(obj, objKey, reason, message)) return;
        enqueue(obj, objKey, type, reason, message);
    }

    private void enqueue(HasMetadata obj, String objKey, String type, String reason, String message) {
        String ns = obj.getMetadata().getNamespace() == null ? "default" : obj.getMetadata().getNamespace();
        String now = Instant.now().toString();
        String msg = message.length() > 1000 ? message.substring(0, 997) + "..." : message;
        sender.execute(() -> send(obj, objKey, ns, now, type, reason, msg));
    }

    /** True to send the warning now; false when one of its reason went out less than the interval ago (held, sent later). */
    private boolean sendNowOrHold(HasMetadata obj, String objKey, String reason, String message) {
        String key = objKey + "|" + reason;
        long now = System.nanoTime();
        synchronized (similar) {
            long interval = similarIntervalNanos(now);
            Similar s = similar.get(key);
            if (s == null || now - s.sentAtNanos >= interval) {
                similar.put(key, new Similar(now, message));
                return true;
            }
            boolean schedule = s.held == null;
            s.held = new Held(obj, message);
            if (schedule) {
                later.schedule(() -> sendHeld(objKey, reason), s.sentAtNanos + interval - now, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
            return false;
        }
    }

    /**
     * The interval for alike warnings now: {@link #SIMILAR_WARNING_MS}, or longer so that all objects with such warnings
     * keep to {@link #SIMILAR_PER_SECOND} in all. Entries whose interval is over and that hold nothing back are dropped
     * first, now and then (they would be sent at once anyway). Called holding {@link #similar}.
     */
    private long similarIntervalNanos(long now) {
        if (similar.size() > pruneAbove) {
            long over = Math.max(similarWarningNanos, similar.size() * 1_000_000_000L / similarPerSecond);
            similar.values().removeIf(s -> s.held == null && now - s.sentAtNanos >= over);
            pruneAbove = Math.max(64, 2 * similar.size());
        }
        return Math.max(similarWarningNanos, similar.size() * 1_000_000_000L / similarPerSecond);
    }

    /** How many object and reason pairs have alike warnings remembered (tests). */
    int similarEntries() {
        synchronized (similar) {
            return similar.size();
        }
    }

    /** The interval for alike warnings now, in ms (tests). */
    long similarIntervalMs() {
        synchronized (similar) {
            return java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(similarIntervalNanos(System.nanoTime()));
        }
    }

    /** The interval ended: the latest warning held back goes out, unless it says what was last sent. */
    private void sendHeld(String objKey, String reason) {
        Held h;
        synchronized (similar) {
            Similar s = similar.get(objKey + "|" + reason);
            if (s == null || s.held == null) return; // forgotten meanwhile
            h = s.held;
            s.held = null;
            if (h.message().equals(s.sent)) return;
            s.sentAtNanos = System.nanoTime();
            s.sent = h.message();
        }
        enqueue(h.obj(), objKey, "Warning", reason, h.message());
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
        synchronized (similar) {
            similar.keySet().removeIf(k -> k.substring(0, k.lastIndexOf('|')).endsWith("/" + obj.getMetadata().getUid()));
        }
    }
}
