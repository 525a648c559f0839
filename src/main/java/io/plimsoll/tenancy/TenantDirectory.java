package io.plimsoll.tenancy;

import io.fabric8.kubernetes.api.model.Namespace;
import io.plimsoll.api.Tenant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which tenant each namespace belongs to, from the namespaces' labels and the Tenants' namespaceSelectors:
 * <ul>
 *   <li>selected by exactly one tenant: that tenant;</li>
 *   <li>selected by none: the default tenant ({@code plimsoll.tenancy.default-tenant}); unlimited when none is
 *       configured or the Tenant it names does not exist;</li>
 *   <li>selected by two or more: by none of them. It goes to the default tenant, and each claimant reports a
 *       NamespaceConflict condition naming only the namespace, until all selectors but one leave it out. No claim
 *       wins silently, and the outcome does not depend on which tenant came first.</li>
 * </ul>
 * A tenant whose selector is empty or malformed selects nothing (its reconciler says why).
 */
@ApplicationScoped
public class TenantDirectory {
    /** The operator setting that names the default tenant. */
    public static final String DEFAULT_TENANT_PROPERTY = "plimsoll.tenancy.default-tenant";

    /** How a namespace came to its tenant. */
    public enum How {
        /** Exactly one tenant selects it. */
        Selected,
        /** No tenant selects it: the default tenant. */
        Unclaimed,
        /** Two or more tenants select it: the default tenant. */
        Conflict,
        /** The namespace is not in the informer's cache yet (just created?): the default tenant for now; look again shortly. */
        NotSeenYet
    }

    /**
     * @param namespace  the namespace
     * @param tenant     its tenant, or null: no tenant applies (no default tenant configured, or the Tenant it
     *                   names does not exist), so nothing limits it
     * @param how        why
     */
    public record Membership(String namespace, Tenant tenant, How how) {
        public String tenantName() {
            return tenant == null ? null : tenant.getMetadata().getName();
        }

        /** No tenant limits this namespace. */
        public boolean unlimited() {
            return tenant == null;
        }
    }

    /**
     * The whole mapping at one moment.
     *
     * @param byNamespace      every namespace seen, with its membership
     * @param namespacesOf     by tenant name: the namespaces that belong to it through its own selector (sorted)
     * @param conflictsOf      by tenant name: namespaces it selects that another tenant also selects (sorted)
     * @param selectorProblems by tenant name: why its selector selects nothing (empty or malformed)
     * @param defaultTenant    the default tenant, or null (unlimited)
     */
    public record View(Map<String, Membership> byNamespace, Map<String, List<String>> namespacesOf,
                       Map<String, List<String>> conflictsOf, Map<String, String> selectorProblems, Tenant defaultTenant) {
        /** The namespace's membership; a namespace not seen goes to the default tenant, marked {@link How#NotSeenYet}. */
        public Membership tenantOf(String namespace) {
            Membership m = byNamespace.get(namespace);
            return m != null ? m : new Membership(namespace, defaultTenant, How.NotSeenYet);
        }

        public List<String> namespacesOf(String tenant) {
            return namespacesOf.getOrDefault(tenant, List.of());
        }

        public List<String> conflictsOf(String tenant) {
            return conflictsOf.getOrDefault(tenant, List.of());
        }
    }

    private final TenancyInformers informers;
    private final Optional<String> defaultTenantName;
    /** The last view built, with the informers' version it was built at (one reference, so never mismatched). */
    private record Built(long version, View view) {}

    private volatile Built cached;

    @Inject
    public TenantDirectory(TenancyInformers informers,
                           @ConfigProperty(name = DEFAULT_TENANT_PROPERTY) Optional<String> defaultTenantName) {
        this.informers = informers;
        this.defaultTenantName = defaultTenantName.map(String::trim).filter(s -> !s.isEmpty());
    }

    /** The configured default tenant's name, if any (the Tenant may not exist). */
    public Optional<String> defaultTenantName() {
        return defaultTenantName;
    }

    /** The tenant of a namespace now. */
    public Membership tenantOf(String namespace) {
        return view().tenantOf(namespace);
    }

    /** The mapping now, rebuilt only after a namespace's labels or a tenant's spec changed. */
    public View view() {
        // The version is read before the caches: a change during the build makes the next call build again.
        long v = informers.version();
        Built c = cached;
        if (c != null && c.version() == v) return c.view();
        View fresh = compute(informers.namespaces(), informers.tenants(), defaultTenantName);
        cached = new Built(v, fresh);
        return fresh;
    }

    /** The mapping for these namespaces and tenants. Pure. */
    public static View compute(Collection<Namespace> namespaces, Collection<Tenant> tenants, Optional<String> defaultTenantName) {
        Map<String, Tenant> byName = new TreeMap<>();
        for (Tenant t : tenants) byName.put(t.getMetadata().getName(), t);
        Tenant dflt = defaultTenantName.map(byName::get).orElse(null);
        Map<String, String> problems = new TreeMap<>();
        List<Tenant> selecting = new ArrayList<>();
        for (Tenant t : byName.values()) {
            try {
                Selectors.check("spec.namespaceSelector", t.getSpec() == null ? null : t.getSpec().getNamespaceSelector());
                selecting.add(t);
            } catch (IllegalArgumentException e) {
                problems.put(t.getMetadata().getName(), e.getMessage());
            }
        }
        Map<String, Membership> byNamespace = new TreeMap<>();
        Map<String, List<String>> members = new TreeMap<>();
        Map<String, List<String>> conflicts = new TreeMap<>();
        List<Namespace> sorted = namespaces.stream().sorted(java.util.Comparator.comparing(n -> n.getMetadata().getName())).toList();
        for (Namespace ns : sorted) {
            String name = ns.getMetadata().getName();
            List<Tenant> claimants = new ArrayList<>();
            for (Tenant t : selecting) {
                if (Selectors.matches("spec.namespaceSelector", t.getSpec().getNamespaceSelector(), ns.getMetadata().getLabels())) {
                    claimants.add(t);
                }
            }
            if (claimants.size() == 1) {
                Tenant t = claimants.get(0);
                byNamespace.put(name, new Membership(name, t, How.Selected));
                members.computeIfAbsent(t.getMetadata().getName(), k -> new ArrayList<>()).add(name);
            } else {
                byNamespace.put(name, new Membership(name, dflt, claimants.isEmpty() ? How.Unclaimed : How.Conflict));
                for (Tenant t : claimants) conflicts.computeIfAbsent(t.getMetadata().getName(), k -> new ArrayList<>()).add(name);
            }
        }
        return new View(java.util.Collections.unmodifiableMap(byNamespace), java.util.Collections.unmodifiableMap(members),
                java.util.Collections.unmodifiableMap(conflicts), java.util.Collections.unmodifiableMap(problems), dflt);
    }
}
