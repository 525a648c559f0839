package io.plimsoll.bench;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Peak heap use of this JVM while it runs: the heap just before each garbage collection (where use peaks), from
 * the collectors' notifications, and the heap now when it stops (use since the last collection). Also the largest
 * heap left after a collection, which is closer to what is live.
 */
final class HeapWatch implements AutoCloseable {
    private final Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong afterGcMax = new AtomicLong();
    private final List<Runnable> unsubscribe = new ArrayList<>();
    private volatile boolean on;

    HeapWatch() {
        NotificationListener listener = (n, handback) -> {
            if (!on || !GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) return;
            var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData()).getGcInfo();
            peak.accumulateAndGet(heap(info.getMemoryUsageBeforeGc()), Math::max);
            afterGcMax.accumulateAndGet(heap(info.getMemoryUsageAfterGc()), Math::max);
        };
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(listener, null, null);
                unsubscribe.add(() -> {
                    try {
                        e.removeNotificationListener(listener);
                    } catch (javax.management.ListenerNotFoundException ignored) {
                        // already gone
                    }
                });
            }
        }
    }

    private long heap(Map<String, MemoryUsage> byPool) {
        long sum = 0;
        for (var e : byPool.entrySet()) if (heapPools.contains(e.getKey())) sum += e.getValue().getUsed();
        return sum;
    }

    private static long usedNow() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private long gcMillisAtStart;
    private long gcMillis;

    private static long gcMillisNow() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) sum += Math.max(0, gc.getCollectionTime());
        return sum;
    }

    /** Starts from the heap as it is now. */
    void start() {
        gcMillisAtStart = gcMillisNow();
        peak.set(usedNow());
        afterGcMax.set(0);
        on = true;
    }

    /** Stops and takes the heap now into account. */
    void stop() {
        on = false;
        peak.accumulateAndGet(usedNow(), Math::max);
        gcMillis = gcMillisNow() - gcMillisAtStart;
    }

    /** Time the collectors reported spending between start and stop (pauses and, for G1, its concurrent cycles' share). */
    double gcSeconds() {
        return gcMillis / 1000.0;
    }

    long peakBytes() {
        return peak.get();
    }

    long afterGcMaxBytes() {
        return afterGcMax.get();
    }

    static long maxBytes() {
        return Runtime.getRuntime().maxMemory();
    }

    @Override
    public void close() {
        on = false;
        unsubscribe.forEach(Runnable::run);
    }
}
