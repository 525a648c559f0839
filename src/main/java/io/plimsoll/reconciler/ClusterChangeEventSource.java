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

    public ClusterChangeEventSource(String name, ClusterSnapshot snapshot, EventSourceContext<P> context,
                                    BiFunction<ClusterChange, Stream<P>, Stream<ResourceID>> targets) {
        super(Void.class, name);
        this.snapshot = snapshot;
        this.context = context;
        this.targets = targets;
    }

    @Override
    public void start() {
        snapshot.start();
        snapshot.addListener(listener);
        super.start();
    }

    @Override
    public void stop() {
        snapshot.removeListener(listener);
        super.stop();
    }

    private void onChange(ClusterChange change) {
        if (!isRunning() || getEventHandler() == null) return;
        targets.apply(change, context.getPrimaryCache().list()).distinct()
                .forEach(id -> getEventHandler().handleEvent(new Event(id)));
    }

    @Override
    public Set<Void> getSecondaryResources(P primary) {
        return Set.of();
    }
}
