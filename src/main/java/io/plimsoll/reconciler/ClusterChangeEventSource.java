package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.plimsoll.snapshot.ClusterChange;
import io.plimsoll.snapshot.ClusterSnapshot;

import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Turns changes seen by the cluster snapshot's informers into reconcile requests for a controller's primary
 * resources: the mapping function picks which primaries (e.g. the workload whose pod changed, and every pending
 * workload when capacity freed up).
 */
public class ClusterChangeEventSource<P extends HasMetadata> extends AbstractEventSource<Void, P> {
    private final ClusterSnapshot snapshot;
    private final EventSourceContext<P> context;
    private final BiFunction<ClusterChange, Stream<P>, Stream<ResourceID>> targets;
    private final Consumer<ClusterChange> listener = this::onChange;
    /** At most one delivery per this many milliseconds (0: at once); changes meanwhile are gathered. */
    private final long coalesceMs;
    private final Set<ResourceID> gathered = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicBoolean flushScheduled = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile java.util.concurrent.ScheduledExecutorService timer;

    public ClusterChangeEventSource(String name, ClusterSnapshot snapshot, EventSourceContext<P> context,
                                    BiFunction<ClusterChange, Stream<P>, Stream<ResourceID>> targets) {
        this(name, snapshot, context, targets, java.time.Duration.ZERO);
    }

    /**
     * @param coalesce gather the primaries changes point at and hand them over at most once per this long: for
     *                 summaries (a pool's usage) that need not follow every pod, but must follow the last one
     */
    public ClusterChangeEventSource(String name, ClusterSnapshot snapshot, EventSourceContext<P> context,
                                    BiFunction<ClusterChange, Stream<P>, Stream<ResourceID>> targets, java.time.Duration coalesce) {
        super(Void.class, name);
        this.snapshot = snapshot;
        this.context = context;
        this.targets = targets;
        this.coalesceMs = coalesce.toMillis();
    }

    @Override
    public void start() {
        if (coalesceMs > 0) {
            timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "plimsoll-" + name() + "-coalesce");
                t.setDaemon(true);
                return t;
            });
        }
        snapshot.start();
        snapshot.addListener(listener);
        super.start();
    }

    @Override
    public void stop() {
        snapshot.removeListener(listener);
        if (timer != null) timer.shutdownNow();
        super.stop();
    }

    private void onChange(ClusterChange change) {
        if (!isRunning() || getEventHandler() == null) return;
        if (timer == null) {
            targets.apply(change, context.getPrimaryCache().list()).distinct()
                    .forEach(id -> getEventHandler().handleEvent(new Event(id)));
            return;
        }
        targets.apply(change, context.getPrimaryCache().list()).forEach(gathered::add);
        if (!gathered.isEmpty() && flushScheduled.compareAndSet(false, true)) {
            try {
                timer.schedule(this::flush, coalesceMs, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopped) {
                flushScheduled.set(false);
            }
        }
    }

    private void flush() {
        flushScheduled.set(false);
        if (!isRunning() || getEventHandler() == null) return;
        for (var it = gathered.iterator(); it.hasNext(); ) {
            ResourceID id = it.next();
            it.remove();
            getEventHandler().handleEvent(new Event(id));
        }
    }

    @Override
    public Set<Void> getSecondaryResources(P primary) {
        return Set.of();
    }
}
