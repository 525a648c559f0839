package io.plimsoll.reconciler;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.AcceleratorPoolStatus;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.PoolUsage;
import io.plimsoll.actuator.NodeActuator;
import io.plimsoll.actuator.PodBinder;
import io.plimsoll.events.EventRecorder;
import io.plimsoll.metrics.PlimsollMetrics;
import io.plimsoll.snapshot.ClusterSnapshot;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.List;

/** Keeps each AcceleratorPool's status current: members, devices total / allocated / free, utilization, cost. */
@ControllerConfiguration(name = AcceleratorPoolReconciler.NAME)
public class AcceleratorPoolReconciler implements Reconciler<AcceleratorPool> {
    public static final String NAME = "acceleratorpool";
    /**
     * Pool (and policy) statuses follow pod churn at most once per this long: a burst of placements is one status
     * write per pool, not one per pod.
     */
    static final java.time.Duration POOL_REFRESH = java.time.Duration.ofSeconds(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClusterSnapshot snapshot;
    private final PlimsollMetrics metrics;
    private final PoolScaler scaler;
    private final io.plimsoll.actuator.StatusWriter statusWriter;

    @Inject
    public AcceleratorPoolReconciler(ClusterSnapshot snapshot, PlimsollMetrics metrics, NodeActuator nodes, PodBinder pods,
                                     EventRecorder events, io.plimsoll.actuator.StatusWriter statusWriter) {
        this.statusWriter = statusWriter;
        this.snapshot = snapshot;
        this.metrics = metrics;
        this.scaler = new PoolScaler(snapshot, nodes, pods, events, metrics);
    }

    @Override
    public List<EventSource<?, AcceleratorPool>> prepareEventSources(EventSourceContext<AcceleratorPool> context) {
        // Pools are few; any capacity change refreshes all of them.
        return List.of(new ClusterChangeEventSource<>("cluster-changes", snapshot, context,
                (change, pools) -> change.capacityChanged() || change.configChanged() || change.workloadName() != null
                        ? pools.map(ResourceID::fromResource) : java.util.stream.Stream.empty(), POOL_REFRESH));
    }

    @Override
    public UpdateControl<AcceleratorPool> reconcile(AcceleratorPool pool, Context<AcceleratorPool> context) {
        AcceleratorPoolStatus before = pool.getStatus() == null ? null : JSON.convertValue(pool.getStatus(), AcceleratorPoolStatus.class);
        AcceleratorPoolStatus status = pool.getStatus() == null ? new AcceleratorPoolStatus() : pool.getStatus();
        pool.setStatus(status);
        Long gen = pool.getMetadata().getGeneration();
        ClusterState state = snapshot.state();
        PoolProfile profile = state.pool(pool.getMetadata().getName());
        if (profile == null) {
            // Not in the snapshot yet (informer lag); the pool-change event will bring us back.
            return UpdateControl.<AcceleratorPool>noUpdate().rescheduleAfter(2_000);
        }
        PoolUsage u = PoolUsage.of(profile, state);
        metrics.pool(u);
        status.setObservedGeneration(gen);
        status.setNodes(new ArrayList<>(u.nodes()));
        status.setNodeCount(u.nodes().size());
        status.setDevicesTotal(u.devicesTotal());
        status.setDevicesAllocated(u.devicesAllocated());
        status.setDevicesFree(u.devicesFree());
        status.setUtilizationPercent(u.utilizationPercent());
        status.setCostPerHour(u.costPerHour());
        status.setIdleCostPerHour(u.idleCostPerHour());
        status.setFragmentationPercent(u.fragmentationPercent());
        if (u.nodes().isEmpty()) {
            Conditions.set(status.getConditions(), "Ready", false, "NoNodes",
                    "no node carries all labels of spec.nodeSelector " + pool.getSpec().getNodeSelector()
                            + ": label the nodes or fix the selector", gen);
        } else {
            Conditions.set(status.getConditions(), "Ready", true, "NodesFound", u.nodes().size() + " node(s), "
                    + u.devicesTotal() + " device(s)", gen);
        }
        long recheck = Long.MAX_VALUE;
        if (pool.getSpec().getScaling() != null) {
            try {
                PoolScaler.Outcome o = scaler.evaluate(pool, profile, state, context.getClient(), snapshot.clock().instant());
                status.setLastConsolidationAt(o.lastConsolidationAt());
                status.setIdleNodes(o.idleNodes());
                status.setScaleActions(o.actions());
                status.setLastScaleUpAt(o.lastScaleUpAt());
                Conditions.set(status.getConditions(), "ScalingReady", true, "Evaluated", o.note(), gen);
                recheck = o.recheckInMs();
            } catch (RuntimeException e) {
                Conditions.set(status.getConditions(), "ScalingReady", false, "ScalingFailed", e.getMessage(), gen);
                recheck = PoolScaler.DEFAULT_RECHECK_MS;
            }
        }
        if (before == null || !JSON.valueToTree(before).equals(JSON.valueToTree(status))) statusWriter.write(pool, status, context);
        UpdateControl<AcceleratorPool> c = UpdateControl.noUpdate();
        return recheck == Long.MAX_VALUE ? c : c.rescheduleAfter(recheck);
    }
}
