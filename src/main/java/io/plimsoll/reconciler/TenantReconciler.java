package io.plimsoll.reconciler;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.plimsoll.actuator.StatusWriter;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.TenantStatus;
import io.plimsoll.snapshot.ClusterSnapshot;
import io.plimsoll.tenancy.TenancyInformers;
import io.plimsoll.tenancy.TenantDirectory;
import io.plimsoll.tenancy.TenantRules;
import io.plimsoll.tenancy.TenantUsage;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Keeps each Tenant's status: whether its spec holds (Ready), its namespaces, the guarantee it holds now (scaled down
 * when all guarantees exceed the cluster's GPU-equivalents), NamespaceConflict, GuaranteesExceedCapacity and
 * UnknownPlacementPolicy, and the usage the placement path publishes ({@link TenantUsage}). A tenant's bad spec shows
 * on that tenant only: its guarantee counts as 0 and every other tenant is reconciled as usual.
 */
@ControllerConfiguration(name = TenantReconciler.NAME)
public class TenantReconciler implements Reconciler<Tenant> {
    public static final String NAME = "tenant";
    static final Duration COALESCE = Duration.ofSeconds(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClusterSnapshot snapshot;
    private final TenancyInformers informers;
    private final TenantDirectory directory;
    private final TenantUsage usage;
    private final StatusWriter statusWriter;
    private boolean ownsInformers;

    @Inject
    public TenantReconciler(ClusterSnapshot snapshot, TenancyInformers informers, TenantDirectory directory, TenantUsage usage,
                            StatusWriter statusWriter) {
        this.snapshot = snapshot;
        this.informers = informers;
        this.directory = directory;
        this.usage = usage;
        this.statusWriter = statusWriter;
    }

    @Override
    public List<EventSource<?, Tenant>> prepareEventSources(EventSourceContext<Tenant> context) {
        return List.of(new TenancyEventSource<>("tenancy-changes", informers, usage, snapshot, context, COALESCE, ownsInformers));
    }

    /** The informers were made for this controller alone: they stop when it stops (plain JOSDK runs, see Controllers). */
    TenantReconciler owningInformers() {
        ownsInformers = true;
        return this;
    }

    @Override
    public UpdateControl<Tenant> reconcile(Tenant tenant, Context<Tenant> context) {
        TenantStatus before = tenant.getStatus() == null ? null : JSON.convertValue(tenant.getStatus(), TenantStatus.class);
        TenantStatus status = tenant.getStatus() == null ? new TenantStatus() : tenant.getStatus();
        tenant.setStatus(status);
        String name = tenant.getMetadata().getName();
        Long gen = tenant.getMetadata().getGeneration();
        TenantDirectory.View view = directory.view();

        // Every tenant's guarantee counts towards the total, this one as it is now; invalid ones count 0.
        Map<String, Tenant> all = new LinkedHashMap<>();
        for (Tenant t : informers.tenants()) all.put(t.getMetadata().getName(), t);
        all.put(name, tenant);
        double sum = 0;
        for (Tenant t : all.values()) {
            if (valid(t, view)) sum += TenantRules.guaranteedGpu(t);
        }
        double capacity = TenantRules.capacityGpu(snapshot.pools(), p -> snapshot.nodesOf(p).size());

        List<String> problems = new ArrayList<>();
        if (view.selectorProblems().containsKey(name)) problems.add(view.selectorProblems().get(name));
        problems.addAll(TenantRules.problems(tenant));
        boolean valid = problems.isEmpty();
        double own = valid ? TenantRules.guaranteedGpu(tenant) : 0;
        double guaranteed = TenantRules.effectiveGuarantee(own, sum, capacity);
        List<String> namespaces = view.namespacesOf(name);
        boolean isDefault = directory.defaultTenantName().map(name::equals).orElse(false);

        status.setObservedGeneration(gen);
        status.setGuaranteed(round(guaranteed));
        status.setNamespaces(namespaces.size());
        TenantUsage.Usage u = usage.of(name);
        status.setUsed(u == null ? null : round(u.used()));
        status.setBorrowed(u == null ? null : round(u.borrowed()));
        status.setLent(u == null ? null : round(u.lent()));
        status.setPending(u == null ? null : round(u.pending()));

        if (valid) {
            Conditions.set(status.getConditions(), "Ready", true, "Accepted", namespaces.size() + " namespace(s)"
                    + (isDefault ? " and every namespace no tenant selects (default tenant)" : "")
                    + "; guaranteed " + num(guaranteed) + " GPU-eq", gen);
        } else {
            Conditions.set(status.getConditions(), "Ready", false, "InvalidSpec", String.join("; ", problems)
                    + " (until fixed, the tenant is guaranteed nothing)", gen);
        }
        List<String> conflicts = view.conflictsOf(name);
        if (conflicts.isEmpty()) {
            Conditions.set(status.getConditions(), "NamespaceConflict", false, "NoOverlap",
                    "no namespace it selects is selected by another tenant", gen);
        } else {
            Conditions.set(status.getConditions(), "NamespaceConflict", true, "SelectorsOverlap", "namespace(s) "
                    + String.join(", ", conflicts) + " also selected by another tenant: they belong to the default tenant"
                    + " until only one tenant's spec.namespaceSelector selects each", gen);
        }
        if (sum > capacity + 1e-9) {
            Conditions.set(status.getConditions(), "GuaranteesExceedCapacity", true, "Overcommitted", "the tenants' guarantees add up to "
                    + num(sum) + " GPU-eq, more than the cluster's " + num(capacity) + ": each is scaled to "
                    + (capacity <= 0 ? 0 : Math.round(100 * capacity / sum)) + "% (status.guaranteed);"
                    + " lower spec.guaranteed.gpuEquivalents or add nodes to the pools", gen);
        } else {
            Conditions.set(status.getConditions(), "GuaranteesExceedCapacity", false, "WithinCapacity", "the tenants' guarantees add up to "
                    + num(sum) + " of the cluster's " + num(capacity) + " GPU-eq", gen);
        }
        List<String> unknown = new ArrayList<>();
        if (tenant.getSpec() != null && tenant.getSpec().getPlacementPolicies() != null) {
            for (String p : tenant.getSpec().getPlacementPolicies()) {
                if (p != null && snapshot.policy(p).isEmpty()) unknown.add("'" + p + "'");
            }
        }
        if (unknown.isEmpty()) {
            Conditions.set(status.getConditions(), "UnknownPlacementPolicy", false, "PoliciesFound",
                    "every policy in spec.placementPolicies exists (an empty list allows any)", gen);
        } else {
            Conditions.set(status.getConditions(), "UnknownPlacementPolicy", true, "PolicyNotFound", "spec.placementPolicies names "
                    + String.join(", ", unknown) + ", which is not a PlacementPolicy: create it or remove it from the list", gen);
        }
        if (before == null || !JSON.valueToTree(before).equals(JSON.valueToTree(status))) statusWriter.write(tenant, status, context);
        return UpdateControl.noUpdate();
    }

    private static boolean valid(Tenant t, TenantDirectory.View view) {
        return !view.selectorProblems().containsKey(t.getMetadata().getName()) && TenantRules.problems(t).isEmpty();
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
