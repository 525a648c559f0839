package io.plimsoll.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.plimsoll.actuator.PodBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.plimsoll.actuator.NodeActuator;
import io.plimsoll.events.EventRecorder;
import io.plimsoll.metrics.PlimsollMetrics;
import io.plimsoll.snapshot.ClusterSnapshot;

/**
 * Plimsoll's controllers on a plain JOSDK operator, without Quarkus: the same reconcilers, snapshot and
 * actuators the application wires, so tests can start, stop and restart the operator in-process.
 */
public final class TestOperator implements AutoCloseable {
    public final ClusterSnapshot snapshot;
    public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** Namespaces, Tenants and PriorityClasses as the operator sees them. */
    public final io.plimsoll.tenancy.TenancyInformers tenancy;
    /** Where the placement path publishes tenants' usage (a test can publish its own). */
    public final io.plimsoll.tenancy.TenantUsage tenantUsage = new io.plimsoll.tenancy.TenantUsage();
    private final Operator operator;

    public TestOperator(KubernetesClient client) {
        this(client, null);
    }

    /** With leader election when {@code leaderElection} is given (only the lease holder reconciles). */
    public TestOperator(KubernetesClient client, LeaderElectionConfiguration leaderElection) {
        this(client, leaderElection, null);
    }

    /** With a Prometheus activity source when {@code prometheus} is given. */
    public TestOperator(KubernetesClient client, LeaderElectionConfiguration leaderElection,
                        io.plimsoll.activity.PrometheusActivitySource prometheus) {
        this(client, leaderElection, prometheus, java.time.Clock.systemUTC());
    }

    /** With {@code clock} as the operator's time (a {@link SettableClock} lets a test move it forward). */
    public TestOperator(KubernetesClient client, LeaderElectionConfiguration leaderElection,
                        io.plimsoll.activity.PrometheusActivitySource prometheus, java.time.Clock clock) {
        this(client, leaderElection, prometheus, clock, java.util.Optional.empty());
    }

    /** With {@code defaultTenant} as plimsoll.tenancy.default-tenant. */
    public TestOperator(KubernetesClient client, LeaderElectionConfiguration leaderElection,
                        io.plimsoll.activity.PrometheusActivitySource prometheus, java.time.Clock clock,
                        java.util.Optional<String> defaultTenant) {
        snapshot = new ClusterSnapshot(client, clock);
        tenancy = new io.plimsoll.tenancy.TenancyInformers(client);
        operator = new Operator(o -> {
            o.withKubernetesClient(client).withCloseClientOnStop(false).withUseSSAToPatchPrimaryResource(false);
            if (leaderElection != null) o.withLeaderElectionConfiguration(leaderElection);
        });
        Controllers.register(operator, client, snapshot, new PlimsollMetrics(registry), prometheus, tenancy, defaultTenant, tenantUsage);
        operator.start();
    }

    /** What liveness checks: every informer of the controllers and of the snapshot runs and watches. */
    public boolean healthy() {
        return operator.getRuntimeInfo().allEventSourcesAreHealthy()
                && snapshot.watchHealth().values().stream().allMatch(Boolean::booleanValue)
                && tenancy.watchHealth().values().stream().allMatch(Boolean::booleanValue);
    }

    /** The unhealthy event sources, by controller, for messages. */
    public String unhealthy() {
        return operator.getRuntimeInfo().unhealthyEventSources() + " snapshot " + snapshot.watchHealth() + " tenancy " + tenancy.watchHealth();
    }

    @Override
    public void close() {
        operator.stop();
        snapshot.stop();
        tenancy.stop();
    }
}
