package io.plimsoll.reconciler;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.plimsoll.activity.ActivitySources;
import io.plimsoll.actuator.PodBinder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AIWorkloadStatus;
import io.plimsoll.api.Annotations;
import io.plimsoll.api.Placement;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.ReplicaPlacement;
import io.plimsoll.engine.MakeRoomFromParked;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.ReplicaPlanner;
import io.plimsoll.engine.ReplicaSlot;
import io.plimsoll.engine.Units;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.events.EventRecorder;
import io.plimsoll.metrics.PlimsollMetrics;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.snapshot.ClusterSnapshot;
import io.plimsoll.snapshot.PodRecord;
import io.plimsoll.scheduling.PlacementLoop;
import io.plimsoll.scheduling.PlacementQueue;
import io.plimsoll.reconciler.WorkloadStatusComposer.PendingReason;
import io.plimsoll.snapshot.PodRecords;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Instant;
import io.plimsoll.engine.PoolPlanner;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Places AIWorkloads: reads the spec into a need, asks the engine for a placement against the cluster snapshot,
 * has the pods created and bound, and writes back what happened. Holds no state of its own: after a restart the
 * pods (labels and annotations) and the snapshot are enough to carry on without binding anything twice.
 */
// No finalizer: a deleted workload's pods are deleted and its devices freed when the snapshot sees it go (or marked
// for deletion); with the operator down, garbage collection deletes the pods (owner references).
@ControllerConfiguration(name = AIWorkloadReconciler.NAME,
        // Generation alone would miss activity annotations; the filter keeps status-only updates out.
        generationAwareEventProcessing = false,
        informer = @Informer(onUpdateFilter = SpecOrActivityChanged.class))
public class AIWorkloadReconciler implements Reconciler<AIWorkload> {
    public static final String NAME = "aiworkload";
    private static final Logger LOG = Logger.getLogger(AIWorkloadReconciler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Safety net: pending workloads are retried on capacity changes, and at least this often. */
    static final long PENDING_RETRY_MS = 30_000;
    /** After the API server failed (5xx, timeout) to create a pod, the next try waits this long. */
    static final long CREATION_RETRY_MS = 2_000;
    /**
     * Creates the pods the placement loop decided, so the loop does not wait on the API server: a few at a time, in
     * the order decided. Daemon threads that end when idle.
     */
    private final java.util.concurrent.ExecutorService creator = daemonThreads(4, "plimsoll-pod-creator");

    /** {@code n} daemon threads that run tasks in the order given (one thread: one at a time) and end when idle. */
    private static java.util.concurrent.ExecutorService daemonThreads(int n, String name) {
        var pool = new java.util.concurrent.ThreadPoolExecutor(n, n, 10, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private final ClusterSnapshot snapshot;
    private final PodBinder binder;
    private final EventRecorder events;
    private final PlimsollMetrics metrics;
    private final PlacementEngine engine = new PlacementEngine();
    private final IdleScaler idle;
    /** Device metrics, when the operator has a Prometheus: what a replica's model really holds in device memory. */
    private final io.plimsoll.activity.PrometheusActivitySource prometheus;
    private final io.plimsoll.actuator.StatusWriter statusWriter;
    private final io.plimsoll.actuator.WorkloadFinalizers finalizers;
    /**
     * Frees what deleted workloads held, in the order the snapshot saw them go, off the informer's thread (pod
     * deletions are API calls).
     */
    private final java.util.concurrent.ExecutorService ending = daemonThreads(1, "plimsoll-workload-ending");
    /** The one placement loop: every workload's missing replicas are placed there, in queue order. */
    private final PlacementLoop loop;
    /**
     * When this operator scaled a workload to zero, also kept here: a reconcile can start from a cached copy whose
     * status does not show it yet, and must not scale down (count, announce) twice.
     */
    private final Map<String, Instant> scaledToZero = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Parked workloads whose replica was taken to make room (for whom, or why): their next reconcile scales them to
     * zero, as if their idle horizon had passed. In memory: after a restart such a workload is parked again instead.
     */
    private final Map<String, String> parkedReplicaTaken = new java.util.concurrent.ConcurrentHashMap<>();
    /** Workloads whose dry-run WouldPark event was sent (one event per idle stretch, not one per look). */
    private final Map<String, Boolean> wouldPark = new java.util.concurrent.ConcurrentHashMap<>();
    /** The PriorityIgnored warning last sent per workload (one event per distinct warning). */
    private final Map<String, String> priorityWarned = new java.util.concurrent.ConcurrentHashMap<>();
    /** Default share of its device a parked Inference replica is counted for. */
    static final double DEFAULT_PARK_FRACTION = 0.25;
    /** Tenants' quotas, reclaim and priority classes; quotas apply only while some Tenant exists. */
    private final io.plimsoll.tenancy.TenantAccounting tenants;
    private final io.plimsoll.tenancy.PriorityResolver priorities;
    private final io.plimsoll.tenancy.TenantUsage usage;
    private final TenantPreemption preemption;

    @Inject
    public AIWorkloadReconciler(ClusterSnapshot snapshot, PodBinder binder, EventRecorder events, PlimsollMetrics metrics,
                                ActivitySources activity, io.plimsoll.actuator.StatusWriter statusWriter,
                                io.plimsoll.tenancy.TenancyInformers tenancy, io.plimsoll.tenancy.TenantDirectory directory,
                                io.plimsoll.tenancy.TenantUsage usage, io.plimsoll.actuator.WorkloadFinalizers finalizers) {
        this.statusWriter = statusWriter;
        this.finalizers = finalizers;
        this.priorities = tenancy == null ? io.plimsoll.tenancy.PriorityResolver.withoutPriorityClasses()
                : io.plimsoll.tenancy.PriorityResolver.of(tenancy);
        this.tenants = tenancy == null || directory == null ? null : new io.plimsoll.tenancy.TenantAccounting(snapshot, tenancy, directory,
                w -> priorities.resolve(w, snapshot.policy(WorkloadNeeds.policyName(w)).orElse(null)).priority());
        this.usage = usage;
        this.preemption = tenants == null ? null : new TenantPreemption(snapshot, tenants, binder, events, metrics);
        // Nominations never hold nodes where work was preempted for a waiting workload: that room is already its.
        this.loop = new PlacementLoop(() -> withoutReclaimed(snapshot.state(), null), snapshot::capacityFreedCount, key -> {
            int slash = key.indexOf('/');
            snapshot.workloadPending(key.substring(0, slash), key.substring(slash + 1));
        }, tenants == null ? null : new PlacementLoop.AdmissionGate() {
            @Override
            public io.plimsoll.engine.tenancy.Admission.Decision admit(String key, PlacementLoop.TenantClaim claim,
                                                                       List<io.plimsoll.engine.tenancy.Admission.Competitor> competitors) {
                return io.plimsoll.engine.tenancy.Admission.decide(tenants.ledger(), claim.tenant(), claim.demand(), competitors);
            }

            @Override
            public boolean withinGuarantee(PlacementLoop.TenantClaim claim) {
                return claim.tenant() != null
                        && io.plimsoll.engine.tenancy.Admission.withinGuarantee(tenants.ledger(), claim.tenant(), claim.demand());
            }
        });
        snapshot.addListener(change -> {
            if (change.capacityChanged()) loop.wake();
        });
        snapshot.onWorkloadEnding((w, gone) -> ending.execute(() -> ending(w, gone)));
        if (tenancy != null) tenancy.addListener(this::tenancyChanged);
        this.idle = new IdleScaler(activity.prometheus());
        this.prometheus = activity.prometheus();
        this.snapshot = snapshot;
        this.binder = binder;
        this.events = events;
        this.metrics = metrics;
    }

    /**
     * A Tenant, a namespace's labels or a PriorityClass changed: the gate is asked again at once, and every pending
     * workload looks again (its priority class may exist now, or its tenant allow its policy).
     */
    private void tenancyChanged() {
        loop.wake();
        try {
            for (AIWorkload w : snapshot.workloads()) {
                if (w.getStatus() == null || w.getStatus().getState() == WorkloadState.Pending) {
                    snapshot.workloadPending(w.getMetadata().getNamespace(), w.getMetadata().getName());
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("tenancy changed before the snapshot started: %s", e.getMessage());
        }
    }

    @Override
    public List<EventSource<?, AIWorkload>> prepareEventSources(EventSourceContext<AIWorkload> context) {
        return List.of(new ClusterChangeEventSource<>("cluster-changes", snapshot, context, this::targetsOf));
    }

    /**
     * The workload whose pod changed, and, when a pool or policy changed, every pending workload, highest priority
     * first (one may have waited for a policy that now exists). Freed capacity alone goes to the placement loop, which
     * holds every workload waiting for room.
     */
    private Stream<ResourceID> targetsOf(io.plimsoll.snapshot.ClusterChange change, Stream<AIWorkload> primaries) {
        Stream<ResourceID> own = change.workloadName() == null ? Stream.empty()
                : Stream.of(new ResourceID(change.workloadName(), change.workloadNamespace()));
        if (!change.configChanged()) return own;
        Stream<ResourceID> pending = primaries
                .filter(w -> w.getStatus() == null || w.getStatus().getState() == null || w.getStatus().getState() == WorkloadState.Pending)
                .sorted(Comparator.comparingInt((AIWorkload w) -> w.getStatus() == null || w.getStatus().getPriority() == null ? 0 : -w.getStatus().getPriority())
                        .thenComparing(w -> String.valueOf(w.getMetadata().getCreationTimestamp())))
                .map(ResourceID::fromResource);
        return Stream.concat(own, pending);
    }

    @Override
    public UpdateControl<AIWorkload> reconcile(AIWorkload wl, Context<AIWorkload> context) {
        AIWorkloadStatus before = copy(wl.getStatus());
        AIWorkloadStatus status = wl.getStatus() == null ? new AIWorkloadStatus() : wl.getStatus();
        wl.setStatus(status);
        Long gen = wl.getMetadata().getGeneration();
        Outcome outcome = decide(wl, status, gen);
        status.setObservedGeneration(gen);
        long delay = outcome.retry ? PENDING_RETRY_MS : Long.MAX_VALUE;
        if (outcome.recheckAt != Long.MAX_VALUE) {
            delay = Math.min(delay, Math.max(1_000, outcome.recheckAt - snapshot.clock().millis()));
        }
        setScaleStatus(wl, status);
        if (!outcome.deferStatus() && !sameStatus(before, status)) {
            long detailDue = waitingDetails.writableAt(wl.getMetadata().getNamespace() + "/" + wl.getMetadata().getName(),
                    before, status, snapshot.clock().millis());
            if (detailDue == 0) {
                statusWriter.write(wl, status, context);
            } else {
                // Only the details of why it waits changed, and they were written a moment ago: written when the
                // interval ends (this reconcile comes back then), with whatever they are by that time.
                delay = Math.min(delay, Math.max(1, detailDue - snapshot.clock().millis()));
            }
        }
        try {
            publishTenantUsage();
        } catch (RuntimeException e) {
            LOG.warnf(e, "tenants' usage not published; next reconcile tries again");
        }
        UpdateControl<AIWorkload> c = UpdateControl.noUpdate();
        return delay == Long.MAX_VALUE ? c : c.rescheduleAfter(delay);
    }

    /**
     * @param recheckAt   when idleness should be looked at again (epoch ms), Long.MAX_VALUE for never
     * @param deferStatus pods are being created: the status is written when they show (the next reconcile)
     */
    private record Outcome(boolean retry, long recheckAt, boolean deferStatus) {
        Outcome(boolean retry) {
            this(retry, Long.MAX_VALUE, false);
        }

        Outcome(boolean retry, long recheckAt) {
            this(retry, recheckAt, false);
        }
    }

    private Outcome decide(AIWorkload wl, AIWorkloadStatus status, Long gen) {
        WorkloadState before = status.getState();
        String ns = wl.getMetadata().getNamespace();
        String name = wl.getMetadata().getName();
        String workloadKey = ns + "/" + name;
        WorkloadNeeds.Parsed parsed;
        try {
            parsed = WorkloadNeeds.parse(wl);
        } catch (IllegalArgumentException e) {
            WorkloadStatusComposer.invalid(status, e.getMessage(), gen);
            events.warning(wl, "InvalidSpec", e.getMessage());
            loop.cancel(workloadKey); // nothing more to place for it
            return new Outcome(false);
        }
        Need need = parsed.need();
        WorkloadPhase phase = need.phase();

        String policyName = WorkloadNeeds.policyName(wl);
        Optional<PlacementPolicy> policy = snapshot.policy(policyName);
        PhaseRules rules = WorkloadNeeds.rules(policy.orElse(null), phase);
        String tenantName = tenants == null || !tenants.active() ? null : tenants.tenantOf(ns);
        io.plimsoll.api.Tenant tenant = tenantName == null ? null : tenants.tenant(tenantName);
        if (policy.isEmpty() && !PlacementPolicy.DEFAULT_NAME.equals(policyName)) {
            return notAdmitted(wl, status, gen, phase, PendingReason.PolicyNotFound,
                    "PlacementPolicy '" + policyName + "' not found: create it or set spec.policy to an existing one");
        }
        if (tenant != null && !io.plimsoll.tenancy.TenantRules.allowsPolicy(tenant, policyName)) {
            return notAdmitted(wl, status, gen, phase, PendingReason.PolicyNotAllowed, io.plimsoll.tenancy.TenantRules.policyRefused(tenant, policyName));
        }
        // Priority comes from a PriorityClass the admin owns (or the policy's default); a raw spec.priority is not trusted.
        io.plimsoll.tenancy.PriorityResolver.Resolution prio = priorities.resolve(wl, policy.orElse(null));
        if (!prio.ok()) return notAdmitted(wl, status, gen, phase, PendingReason.PriorityClassNotFound, prio.error());
        if (prio.warning() != null && !prio.warning().equals(priorityWarned.put(workloadKey, prio.warning()))) {
            events.warning(wl, "PriorityIgnored", prio.warning());
        }
        status.setPriority(prio.priority());
        notePreempted(wl, status, gen);

        // A finished run-to-completion workload stays finished for this generation; its pods are not recreated.
        boolean finished = status.getState() == WorkloadState.Succeeded || status.getState() == WorkloadState.Failed;
        if (phase.runsToCompletion() && finished && gen != null && gen.equals(status.getObservedGeneration())
                && !"InvalidSpec".equals(reasonOf(status, "Placed"))) {
            loop.cancel(workloadKey); // nothing more to place for it
            return new Outcome(false);
        }

        int parkMilli = parkMilli(policy.orElse(null), phase);
        IdleState idleState = phase.runsToCompletion() ? IdleState.notIdle(need.replicas())
                : idleState(wl, status, gen, need, policy.orElse(null), policyName, tenant, parkMilli);
        int replicas = idleState.replicas();
        long recheckAt = idleState.recheckAt();
        java.util.Set<Integer> reserved = snapshot.reservedReplicas(workloadKey); // before the pods (see reservedReplicas)
        TreeMap<Integer, Pod> byIndex = ownPods(wl);

        // Plan what happens to the existing replicas (a pure function of the facts), then apply it.
        ReplicaPlanner.Plan plan = ReplicaPlanner.plan(replicaFacts(wl, need, byIndex, reserved, replicas, idleState.park(),
                idleState.holdParked(), parkMilli));
        if (applyReplicaPlan(wl, plan, byIndex, need, idleState.lastActive())) recheckAt = Math.min(recheckAt, snapshot.clock().millis() + 1_000);
        if (plan.outcome() == ReplicaPlanner.Outcome.Failed) {
            Pod failedPod = byIndex.get(plan.failed().index());
            String msg = "replica " + plan.failed().index() + " (pod " + failedPod.getMetadata().getName() + ") failed: " + failureReason(failedPod);
            WorkloadStatusComposer.failed(status, msg, gen);
            events.warning(wl, "Failed", msg);
            loop.cancel(workloadKey); // nothing more to place for it
            return new Outcome(false);
        }
        if (plan.outcome() == ReplicaPlanner.Outcome.Succeeded) {
            String msg = WorkloadStatusComposer.succeeded(status, replicas, gen);
            events.normal(wl, "Succeeded", msg);
            loop.cancel(workloadKey); // nothing more to place for it
            return new Outcome(false);
        }
        byIndex.keySet().retainAll(plan.remaining());
        java.util.Set<Integer> parkedIdx = plan.parked();
        if (idleState.park() && parkedIdx.isEmpty() && !byIndex.isEmpty()) {
            Conditions.set(status.getConditions(), "Idle", false, "NotParkable", idleState.verdict().notParkedMessage(
                    "its replicas cannot park in place (only running whole-device replicas on Fractional pools do): kept as they are"), gen);
        }
        List<Integer> missing = new ArrayList<>(plan.missing());
        Backoff backoff = admissionRetries.get(workloadKey);
        if (!missing.isEmpty() && backoff != null && backoff.until() > snapshot.clock().millis()) {
            // The API server refused this workload's pods a moment ago: wait out the back-off before asking again.
            showRefused(status, gen, backoff);
            status.setPlacement(placementOf(byIndex));
            status.setDevices(devicesOf(byIndex));
            return new Outcome(false, backoff.until());
        }
        if (missing.isEmpty()) {
            loop.withdraw(workloadKey);
            var preempted = Conditions.get(status.getConditions(), "Preempted");
            if (preempted != null && "True".equals(preempted.getStatus()) && allCreatedSince(byIndex.values(), preempted.getLastTransitionTime())) {
                // Every replica is a new pod (the preempted ones may still show in the cache for a moment after the delete).
                Conditions.set(status.getConditions(), "Preempted", false, "PlacedAgain", "placed again after its preemption", gen);
            }
        } else {
            PlacementLoop.TenantClaim claim;
            try {
                claim = tenants == null || !tenants.active() || idleState.park() ? null
                        : new PlacementLoop.TenantClaim(tenants.tenantOf(ns), tenants.demand(need.withReplicas(missing.size()), rules, tenants.charges()));
            } catch (RuntimeException e) {
                // Fail closed: a quota that cannot be computed admits nothing; this workload waits and says why.
                LOG.warnf(e, "tenant quota of %s could not be computed", workloadKey);
                return notAdmitted(wl, status, gen, phase, PendingReason.QuotaUnknown, "waiting: its tenant's quota could not be computed ("
                        + e.getMessage() + "); the operator log has the details");
            }
            handOver(wl, parsed, rules, replicas, idleState.park(), parkMilli, claim, missing.size());
            // Pods may have been reserved, or shown up, meanwhile: look again, so what is written is one moment's view.
            reserved = snapshot.reservedReplicas(workloadKey);
            byIndex.clear();
            byIndex.putAll(ownPods(wl));
            java.util.Set<Integer> reservedNow = reserved;
            missing.removeIf(i -> byIndex.containsKey(i) || reservedNow.contains(i));
        }

        boolean inFlight = false;
        for (int i = 0; i < replicas && !inFlight; i++) inFlight = !byIndex.containsKey(i) && reserved.contains(i);
        if (inFlight) {
            // Some of its pods are being created: the status is written once the cache shows them (their creation ends
            // with a reconcile), so it never reports a placement without the pods that were decided with it.
            return new Outcome(false, snapshot.clock().millis() + 1_000, true);
        }
        status.setPlacement(placementOf(byIndex));
        status.setDevices(devicesOf(byIndex));
        int ready = (int) byIndex.values().stream().filter(p -> "Running".equals(podPhase(p))).count();
        status.setReadyReplicas(ready);
        if (!missing.isEmpty()) {
            var shown = WorkloadStatusComposer.waiting(status, new WorkloadStatusComposer.Waiting(missing.size(), replicas,
                    need.describe(), loop.standing(workloadKey), preemption == null ? null : preemption.holdOf(workloadKey), before,
                    snapshot.clock().millis(), QUEUED_RECHECK_MS), gen);
            if (shown.pending() != null) metrics.pending(workloadKey, phase.name(), shown.pending().name());
            if (shown.note() != null) events.normal(wl, shown.note().reason(), shown.note().message());
            if (shown.nowPending()) snapshot.workloadPending(ns, name);
            return new Outcome(true, shown.recheckAt());
        }
        status.setQueue(null);
        if (byIndex.size() < replicas) {
            // Placed, and its pods are being created: the state moves on when the cache shows them (an event follows),
            // and the status is written then, once, with the pods in it.
            return new Outcome(false, snapshot.clock().millis() + 1_000, true);
        }
        metrics.pending(workloadKey, phase.name(), null);
        var idleCondition = Conditions.get(status.getConditions(), "Idle");
        WorkloadStatusComposer.placed(status, new WorkloadStatusComposer.Placed(replicas, ready,
                status.getPlacement() == null ? null : status.getPlacement().getPool(), idleState.idleAtZero(), parkedIdx,
                byIndex.keySet(), idleCondition == null ? null : idleCondition.getMessage(), phase.runsToCompletion()), gen);
        return new Outcome(false, recheckAt);
    }

    /**
     * The workload cannot reach the placement loop: Pending with {@code reason} and a message that says what to fix, a
     * warning, and it leaves the loop's queue; it looks again on the retry interval or when what it waits for changes.
     */
    private Outcome notAdmitted(AIWorkload wl, AIWorkloadStatus status, Long gen, WorkloadPhase phase, PendingReason reason, String message) {
        String key = wl.getMetadata().getNamespace() + "/" + wl.getMetadata().getName();
        WorkloadStatusComposer.notAdmitted(status, reason, message, gen);
        events.warning(wl, reason.name(), message);
        metrics.pending(key, phase.name(), reason.name());
        loop.cancel(key); // nothing to place for it until this is fixed
        return new Outcome(true);
    }

    /** Tells the workload it was preempted (condition and warning), once, when the preemption says so or its pods do. */
    private void notePreempted(AIWorkload wl, AIWorkloadStatus status, Long gen) {
        if (preemption == null) return;
        String key = wl.getMetadata().getNamespace() + "/" + wl.getMetadata().getName();
        String why = preemption.takenFrom(key, Conditions.get(status.getConditions(), "Preempted"));
        if (why == null) why = preemptedWhileAway(wl, status);
        if (why != null) {
            Conditions.set(status.getConditions(), "Preempted", true, "Preempted", why, gen);
            events.warning(wl, "Preempted", why);
        }
    }

    /**
     * What idleness makes of a serving workload (Inference, Workbench) now.
     *
     * @param replicas    replicas it should have (0 at zero)
     * @param park        its replicas park in place
     * @param holdParked  the activity signal is missing or bad: parked replicas stay parked, nothing new parks
     * @param lastActive  its last activity, or null
     * @param idleAtZero  it is at zero because it was idle
     * @param recheckAt   when idleness is looked at again (epoch ms; Long.MAX_VALUE: on change only)
     * @param verdict     the idle verdict these come from (null for work that runs to completion)
     */
    private record IdleState(int replicas, boolean park, boolean holdParked, Instant lastActive, boolean idleAtZero, long recheckAt,
                             IdleScaler.Verdict verdict) {
        static IdleState notIdle(int replicas) {
            return new IdleState(replicas, false, false, null, false, Long.MAX_VALUE, null);
        }
    }

    /**
     * Asks {@link IdleScaler} whether the workload is idle, then applies what the admin set: a tenant's ceiling on idle
     * timeouts, a dry-run policy (says what it would do, does nothing), parking turned off. Sets the Idle condition and
     * {@code status.scaledToZeroAt}, and sends the events of going to zero and coming back.
     */
    private IdleState idleState(AIWorkload wl, AIWorkloadStatus status, Long gen, Need need, PlacementPolicy policy, String policyName,
                                io.plimsoll.api.Tenant tenant, int parkMilli) {
        WorkloadPhase phase = need.phase();
        int replicas = need.replicas();
        Instant now = snapshot.clock().instant();
        String key = wl.getMetadata().getNamespace() + "/" + wl.getMetadata().getName();
        Instant zeroAt = parseInstant(status.getScaledToZeroAt());
        if (zeroAt == null) zeroAt = scaledToZero.get(key);
        String taken = parkedReplicaTaken.remove(key);
        if (taken != null && zeroAt == null) {
            zeroAt = now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            scaledToZero.put(key, zeroAt);
            status.setScaledToZeroAt(zeroAt.toString());
            events.normal(wl, "ScaledToZero", "parked and idle, " + taken + ": scaled to zero; comes back on new activity or when spec.replicas changes");
            metrics.scaledDown("workload", phase.name());
        }
        if (zeroAt != null && gen != null && status.getObservedGeneration() != null && !gen.equals(status.getObservedGeneration())) {
            // The user changed the spec (e.g. spec.replicas): that is a request to run again.
            zeroAt = null;
            scaledToZero.remove(key);
            status.setScaledToZeroAt(null);
            events.normal(wl, "Resumed", "spec changed: back to " + replicas + " replica(s)");
        }
        Long ceiling = null;
        if (tenant != null) {
            try {
                ceiling = io.plimsoll.tenancy.TenantRules.maxIdleTimeoutMillis(tenant);
            } catch (IllegalArgumentException e) {
                ceiling = null; // reported on the Tenant; changes no workload
            }
        }
        IdleScaler.Verdict v = idle.evaluate(wl, policy, zeroAt, now, ceiling);
        boolean dryRun = policy != null && policy.getSpec() != null && Boolean.TRUE.equals(policy.getSpec().getDryRun());
        if (dryRun && v.scaledToZero()) {
            double saving = status.getPlacement() == null || status.getPlacement().getCostPerHour() == null ? 0
                    : status.getPlacement().getCostPerHour();
            String would = "dry run (PlacementPolicy " + policyName + "): would scale to zero, saving " + Units.dollars(saving);
            String msg = would + (v.lastActive() == null ? "; " + v.message() : "; idle since " + v.lastActive());
            events.normal(wl, "WouldScaleToZero", would); // without the running idle time: one event, not one per look
            v = new IdleScaler.Verdict(false, false, v.recheckAt(), "WouldScaleToZero", msg, false);
        }
        if (v.park() && (parkMilli == 0 || !parkable(need))) {
            v = v.notParked(parkMilli == 0 ? "parking is off (parkFraction 0)" : "only whole single-device replicas park");
        }
        if (dryRun && v.park()) {
            double cost = status.getPlacement() == null || status.getPlacement().getCostPerHour() == null ? 0
                    : status.getPlacement().getCostPerHour();
            String would = "dry run (PlacementPolicy " + policyName + "): would park idle replicas in place at "
                    + Units.fraction(parkMilli) + " of their device, saving up to " + Units.dollars(cost * (1000 - parkMilli) / 1000.0);
            if (!Boolean.TRUE.equals(wouldPark.put(key, Boolean.TRUE))) events.normal(wl, "WouldPark", would);
            v = new IdleScaler.Verdict(false, false, v.recheckAt(), "WouldPark", would + "; " + v.message(), false);
        } else {
            wouldPark.remove(key);
        }
        Conditions.set(status.getConditions(), "Idle", v.scaledToZero() || v.park(), v.reason(), v.message(), gen);
        if (v.signalProblem() && !"NoActivitySignal".equals(v.reason())) events.warning(wl, v.reason(), v.message());
        boolean idleAtZero = false;
        if (v.scaledToZero()) {
            idleAtZero = true;
            if (zeroAt == null) zeroAt = now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            scaledToZero.put(key, zeroAt);
            status.setScaledToZeroAt(zeroAt.toString());
            if (v.changed()) {
                events.normal(wl, "ScaledToZero", v.message());
                metrics.scaledDown("workload", phase.name());
            }
            replicas = 0;
        } else if (zeroAt != null) {
            scaledToZero.remove(key);
            status.setScaledToZeroAt(null);
            events.normal(wl, "Resumed", v.message());
        }
        // A missing or bad signal changes nothing: parked replicas stay parked (and nothing new parks).
        return new IdleState(replicas, v.park(), v.signalProblem(), v.lastActive(), idleAtZero, v.recheckAt(), v);
    }

    /**
     * Hands the workload's missing replicas to the one placement loop, which serves every workload in priority, then
     * arrival, order, and waits a moment for its answer.
     */
    private void handOver(AIWorkload wl, WorkloadNeeds.Parsed parsed, PhaseRules rules, int desired, boolean park, int parkMilli,
                          PlacementLoop.TenantClaim claim, int missing) {
        String workloadKey = wl.getMetadata().getNamespace() + "/" + wl.getMetadata().getName();
        Need need = parsed.need();
        int priority = wl.getStatus() == null || wl.getStatus().getPriority() == null ? 0 : wl.getStatus().getPriority();
        boolean attempted = loop.submit(new PlacementLoop.Request(new PlacementQueue.Entry(workloadKey, priority,
                arrival(wl)), need.withReplicas(need.gang() ? missing : 1), rules,
                held -> attempt(wl, parsed, rules, desired, park, parkMilli, held, claim, priority), claim));
        // The loop usually answers within milliseconds: wait a moment for it, so the status written says what came of it
        // rather than "Queued" first. Not when its last answer stands (nothing freed since it found no room).
        if (attempted) loop.awaitResult(workloadKey, FIRST_ANSWER_WAIT_MS);
    }

    /**
     * Places without delaying the first in line: away from the nodes held for it, or on them only as shares of devices
     * already in use (which take nothing of the whole devices it waits for).
     */
    private PlacementDecision backfill(Need need, io.plimsoll.engine.ClusterState state, PhaseRules rules, java.util.Set<String> held) {
        return io.plimsoll.scheduling.Nomination.backfill(engine, need, state, rules, held);
    }

    /** A request that the loop sees again after its last result was shown: re-placed within this long. */
    static final long QUEUED_RECHECK_MS = 5_000;
    /** How long a reconcile waits for the placement loop's first answer before it reports the workload as queued. */
    static final long FIRST_ANSWER_WAIT_MS = 200;

    /** When the workload came, for its place in line (creation time; its name breaks ties). */
    private static long arrival(AIWorkload wl) {
        try {
            return wl.getMetadata().getCreationTimestamp() == null ? Long.MAX_VALUE
                    : Instant.parse(wl.getMetadata().getCreationTimestamp()).toEpochMilli();
        } catch (RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Places what the workload is missing, on the placement loop's thread, never on the {@code held} nodes (nominated
     * for the first in line). Re-reads the workload's pods and records first: a request may be older than the last
     * placement. Creates the pods (a gang whole or not at all), makes room from parked replicas when nothing fits,
     * and says what came of it; the workload's reconciler writes the status.
     */
    private PlacementLoop.Result attempt(AIWorkload wl, WorkloadNeeds.Parsed parsed, PhaseRules rules, int replicas, boolean park,
                                         int parkMilli, java.util.Set<String> held,
                                         PlacementLoop.TenantClaim claim, int priority) {
        String ns = wl.getMetadata().getNamespace();
        String name = wl.getMetadata().getName();
        String workloadKey = ns + "/" + name;
        AIWorkload fresh = snapshot.workload(ns, name);
        if (fresh == null || fresh.getMetadata().getDeletionTimestamp() != null
                || !java.util.Objects.equals(fresh.getMetadata().getGeneration(), wl.getMetadata().getGeneration())) {
            return PlacementLoop.Result.of(PlacementLoop.Outcome.STALE);
        }
        Need need = parsed.need();
        WorkloadPhase phase = need.phase();
        java.util.Set<Integer> reserved = snapshot.reservedReplicas(workloadKey); // before the pods (see reservedReplicas)
        TreeMap<Integer, Pod> byIndex = ownPods(wl);
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            if (!byIndex.containsKey(i) && !reserved.contains(i)) missing.add(i);
        }
        if (missing.isEmpty()) return PlacementLoop.Result.of(PlacementLoop.Outcome.PLACED);
        Backoff backoff = admissionRetries.get(workloadKey);
        if (backoff != null && backoff.until() > snapshot.clock().millis()) return PlacementLoop.Result.of(PlacementLoop.Outcome.WAITING);
        PlacementDecision unplaced = null;
        int batch = need.gang() ? missing.size() : 1;
        // A parked workload's missing replica (moved to make room for another one's resume, or by consolidation)
        // comes back parked: a share on a Fractional pool, packed by the engine; to zero if no share fits anywhere.
        PhaseRules parkedRules = park && parkable(need) ? fractionalOnly(rules, phase) : null;
        int parkedShare = parkedRules == null ? 0 : parkedShare(need, parkMilli, parkedRules);
        if (parkedShare == 0) parkedRules = null;
        while (!missing.isEmpty()) {
            List<Integer> indexes = List.copyOf(missing.subList(0, Math.min(batch, missing.size())));
            List<ClusterSnapshot.PodClaim> claims = indexes.stream()
                    .map(i -> new ClusterSnapshot.PodClaim(ns + "/" + PodBinder.newPodName(wl, i), workloadKey, i)).toList();
            long started = System.nanoTime();
            long cpuStarted = PlimsollMetrics.threadCpuNanos();
            PlacementDecision d = null;
            boolean placedParked = false;
            if (parkedRules != null) {
                Need share = need.withReplicas(indexes.size()).asShare(parkedShare);
                PhaseRules onlyFractional = parkedRules;
                d = snapshot.placeAndReserve(state -> backfill(share, withoutReclaimed(state, workloadKey), onlyFractional, held), claims);
                placedParked = d.placed();
            }
            if (d != null && !d.placed()) {
                // Idle, and no share anywhere to keep it parked: it goes to zero rather than take a whole device.
                parkedReplicaTaken.put(workloadKey, "no room to keep a replica parked (" + d.explain() + ")");
                return PlacementLoop.Result.of(PlacementLoop.Outcome.WAITING);
            }
            if (d == null) {
                d = snapshot.placeAndReserve(state -> backfill(need.withReplicas(indexes.size()), withoutReclaimed(state, workloadKey), rules, held), claims);
            }
            metrics.placementTimed(started, cpuStarted);
            if (!d.placed()) {
                metrics.failed(phase.name(), "Unschedulable");
                unplaced = d;
                break;
            }
            PoolProfile pool = snapshot.poolProfile(d.pool()).orElseThrow();
            List<Pod> planned = new ArrayList<>();
            for (int i = 0; i < indexes.size(); i++) {
                ReplicaSlot slot = d.slots().get(i);
                String podName = claims.get(i).podKey().substring(ns.length() + 1);
                Pod pod = PodBinder.buildPod(wl, podName, indexes.get(i), pool, slot, parsed.cpu(), parsed.memory());
                if (placedParked) {
                    pod.getMetadata().getAnnotations().put(Annotations.PARKED, snapshot.clock().instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
                    pod.getMetadata().getAnnotations().put(Annotations.SERVING_COST, String.format(java.util.Locale.ROOT, "%.4f",
                            pool.devicesPerNode() == 0 ? 0 : pool.costPerNodeHour() / pool.devicesPerNode()));
                }
                planned.add(pod);
            }
            // Decided and reserved: the pods are created off the loop, which goes on to the next in line meanwhile.
            PodCreation creation = new PodCreation(wl, planned, claims, pool, d, placedParked);
            creator.execute(() -> create(creation));
            missing.removeAll(indexes);
        }
        if (unplaced == null) {
            if (preemption != null) preemption.placed(workloadKey);
            return PlacementLoop.Result.of(PlacementLoop.Outcome.PLACED);
        }
        TenantPreemption.Hold hold = preemption == null ? null : preemption.holdOf(workloadKey);
        if (hold != null) {
            // Work was preempted for it and is stopping: it waits for that room (held for it), and takes nothing more.
            return new PlacementLoop.Result(PlacementLoop.Outcome.WAITING, null, hold.detail());
        }
        if (held.isEmpty() || !need.gang()) {
            String room = makeRoomFromParked(wl, need, rules);
            if (room != null) {
                events.normal(wl, "MadeRoom", room);
                return PlacementLoop.Result.of(PlacementLoop.Outcome.WAITING);
            }
        }
        if (preemption != null && claim != null && claim.tenant() != null) { // work in no Tenant preempts nothing
            // Admitted by its tenant's quota and still no room: reclaim from borrowers, or preempt its own lower priority.
            String preempted = preemption.makeRoom(wl, need.withReplicas(missing.size()), rules, priority, claim.tenant());
            if (preempted != null) {
                events.normal(wl, "Preempting", preempted);
                return new PlacementLoop.Result(PlacementLoop.Outcome.WAITING, null, preempted);
            }
        }
        String msg = "cannot place " + missing.size() + " of " + replicas + " replica(s) (" + need.describe() + "): " + unplaced.explain();
        PlacementLoop.Result last = loop.standing(workloadKey).last();
        if (last == null || last.outcome() != PlacementLoop.Outcome.UNPLACEABLE || !msg.equals(last.detail())) {
            events.warning(wl, "Unschedulable", msg);
        }
        return new PlacementLoop.Result(PlacementLoop.Outcome.UNPLACEABLE, unplaced, msg);
    }

    /**
     * Why the workload was preempted, when its pods say so ({@code DisruptionTarget} set by Plimsoll, still terminating)
     * and its status does not yet: a preemption decided before the operator restarted, whose victim was not reconciled
     * in time. Null otherwise.
     */
    private String preemptedWhileAway(AIWorkload wl, AIWorkloadStatus status) {
        var c = Conditions.get(status.getConditions(), "Preempted");
        for (Pod p : snapshot.podsOf(wl.getMetadata().getNamespace(), wl.getMetadata().getName())) {
            if (p.getMetadata().getDeletionTimestamp() == null || !ownedBy(p, wl)) continue;
            var disrupted = PodBinder.preemptedBy(p);
            if (disrupted == null) continue;
            // Told already (the same message), or its condition moved on since (placed again): nothing new.
            if (c != null && "True".equals(c.getStatus()) && disrupted.getMessage().equals(c.getMessage())) continue;
            if (c != null && !laterThan(disrupted.getLastTransitionTime(), c.getLastTransitionTime())) continue;
            return disrupted.getMessage();
        }
        return null;
    }

    /** Whether RFC 3339 time {@code a} is after {@code b}; true when {@code b} cannot be read, false when {@code a} cannot. */
    private static boolean laterThan(String a, String b) {
        try {
            Instant ia = Instant.parse(a);
            try {
                return ia.isAfter(Instant.parse(b));
            } catch (RuntimeException unreadable) {
                return true;
            }
        } catch (RuntimeException unreadable) {
            return false;
        }
    }

    /** At most this often, tenants' usage is published (Tenant status, metrics). */
    static final long USAGE_PUBLISH_MS = 2_000;
    private final java.util.concurrent.atomic.AtomicLong usagePublishedAt = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean usageRepublish = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Publishes what each tenant uses, borrows and lends (from the ledger) and has pending (the missing replicas of its
     * pending workloads, as their claims count them), for Tenant status and metrics. Throttled; only with tenants.
     */
    private void publishTenantUsage() {
        if (tenants == null || usage == null || !tenants.active()) return;
        long now = snapshot.clock().millis();
        long last = usagePublishedAt.get();
        if (now - last < USAGE_PUBLISH_MS || !usagePublishedAt.compareAndSet(last, now)) {
            // Published a moment ago: once more after the interval, so the last change is not left out.
            if (usageRepublish.compareAndSet(false, true)) {
                java.util.concurrent.CompletableFuture.runAsync(() -> {
                    usageRepublish.set(false);
                    publishTenantUsage();
                }, java.util.concurrent.CompletableFuture.delayedExecutor(USAGE_PUBLISH_MS, java.util.concurrent.TimeUnit.MILLISECONDS));
            }
            return;
        }
        var ledger = tenants.ledger();
        var charges = tenants.charges();
        Map<String, Double> pending = new java.util.HashMap<>();
        for (AIWorkload w : snapshot.workloads()) {
            if (w.getStatus() == null || w.getStatus().getState() != WorkloadState.Pending || w.getSpec() == null) continue;
            try {
                var parsed = WorkloadNeeds.parse(w);
                int missing = Math.max(0, parsed.need().replicas()
                        - snapshot.liveReplicas(w.getMetadata().getNamespace(), w.getMetadata().getName()));
                if (missing == 0) continue;
                PhaseRules rules = WorkloadNeeds.rules(snapshot.policy(WorkloadNeeds.policyName(w)).orElse(null), parsed.need().phase());
                double eq = tenants.demand(parsed.need().withReplicas(missing), rules, charges).gpuEq();
                pending.merge(ledger.tenantOf(tenants.tenantOf(w.getMetadata().getNamespace())), eq, Double::sum);
            } catch (IllegalArgumentException e) {
                // an invalid spec asks for nothing
            }
        }
        Map<String, io.plimsoll.tenancy.TenantUsage.Usage> out = new java.util.HashMap<>();
        for (var q : ledger.quotas()) {
            String t = q.name();
            double p = pending.getOrDefault(t, 0.0);
            out.put(t, new io.plimsoll.tenancy.TenantUsage.Usage(round(ledger.used(t)), round(ledger.borrowed(t)), round(ledger.lent(t)), round(p)));
            metrics.tenant(t, ledger.guaranteed(t), ledger.used(t), ledger.borrowed(t), p);
        }
        usage.publish(out);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /**
     * The state without the nodes where work was preempted for another workload (that room is the other's until it is
     * placed); on a node held for this workload too, older holds' workloads come first.
     */
    private io.plimsoll.engine.ClusterState withoutReclaimed(io.plimsoll.engine.ClusterState state, String workloadKey) {
        return preemption == null ? state : preemption.asSeenBy(state, workloadKey);
    }

    /** Pods decided and reserved for one batch of a workload (a whole gang, or one replica), to be created. */
    private record PodCreation(AIWorkload wl, List<Pod> pods, List<ClusterSnapshot.PodClaim> claims, PoolProfile pool,
                               PlacementDecision decision, boolean parked) {}

    /**
     * Creates a batch's pods, in order, on a creator thread. A gang is created whole or not at all: when the API server
     * refuses a member, the members already made are deleted and every reservation of the batch is released. The
     * workload is reconciled afterwards either way.
     */
    private void create(PodCreation c) {
        AIWorkload wl = c.wl();
        String ns = wl.getMetadata().getNamespace();
        String workloadKey = ns + "/" + wl.getMetadata().getName();
        List<Pod> made = new ArrayList<>();
        List<String> where = new ArrayList<>();
        try {
            for (int i = 0; i < c.pods().size(); i++) {
                Pod pod = c.pods().get(i);
                ReplicaSlot slot = c.decision().slots().get(i);
                Pod m;
                try {
                    m = binder.create(pod);
                } catch (RuntimeException e) {
                    // The back-off first: releasing and deleting below wake the workload's reconcile, which must see it.
                    Refusal refusal = Refusal.of(e);
                    if (refusal != null) {
                        refused(wl, refusal, pod.getMetadata().getName(), made.size());
                    } else {
                        creationFailed(wl, pod.getMetadata().getName(), e);
                    }
                    for (int j = i; j < c.claims().size(); j++) snapshot.release(c.claims().get(j).podKey());
                    for (Pod p : made) {
                        try {
                            binder.delete(p);
                        } catch (RuntimeException gone) {
                            LOG.warnf("could not delete gang member %s/%s after a failed creation: %s", ns, p.getMetadata().getName(), gone.getMessage());
                        }
                    }
                    return;
                }
                snapshot.created(m);
                if (c.parked()) {
                    snapshot.parkPlaced(m, slot.fractionMilli(), pod.getMetadata().getAnnotations().get(Annotations.PARKED),
                            c.pool().devicesPerNode() == 0 ? 0 : c.pool().costPerNodeHour() / c.pool().devicesPerNode());
                }
                made.add(m);
                where.add(slot.node() + (slot.devices().isEmpty() ? "" : " devices " + slot.devices())
                        + (slot.fractionMilli() > 0 ? " (" + Units.fraction(slot.fractionMilli()) + ")" : "")
                        + (slot.mig() != null ? " (MIG " + slot.mig().name() + ")" : ""));
            }
            admissionRetries.remove(workloadKey);
            PlacementDecision d = c.decision();
            events.normal(wl, "Placed", "placed " + made.size() + (c.parked() ? " parked" : "") + " replica(s) on pool " + d.pool() + " ("
                    + PlacementEngine.describeDevices(d, c.pool()) + ", " + Units.dollars(d.costPerHour()) + "): "
                    + String.join(", ", where));
            metrics.placed(wl.getSpec().getPhase().name(), d.pool(), made.size());
        } catch (RuntimeException e) {
            LOG.warnf(e, "creating the pods of %s failed", workloadKey);
        } finally {
            snapshot.workloadPending(ns, wl.getMetadata().getName()); // its reconcile writes the status
        }
    }

    /** The API server failed (not refused) a pod's creation: released, and tried again shortly. */
    private void creationFailed(AIWorkload wl, String pod, RuntimeException e) {
        String key = wl.getMetadata().getNamespace() + "/" + wl.getMetadata().getName();
        Backoff prev = admissionRetries.get(key);
        String msg = "creating pod " + pod + " failed (" + e.getMessage() + "); next try in " + (CREATION_RETRY_MS / 1000) + "s";
        admissionRetries.put(key, new Backoff(prev == null ? 0 : prev.attempts(), snapshot.clock().millis() + CREATION_RETRY_MS, msg,
                "PodCreationFailed"));
        LOG.warnf("%s: %s", key, msg);
        events.warning(wl, "PodCreationFailed", msg);
    }

    /**
     * Parked replicas are preemptible: when a replica of one device (or a share of one) finds no room, the parked
     * replicas of other workloads that alone hold one device of an eligible Fractional pool are taken off it (the
     * device where that costs the least parked capacity, then the longest parked), if the replica would then fit.
     * Their workloads go to zero (they were idle); the pool's scaler asks for a node. One device per call.
     *
     * @return what was done, or null when no device would do
     */
    private String makeRoomFromParked(AIWorkload wl, Need need, PhaseRules rules) {
        if (!need.wantsAccelerator() || need.gang() || !(need.fractional() || need.count() == 1)) return null;
        String myNs = wl.getMetadata().getNamespace();
        String me = myNs + "/" + wl.getMetadata().getName();
        int myPriority = wl.getStatus() == null || wl.getStatus().getPriority() == null ? 0 : wl.getStatus().getPriority();
        PhaseRules fractional = fractionalOnly(rules, need.phase());
        if (fractional == null) return null;
        // The devices of the phase's Fractional pools where a parked replica is, with what holds each.
        var state = snapshot.state();
        Map<String, Pod> podOf = new java.util.HashMap<>();
        List<MakeRoomFromParked.Device> devices = new ArrayList<>();
        for (var node : snapshot.devicesWithParked(java.util.Set.copyOf(fractional.pools())).entrySet()) {
            var ns = state.node(node.getKey());
            if (ns == null) continue;
            for (var e : node.getValue().entrySet()) {
                if (e.getKey() >= ns.deviceCount()) continue;
                List<MakeRoomFromParked.Holder> holders = new ArrayList<>();
                for (Pod p : e.getValue()) {
                    PodRecord r = snapshot.record(p);
                    String key = ClusterSnapshot.key(p);
                    podOf.put(key, p);
                    holders.add(new MakeRoomFromParked.Holder(key, r.workloadKey(), r.parked(), priorityOf(r.workloadKey()),
                            r.milliPerDevice(), parkedSince(r)));
                }
                devices.add(new MakeRoomFromParked.Device(node.getKey(), e.getKey(), ns.deviceUsedMilli(e.getKey()), holders));
            }
        }
        var chosen = MakeRoomFromParked.choose(devices, me, myPriority,
                c -> MakeRoomFromParked.fitsOnceFree(c, engine, need, state, rules));
        if (chosen.isEmpty()) return null;
        var taken = chosen.get();
        String pool = null;
        List<String> names = new ArrayList<>();
        int elsewhere = 0;
        long lastParked = Long.MIN_VALUE; // when the most recently parked victim parked (MIN_VALUE: one cannot say)
        boolean unknownPark = false;
        for (MakeRoomFromParked.Holder h : taken.victims()) {
            if (h.parkedSince() == Long.MIN_VALUE) unknownPark = true;
            else lastParked = Math.max(lastParked, h.parkedSince());
        }
        for (MakeRoomFromParked.Holder h : taken.victims()) {
            Pod pod = podOf.get(h.replica());
            if (pool == null) pool = snapshot.record(pod).pool();
            String victim = h.workload();
            // Messages never name another namespace's objects, on either side.
            boolean sameNs = victim.startsWith(myNs + "/");
            parkedReplicaTaken.put(victim, "its parked replica's device was needed by "
                    + (sameNs ? "workload " + wl.getMetadata().getName() : "a workload of equal or higher priority"));
            binder.delete(pod);
            if (sameNs) names.add(victim.substring(myNs.length() + 1));
            else elsewhere++;
        }
        // The pool grows for it only if a victim's model was in use a moment ago (the pool's growIfParkedWithin; a victim
        // whose record does not say when it parked counts), as simulate serving decides (PoolPlanner.evictionCounts).
        String poolName = pool;
        var scaling = snapshot.pools().stream().filter(p -> p.getMetadata().getName().equals(poolName)).findFirst()
                .map(p -> p.getSpec().getScaling()).orElse(null);
        Instant now = snapshot.clock().instant();
        if (unknownPark || PoolPlanner.evictionCounts(PoolScaler.growIfParkedWithin(scaling), Instant.ofEpochMilli(lastParked), now)) {
            snapshot.recordParkedEviction(pool, me);
        }
        return "took " + taken.node() + " device " + taken.device() + " from " + taken.victims().size() + " parked, idle replica(s)"
                + (names.isEmpty() ? "" : " of " + names.stream().distinct().toList())
                + (elsewhere == 0 ? "" : (names.isEmpty() ? "" : " and") + " of workloads in other namespaces")
                + "; they scale to zero and come back on their next activity";
    }

    /** When the record says the replica parked (epoch ms), Long.MIN_VALUE when it does not say or cannot be read. */
    private static long parkedSince(PodRecord r) {
        Instant at = parseInstant(r.parkedSince());
        return at == null ? Long.MIN_VALUE : at.toEpochMilli();
    }

    /** A workload's priority as its status records it (0 when unknown). */
    private int priorityOf(String workloadKey) {
        int slash = workloadKey.indexOf('/');
        AIWorkload w = snapshot.workload(workloadKey.substring(0, slash), workloadKey.substring(slash + 1));
        return w == null || w.getStatus() == null || w.getStatus().getPriority() == null ? 0 : w.getStatus().getPriority();
    }

    private static boolean requestsDevicePlugin(Pod p, PoolProfile pool) {
        if (pool.resourceName() == null || p.getSpec() == null || p.getSpec().getContainers() == null) return false;
        return p.getSpec().getContainers().stream().anyMatch(c -> c.getResources() != null && c.getResources().getRequests() != null
                && c.getResources().getRequests().containsKey(pool.resourceName()));
    }

    /**
     * The smallest parked share that holds the workload's memory on one of the pools (the policy's parkFraction at
     * least), or 0 when its memory fills a whole device everywhere.
     */
    private int parkedShare(Need need, int parkMilli, PhaseRules fractionalPools) {
        int best = 0;
        for (String name : fractionalPools.pools()) {
            PoolProfile p = snapshot.poolProfile(name).orElse(null);
            if (p == null || p.deviceMemoryGiB() <= 0) continue;
            int share = shareFor(need, parkMilli, p);
            if (share < 1000 && (best == 0 || share < best)) best = share;
        }
        return best;
    }

    /** The parked share of one device of this pool: parkFraction, or the workload's memory if that is more. */
    private static int shareFor(Need need, int parkMilli, PoolProfile pool) {
        return ReplicaPlanner.parkedShare(need.minMemoryGiB(), parkMilli, pool.deviceMemoryGiB());
    }

    /** The policy's parkFraction for the phase (default 0.25) in thousandths; 0 = parking off. */
    private static int parkMilli(PlacementPolicy policy, WorkloadPhase phase) {
        var rule = policy == null || policy.getSpec() == null ? null : policy.getSpec().ruleFor(phase);
        double f = rule == null || rule.getParkFraction() == null ? DEFAULT_PARK_FRACTION : rule.getParkFraction();
        return (int) Math.round(Math.max(0, Math.min(0.9, f)) * 1000);
    }

    /** Only replicas of one whole GPU park: a share is already small, and multi-device replicas are training-sized. */
    private static boolean parkable(Need need) {
        return need.type() == io.plimsoll.engine.AcceleratorType.GPU && need.count() == 1 && !need.fractional();
    }

    /** The phase's eligible pools that share devices by fractions (where a parked replica can go), or null if none. */
    private PhaseRules fractionalOnly(PhaseRules rules, WorkloadPhase phase) {
        List<String> pools = new ArrayList<>();
        for (var p : snapshot.pools()) {
            String name = p.getMetadata().getName();
            PoolProfile profile = snapshot.poolProfile(name).orElse(null);
            if (profile == null || profile.sharing() != io.plimsoll.engine.SharingMode.Fractional || !profile.accepts(phase)) continue;
            if (rules.pools().isEmpty() || rules.pools().contains(name)) pools.add(name);
        }
        if (pools.isEmpty()) return null;
        return new PhaseRules(pools, rules.poolOrder(), true, rules.strategy());
    }

    /** The facts {@link ReplicaPlanner} decides from: the workload's replica pods as the API and Plimsoll's records show them. */
    private ReplicaPlanner.Input replicaFacts(AIWorkload wl, Need need, TreeMap<Integer, Pod> byIndex, java.util.Set<Integer> reservedBefore,
                                              int desired, boolean park, boolean holdParked, int parkMilli) {
        double modelGiB = modelMemoryGiB(wl, need, byIndex, park);
        List<ReplicaPlanner.Replica> replicas = new ArrayList<>();
        for (var e : byIndex.entrySet()) {
            Pod p = e.getValue();
            PodRecord rec = snapshot.record(p);
            PoolProfile pool = rec == null ? null : snapshot.poolProfile(rec.pool()).orElse(null);
            // Pinned by Plimsoll to one device of a Fractional pool; a pod from before whole devices were pinned there
            // got its device from the device plugin: never parked.
            boolean pinnedOne = pool != null && pool.sharing() == io.plimsoll.engine.SharingMode.Fractional
                    && rec.slot().mig() == null && rec.slot().devices().size() == 1 && !requestsDevicePlugin(p, pool);
            List<String> others = new ArrayList<>();
            boolean othersAllParked = true;
            if (pinnedOne && rec.parked() && !park && !holdParked) { // only a replica that may resume needs to know
                for (Pod o : snapshot.podsOnDevice(rec.node(), pool.name(), rec.slot().devices().get(0))) {
                    if (ClusterSnapshot.key(o).equals(ClusterSnapshot.key(p))) continue;
                    others.add(ClusterSnapshot.key(o));
                    if (snapshot.record(o) == null || !snapshot.record(o).parked()) othersAllParked = false;
                }
            }
            replicas.add(new ReplicaPlanner.Replica(e.getKey(), ClusterSnapshot.key(p), phaseOf(p), ClusterSnapshot.terminal(p),
                    rec != null, rec != null && rec.parked(), pinnedOne, rec != null && rec.slot().fractionMilli() == 0,
                    pool == null ? 1000 : ReplicaPlanner.parkedShare(modelGiB, parkMilli, pool.deviceMemoryGiB()), others, othersAllParked));
        }
        java.util.Set<Integer> reserved = new java.util.HashSet<>();
        for (int i = 0; i < desired; i++) if (!byIndex.containsKey(i) && reservedBefore.contains(i)) reserved.add(i);
        return new ReplicaPlanner.Input(need.phase().runsToCompletion(), need.wantsAccelerator(), parkable(need), desired, park,
                holdParked, replicas, reserved);
    }

    /**
     * The device memory one replica's model holds (GiB): what the workload declares (accelerator minMemoryGiB), or, when
     * replicas are about to park and device metrics are available, what its pods were measured to hold if that is more.
     * A parked replica keeps its model in device memory, so its parked share is never smaller than this.
     */
    private double modelMemoryGiB(AIWorkload wl, Need need, TreeMap<Integer, Pod> byIndex, boolean park) {
        double declared = need.minMemoryGiB();
        if (!park || prometheus == null || !parkable(need)) return declared;
        boolean someRunWhole = byIndex.values().stream().map(snapshot::record).anyMatch(r -> r != null && !r.parked());
        if (!someRunWhole) return declared;
        var measured = prometheus.deviceMemoryUsedMiB(wl.getMetadata().getNamespace(), wl.getMetadata().getName(), snapshot.clock().instant());
        return measured.isPresent() ? Math.max(declared, measured.getAsDouble() / 1024.0) : declared;
    }

    private static ReplicaPlanner.PodPhase phaseOf(Pod p) {
        String phase = podPhase(p);
        for (ReplicaPlanner.PodPhase ph : ReplicaPlanner.PodPhase.values()) if (ph.name().equals(phase)) return ph;
        return ReplicaPlanner.PodPhase.Unknown;
    }

    /**
     * Applies a replica plan: deletes pods; parks replicas in place (the record first, then the pod's annotations for
     * people: it is counted as a share of its device and nothing restarts); brings parked ones back to their whole
     * device in place (the record first, so the device counts whole before anyone else can place on it), moving the
     * parked replicas of other workloads off that device (their reconcilers place them again, parked). {@code byIndex}
     * shows the pods as they are afterwards.
     *
     * @return true when a resume was put off: a share of its device was handed out after the plan looked (see
     *         {@link ClusterSnapshot#unpark}); the workload is looked at again shortly
     */
    private boolean applyReplicaPlan(AIWorkload wl, ReplicaPlanner.Plan plan, TreeMap<Integer, Pod> byIndex, Need need, Instant lastActive) {
        List<String> parkedNow = new ArrayList<>(), resumed = new ArrayList<>();
        boolean resumeDeferred = false;
        int moved = 0;
        Instant now = snapshot.clock().instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        for (ReplicaPlanner.Action action : plan.actions()) {
            if (action instanceof ReplicaPlanner.DeletePod d) {
                Pod p = byIndex.get(d.index());
                binder.delete(p);
                if (d.reason() == ReplicaPlanner.DeleteReason.ReplicaEnded) {
                    events.normal(wl, "ReplicaReplaced", "replica " + d.index() + " (pod " + p.getMetadata().getName()
                            + ") ended with " + podPhase(p) + "; a new pod will be placed");
                } else if (d.reason() == ReplicaPlanner.DeleteReason.ParkedDeviceShared) {
                    PodRecord rec = snapshot.record(p);
                    events.normal(wl, "ReplicaReplaced", "replica " + d.index() + " was parked on " + rec.node() + " device "
                            + rec.slot().devices().get(0) + ", which now also serves another workload's share: a new whole-device replica will be placed");
                }
            } else if (action instanceof ReplicaPlanner.Park k) {
                Pod p = byIndex.get(k.index());
                PodRecord rec = snapshot.record(p);
                snapshot.park(p, k.share(), now.toString());
                byIndex.put(k.index(), binder.park(p, k.share(), now)); // annotations for people; the record is what counts
                parkedNow.add(k.index() + " (" + Units.fraction(k.share()) + " of " + rec.node() + " device " + rec.slot().devices().get(0) + ")");
            } else if (action instanceof ReplicaPlanner.Resume r) {
                Pod p = byIndex.get(r.index());
                PodRecord rec = snapshot.record(p);
                PoolProfile pool = snapshot.poolProfile(rec.pool()).orElseThrow();
                List<Pod> onDevice = snapshot.podsOnDevice(rec.node(), pool.name(), rec.slot().devices().get(0));
                if (!snapshot.unpark(p, pool.devicesPerNode() == 0 ? 0 : pool.costPerNodeHour() / pool.devicesPerNode(),
                        java.util.Set.copyOf(r.moveOff()))) {
                    // A share of the device was handed out after the plan looked: stays parked; looked at again shortly.
                    resumeDeferred = true;
                    continue;
                }
                byIndex.put(r.index(), binder.unpark(p)); // status below shows the pod as it is now
                for (Pod o : onDevice) if (r.moveOff().contains(ClusterSnapshot.key(o))) binder.delete(o);
                moved += r.moveOff().size();
                resumed.add(String.valueOf(r.index()));
            }
        }
        if (!parkedNow.isEmpty()) {
            String idleMsg = Conditions.get(wl.getStatus().getConditions(), "Idle") == null ? ""
                    : ": " + Conditions.get(wl.getStatus().getConditions(), "Idle").getMessage();
            String idleFor = lastActive == null ? "" : " after " + IdleScaler.human(java.time.Duration.between(lastActive, now)) + " idle";
            events.normal(wl, "Parked", "replica(s) " + String.join(", ", parkedNow) + " parked in place" + idleFor + idleMsg);
            metrics.scaledDown("park", need.phase().name());
        }
        if (!resumed.isEmpty()) {
            events.normal(wl, "Resumed", "replica(s) " + String.join(", ", resumed) + " back on their whole device, in place"
                    + (moved == 0 ? "" : "; " + moved + " parked replica(s) of other workloads moved off it"));
        }
        return resumeDeferred;
    }

    /**
     * A workload is gone or marked for deletion (or carries the finalizer earlier builds added): its pods are deleted
     * now rather than when garbage collection gets to them, so the next pending workload can have the devices at once,
     * and what the operator kept about it is forgotten. Idempotent; a workload recreated under the same name since is
     * left alone.
     */
    private void ending(AIWorkload wl, boolean gone) {
        String ns = wl.getMetadata().getNamespace();
        String name = wl.getMetadata().getName();
        if (wl.hasFinalizer(Annotations.FINALIZER)) {
            try {
                finalizers.remove(wl, Annotations.FINALIZER);
            } catch (RuntimeException e) {
                LOG.warnf("could not remove the finalizer %s from %s/%s (the next change tries again): %s",
                        Annotations.FINALIZER, ns, name, e.getMessage());
            }
        }
        if (!gone && !wl.isMarkedForDeletion()) return;
        AIWorkload now = snapshot.workload(ns, name);
        if (now != null && !java.util.Objects.equals(now.getMetadata().getUid(), wl.getMetadata().getUid())) return;
        released(wl);
    }

    private void released(AIWorkload wl) {
        String ns = wl.getMetadata().getNamespace();
        String uid = wl.getMetadata().getUid();
        for (Pod p : snapshot.podsOf(ns, wl.getMetadata().getName())) {
            // only this workload's pods, not those of one recreated under the same name since
            boolean ours = uid == null || p.getMetadata().getOwnerReferences().stream()
                    .anyMatch(o -> Boolean.TRUE.equals(o.getController()) && uid.equals(o.getUid()));
            if (ours) binder.delete(p);
        }
        snapshot.releaseWorkload(ns + "/" + wl.getMetadata().getName());
        idle.forget(ns + "/" + wl.getMetadata().getName());
        scaledToZero.remove(ns + "/" + wl.getMetadata().getName());
        wouldPark.remove(ns + "/" + wl.getMetadata().getName());
        priorityWarned.remove(ns + "/" + wl.getMetadata().getName());
        admissionRetries.remove(ns + "/" + wl.getMetadata().getName());
        waitingDetails.forget(ns + "/" + wl.getMetadata().getName());
        if (preemption != null) preemption.forget(ns + "/" + wl.getMetadata().getName());
        loop.withdraw(ns + "/" + wl.getMetadata().getName());
        metrics.pending(ns + "/" + wl.getMetadata().getName(), null, null);
        events.forget(wl);
        LOG.infof("AIWorkload %s/%s deleted; its pods were deleted and their devices freed", ns, wl.getMetadata().getName());
    }

    /** Where the replicas run, from Plimsoll's records (the pods' own annotations are never read back). */
    private Placement placementOf(Map<Integer, Pod> byIndex) {
        if (byIndex.isEmpty()) return null;
        Placement pl = new Placement();
        double cost = 0;
        for (var e : byIndex.entrySet()) {
            PodRecord r = snapshot.record(e.getValue());
            if (r == null) continue;
            ReplicaPlacement rp = PodRecords.toStatus(r, e.getValue().getMetadata().getName());
            if (rp.getPodUid() == null) rp.setPodUid(e.getValue().getMetadata().getUid());
            if (pl.getPool() == null) pl.setPool(rp.getPool());
            pl.getReplicas().add(rp);
            cost += r.costPerHour();
        }
        pl.setCostPerHour(Units.round(cost, 2));
        return pl;
    }

    private String devicesOf(Map<Integer, Pod> byIndex) {
        if (byIndex.isEmpty()) return null;
        PodRecord first = snapshot.record(byIndex.values().iterator().next());
        if (first == null) return null;
        String model = snapshot.poolProfile(first.pool()).map(PoolProfile::model).orElse(null);
        model = model == null ? "" : model;
        String per;
        if (first.slot().mig() != null) per = "1x " + (model + " " + first.slot().mig().name()).trim();
        else if (!first.slot().devices().isEmpty() && first.milliPerDevice() < 1000) per = Units.fraction(first.milliPerDevice()) + "x " + model;
        else if (!first.slot().devices().isEmpty()) per = first.slot().devices().size() + "x " + model;
        else per = "CPU only";
        return byIndex.size() > 1 ? byIndex.size() + " x " + per.trim() : per.trim();
    }

    /**
     * The workload's live pods by replica index: only pods Plimsoll recorded for it. A pod that names this workload as
     * its controller without a record was not created by Plimsoll for it (a tenant can write owner references and
     * labels), or by a process that did not live to record it: it is deleted and the replica placed again.
     */
    private TreeMap<Integer, Pod> ownPods(AIWorkload wl) {
        String ns = wl.getMetadata().getNamespace();
        String key = ns + "/" + wl.getMetadata().getName();
        TreeMap<Integer, Pod> byIndex = new TreeMap<>();
        for (Pod p : snapshot.podsOf(ns, wl.getMetadata().getName())) {
            if (p.getMetadata().getDeletionTimestamp() != null) continue;
            PodRecord r = snapshot.record(p);
            if (r != null && r.workloadKey().equals(key)) {
                Pod other = byIndex.put(r.replica(), p);
                if (other != null) binder.delete(other); // never two pods for one replica (podsOf lists each pod once)
                continue;
            }
            if (key.equals(ClusterSnapshot.controllerWorkload(p)) && ownedBy(p, wl)) {
                binder.delete(p);
                events.warning(wl, "UnrecordedPod", "pod " + p.getMetadata().getName() + " names this workload as its controller, but Plimsoll"
                        + " has no record of creating it: deleted; Plimsoll places the replica itself");
            }
        }
        return byIndex;
    }

    private static boolean ownedBy(Pod p, AIWorkload wl) {
        return p.getMetadata().getOwnerReferences() != null && p.getMetadata().getOwnerReferences().stream()
                .anyMatch(o -> java.util.Objects.equals(o.getUid(), wl.getMetadata().getUid()));
    }

    /** The API server refused to create a pod (admission, Pod Security, quota, validation): the user must act. */
    record Refusal(int code, String message) {
        static Refusal of(RuntimeException e) {
            if (!(e instanceof io.fabric8.kubernetes.client.KubernetesClientException k)) return null;
            if (k.getCode() != 400 && k.getCode() != 403 && k.getCode() != 422) return null;
            String m = k.getStatus() != null && k.getStatus().getMessage() != null ? k.getStatus().getMessage() : k.getMessage();
            m = m == null ? "refused" : m.replaceAll("\\s+", " ");
            return new Refusal(k.getCode(), m.length() > 400 ? m.substring(0, 400) + "..." : m);
        }
    }

    /** Back-off of a workload whose pods the API server refuses: attempts so far, and when to try again. */
    /** @param reason the condition reason shown meanwhile: PodRefused (admission said no) or PodCreationFailed (5xx, timeout) */
    private record Backoff(int attempts, long until, String message, String reason) {}

    private final Map<String, Backoff> admissionRetries = new java.util.concurrent.ConcurrentHashMap<>();
    static final long REFUSAL_FIRST_RETRY_MS = 10_000;
    static final long REFUSAL_MAX_RETRY_MS = 600_000;

    /** The refusal in status; shown again by every reconcile during the back-off (it may start from a stale copy). */
    private static void showRefused(AIWorkloadStatus status, Long gen, Backoff backoff) {
        WorkloadStatusComposer.setState(status, WorkloadState.Pending, backoff.message());
        Conditions.set(status.getConditions(), "Placed", false, backoff.reason(), backoff.message(), gen);
        Conditions.set(status.getConditions(), "Ready", false, backoff.reason(), backoff.message(), gen);
    }

    private void refused(AIWorkload wl, Refusal refusal, String pod, int rolledBack) {
        String key = wl.getMetadata().getNamespace() + "/" + wl.getMetadata().getName();
        Backoff prev = admissionRetries.get(key);
        int attempts = prev == null ? 1 : prev.attempts() + 1;
        long delay = Math.min(REFUSAL_MAX_RETRY_MS, REFUSAL_FIRST_RETRY_MS << Math.min(10, attempts - 1));
        String msg = "the API server refused pod " + pod + " (HTTP " + refusal.code() + "): " + refusal.message()
                + (rolledBack > 0 ? "; the " + rolledBack + " gang member(s) already created were deleted (a gang starts whole or not at all)" : "")
                + "; fix spec.template or the namespace's policy; next try in " + (delay / 1000) + "s";
        admissionRetries.put(key, new Backoff(attempts, snapshot.clock().millis() + delay, msg, "PodRefused"));
        events.warning(wl, "PodRefused", msg);
        metrics.pending(key, wl.getSpec().getPhase().name(), "PodRefused");
    }

    /** A time Plimsoll wrote into status; a hand-edited, unreadable one counts as absent. */
    /** True when there are pods and every one was created at or after {@code since} (RFC 3339, API server time). */
    private static boolean allCreatedSince(java.util.Collection<Pod> pods, String since) {
        Instant t = parseInstant(since);
        if (t == null || pods.isEmpty()) return false;
        for (Pod p : pods) {
            Instant c = parseInstant(p.getMetadata().getCreationTimestamp());
            if (c == null || c.isBefore(t)) return false;
        }
        return true;
    }

    private static Instant parseInstant(String s) {
        try {
            return s == null ? null : Instant.parse(s);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private static String podPhase(Pod p) {
        return p.getStatus() == null || p.getStatus().getPhase() == null ? "Pending" : p.getStatus().getPhase();
    }

    private static String failureReason(Pod p) {
        if (p.getStatus() != null && p.getStatus().getContainerStatuses() != null) {
            for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
                if (cs.getState() != null && cs.getState().getTerminated() != null) {
                    var t = cs.getState().getTerminated();
                    return "container " + cs.getName() + " exited with code " + t.getExitCode()
                            + (t.getReason() == null ? "" : " (" + t.getReason() + ")");
                }
            }
        }
        return p.getStatus() != null && p.getStatus().getMessage() != null ? p.getStatus().getMessage() : "pod phase Failed";
    }

    private static String reasonOf(AIWorkloadStatus s, String type) {
        var c = Conditions.get(s.getConditions(), type);
        return c == null ? null : c.getReason();
    }

    private static AIWorkloadStatus copy(AIWorkloadStatus s) {
        if (s == null) return null;
        return JSON.convertValue(s, AIWorkloadStatus.class);
    }

    private final WaitingDetails waitingDetails = new WaitingDetails();

    private static boolean sameStatus(AIWorkloadStatus a, AIWorkloadStatus b) {
        if (a == null) return false;
        return JSON.valueToTree(a).equals(JSON.valueToTree(b));
    }

    /** What the /scale subresource reports to autoscalers: the replica pods that exist, and the selector of its pods. */
    private void setScaleStatus(AIWorkload wl, AIWorkloadStatus status) {
        status.setReplicas(snapshot.liveReplicas(wl.getMetadata().getNamespace(), wl.getMetadata().getName()));
        status.setSelector(PodBinder.selector(wl));
    }
}
