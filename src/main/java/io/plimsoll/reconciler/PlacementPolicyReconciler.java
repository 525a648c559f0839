package io.plimsoll.reconciler;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.plimsoll.api.PhaseRule;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.PlacementPolicyStatus;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.snapshot.ClusterSnapshot;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Checks a PlacementPolicy against the pools that exist and reports it in a Valid condition. */
@ControllerConfiguration(name = PlacementPolicyReconciler.NAME)
public class PlacementPolicyReconciler implements Reconciler<PlacementPolicy> {
    public static final String NAME = "placementpolicy";

    private final ClusterSnapshot snapshot;
    private final io.plimsoll.actuator.StatusWriter statusWriter;

    @Inject
    public PlacementPolicyReconciler(ClusterSnapshot snapshot, io.plimsoll.actuator.StatusWriter statusWriter) {
        this.snapshot = snapshot;
        this.statusWriter = statusWriter;
    }

    @Override
    public List<EventSource<?, PlacementPolicy>> prepareEventSources(EventSourceContext<PlacementPolicy> context) {
        return List.of(new ClusterChangeEventSource<>("cluster-changes", snapshot, context,
                (change, policies) -> change.workloadName() == null && (change.capacityChanged() || change.configChanged())
                        ? policies.map(ResourceID::fromResource) : java.util.stream.Stream.empty(), AcceleratorPoolReconciler.POOL_REFRESH));
    }

    @Override
    public UpdateControl<PlacementPolicy> reconcile(PlacementPolicy policy, Context<PlacementPolicy> context) {
        PlacementPolicyStatus status = policy.getStatus() == null ? new PlacementPolicyStatus() : policy.getStatus();
        Long gen = policy.getMetadata().getGeneration();
        Set<String> pools = snapshot.pools().stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
        List<String> problems = new ArrayList<>();
        for (WorkloadPhase phase : WorkloadPhase.values()) {
            PhaseRule r = policy.getSpec() == null ? null : policy.getSpec().ruleFor(phase);
            if (r == null || r.getPools() == null) continue;
            for (String p : r.getPools()) {
                if (!pools.contains(p)) {
                    problems.add("spec." + phase.name().toLowerCase() + ".pools names '" + p + "', which is not an AcceleratorPool");
                }
            }
        }
        var before = io.plimsoll.reconciler.Conditions.get(status.getConditions(), "Valid");
        String beforeKey = before == null ? null : before.getStatus() + before.getMessage() + before.getObservedGeneration();
        if (problems.isEmpty()) {
            Conditions.set(status.getConditions(), "Valid", true, "PoolsFound", "every pool named exists", gen);
        } else {
            Conditions.set(status.getConditions(), "Valid", false, "UnknownPool",
                    String.join("; ", problems) + ": create the pool or remove it from the list", gen);
        }
        var after = Conditions.get(status.getConditions(), "Valid");
        status.setObservedGeneration(gen);
        policy.setStatus(status);
        if ((after.getStatus() + after.getMessage() + after.getObservedGeneration()).equals(beforeKey)) return UpdateControl.noUpdate();
        statusWriter.write(policy, policy.getStatus(), context);
        return UpdateControl.noUpdate();
    }
}
