package io.plimsoll.snapshot;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.engine.packing.TaskShape;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The engine's view of the cluster, kept current by informers on nodes, pods (all of them: other pods use
 * capacity too), pools and policies. Device use is counted from what the API server enforces (resource requests)
 * and from Plimsoll's own {@link PodRecord records} of its pods, never from labels or annotations a tenant can
 * write. A record is made when a placement is decided, before the pod exists, so two reconciles never hand out the
 * same device; it is kept in the workload's status so a restarted operator finds it again.
 */
@ApplicationScoped
public class ClusterSnapshot {
    private static final Logger LOG = Logger.getLogger(ClusterSnapshot.class);
    /** A reservation whose pod never shows up (creation failed) is dropped after this. */
    private static final Duration RESERVATION_TTL = Duration.ofMinutes(2);
    /** Pod index: the namespace/name of the AIWorkload that is the pod's controller. */
    private static final String BY_WORKLOAD = "plimsoll-workload";
    /** Pod index: the node the pod is bound to. */
    private static final String BY_NODE = "plimsoll-node";
    /** How often records whose pods never showed up are looked for. */
    private static final Duration SWEEP_EVERY = Duration.ofSeconds(10);

    private final KubernetesClient client;
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<AcceleratorPool> pools;
    private SharedIndexInformer<PlacementPolicy> policies;
    /** AIWorkloads, read by the pool scaler (consolidation, scale-up) without an API call per look. */
    private SharedIndexInformer<io.plimsoll.api.AIWorkload> workloads;
    /** Nodes whose view must be rebuilt before the next state: an event or a record concerned them. */
    private final java.util.Set<String> dirty = ConcurrentHashMap.newKeySet();
    /** Plimsoll's records of its pods; the ones being created have no UID yet. Every change marks its node dirty. */
    private final RecordBook records = new RecordBook(dirty::add);
    private final List<Consumer<ClusterChange>> listeners = new CopyOnWriteArrayList<>();
    private final List<java.util.function.BiConsumer<io.plimsoll.api.AIWorkload, Boolean>> endingListeners = new CopyOnWriteArrayList<>();
    private volatile boolean started;
    /** Counts changes that may have freed capacity: the placement loop retries work that found no room after one. */
    private final java.util.concurrent.atomic.AtomicLong freed = new java.util.concurrent.atomic.AtomicLong();
    /** Pools changed (or nothing built yet): every node's view is rebuilt. */
    private volatile boolean allDirty = true;
    /** The engine's view, node by node, kept current from events: only dirty nodes are rebuilt (guarded by itself). */
    private final java.util.TreeMap<String, NodeView> views = new java.util.TreeMap<>();
    private List<PoolProfile> profiles = List.of();
    /** The views put together; null after any of them changed. */
    private ClusterState assembled;
    private Instant lastSweep = Instant.EPOCH;
    private final java.time.Clock clock;

    /** One node as the engine sees it, and the shapes of the accelerator work on it (for FGD's typical workload). */
    private record NodeView(NodeState state, List<TaskShape> shapes) {}

    /** What a placement reserves for one slot: the pod's namespace/name and the replica it runs. */
    public record PodClaim(String podKey, String workloadKey, int replica) {}

    @Inject
    public ClusterSnapshot(KubernetesClient client) {
        this(client, java.time.Clock.systemUTC());
    }

    /** With the given clock: the operator's one time source (reservations, idle and back-off times, pool sizing). */
    public ClusterSnapshot(KubernetesClient client, java.time.Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /** The operator's time: every reconciler reads it here, so tests can set it. */
    public java.time.Clock clock() {
        return clock;
    }

    /** Starts the informers and waits until their caches are filled. Safe to call more than once. */
    public synchronized void start() {
        if (started) return;
        stopped = false;
        nodes = client.nodes().inform(new ResourceEventHandler<>() {
            @Override public void onAdd(Node n) { nodeChanged(n); }
            @Override public void onDelete(Node n, boolean unknownFinalState) { nodeChanged(n); }
            @Override public void onUpdate(Node old, Node n) {
                // Kubelets update their node's status often (heartbeats, images, conditions): only what placement reads
                // counts as a change.
                if (!placementView(old).equals(placementView(n))) nodeChanged(n);
            }
        });
        pods = client.pods().inAnyNamespace().runnableInformer(0);
        pods.addIndexers(Map.of(BY_WORKLOAD, p -> {
            String w = controllerWorkload(p);
            return w == null ? List.of() : List.of(w);
        }, BY_NODE, p -> nodeName(p) == null ? List.of() : List.of(nodeName(p))));
        pods.addEventHandler(new PodHandler());
        pools = client.resources(AcceleratorPool.class).inform(specHandler(p -> {
            allDirty = true;
            freed.incrementAndGet();
            return new ClusterChange(null, null, true, true);
        }));
        policies = client.resources(PlacementPolicy.class).inform(specHandler(p -> new ClusterChange(null, null, false, true)));
        workloads = client.resources(io.plimsoll.api.AIWorkload.class).inAnyNamespace().runnableInformer(0);
        workloads.addEventHandler(new ResourceEventHandler<>() {
            // A workload's status holds the records of its pods (read back after a restart): pods of it without a
            // record yet are looked at again.
            @Override public void onAdd(io.plimsoll.api.AIWorkload w) {
                recheckPodsOf(w);
                if (w.isMarkedForDeletion() || w.hasFinalizer(io.plimsoll.api.Annotations.FINALIZER)) workloadEnding(w, false);
            }
            @Override public void onUpdate(io.plimsoll.api.AIWorkload o, io.plimsoll.api.AIWorkload w) {
                recheckPodsOf(w);
                if ((w.isMarkedForDeletion() && !o.isMarkedForDeletion()) || w.hasFinalizer(io.plimsoll.api.Annotations.FINALIZER)) {
                    workloadEnding(w, false);
                }
            }
            @Override public void onDelete(io.plimsoll.api.AIWorkload w, boolean unknownFinalState) {
                recheckPodsOf(w);
                workloadEnding(w, true);
            }
        });
        for (SharedIndexInformer<?> i : List.of(nodes, pods, pools, policies, workloads)) {
            try {
                i.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("informer for " + i.getApiTypeClass().getSimpleName()
                        + " did not sync: check the operator's RBAC and API server reachability", e);
            }
        }
        started = true;
        LOG.infof("Cluster snapshot synced: %d nodes, %d pods, %d pools, %d policies", nodes.getStore().list().size(),
                pods.getStore().list().size(), pools.getStore().list().size(), policies.getStore().list().size());
    }

    @PreDestroy
    public synchronized void stop() {
        stopped = true;
        for (SharedIndexInformer<?> i : new SharedIndexInformer<?>[]{nodes, pods, pools, policies, workloads}) {
            if (i != null) i.close();
        }
        started = false;
    }

    /** Stopped (the operator is shutting down): a late reader gets an error, it does not start the informers again. */
    private volatile boolean stopped;

    /** Each informer of the snapshot: true while it runs and watches (false while stopped or reconnecting). */
    public Map<String, Boolean> watchHealth() {
        Map<String, Boolean> out = new java.util.LinkedHashMap<>();
        if (!started) return out;
        String[] names = {"nodes", "pods", "acceleratorpools", "placementpolicies", "aiworkloads"};
        SharedIndexInformer<?>[] all = {nodes, pods, pools, policies, workloads};
        for (int i = 0; i < all.length; i++) out.put(names[i], all[i] != null && all[i].isRunning() && all[i].isWatching());
        return out;
    }

    /**
     * How many changes so far may have freed capacity (a pod gone, finished or moved; a node or pool changed; a
     * record dropped; a replica parked). Work that found no room need not be tried again while this stays the same.
     */
    public long capacityFreedCount() {
        return freed.get();
    }

    /** A workload just became Pending: pools that can grow should look (they listen to workload changes). */
    public void workloadPending(String namespace, String name) {
        fire(new ClusterChange(namespace, name, false));
    }

    /**
     * Told, on the informer's thread, of a workload that is gone (second argument true), marked for deletion, or still carrying the finalizer
     * earlier versions added ({@link io.plimsoll.api.Annotations#FINALIZER}). Workloads carry no finalizer: what they
     * hold is freed when their deletion is seen here, and garbage collection deletes their pods if the operator is
     * down, so deleting a workload never waits on the operator.
     */
    public void onWorkloadEnding(java.util.function.BiConsumer<io.plimsoll.api.AIWorkload, Boolean> listener) {
        endingListeners.add(listener);
    }

    /** {@code gone}: deleted from the API server (its last state is in {@code w}). */
    private void workloadEnding(io.plimsoll.api.AIWorkload w, boolean gone) {
        for (java.util.function.BiConsumer<io.plimsoll.api.AIWorkload, Boolean> l : endingListeners) {
            try {
                l.accept(w, gone);
            } catch (RuntimeException e) {
                LOG.warnf(e, "handling the end of workload %s/%s failed", w.getMetadata().getNamespace(), w.getMetadata().getName());
            }
        }
    }

    public void addListener(Consumer<ClusterChange> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<ClusterChange> listener) {
        listeners.remove(listener);
    }

    private void nodeChanged(Node n) {
        dirty.add(n.getMetadata().getName());
        freed.incrementAndGet();
        fire(new ClusterChange(null, null, true));
    }

    /** What placement reads of a node: labels, taints, cordon, allocatable and readiness. */
    private static List<Object> placementView(Node n) {
        return java.util.Arrays.asList(n.getMetadata().getLabels(), n.getSpec() == null ? null : n.getSpec().getTaints(),
                n.getSpec() == null ? null : n.getSpec().getUnschedulable(),
                n.getStatus() == null ? null : n.getStatus().getAllocatable(), ready(n));
    }

    private void recheckPodsOf(io.plimsoll.api.AIWorkload w) {
        for (Pod p : pods.getIndexer().byIndex(BY_WORKLOAD, w.getMetadata().getNamespace() + "/" + w.getMetadata().getName())) {
            if (nodeName(p) != null && records.get(key(p)) == null) dirty.add(nodeName(p));
        }
    }

    private void touch(Pod p) {
        if (p != null && nodeName(p) != null) dirty.add(nodeName(p));
    }

    private void fire(ClusterChange change) {
        for (Consumer<ClusterChange> l : listeners) {
            try {
                l.accept(change);
            } catch (RuntimeException e) {
                LOG.warn("cluster change listener failed", e);
            }
        }
    }

    private <T> ResourceEventHandler<T> handler(Function<T, ClusterChange> f) {
        return new ResourceEventHandler<>() {
            @Override public void onAdd(T obj) { fire(f.apply(obj)); }
            @Override public void onUpdate(T oldObj, T newObj) { fire(f.apply(newObj)); }
            @Override public void onDelete(T obj, boolean unknownFinalState) { fire(f.apply(obj)); }
        };
    }

    /** Like {@link #handler}, but an update counts only when the spec changed or deletion began (not a status write). */
    private <T extends io.fabric8.kubernetes.api.model.HasMetadata> ResourceEventHandler<T> specHandler(Function<T, ClusterChange> f) {
        ResourceEventHandler<T> all = handler(f);
        return new ResourceEventHandler<>() {
            @Override public void onAdd(T obj) { all.onAdd(obj); }
            @Override public void onDelete(T obj, boolean unknownFinalState) { all.onDelete(obj, unknownFinalState); }
            @Override public void onUpdate(T oldObj, T newObj) {
                // Without a generation (an API that does not keep one), every update counts.
                if (newObj.getMetadata().getGeneration() == null
                        || !java.util.Objects.equals(oldObj.getMetadata().getGeneration(), newObj.getMetadata().getGeneration())
                        || !java.util.Objects.equals(oldObj.getMetadata().getDeletionTimestamp(), newObj.getMetadata().getDeletionTimestamp())) {
                    all.onUpdate(oldObj, newObj);
                }
            }
        };
    }

    /** Pods being deleted (deletionTimestamp set, not finished), kept by the pod handler: {@link #workloadsBeingDeleted}. */
    private final java.util.Set<String> deleting = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private void noteDeletion(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null && !terminal(pod)) deleting.add(key(pod));
        else deleting.remove(key(pod));
    }

    private final class PodHandler implements ResourceEventHandler<Pod> {
        @Override
        public void onAdd(Pod pod) {
            records.markSeen(key(pod));
            noteDeletion(pod);
            touch(pod);
            fire(change(pod, terminal(pod)));
        }

        @Override
        public void onUpdate(Pod oldPod, Pod pod) {
            records.markSeen(key(pod));
            noteDeletion(pod);
            boolean freed = terminal(pod) && !terminal(oldPod);
            boolean moved = !java.util.Objects.equals(nodeName(oldPod), nodeName(pod));
            touch(oldPod);
            touch(pod);
            if (freed || moved) ClusterSnapshot.this.freed.incrementAndGet();
            fire(change(pod, freed || moved));
        }

        @Override
        public void onDelete(Pod pod, boolean unknownFinalState) {
            deleting.remove(key(pod));
            synchronized (adoption) {
                records.removeIf(key(pod), r -> r.podUid() == null || r.podUid().equals(pod.getMetadata().getUid()));
            }
            touch(pod);
            freed.incrementAndGet();
            fire(change(pod, true));
        }

        /** The workload a pod change concerns: only one whose record says so (a label alone names nobody). */
        private ClusterChange change(Pod pod, boolean capacity) {
            PodRecord r = records.get(key(pod));
            String owner = r != null ? r.workloadKey() : controllerWorkload(pod);
            if (owner == null) return new ClusterChange(null, null, capacity);
            int slash = owner.indexOf('/');
            return new ClusterChange(owner.substring(0, slash), owner.substring(slash + 1), capacity);
        }
    }

    // ---- reads ---------------------------------------------------------------------------------------------

    public List<AcceleratorPool> pools() {
        ensureStarted();
        return pools.getStore().list().stream()
                .filter(p -> p.getSpec() != null && p.getMetadata().getDeletionTimestamp() == null)
                .sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList();
    }

    public Optional<PoolProfile> poolProfile(String name) {
        ensureStarted();
        return Optional.ofNullable(pools.getStore().getByKey(name)).filter(p -> p.getSpec() != null).map(PoolProfiles::of);
    }

    public Optional<PlacementPolicy> policy(String name) {
        ensureStarted();
        return Optional.ofNullable(policies.getStore().getByKey(name));
    }

    /** The cluster's nodes whose labels carry every label of the pool's nodeSelector. */
    public List<Node> nodesOf(AcceleratorPool pool) {
        ensureStarted();
        return nodes.getStore().list().stream().filter(n -> PoolProfiles.selects(pool, n.getMetadata().getLabels()))
                .sorted(Comparator.comparing(n -> n.getMetadata().getName())).toList();
    }

    /** The pods that hold resources on a node (not finished, not being deleted). */
    public List<Pod> podsOn(String node) {
        ensureStarted();
        return pods.getIndexer().byIndex(BY_NODE, node).stream().filter(p -> !terminal(p) && p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    /**
     * Nodes where something other than daemon or static pods runs: a node not in this set could go without moving
     * any work. One pass over the pods, for all nodes at once.
     */
    public java.util.Set<String> nodesHoldingWorkload() {
        ensureStarted();
        java.util.Set<String> busy = new java.util.HashSet<>();
        for (Pod p : pods.getStore().list()) {
            if (p.getSpec() == null || p.getSpec().getNodeName() == null || terminal(p)) continue;
            if (!daemonOrStatic(p)) busy.add(p.getSpec().getNodeName());
        }
        return busy;
    }

    /**
     * Nodes where every pod other than daemon or static pods is a replica Plimsoll's records show parked: they hold
     * work but serve none. Costs the parked replicas and the pods of their nodes.
     */
    public java.util.Set<String> nodesHoldingOnlyParked() {
        ensureStarted();
        java.util.Set<String> candidates = new java.util.HashSet<>();
        for (PodRecord r : records.parked()) candidates.add(r.node());
        java.util.Set<String> out = new java.util.HashSet<>();
        for (String node : candidates) {
            boolean onlyParked = false;
            for (Pod p : pods.getIndexer().byIndex(BY_NODE, node)) {
                if (terminal(p) || daemonOrStatic(p)) continue;
                PodRecord r = record(p);
                if (r == null || !r.parked()) { onlyParked = false; break; }
                onlyParked = true;
            }
            if (onlyParked) out.add(node);
        }
        return out;
    }

    private static boolean daemonOrStatic(Pod p) {
        return (p.getMetadata().getOwnerReferences() != null
                && p.getMetadata().getOwnerReferences().stream().anyMatch(o -> "DaemonSet".equals(o.getKind())))
                || (p.getMetadata().getAnnotations() != null
                && p.getMetadata().getAnnotations().containsKey("kubernetes.io/config.mirror"));
    }

    /**
     * Grows with every change of what Plimsoll's records place where (a placement, a pod gone, a park), but not when a
     * created pod's UID is recorded: who uses what is the same.
     */
    public long placementsVersion() {
        return records.placementsVersion();
    }

    /**
     * The workloads (namespace/name, by Plimsoll's records) with a pod being deleted, as the pod informer last told:
     * what {@link #beingDeleted} says of each pod, found from the few being deleted rather than by asking of every pod.
     */
    public java.util.Set<String> workloadsBeingDeleted() {
        if (deleting.isEmpty()) return java.util.Set.of();
        java.util.Set<String> out = new java.util.HashSet<>();
        for (String podKey : deleting) {
            PodRecord r = records.get(podKey);
            if (r != null && beingDeleted(podKey)) out.add(r.workloadKey());
        }
        return out;
    }

    /**
     * Whether {@link #state()} counts the pod (namespace/name) on its node, as {@code rebuild} does: a pod the informer
     * holds, bound and not finished, or a placement recorded whose pod the informer has not shown yet. A record alone
     * does not say so: a pod that finished, or that the informer dropped before its delete handler removed the record,
     * is no longer counted. Asked after {@code state()}, a yes means the state counted it, for a pod shown before it
     * (a pod that leaves never comes back); a pod that left in between reads no, which errs toward less free room.
     */
    public boolean countsPod(String podKey) {
        Pod p = pods.getStore().getByKey(podKey);
        if (p != null) return nodeName(p) != null && !terminal(p);
        PodRecord r = records.get(podKey);
        return r != null && !records.seenAmong(List.of(r)).contains(podKey)
                && !r.at().plus(RESERVATION_TTL).isBefore(clock.instant());
    }

    /** Every live replica Plimsoll's records hold (created or seen, not yet deleted). */
    public List<PodRecord> records() {
        ensureStarted();
        return records.all();
    }

    /** Pods Plimsoll pinned to one device of a pool's node (by its records), not finished and not being deleted. */
    public List<Pod> podsOnDevice(String node, String pool, int device) {
        return podsOn(node).stream().filter(p -> {
            PodRecord r = record(p);
            return r != null && pool.equals(r.pool()) && r.slot().mig() == null && r.slot().devices().contains(device);
        }).toList();
    }

    /**
     * The devices of the given pools that hold a parked replica, with every pod Plimsoll's records place on each (by
     * node, then device): where parked replicas could make room. Costs the parked replicas and the pods of their nodes.
     */
    public Map<String, Map<Integer, List<Pod>>> devicesWithParked(java.util.Set<String> poolNames) {
        ensureStarted();
        Map<String, java.util.Set<Integer>> wanted = new HashMap<>();
        for (PodRecord r : records.parked()) {
            if (!poolNames.contains(r.pool()) || r.slot().mig() != null) continue;
            wanted.computeIfAbsent(r.node(), k -> new java.util.HashSet<>()).addAll(r.slot().devices());
        }
        Map<String, Map<Integer, List<Pod>>> out = new HashMap<>();
        for (var node : wanted.entrySet()) {
            for (Pod p : pods.getIndexer().byIndex(BY_NODE, node.getKey())) {
                if (terminal(p) || p.getMetadata().getDeletionTimestamp() != null) continue;
                PodRecord r = record(p);
                if (r == null || !poolNames.contains(r.pool()) || r.slot().mig() != null) continue;
                for (int d : r.slot().devices()) {
                    if (!node.getValue().contains(d)) continue;
                    out.computeIfAbsent(node.getKey(), k -> new java.util.TreeMap<>()).computeIfAbsent(d, k -> new ArrayList<>()).add(p);
                }
            }
        }
        return out;
    }

    /** The last time parked replicas were taken off a device of a pool to make room, and for whom. */
    public record ParkedEviction(Instant at, String forWorkload) {}

    private final Map<String, ParkedEviction> parkedEvictions = new ConcurrentHashMap<>();

    /** Records that parked replicas of a pool had to make room (the pool's scaler then asks for a node). */
    public void recordParkedEviction(String pool, String forWorkload) {
        parkedEvictions.put(pool, new ParkedEviction(clock.instant(), forWorkload));
    }

    public Optional<ParkedEviction> lastParkedEviction(String pool) {
        return Optional.ofNullable(parkedEvictions.get(pool));
    }

    /** The AIWorkload from the cache, or null. */
    public io.plimsoll.api.AIWorkload workload(String namespace, String name) {
        ensureStarted();
        return name == null ? null : workloads.getStore().getByKey(namespace + "/" + name);
    }

    /** Every AIWorkload in the cache. */
    public List<io.plimsoll.api.AIWorkload> workloads() {
        ensureStarted();
        return workloads.getStore().list();
    }

    /**
     * Whether the pod (namespace/name) is being deleted: the API server set its deletionTimestamp, and it holds its
     * node's resources until it is gone. Only the API server sets that; a pod's labels or annotations play no part.
     */
    public boolean beingDeleted(String podKey) {
        ensureStarted();
        Pod p = pods.getStore().getByKey(podKey);
        return p != null && p.getMetadata().getDeletionTimestamp() != null && !terminal(p);
    }

    /**
     * The pods that claim to run the workload: those Plimsoll recorded for it, and those whose controller owner
     * reference names it (which a tenant can also write: callers tell them apart with {@link #record(Pod)}).
     */
    public List<Pod> podsOf(String namespace, String workload) {
        ensureStarted();
        String wanted = namespace + "/" + workload;
        // By pod key: the index and the store may hand out two versions of one pod (an update in between).
        Map<String, Pod> out = new java.util.LinkedHashMap<>();
        for (Pod p : pods.getIndexer().byIndex(BY_WORKLOAD, wanted)) out.put(key(p), p);
        for (PodRecord r : records.ofWorkload(wanted)) {
            Pod p = pods.getStore().getByKey(r.podKey());
            if (p != null) out.putIfAbsent(r.podKey(), p);
        }
        return new ArrayList<>(out.values());
    }

    // ---- Plimsoll's records of its pods ----------------------------------------------------------------------

    /**
     * How many replica pods of the workload exist now: pods Plimsoll recorded for it that have not finished and are
     * not being deleted (what the workload's /scale subresource reports as status.replicas).
     */
    public int liveReplicas(String namespace, String workload) {
        String wanted = namespace + "/" + workload;
        int n = 0;
        for (Pod p : podsOf(namespace, workload)) {
            if (p.getMetadata().getDeletionTimestamp() != null || terminal(p)) continue;
            PodRecord r = record(p);
            if (r != null && r.workloadKey().equals(wanted)) n++;
        }
        return n;
    }

    /**
     * Plimsoll's record of a pod, or null when Plimsoll did not place it: the one made when it was placed (this
     * process), or the one in its workload's status (after a restart), matched by the pod's UID (which the API
     * server assigns) and node, with the workload as the pod's controller. Labels and annotations play no part.
     */
    public PodRecord record(Pod p) {
        String key = key(p);
        String uid = p.getMetadata().getUid();
        PodRecord r = records.get(key);
        if (r != null) {
            boolean samePod = r.podUid() == null || r.podUid().equals(uid);
            return samePod && r.node().equals(nodeName(p)) ? r : null;
        }
        PodRecord fromStatus = fromStatus(p);
        if (fromStatus == null) return null;
        synchronized (adoption) {
            // Adopted only while the pod is live in the cache: a caller holding a copy of a pod deleted a moment ago
            // must not bring its record back (it would hold the replica's devices, and its index, with no pod).
            // The deletion handler takes the same lock, so the look and the adoption are one step for it.
            Pod live = pods.getStore().getByKey(key);
            if (live == null || !java.util.Objects.equals(live.getMetadata().getUid(), uid)) return fromStatus;
            records.putIfAbsent(fromStatus);
        }
        return fromStatus;
    }

    /** Held while a record is adopted from a status, and while a deleted pod's record is dropped. */
    private final Object adoption = new Object();

    /** The record of this pod in its controlling AIWorkload's status, or null. */
    private PodRecord fromStatus(Pod p) {
        String owner = controllerWorkload(p);
        if (owner == null || workloads == null || p.getMetadata().getUid() == null) return null;
        io.plimsoll.api.AIWorkload w = workloads.getStore().getByKey(owner);
        var ref = controllerRef(p);
        if (w == null || ref == null || !java.util.Objects.equals(w.getMetadata().getUid(), ref.getUid())) return null;
        if (w.getStatus() == null || w.getStatus().getPlacement() == null) return null;
        for (io.plimsoll.api.ReplicaPlacement rp : w.getStatus().getPlacement().getReplicas()) {
            if (!p.getMetadata().getName().equals(rp.getPod()) || !java.util.Objects.equals(nodeName(p), rp.getNode())) continue;
            // Written by earlier versions without the UID: the name (random suffix) and the node must do.
            if (rp.getPodUid() != null && !rp.getPodUid().equals(p.getMetadata().getUid())) return null;
            return PodRecords.fromStatus(rp, key(p), p.getMetadata().getUid(), owner, this::poolProfile, createdAt(p));
        }
        return null;
    }

    /**
     * When the API server created the pod (its creationTimestamp; now when unreadable or in the future): the start a
     * record read back after a restart keeps, so that "most recent first" among preemption victims still holds.
     */
    private Instant createdAt(Pod p) {
        Instant now = clock.instant();
        try {
            Instant created = Instant.parse(p.getMetadata().getCreationTimestamp());
            return created.isAfter(now) ? now : created;
        } catch (RuntimeException unreadable) {
            return now;
        }
    }

    /** Records that the pod was created: from now on only the pod with this UID matches the record. */
    public void created(Pod pod) {
        records.update(key(pod), r -> r.withUid(pod.getMetadata().getUid(), clock.instant()));
    }

    /** Counts the replica as parked at {@code milli} of its device from now on (nothing restarts). */
    public void park(Pod pod, int milli, String since) {
        PodRecord r = record(pod);
        if (r != null) records.put(r.parkedAt(milli, since));
        freed.incrementAndGet();
        fire(new ClusterChange(null, null, true));
    }

    /**
     * Counts the parked replica as holding its whole device again, at once, at {@code wholeCost} dollars per hour, if
     * nothing but it and the pods in {@code moveOff} (namespace/name) holds that device. Checked and done under the
     * placement lock: a placement decided after the caller looked at the device (a share reserved there, its pod not yet
     * created) is seen here, and the device is never handed out twice.
     *
     * @return false, and nothing changed, when something else holds the device now
     */
    public synchronized boolean unpark(Pod pod, double wholeCost, java.util.Set<String> moveOff) {
        PodRecord r = record(pod);
        if (r == null || r.slot().mig() != null || r.slot().devices().size() != 1) return false;
        int device = r.slot().devices().get(0);
        for (PodRecord o : records.onNode(r.node())) {
            if (o.podKey().equals(r.podKey()) || moveOff.contains(o.podKey())) continue;
            if (r.pool().equals(o.pool()) && o.slot().mig() == null && o.slot().devices().contains(device)) return false;
        }
        records.put(r.whole(wholeCost));
        return true;
    }

    /** A replica placed parked (as a share): counted at its share, and whole again when it resumes. */
    public void parkPlaced(Pod pod, int milli, String since, double wholeCost) {
        records.update(key(pod), r -> r.whole(wholeCost).parkedAt(milli, since));
    }

    /** namespace/name of the AIWorkload that is the pod's controller (its owner reference), or null. */
    public static String controllerWorkload(Pod p) {
        var ref = controllerRef(p);
        return ref == null ? null : p.getMetadata().getNamespace() + "/" + ref.getName();
    }

    private static io.fabric8.kubernetes.api.model.OwnerReference controllerRef(Pod p) {
        if (p.getMetadata().getOwnerReferences() == null) return null;
        for (var o : p.getMetadata().getOwnerReferences()) {
            if (Boolean.TRUE.equals(o.getController()) && "AIWorkload".equals(o.getKind())
                    && o.getApiVersion() != null && o.getApiVersion().startsWith("plimsoll.io/")) return o;
        }
        return null;
    }

    private static String nodeName(Pod p) {
        return p.getSpec() == null ? null : p.getSpec().getNodeName();
    }

    // ---- the engine's view ------------------------------------------------------------------------------------

    /**
     * The engine's state from the caches plus records of pods being created: a private copy the caller may change.
     * Only the nodes an event or a record concerned since the last call are rebuilt (all of them when pools changed).
     */
    public ClusterState state() {
        ensureStarted();
        synchronized (views) {
            Instant now = clock.instant();
            if (lastSweep.plus(SWEEP_EVERY).isBefore(now)) {
                lastSweep = now;
                dropUnseen(now);
            }
            if (allDirty) {
                allDirty = false;
                dirty.clear();
                profiles = pools().stream().map(PoolProfiles::of).toList();
                views.clear();
                for (Node n : nodes.getStore().list()) rebuild(n.getMetadata().getName(), now);
                assembled = null;
            }
            for (var it = dirty.iterator(); it.hasNext(); ) {
                String node = it.next();
                it.remove();
                NodeView old = views.get(node);
                rebuild(node, now);
                if (assembled != null) {
                    // The assembled state follows the one node: its state (in its place) and its running shapes replaced.
                    if (old != null) {
                        old.shapes().forEach(assembled::removeRunningShape);
                        if (views.get(node) == null) assembled.removeNode(node);
                    }
                    NodeView fresh = views.get(node);
                    if (fresh != null) {
                        assembled.addNode(fresh.state());
                        fresh.shapes().forEach(assembled::addRunningShape);
                    }
                }
            }
            if (assembled == null) {
                ClusterState state = new ClusterState();
                profiles.forEach(state::addPool);
                for (NodeView v : views.values()) {
                    state.addNode(v.state());
                    v.shapes().forEach(state::addRunningShape);
                }
                assembled = state;
            }
            // Each pool's node list made here, once, and kept up to date as nodes are replaced: copies share it, instead
            // of each copy (one per decision) looking up every node of the pool again.
            for (PoolProfile p : profiles) assembled.nodesOf(p.name());
            return assembled.copy();
        }
    }

    /**
     * Drops records whose pods never showed up: the creation never went through, or the pod came and went unseen (the
     * informer reports the deletion of every pod it saw, so a record whose pod it never saw in this long has nothing
     * left to hold).
     */
    private void dropUnseen(Instant now) {
        for (PodRecord r : records.all()) {
            if (!r.at().plus(RESERVATION_TTL).isBefore(now)) continue;
            Pod p = pods.getStore().getByKey(r.podKey());
            if ((p == null || record(p) != r) && records.removeIf(r.podKey(), x -> x == r) != null) freed.incrementAndGet();
        }
    }

    /** The view of one node from its Node, the pods bound to it and the records placed on it. */
    private void rebuild(String name, Instant now) {
        Node n = nodes.getStore().getByKey(name);
        if (n == null) {
            views.remove(name);
            return;
        }
        PoolProfile profile = null;
        for (PoolProfile p : profiles) {
            AcceleratorPool pool = pools.getStore().getByKey(p.name());
            if (pool != null && PoolProfiles.selects(pool, n.getMetadata().getLabels())) {
                profile = p;
                break;
            }
        }
        NodeState ns = nodeState(n, profile);
        List<TaskShape> shapes = new ArrayList<>();
        // The records on the node, and which of them the informer had shown, read BEFORE its pods: a pod that shows up
        // after this is either among the pods read below or still counted as a placement being created. Read after the
        // pods, a record marked shown in between would be counted neither way, and its devices handed out again.
        List<PodRecord> recordedHere = records.onNode(name);
        java.util.Set<String> shownBefore = records.seenAmong(recordedHere);
        // Recorded pods first, so pods whose devices the device plugin chose take devices that are really free.
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<Pod> unrecorded = new ArrayList<>();
        for (Pod p : pods.getIndexer().byIndex(BY_NODE, name)) {
            PodRecord r = record(p);
            if (r != null) {
                seen.add(r.podKey());
                records.markSeen(r.podKey());
            }
            if (terminal(p)) continue;
            ns.usePod();
            ns.useResources(PodRequests.milli(p, "cpu"), PodRequests.bytes(p, "memory"));
            if (profile == null) continue;
            if (r != null && profile.name().equals(r.pool())) {
                useRecorded(ns, r, profile);
            } else {
                unrecorded.add(p);
            }
            TaskShape shape = runningShape(p, r, profile);
            if (shape != null) shapes.add(shape);
        }
        for (Pod p : unrecorded) {
            // What the API server enforces: extended-resource requests, which the device plugin fills.
            if (profile.sharing() == SharingMode.MIG) {
                for (var s : profile.migSlices()) ns.useMig(s.resourceName(), (int) Math.min(Integer.MAX_VALUE, PodRequests.count(p, s.resourceName())));
            } else if (profile.resourceName() != null) {
                ns.useAnyWholeDevices((int) Math.min(Integer.MAX_VALUE, PodRequests.count(p, profile.resourceName())));
            }
            // A pod that names devices in its environment gets them from the container runtime, whoever made it:
            // count them whole (never less than what it can reach).
            for (int d : PodRequests.visibleDevices(p, ns.deviceCount())) ns.useDevice(d, 1000);
        }
        // Placements decided whose pods the informer has not seen yet (or that failed and will be released).
        for (PodRecord r : recordedHere) {
            // A pod the informer has shown and no longer has is being deleted: its record goes when the handler runs.
            if (seen.contains(r.podKey()) || shownBefore.contains(r.podKey()) || r.at().plus(RESERVATION_TTL).isBefore(now)) continue;
            ns.usePod();
            ns.useResources(r.slot().cpuMilli(), r.slot().memoryBytes());
            if (profile != null && profile.name().equals(r.pool())) useRecorded(ns, r, profile);
        }
        views.put(name, new NodeView(ns, shapes));
    }

    private static void useRecorded(NodeState ns, PodRecord r, PoolProfile profile) {
        if (r.slot().mig() != null) {
            ns.useMig(r.slot().mig().resourceName(), 1);
            return;
        }
        for (int d : r.slot().devices()) ns.useDevice(d, r.milliPerDevice());
    }

    /**
     * Runs a placement against the current view and, if it places, records it under the given pod keys
     * (namespace/name, one per slot) before anyone else can decide. Serialized: one decision at a time.
     */
    public synchronized PlacementDecision placeAndReserve(Function<ClusterState, PlacementDecision> decide,
                                                         List<PodClaim> claims) {
        PlacementDecision d = decide.apply(state());
        if (d.placed()) {
            for (int i = 0; i < d.slots().size(); i++) {
                PodClaim c = claims.get(i);
                records.put(new PodRecord(c.podKey(), null, c.workloadKey(), c.replica(), d.pool(),
                        d.slots().get(i), 0, null, clock.instant()));
            }
        }
        return d;
    }

    /** Forgets the record of a pod that will not be created (creation failed) or was deleted. */
    public void release(String podKey) {
        if (records.remove(podKey) != null) freed.incrementAndGet();
    }

    /** Forgets every record of a workload (it is being deleted). */
    public void releaseWorkload(String workloadKey) {
        if (records.removeWorkload(workloadKey)) freed.incrementAndGet();
    }

    /**
     * The replicas of the workload whose pods are being created and that the informer has not shown yet. Read it BEFORE
     * the workload's pods: a pod that shows up in between is then among the pods; read after them, it would be in
     * neither, and its replica would be placed a second time.
     */
    public java.util.Set<Integer> reservedReplicas(String workloadKey) {
        java.util.Set<Integer> out = new java.util.HashSet<>();
        Instant now = clock.instant();
        for (PodRecord r : records.ofWorkload(workloadKey)) {
            if (pods.getStore().getByKey(r.podKey()) == null && !records.seen(r.podKey())
                    && r.at().plus(RESERVATION_TTL).isAfter(now)) out.add(r.replica());
        }
        return out;
    }

    /** Placements decided whose pods the informer has not seen yet. */
    public int reservationCount() {
        int n = 0;
        for (PodRecord r : records.all()) if (pods.getStore().getByKey(r.podKey()) == null) n++;
        return n;
    }

    private static NodeState nodeState(Node n, PoolProfile profile) {
        Map<String, Quantity> alloc = n.getStatus() == null || n.getStatus().getAllocatable() == null
                ? Map.of() : n.getStatus().getAllocatable();
        boolean cordoned = n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable());
        int devices = 0;
        Map<String, Integer> mig = new HashMap<>();
        if (profile != null) {
            if (profile.sharing() == SharingMode.MIG) {
                profile.migSlices().forEach(s -> mig.put(s.resourceName(), Quantities.count(alloc.get(s.resourceName()))));
            } else if (profile.resourceName() != null) {
                // Never more devices than the pool says a node has: a node cannot advertise its way into more work.
                devices = Quantities.count(alloc.get(profile.resourceName()));
                if (profile.devicesPerNode() > 0) devices = Math.min(devices, profile.devicesPerNode());
            }
        }
        NodeState state = new NodeState(n.getMetadata().getName(), profile == null ? null : profile.name(), !cordoned && ready(n),
                Quantities.milli(alloc.get("cpu")), Quantities.bytes(alloc.get("memory")), devices, mig);
        if (alloc.get("pods") != null) state.limitPods(Quantities.count(alloc.get("pods")));
        // Labels and taints, for the pod template's nodeSelector, required affinity and tolerations. The lifecycle taints
        // (MIRRORED_TAINTS) are left out: they mirror spec.unschedulable and the Ready condition, read above, so a cordoned
        // or not-ready node is reported as such, and a pod tolerating those taints is still not placed there.
        List<io.plimsoll.engine.Taint> taints = new ArrayList<>();
        if (n.getSpec() != null && n.getSpec().getTaints() != null) {
            for (var t : n.getSpec().getTaints()) {
                if (t == null || t.getEffect() == null || MIRRORED_TAINTS.contains(t.getKey())) continue;
                io.plimsoll.engine.Taint.Effect effect;
                try {
                    effect = io.plimsoll.engine.Taint.Effect.valueOf(t.getEffect());
                } catch (IllegalArgumentException unknown) {
                    continue; // not an effect the API server accepts
                }
                taints.add(new io.plimsoll.engine.Taint(t.getKey(), t.getValue(), effect));
            }
        }
        return state.withTraits(new io.plimsoll.engine.NodeTraits(n.getMetadata().getLabels(), taints));
    }

    /**
     * Taints the node lifecycle controller keeps in step with what Plimsoll reads directly (spec.unschedulable and the
     * Ready condition); the API server also puts not-ready on every new node until that controller clears it.
     */
    static final java.util.Set<String> MIRRORED_TAINTS = java.util.Set.of("node.kubernetes.io/unschedulable",
            "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable");

    private static boolean ready(Node n) {
        if (n.getStatus() == null || n.getStatus().getConditions() == null) return false;
        for (NodeCondition c : n.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) return "True".equals(c.getStatus());
        }
        return false;
    }

    /** The pod's shape as a task of the typical workload, if it uses whole devices or a share of one (not MIG). */
    private static TaskShape runningShape(Pod p, PodRecord r, PoolProfile profile) {
        if (profile.sharing() == SharingMode.MIG || profile.resourceName() == null) return null;
        int gpus, milli = 1000;
        if (r != null && profile.name().equals(r.pool())) {
            gpus = r.slot().devices().size();
            milli = r.milliPerDevice();
        } else {
            gpus = (int) Math.min(Integer.MAX_VALUE, PodRequests.count(p, profile.resourceName()));
        }
        if (gpus <= 0 || milli <= 0 || milli > 1000) return null;
        return TaskShape.of((int) Math.min(Integer.MAX_VALUE, PodRequests.milli(p, "cpu")),
                PodRequests.bytes(p, "memory") / (1024L * 1024), gpus, milli, "");
    }

    public static boolean terminal(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    public static String key(Pod p) {
        return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
    }

    private void ensureStarted() {
        if (started) return;
        if (stopped) throw new IllegalStateException("the cluster snapshot is stopped (the operator is shutting down)");
        start();
    }
}
