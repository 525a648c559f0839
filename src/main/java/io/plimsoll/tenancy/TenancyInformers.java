package io.plimsoll.tenancy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.plimsoll.api.Tenant;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The informers tenancy reads: Namespaces (for their labels), Tenants and PriorityClasses, all cluster-wide. Started
 * on first use (or by {@link #start()}), like the cluster snapshot; listeners hear of every change to any of them.
 */
@ApplicationScoped
public class TenancyInformers implements PriorityResolver.PriorityClasses {
    private static final Logger LOG = Logger.getLogger(TenancyInformers.class);

    private final KubernetesClient client;
    private SharedIndexInformer<Namespace> namespaces;
    private SharedIndexInformer<Tenant> tenants;
    private SharedIndexInformer<PriorityClass> priorityClasses;
    private volatile boolean started;
    /** Bumped on every change: readers that derive a view (the tenant directory) rebuild it when it moved. */
    private final AtomicLong version = new AtomicLong();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    @Inject
    public TenancyInformers(KubernetesClient client) {
        this.client = client;
    }

    /** Starts the informers and waits until their caches are filled. Safe to call more than once. */
    public synchronized void start() {
        if (started) return;
        namespaces = client.namespaces().runnableInformer(0);
        // Only labels matter for tenancy: a namespace's status flipping to Terminating is no change.
        namespaces.addEventHandler(handler((o, n) -> !java.util.Objects.equals(o.getMetadata().getLabels(), n.getMetadata().getLabels())));
        tenants = client.resources(Tenant.class).runnableInformer(0);
        // A status write is no change to what the directory reads.
        tenants.addEventHandler(handler((o, n) -> n.getMetadata().getGeneration() == null
                || !java.util.Objects.equals(o.getMetadata().getGeneration(), n.getMetadata().getGeneration())));
        priorityClasses = client.scheduling().v1().priorityClasses().runnableInformer(0);
        priorityClasses.addEventHandler(handler((o, n) -> true));
        for (SharedIndexInformer<?> i : List.of(namespaces, tenants, priorityClasses)) {
            try {
                i.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("informer for " + i.getApiTypeClass().getSimpleName()
                        + " did not sync: check the operator's RBAC (namespaces, tenants, priorityclasses: list, watch),"
                        + " that crds/ is installed, and API server reachability", e);
            }
        }
        started = true;
        LOG.infof("Tenancy informers synced: %d namespaces, %d tenants, %d priority classes",
                namespaces.getStore().list().size(), tenants.getStore().list().size(), priorityClasses.getStore().list().size());
    }

    @PreDestroy
    public synchronized void stop() {
        for (SharedIndexInformer<?> i : new SharedIndexInformer<?>[] {namespaces, tenants, priorityClasses}) {
            if (i != null) i.close();
        }
        started = false;
    }

    /** Each informer: true while it runs and watches. Empty before the start. */
    public Map<String, Boolean> watchHealth() {
        Map<String, Boolean> out = new LinkedHashMap<>();
        if (!started) return out;
        out.put("namespaces", namespaces.isRunning() && namespaces.isWatching());
        out.put("tenants", tenants.isRunning() && tenants.isWatching());
        out.put("priorityclasses", priorityClasses.isRunning() && priorityClasses.isWatching());
        return out;
    }

    /** Called (on an informer thread) after any change of a namespace's labels, a tenant's spec or a priority class. */
    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    /** Changes seen so far. */
    public long version() {
        return version.get();
    }

    public List<Namespace> namespaces() {
        ensureStarted();
        return namespaces.getStore().list();
    }

    /** Tenants not being deleted, by name. */
    public List<Tenant> tenants() {
        ensureStarted();
        return tenants.getStore().list().stream().filter(t -> t.getMetadata().getDeletionTimestamp() == null)
                .sorted(Comparator.comparing(t -> t.getMetadata().getName())).toList();
    }

    @Override
    public Optional<PriorityClass> priorityClass(String name) {
        ensureStarted();
        return Optional.ofNullable(priorityClasses.getStore().getByKey(name));
    }

    @Override
    public List<PriorityClass> priorityClasses() {
        ensureStarted();
        return priorityClasses.getStore().list();
    }

    private void ensureStarted() {
        if (!started) start();
    }

    private <T extends HasMetadata> ResourceEventHandler<T> handler(java.util.function.BiPredicate<T, T> updateCounts) {
        return new ResourceEventHandler<>() {
            @Override public void onAdd(T obj) { changed(); }
            @Override public void onUpdate(T oldObj, T newObj) { if (updateCounts.test(oldObj, newObj)) changed(); }
            @Override public void onDelete(T obj, boolean unknownFinalState) { changed(); }
        };
    }

    private void changed() {
        version.incrementAndGet();
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                LOG.warn("tenancy change listener failed", e);
            }
        }
    }
}
