package io.plimsoll.bench;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AIWorkloadStatus;
import io.plimsoll.api.PoolRejection;
import io.plimsoll.api.ReplicaPlacement;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Watches the bench's workloads (its own informer, not the operator's) and tells when every one has settled:
 * <ul>
 *   <li>bound: state Running or Placed with every replica on a node in {@code status.placement};</li>
 *   <li>pending: state Pending with the reasons in {@code status.unplaceable};</li>
 *   <li>failed: state Failed (a spec the operator refused; none expected).</li>
 * </ul>
 * Records the moment the last workload settled.
 */
final class SettleWatch implements AutoCloseable {
    enum Outcome { UNSETTLED, BOUND, PENDING, FAILED }

    private record Seen(Outcome outcome, int pods, String phase, String why) {}

    private final Map<String, Seen> seen = new HashMap<>();
    /** Workloads whose status has shown a Preempted condition at some time (True, or False once placed again). */
    private final java.util.Set<String> preempted = new java.util.HashSet<>();
    private final int expected;
    private final SharedIndexInformer<AIWorkload> informer;
    private int settled;
    private long allSettledAtNanos;

    SettleWatch(KubernetesClient client, String namespace, int expected) {
        this.expected = expected;
        // null: every namespace (the bench with tenants spreads its workloads over one namespace per tenant).
        this.informer = (namespace == null ? client.resources(AIWorkload.class).inAnyNamespace()
                : client.resources(AIWorkload.class).inNamespace(namespace)).runnableInformer(0).itemStore(new NamesOnly());
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override public void onAdd(AIWorkload w) { update(w); }
            @Override public void onUpdate(AIWorkload old, AIWorkload w) { update(w); }
            @Override public void onDelete(AIWorkload w, boolean unknown) { }
        });
        informer.run();
    }

    /**
     * The informer's store keeps only each workload's name and resourceVersion (what it needs to resume a watch):
     * the bench's own watch should weigh next to nothing in the heap it reports.
     */
    private static final class NamesOnly extends BasicItemStore<AIWorkload> {
        NamesOnly() {
            super(Cache::metaNamespaceKeyFunc);
        }

        @Override
        public AIWorkload put(String key, AIWorkload w) {
            AIWorkload slim = new AIWorkload();
            slim.setMetadata(new ObjectMetaBuilder().withName(w.getMetadata().getName()).withNamespace(w.getMetadata().getNamespace())
                    .withResourceVersion(w.getMetadata().getResourceVersion()).withUid(w.getMetadata().getUid()).build());
            return super.put(key, slim);
        }
    }

    static Seen judge(AIWorkload w) {
        AIWorkloadStatus s = w.getStatus();
        String phase = String.valueOf(w.getSpec().getPhase());
        if (s == null || s.getState() == null) return new Seen(Outcome.UNSETTLED, 0, phase, null);
        int replicas = w.getSpec().getReplicas() == null ? 1 : w.getSpec().getReplicas();
        switch (s.getState()) {
            case Running, Placed -> {
                int bound = 0;
                if (s.getPlacement() != null) {
                    for (ReplicaPlacement r : s.getPlacement().getReplicas()) if (r.getNode() != null) bound++;
                }
                return new Seen(bound >= replicas ? Outcome.BOUND : Outcome.UNSETTLED, bound, phase, null);
            }
            case Pending -> {
                List<PoolRejection> why = s.getUnplaceable();
                return why == null || why.isEmpty() ? new Seen(Outcome.UNSETTLED, 0, phase, null)
                        : new Seen(Outcome.PENDING, 0, phase, reasons(why));
            }
            case Failed -> {
                return new Seen(Outcome.FAILED, 0, phase, s.getMessage());
            }
            default -> {
                return new Seen(Outcome.UNSETTLED, 0, phase, null);
            }
        }
    }

    /** The pools' reasons with numbers left out, so that alike workloads group together. */
    private static String reasons(List<PoolRejection> why) {
        TreeSet<String> kinds = new TreeSet<>();
        for (PoolRejection r : why) kinds.add(r.getPool() + ": " + String.valueOf(r.getReason()).replaceAll("(?<![A-Za-z0-9.])[0-9]+(\\.[0-9]+)?", "#"));
        return String.join("; ", kinds);
    }

    private synchronized void update(AIWorkload w) {
        if (!w.getMetadata().getNamespace().startsWith(BenchCommand.NAMESPACE)) return; // not the bench's (watching every namespace)
        Seen now = judge(w);
        String key = w.getMetadata().getNamespace() + "/" + w.getMetadata().getName();
        Seen before = seen.put(key, now);
        if (w.getStatus() != null && w.getStatus().getConditions() != null
                && w.getStatus().getConditions().stream().anyMatch(c -> "Preempted".equals(c.getType()))) {
            preempted.add(key);
        }
        boolean was = before != null && before.outcome() != Outcome.UNSETTLED;
        boolean is = now.outcome() != Outcome.UNSETTLED;
        if (was != is) settled += is ? 1 : -1;
        if (is && !was && settled == expected) allSettledAtNanos = System.nanoTime();
        if (settled == expected) notifyAll();
    }

    /** Waits until every workload has settled or the deadline passes; returns when the last one settled, or -1. */
    synchronized long awaitAllSettled(long deadlineNanos) throws InterruptedException {
        while (settled < expected) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) return -1;
            wait(Math.max(1, left / 1_000_000));
        }
        return allSettledAtNanos;
    }

    /** The tallies now. */
    synchronized Tally tally() {
        int bound = 0, pending = 0, failed = 0, pods = 0;
        Map<String, Integer> why = new HashMap<>();
        for (Seen s : seen.values()) {
            switch (s.outcome()) {
                case BOUND -> {
                    bound++;
                    pods += s.pods();
                }
                case PENDING -> {
                    pending++;
                    why.merge(s.phase() + " | " + s.why(), 1, Integer::sum);
                }
                case FAILED -> {
                    failed++;
                    why.merge(s.phase() + " | failed: " + s.why(), 1, Integer::sum);
                }
                default -> { }
            }
        }
        Map<String, Integer> top = why.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(8).collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
        return new Tally(bound, pending, failed, expected - bound - pending - failed, pods, top, preempted.size());
    }

    /**
     * Workloads by outcome, the pods bound, the commonest pending (or failed) reasons with their counts, and how many
     * workloads were preempted at least once.
     */
    record Tally(int bound, int pending, int failed, int unsettled, int podsBound, Map<String, Integer> reasons, int preempted) {}

    @Override
    public void close() {
        informer.close();
    }
}
