package io.plimsoll.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.plimsoll.actuator.NodeActuator;
import io.plimsoll.actuator.PodBinder;
import io.plimsoll.actuator.StatusWriter;
import io.plimsoll.events.EventRecorder;
import io.plimsoll.metrics.PlimsollMetrics;
import io.plimsoll.snapshot.ClusterSnapshot;

/**
 * Plimsoll's controllers wired by hand on a plain JOSDK {@link Operator}: the same reconcilers, snapshot and
 * actuators that CDI wires in the application. For in-process runs outside Quarkus (tests, {@code bench}).
 */
public final class Controllers {
    private Controllers() {}

    /** Registers the controllers on the operator (not started), with no default tenant. */
    public static void register(Operator operator, KubernetesClient client, ClusterSnapshot snapshot, PlimsollMetrics metrics,
                                io.plimsoll.activity.PrometheusActivitySource prometheus) {
        register(operator, client, snapshot, metrics, prometheus, null, java.util.Optional.empty(), new io.plimsoll.tenancy.TenantUsage());
    }

    /**
     * Registers the controllers on the operator (not started); {@code defaultTenant} is what
     * {@code plimsoll.tenancy.default-tenant} sets in the application. {@code tenancy} null: informers of its own for
     * the Tenant controller, stopped with it; given: the caller stops them.
     */
    public static void register(Operator operator, KubernetesClient client, ClusterSnapshot snapshot, PlimsollMetrics metrics,
                                io.plimsoll.activity.PrometheusActivitySource prometheus,
                                io.plimsoll.tenancy.TenancyInformers tenancy, java.util.Optional<String> defaultTenant,
                                io.plimsoll.tenancy.TenantUsage usage) {
        var status = new StatusWriter(client);
        operator.register(new AcceleratorPoolReconciler(snapshot, metrics, new NodeActuator(client), new PodBinder(client),
                new EventRecorder(client), status));
        operator.register(new PlacementPolicyReconciler(snapshot, status));
        // Namespace -> tenant and PriorityClasses: the Tenant controller's, and the placement path's once it reads them.
        var informers = tenancy != null ? tenancy : new io.plimsoll.tenancy.TenancyInformers(client);
        var directory = new io.plimsoll.tenancy.TenantDirectory(informers, defaultTenant);
        operator.register(new AIWorkloadReconciler(snapshot, new PodBinder(client), new EventRecorder(client), metrics,
                new io.plimsoll.activity.ActivitySources(prometheus), status, informers, directory, usage,
                new io.plimsoll.actuator.WorkloadFinalizers(client)));
        var tenants = new TenantReconciler(snapshot, informers, directory, usage, status);
        operator.register(tenancy != null ? tenants : tenants.owningInformers());
    }
}
