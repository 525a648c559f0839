package io.plimsoll.health;

import io.javaoperatorsdk.operator.Operator;
import io.plimsoll.snapshot.ClusterSnapshot;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Liveness: DOWN when a watch the operator depends on (the controllers' informers and the cluster snapshot's) has
 * stopped, or has not been watching for {@link #GRACE}, so Kubernetes restarts a wedged operator instead of leaving
 * it UP and deaf. A reconnect of a few seconds is normal and does not count.
 */
@Liveness
@ApplicationScoped
public class WatchLiveness implements HealthCheck {
    static final Duration GRACE = Duration.ofSeconds(90);

    private final ClusterSnapshot snapshot;
    private final Operator operator;
    private final UnhealthySince tracker = new UnhealthySince(GRACE);

    @Inject
    public WatchLiveness(ClusterSnapshot snapshot, Operator operator) {
        this.snapshot = snapshot;
        this.operator = operator;
    }

    @Override
    public HealthCheckResponse call() {
        Map<String, Boolean> healthy = new LinkedHashMap<>();
        snapshot.watchHealth().forEach((k, v) -> healthy.put("snapshot/" + k, v));
        try {
            if (operator.getRuntimeInfo().isStarted()) {
                operator.getRuntimeInfo().unhealthyEventSources().forEach((controller, sources) ->
                        sources.keySet().forEach(s -> healthy.put(controller + "/" + s, false)));
            }
        } catch (RuntimeException e) {
            healthy.put("operator", false);
        }
        Map<String, String> down = tracker.update(healthy, Instant.now());
        HealthCheckResponseBuilder b = HealthCheckResponse.named("plimsoll-watches").status(down.isEmpty());
        new TreeMap<>(down).forEach(b::withData);
        return b.build();
    }

    /** Which names have been unhealthy for at least the grace period, and since when. Pure, for tests. */
    public static final class UnhealthySince {
        private final Duration grace;
        private final Map<String, Instant> since = new java.util.concurrent.ConcurrentHashMap<>();

        public UnhealthySince(Duration grace) {
            this.grace = grace;
        }

        public Map<String, String> update(Map<String, Boolean> healthy, Instant now) {
            Map<String, String> down = new LinkedHashMap<>();
            since.keySet().removeIf(k -> Boolean.TRUE.equals(healthy.get(k)) || !healthy.containsKey(k));
            healthy.forEach((name, ok) -> {
                if (ok) return;
                Instant from = since.computeIfAbsent(name, k -> now);
                if (!from.plus(grace).isAfter(now)) down.put(name, "not watching since " + from);
            });
            return down;
        }
    }
}
