package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.health.Status;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.plimsoll.snapshot.ClusterChange;
import io.plimsoll.snapshot.ClusterSnapshot;
import io.plimsoll.tenancy.TenancyInformers;
import io.plimsoll.tenancy.TenantUsage;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Reconciles every primary (Tenants are few, and each one's status depends on all of them) when a namespace's labels,
 * a tenant, a priority class, the published usage, or the cluster's capacity (nodes, pools, policies) changed;
 * changes within {@code coalesce} of each other are one round. Unhealthy while a tenancy informer does not watch.
 */
public class TenancyEventSource<P extends HasMetadata> extends AbstractEventSource<Void, P> {
    private final TenancyInformers informers;
    private final TenantUsage usage;
    private final ClusterSnapshot snapshot;
    private final EventSourceContext<P> context;
    private final long coalesceMs;
    /** Whether the informers were made for this controller alone (plain JOSDK runs), so they stop with it. */
    private final boolean ownsInformers;
    private final Runnable trigger = this::changed;
    private final Consumer<ClusterChange> clusterListener = c -> {
        if (c.workloadName() == null && (c.capacityChanged() || c.configChanged())) changed();
    };
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile ScheduledExecutorService timer;

    public TenancyEventSource(String name, TenancyInformers informers, TenantUsage usage, ClusterSnapshot snapshot,
                              EventSourceContext<P> context, Duration coalesce, boolean ownsInformers) {
        super(Void.class, name);
        this.informers = informers;
        this.usage = usage;
        this.snapshot = snapshot;
        this.context = context;
        this.coalesceMs = coalesce.toMillis();
        this.ownsInformers = ownsInformers;
    }

    @Override
    public void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "plimsoll-" + name() + "-coalesce");
            t.setDaemon(true);
            return t;
        });
        informers.start();
        snapshot.start();
        informers.addListener(trigger);
        usage.addListener(trigger);
        snapshot.addListener(clusterListener);
        super.start();
    }

    @Override
    public void stop() {
        informers.removeListener(trigger);
        usage.removeListener(trigger);
        snapshot.removeListener(clusterListener);
        if (timer != null) timer.shutdownNow();
        if (ownsInformers) informers.stop();
        super.stop();
    }

    @Override
    public Status getStatus() {
        var health = informers.watchHealth();
        if (health.isEmpty()) return Status.UNKNOWN;
        return health.values().stream().allMatch(Boolean::booleanValue) ? Status.HEALTHY : Status.UNHEALTHY;
    }

    private void changed() {
        if (!isRunning() || timer == null) return;
        if (!scheduled.compareAndSet(false, true)) return;
        try {
            timer.schedule(this::flush, coalesceMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopped) {
            scheduled.set(false);
        }
    }

    private void flush() {
        scheduled.set(false);
        if (!isRunning() || getEventHandler() == null) return;
        context.getPrimaryCache().list().map(ResourceID::fromResource).forEach(id -> getEventHandler().handleEvent(new Event(id)));
    }

    @Override
    public Set<Void> getSecondaryResources(P primary) {
        return Set.of();
    }
}
