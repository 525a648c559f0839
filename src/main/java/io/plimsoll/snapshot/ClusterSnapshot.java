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
 * capacity too), pools and policies. Placements Plimsoll has decided but whose pods the informer has not yet
 * seen are held as reservations, so two reconciles never hand out the same device.
 */
@ApplicationScoped
public class ClusterSnapshot {
    private static final Logger LOG = Logger.getLogger(ClusterSnapshot.class);
    /** A reservation whose pod never shows up (creation failed) is dropped after this. */
    private static final Duration RESERVATION_TTL = Duration.ofMinutes(2);

    private final KubernetesClient client;
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<AcceleratorPool> pools;
    private SharedIndexInformer<PlacementPolicy> policies;
    /** AIWorkloads, read by the pool scaler (consolidation, scale-up) without an API call per look. */
    private SharedIndexInformer<io.plimsoll.api.AIWorkload> workloads;
    private final Map<String, Reservation> reservations = new ConcurrentHashMap<>();
    /** Devices of replicas just brought back from parked, shown whole until the informer sees the pod unparked. */
    private final Map<String, DeviceHold> holds = new ConcurrentHashMap<>();
    private final List<Consumer<ClusterChange>> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean started;
    /** Bumped on every informer event and reservation change; the last built state is reused while it holds. */
    private final java.util.concurrent.atomic.AtomicLong version = new java.util.concurrent.atomic.AtomicLong();
    private volatile CachedState cached;

    private record CachedState(long version, ClusterState state, Instant builtAt) {}

    /** A pod Plimsoll is creating: which replica of which workload, where it goes and what it holds. */
    public record Reservation(String podKey, String workloadKey, int replica, io.plimsoll.engine.ReplicaSlot slot, Instant at) {}

    /** What a placement reserves for one slot: the pod's namespace/name and the replica it runs. */
    public record PodClaim(String podKey, String workloadKey, int replica) {}

    private record DeviceHold(String node, int device, Instant at) {}

    @Inject
    public ClusterSnapshot(KubernetesClient client) {
        this.client = client;
    }

    /** Starts the informers and waits until their caches are filled. Safe to call more than once. */
    public synchronized void start() {
        if (started) return;
        nodes = client.nodes().inform(handler(n -> new ClusterChange(null, null, true)));
        pods = client.pods().inAnyNamespace().inform(new PodHandler());
        pools = client.resources(AcceleratorPool.class).inform(handler(p -> new ClusterChange(null, null, true)));
        policies = client.resources(PlacementPolicy.class).inform(handler(p -> new ClusterChange(null, null, true)));
        workloads = client.resources(io.plimsoll.api.AIWorkload.class).inAnyNamespace().inform();
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
        for (SharedIndexInformer<?> i : new SharedIndexInformer<?>[]{nodes, pods, pools, policies, workloads}) {
            if (i != null) i.close();
        }
        started = false;
    }

    /** A workload just became Pending: pools that can grow should look (they listen to workload changes). */
    public void workloadPending(String namespace, String name) {
        fire(new ClusterChange(namespace, name, false));
    }

    public void addListener(Consumer<ClusterChange> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<ClusterChange> listener) {
        listeners.remove(listener);
    }

    private void fire(ClusterChange change) {
        version.incrementAndGet();
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

    private final class PodHandler implements ResourceEventHandler<Pod> {
        @Override
        public void onAdd(Pod pod) {
            reservations.remove(key(pod));
            fire(change(pod, terminal(pod)));
        }

        @Override
        public void onUpdate(Pod oldPod, Pod pod) {
            reservations.remove(key(pod));
            if (pod.getMetadata().getAnnotations() == null || !pod.getMetadata().getAnnotations().containsKey(Annotations.PARKED)) {
                holds.remove(key(pod));
            }
            boolean unparked = oldPod.getMetadata().getAnnotations() != null && pod.getMetadata().getAnnotations() != null
                    && !java.util.Objects.equals(oldPod.getMetadata().getAnnotations().get(Annotations.GPU_MILLI),
                    pod.getMetadata().getAnnotations().get(Annotations.GPU_MILLI));
            boolean freed = terminal(pod) && !terminal(oldPod);
            boolean moved = !java.util.Objects.equals(oldPod.getSpec().getNodeName(), pod.getSpec().getNodeName());
            fire(change(pod, freed || moved || unparked));
        }

        @Override
        public void onDelete(Pod pod, boolean unknownFinalState) {
            reservations.remove(key(pod));
            holds.remove(key(pod));
            fire(change(pod, true));
        }

        private ClusterChange change(Pod pod, boolean capacity) {
            Map<String, String> labels = pod.getMetadata().getLabels();
            String wl = labels == null ? null : labels.get(Annotations.WORKLOAD);
            return new ClusterChange(wl == null ? null : pod.getMetadata().getNamespace(), wl, capacity);
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
        return pods.getStore().list().stream().filter(p -> p.getSpec() != null && node.equals(p.getSpec().getNodeName())
                && !terminal(p) && p.getMetadata().getDeletionTimestamp() == null).toList();
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
            boolean daemon = p.getMetadata().getOwnerReferences() != null
                    && p.getMetadata().getOwnerReferences().stream().anyMatch(o -> "DaemonSet".equals(o.getKind()));
            boolean mirror = p.getMetadata().getAnnotations() != null
                    && p.getMetadata().getAnnotations().containsKey("kubernetes.io/config.mirror");
            if (!daemon && !mirror) busy.add(p.getSpec().getNodeName());
        }
        return busy;
    }

    /** Pods Plimsoll pinned to one device of a pool's node (annotations), not finished and not being deleted. */
    public List<Pod> podsOnDevice(String node, String pool, int device) {
        return podsOn(node).stream().filter(p -> pinnedDevices(p, java.util.Set.of(pool)).contains(device)).toList();
    }

    /**
     * In one pass over the pods: for every node of the given pools, the pods Plimsoll pinned to each of its devices
     * (live pods only). Node name to device index to pods.
     */
    public Map<String, Map<Integer, List<Pod>>> podsByDevice(java.util.Set<String> poolNames) {
        ensureStarted();
        Map<String, Map<Integer, List<Pod>>> out = new HashMap<>();
        for (Pod p : pods.getStore().list()) {
            if (p.getSpec() == null || p.getSpec().getNodeName() == null || terminal(p) || p.getMetadata().getDeletionTimestamp() != null) continue;
            for (int d : pinnedDevices(p, poolNames)) {
                out.computeIfAbsent(p.getSpec().getNodeName(), k -> new java.util.TreeMap<>())
                        .computeIfAbsent(d, k -> new ArrayList<>()).add(p);
            }
        }
        return out;
    }

    /** The device indexes in the pod's devices annotation, if it was placed on one of the pools; unreadable ones skipped. */
    private static List<Integer> pinnedDevices(Pod p, java.util.Set<String> poolNames) {
        Map<String, String> ann = p.getMetadata().getAnnotations();
        if (ann == null || !poolNames.contains(ann.get(Annotations.POOL)) || ann.get(Annotations.DEVICES) == null) return List.of();
        List<Integer> out = new ArrayList<>();
        for (String x : ann.get(Annotations.DEVICES).split(",")) {
            try {
                out.add(Integer.parseInt(x.trim()));
            } catch (NumberFormatException ignored) {
                // an unreadable entry names no device
            }
        }
        return out;
    }

    /**
     * Shows a device as wholly taken until the informer sees the pod unparked (or two minutes pass), so no share is
     * placed on a device whose parked replica has just been brought back.
     */
    public void holdDevice(Pod pod, String node, int device) {
        holds.put(key(pod), new DeviceHold(node, device, Instant.now()));
        version.incrementAndGet();
    }

    /** The last time parked replicas were taken off a device of a pool to make room, and for whom. */
    public record ParkedEviction(Instant at, String forWorkload) {}

    private final Map<String, ParkedEviction> parkedEvictions = new ConcurrentHashMap<>();

    /** Records that parked replicas of a pool had to make room (the pool's scaler then asks for a node). */
    public void recordParkedEviction(String pool, String forWorkload) {
        parkedEvictions.put(pool, new ParkedEviction(Instant.now(), forWorkload));
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

    /** Pods labelled as belonging to the workload. */
    public List<Pod> podsOf(String namespace, String workload) {
        ensureStarted();
        List<Pod> out = new ArrayList<>();
        for (Pod p : pods.getStore().list()) {
            Map<String, String> labels = p.getMetadata().getLabels();
            if (namespace.equals(p.getMetadata().getNamespace()) && labels != null
                    && workload.equals(labels.get(Annotations.WORKLOAD))) {
                out.add(p);
            }
        }
        return out;
    }

    // ---- the engine's view ------------------------------------------------------------------------------------

    /**
     * The engine's state from the caches plus reservations: a private copy the caller may change. Rebuilt only when
     * something changed since the last build (or the oldest reservation may have expired).
     */
    public ClusterState state() {
        ensureStarted();
        long v = version.get();
        CachedState c = cached;
        if (c != null && c.version() == v && c.builtAt().plusSeconds(10).isAfter(Instant.now())) return c.state().copy();
        ClusterState built = build();
        cached = new CachedState(v, built, Instant.now());
        return built.copy();
    }

    private ClusterState build() {
        // Copy the reservations before reading the pods: the informer updates its store before it tells the
        // handler that drops a reservation, so each new pod is counted once, as a pod or as a reservation.
        Instant now = Instant.now();
        reservations.values().removeIf(r -> r.at().plus(RESERVATION_TTL).isBefore(now));
        Map<String, Reservation> reserved = new HashMap<>(reservations);
        List<AcceleratorPool> poolList = pools();
        ClusterState state = new ClusterState();
        Map<String, PoolProfile> profiles = new HashMap<>();
        for (AcceleratorPool p : poolList) {
            PoolProfile profile = PoolProfiles.of(p);
            profiles.put(profile.name(), profile);
            state.addPool(profile);
        }
        Map<String, PoolProfile> poolOfNode = new HashMap<>();
        for (Node n : nodes.getStore().list()) {
            AcceleratorPool pool = poolList.stream()
                    .filter(p -> PoolProfiles.selects(p, n.getMetadata().getLabels())).findFirst().orElse(null);
            PoolProfile profile = pool == null ? null : profiles.get(pool.getMetadata().getName());
            if (profile != null) poolOfNode.put(n.getMetadata().getName(), profile);
            state.addNode(nodeState(n, profile));
        }
        // Pods whose devices Plimsoll knows (annotations) first, so pods of others take devices that are really free.
        List<Pod> unknownDevices = new ArrayList<>();
        for (Pod p : pods.getStore().list()) {
            reserved.remove(key(p));
            String nodeName = p.getSpec() == null ? null : p.getSpec().getNodeName();
            if (nodeName == null || terminal(p)) continue;
            NodeState ns = state.node(nodeName);
            if (ns == null) continue;
            ns.useResources(podCpuMilli(p), podMemoryBytes(p));
            PoolProfile profile = poolOfNode.get(nodeName);
            if (profile == null) continue;
            if (!accountKnownDevices(p, ns, profile)) unknownDevices.add(p);
            TaskShape shape = runningShape(p, profile);
            if (shape != null) state.addRunningShape(shape);
        }
        for (Pod p : unknownDevices) {
            PoolProfile profile = poolOfNode.get(p.getSpec().getNodeName());
            NodeState ns = state.node(p.getSpec().getNodeName());
            if (profile.sharing() == SharingMode.MIG) {
                for (var s : profile.migSlices()) ns.useMig(s.resourceName(), podRequestCount(p, s.resourceName()));
            } else if (profile.resourceName() != null) {
                ns.useAnyWholeDevices(podRequestCount(p, profile.resourceName()));
            }
        }
        for (Reservation r : reserved.values()) {
            NodeState ns = state.node(r.slot().node());
            if (ns != null) ns.apply(r.slot());
        }
        holds.values().removeIf(h -> h.at().plus(RESERVATION_TTL).isBefore(now));
        for (DeviceHold h : holds.values()) {
            NodeState ns = state.node(h.node());
            if (ns != null) ns.useDevice(h.device(), 1000);
        }
        return state;
    }

    /**
     * Runs a placement against the current view and, if it places, reserves it under the given pod keys
     * (namespace/name, one per slot) before anyone else can decide. Serialized: one decision at a time.
     */
    public synchronized PlacementDecision placeAndReserve(Function<ClusterState, PlacementDecision> decide,
                                                         List<PodClaim> claims) {
        PlacementDecision d = decide.apply(state());
        if (d.placed()) {
            for (int i = 0; i < d.slots().size(); i++) {
                PodClaim c = claims.get(i);
                reservations.put(c.podKey(), new Reservation(c.podKey(), c.workloadKey(), c.replica(), d.slots().get(i), Instant.now()));
            }
            version.incrementAndGet();
        }
        return d;
    }

    /** Forgets the reservation of a pod that will not be created (creation failed). */
    public void release(String podKey) {
        if (reservations.remove(podKey) != null) version.incrementAndGet();
    }

    /** Forgets every reservation of a workload (it is being deleted). */
    public void releaseWorkload(String workloadKey) {
        if (reservations.values().removeIf(r -> r.workloadKey().equals(workloadKey))) version.incrementAndGet();
    }

    /** True while a pod for this replica is being created and the informer has not seen it yet. */
    public boolean isReserved(String workloadKey, int replica) {
        return reservations.values().stream().anyMatch(r -> r.workloadKey().equals(workloadKey) && r.replica() == replica);
    }

    public int reservationCount() {
        return reservations.size();
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
                devices = Quantities.count(alloc.get(profile.resourceName()));
            }
        }
        return new NodeState(n.getMetadata().getName(), profile == null ? null : profile.name(), !cordoned && ready(n),
                Quantities.milli(alloc.get("cpu")), Quantities.bytes(alloc.get("memory")), devices, mig);
    }

    private static boolean ready(Node n) {
        if (n.getStatus() == null || n.getStatus().getConditions() == null) return false;
        for (NodeCondition c : n.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) return "True".equals(c.getStatus());
        }
        return false;
    }

    /** Applies device use known from Plimsoll's annotations; false when the pod's devices are unknown. */
    private static boolean accountKnownDevices(Pod p, NodeState ns, PoolProfile profile) {
        Map<String, String> ann = p.getMetadata().getAnnotations();
        if (ann == null || !profile.name().equals(ann.get(Annotations.POOL))) return false;
        String mig = ann.get(Annotations.MIG_PROFILE);
        if (mig != null) {
            profile.migSlices().stream().filter(s -> s.name().equals(mig)).findFirst()
                    .ifPresent(s -> ns.useMig(s.resourceName(), 1));
            return true;
        }
        String devices = ann.get(Annotations.DEVICES);
        if (devices == null || devices.isBlank()) return true;
        int milli = 1000;
        try {
            if (ann.get(Annotations.GPU_MILLI) != null) milli = Integer.parseInt(ann.get(Annotations.GPU_MILLI));
            for (String d : devices.split(",")) ns.useDevice(Integer.parseInt(d.trim()), milli);
        } catch (NumberFormatException e) {
            LOG.warnf("pod %s/%s has unreadable %s annotations; counting its devices as unknown",
                    p.getMetadata().getNamespace(), p.getMetadata().getName(), Annotations.PREFIX);
            return false;
        }
        return true;
    }

    /** The pod's shape as a task of the typical workload, if it uses whole devices or a share of one (not MIG). */
    private static TaskShape runningShape(Pod p, PoolProfile profile) {
        if (profile.sharing() == SharingMode.MIG || profile.resourceName() == null) return null;
        Map<String, String> ann = p.getMetadata().getAnnotations() == null ? Map.of() : p.getMetadata().getAnnotations();
        int gpus, milli = 1000;
        try {
            if (profile.name().equals(ann.get(Annotations.POOL)) && ann.get(Annotations.DEVICES) != null) {
                gpus = ann.get(Annotations.DEVICES).split(",").length;
                if (ann.get(Annotations.GPU_MILLI) != null) milli = Integer.parseInt(ann.get(Annotations.GPU_MILLI));
            } else {
                gpus = podRequestCount(p, profile.resourceName());
            }
        } catch (NumberFormatException e) {
            return null;
        }
        if (gpus <= 0 || milli <= 0 || milli > 1000) return null;
        return TaskShape.of((int) Math.min(Integer.MAX_VALUE, podCpuMilli(p)), podMemoryBytes(p) / (1024L * 1024),
                gpus, milli, "");
    }

    public static boolean terminal(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    private static long podCpuMilli(Pod p) {
        long sum = 0;
        for (Container c : containers(p)) sum += Quantities.milli(request(c, "cpu"));
        return sum;
    }

    private static long podMemoryBytes(Pod p) {
        long sum = 0;
        for (Container c : containers(p)) sum += Quantities.bytes(request(c, "memory"));
        return sum;
    }

    private static int podRequestCount(Pod p, String resource) {
        int sum = 0;
        for (Container c : containers(p)) sum += Quantities.count(request(c, resource));
        return sum;
    }

    private static List<Container> containers(Pod p) {
        return p.getSpec() == null || p.getSpec().getContainers() == null ? List.of() : p.getSpec().getContainers();
    }

    /** A container's request, or its limit when only a limit is set (as Kubernetes defaults it). */
    private static Quantity request(Container c, String resource) {
        if (c.getResources() == null) return null;
        Quantity q = c.getResources().getRequests() == null ? null : c.getResources().getRequests().get(resource);
        if (q == null && c.getResources().getLimits() != null) q = c.getResources().getLimits().get(resource);
        return q;
    }

    public static String key(Pod p) {
        return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
    }

    private void ensureStarted() {
        if (!started) start();
    }
}
