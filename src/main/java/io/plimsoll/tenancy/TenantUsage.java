package io.plimsoll.tenancy;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What each tenant holds and waits for, in GPU-equivalents, as the placement path last measured it: the placement
 * path {@link #publish publishes} it, the Tenant reconciler writes it to each Tenant's status (used, borrowed, lent,
 * pending). Until something publishes, those status fields stay unset.
 */
@ApplicationScoped
public class TenantUsage {
    /** One tenant's figures, GPU-equivalents. */
    public record Usage(double used, double borrowed, double lent, double pending) {}

    private volatile Map<String, Usage> byTenant = Map.of();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** Replaces the figures of every tenant (a tenant left out has its figures cleared), and tells the listeners. */
    public void publish(Map<String, Usage> byTenant) {
        Map<String, Usage> copy = Map.copyOf(byTenant);
        if (copy.equals(this.byTenant)) return;
        this.byTenant = copy;
        for (Runnable l : listeners) l.run();
    }

    /** The tenant's last published figures, or null. */
    public Usage of(String tenant) {
        return byTenant.get(tenant);
    }

    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }
}
