package io.plimsoll.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.plimsoll.engine.PoolUsage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Prometheus metrics (through Micrometer), all prefixed {@code plimsoll_}: placement latency, placements and
 * failures, pending workloads by phase and reason, and per pool devices, cost, idle cost and fragmentation.
 */
@ApplicationScoped
public class PlimsollMetrics {
    private final MeterRegistry registry;
    private final Timer placementLatency;
    private final Timer placementCpu;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    private static final boolean THREAD_CPU = THREADS.isCurrentThreadCpuTimeSupported();
    /** Pending workloads (namespace/name) and why: phase + reason. */
    private final Map<String, PendingKey> pending = new ConcurrentHashMap<>();
    private final Set<PendingKey> pendingGauges = ConcurrentHashMap.newKeySet();
    private final Map<String, PoolUsage> pools = new ConcurrentHashMap<>();

    private record PendingKey(String phase, String reason) {}

    @Inject
    public PlimsollMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.placementLatency = Timer.builder("plimsoll.placement.duration")
                .description("Time the engine takes to decide a placement, snapshot included")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(5))
                .register(registry);
        // The same span in CPU time of the deciding thread: what a decision costs, without the waits for the snapshot's
        // lock or for a core that the wall-clock timer above also counts on a busy machine.
        this.placementCpu = Timer.builder("plimsoll.placement.cpu")
                .description("CPU time of the placement loop's thread per placement decision, snapshot included")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(5))
                .register(registry);
    }

    /**
     * Records one placement decision that started at {@code startedNanos} ({@link System#nanoTime}) and
     * {@code cpuStartedNanos} ({@link #threadCpuNanos}, on this thread): wall time and CPU time.
     */
    public void placementTimed(long startedNanos, long cpuStartedNanos) {
        placementLatency.record(System.nanoTime() - startedNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        long cpuEnded = threadCpuNanos();
        if (cpuStartedNanos >= 0 && cpuEnded >= cpuStartedNanos) {
            placementCpu.record(cpuEnded - cpuStartedNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /** CPU time of the calling thread (ns), or -1 where the JVM cannot say. */
    public static long threadCpuNanos() {
        return THREAD_CPU ? THREADS.getCurrentThreadCpuTime() : -1;
    }

    public void placed(String phase, String pool, int replicas) {
        Counter.builder("plimsoll.placements").description("Replicas placed and bound")
                .tag("phase", phase).tag("pool", pool).register(registry).increment(replicas);
    }

    public void failed(String phase, String reason) {
        Counter.builder("plimsoll.placement.failures").description("Placement attempts that found no pool")
                .tag("phase", phase).tag("reason", reason).register(registry).increment();
    }

    /**
     * A scale-down done: kind {@code workload} (an idle workload to zero), {@code park} (idle replicas parked in
     * place), {@code node} (an idle node removed) or {@code consolidation} (work moved off a node).
     */
    public void scaledDown(String kind, String target) {
        Counter.builder("plimsoll.scale.downs").description("Idle capacity given back")
                .tag("kind", kind).tag("target", target).register(registry).increment();
    }

    /** A pool grown by one node through its scale target; reason {@code pending} or {@code parked-evicted}. */
    /** A workload of {@code tenant} was preempted ({@code reason} Reclaim or Priority), losing {@code gpuHours} of work. */
    public void preempted(String tenant, String reason, double gpuHours) {
        Counter.builder("plimsoll.tenant.preemptions").description("Workloads preempted, by the tenant that lost them")
                .tag("tenant", tenant).tag("reason", reason).register(registry).increment();
        Counter.builder("plimsoll.tenant.preempted.gpu.hours").description("GPU-equivalent hours of work lost to preemption")
                .tag("tenant", tenant).register(registry).increment(gpuHours);
    }

    /** What a tenant is guaranteed, uses, borrows and has pending, in GPU-equivalents (gauges, replaced on each call). */
    public void tenant(String tenant, double guaranteed, double used, double borrowed, double pending) {
        tenantGauge("plimsoll.tenant.guaranteed", "GPU-equivalents guaranteed to the tenant", tenant, guaranteed);
        tenantGauge("plimsoll.tenant.used", "GPU-equivalents the tenant's replicas hold", tenant, used);
        tenantGauge("plimsoll.tenant.borrowed", "GPU-equivalents the tenant uses above its guarantee", tenant, borrowed);
        tenantGauge("plimsoll.tenant.pending", "GPU-equivalents the tenant's waiting workloads ask for", tenant, pending);
    }

    private final java.util.Map<String, java.util.concurrent.atomic.AtomicReference<Double>> tenantValues = new java.util.concurrent.ConcurrentHashMap<>();

    private void tenantGauge(String name, String description, String tenant, double value) {
        tenantValues.computeIfAbsent(name + "|" + tenant, k -> {
            var ref = new java.util.concurrent.atomic.AtomicReference<>(0.0);
            io.micrometer.core.instrument.Gauge.builder(name, ref, java.util.concurrent.atomic.AtomicReference::get)
                    .description(description).tag("tenant", tenant).register(registry);
            return ref;
        }).set(value);
    }

    public void scaledUp(String pool, String reason) {
        Counter.builder("plimsoll.scale.ups").description("Nodes added to a pool through its scale target")
                .tag("pool", pool).tag("reason", reason).register(registry).increment();
    }

    /** Records that a workload is pending (reason: Unschedulable, PolicyNotFound, ...) or, with null, that it no longer is. */
    public void pending(String workloadKey, String phase, String reason) {
        if (reason == null) {
            pending.remove(workloadKey);
            return;
        }
        PendingKey k = new PendingKey(phase, reason);
        pending.put(workloadKey, k);
        if (pendingGauges.add(k)) {
            Gauge.builder("plimsoll.workloads.pending", pending, m -> m.values().stream().filter(k::equals).count())
                    .description("Workloads waiting for placement").tag("phase", phase).tag("reason", reason).register(registry);
        }
    }

    public void pool(PoolUsage usage) {
        if (pools.put(usage.pool(), usage) != null) return;
        String p = usage.pool();
        poolGauge("plimsoll.pool.devices", p, "state", "total", u -> u.devicesTotal(), "Devices in the pool");
        poolGauge("plimsoll.pool.devices", p, "state", "allocated", PoolUsage::devicesAllocated, "Devices in use (shares as fractions)");
        poolGauge("plimsoll.pool.devices", p, "state", "idle", u -> u.devicesTotal() - u.devicesAllocated(), "Devices not in use");
        poolGauge("plimsoll.pool.cost.dollars.per.hour", p, null, null, PoolUsage::costPerHour, "What the pool's nodes cost");
        poolGauge("plimsoll.pool.idle.cost.dollars.per.hour", p, null, null, PoolUsage::idleCostPerHour, "Cost of the unallocated part");
        poolGauge("plimsoll.pool.fragmentation.percent", p, null, null, PoolUsage::fragmentationPercent,
                "Free capacity stranded on partly used shared devices, percent of the pool's devices");
    }

    public void poolDeleted(String pool) {
        pools.remove(pool);
    }

    private void poolGauge(String name, String pool, String tag, String value, ToDoubleFunction<PoolUsage> f, String description) {
        Gauge.Builder<Map<String, PoolUsage>> b = Gauge.builder(name, pools, m -> {
            PoolUsage u = m.get(pool);
            return u == null ? Double.NaN : f.applyAsDouble(u);
        }).description(description).tag("pool", pool);
        if (tag != null) b.tag(tag, value);
        b.register(registry);
    }
}
