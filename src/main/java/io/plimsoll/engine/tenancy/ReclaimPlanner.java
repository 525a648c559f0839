package io.plimsoll.engine.tenancy;

import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.tenancy.TenantLedger.Charge;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Preemption for a workload that is admitted but does not fit, as Kueue's and KAI's reclaim and preempt actions do it:
 * <ol>
 * <li><b>Reclaim</b>: when its tenant stays within its guarantee with it, capacity is taken back from tenants that
 * borrow. Only work above a victim tenant's guarantee may go (a tenant is never taken below its guarantee, so work
 * within another tenant's guarantee is never taken).</li>
 * <li><b>Priority</b>: otherwise (or when reclaim cannot make it fit), the tenant's own strictly lower-priority
 * work.</li>
 * </ol>
 * Victims are whole workloads (a gang goes whole), only of phases the policy lets be preempted, in this order:
 * parked first, then lowest priority, then most recently started. The fewest victims that make it fit are taken:
 * for one replica, node by node (all candidates on a node out, then each given back while it still fits, the
 * node with the fewest victims wins, as kube-scheduler's preemption; among as few of comparable size, the ones that
 * lose the least progress, a victim that checkpoints on SIGTERM losing none); for several replicas, in order until it
 * fits, then each given back while it still fits. The fit is always the real {@link PlacementEngine} on a copy of the
 * state with the victims' slots released. Pure.
 */
public final class ReclaimPlanner {

    public enum Reason {
        /** Taken back from a tenant borrowing above its guarantee, for a tenant within its guarantee. */
        Reclaim,
        /** The tenant's own lower-priority work, for its higher-priority work. */
        Priority
    }

    /**
     * The workload that waits.
     *
     * @param claimedGpuEq what the tenant already has coming (earlier preemptions for it still in their grace period),
     *                     counted against its guarantee as if it ran
     * @param nowMillis    the time now, on the clock of the charges' start times, so that among equally few victims
     *                     taking within a factor 2 of the same GPU-eq, the ones that lose the least progress (GPU-eq x
     *                     time run; none for a victim that checkpoints on SIGTERM) are taken; {@link Long#MIN_VALUE}
     *                     when unknown (then checkpointing victims first, then the least GPU-eq)
     */
    public record Waiting(String tenant, String workload, int priority, Need need, PhaseRules rules, double claimedGpuEq,
                          long nowMillis) {
        public Waiting(String tenant, String workload, int priority, Need need, PhaseRules rules, double claimedGpuEq) {
            this(tenant, workload, priority, need, rules, claimedGpuEq, Long.MIN_VALUE);
        }
    }

    /**
     * Preempt these workloads, after the grace period, so the waiting one fits.
     *
     * @param workloads the victim workloads (whole gangs)
     * @param replicas  their replicas
     * @param gpuEq     what they are charged in all
     */
    public record Preempt(List<String> workloads, List<Charge> replicas, Reason reason, long graceSeconds, double gpuEq) {}

    /**
     * @param checkpoints every replica's workload declares it checkpoints on SIGTERM: it loses no progress
     * @param order       its place in the ledger (first charge), for sums in the ledger's order
     * @param phases      the replicas' phases; null when a replica has no phase or no known slot (it may not go)
     */
    private record Gang(int order, String workload, String tenant, List<Charge> replicas, double gpuEq, boolean parked, int priority, long start,
                        boolean checkpoints, Set<WorkloadPhase> phases) {}

    private static final Comparator<Gang> ORDER = Comparator.comparing((Gang g) -> !g.parked())
            .thenComparingInt(Gang::priority).thenComparing(Comparator.comparingLong(Gang::start).reversed())
            .thenComparing(Gang::workload);

    private final PlacementEngine engine;
    private final Charges charges;
    private final Set<WorkloadPhase> preemptible;
    private final long graceSeconds;

    /**
     * @param preemptible  phases the policy lets be preempted
     * @param graceSeconds how long a victim has to stop (its pod's termination grace period)
     */
    public ReclaimPlanner(PlacementEngine engine, Charges charges, Set<WorkloadPhase> preemptible, long graceSeconds) {
        this.engine = engine;
        this.charges = charges;
        this.preemptible = preemptible.isEmpty() ? EnumSet.noneOf(WorkloadPhase.class) : EnumSet.copyOf(preemptible);
        this.graceSeconds = graceSeconds;
    }

    /**
     * @param terminating workloads already being preempted (in their grace period): never chosen again, and what they
     *                    hold no longer counts as a victim tenant's borrowing
     * @return what to preempt, or empty when nothing may be taken or nothing taken would make it fit
     */
    public Optional<Preempt> plan(Waiting w, TenantLedger ledger, ClusterState state, Set<String> terminating) {
        return plan(w, ledger, () -> state, terminating);
    }

    /**
     * As {@link #plan(Waiting, TenantLedger, ClusterState, Set)}, with the state asked for only when some work may be
     * taken (most waiting work has no candidate at all, and a caller's state can be costly to make).
     */
    public Optional<Preempt> plan(Waiting w, TenantLedger ledger, java.util.function.Supplier<ClusterState> stateIfNeeded,
                                  Set<String> terminating) {
        String t = ledger.tenantOf(w.tenant());
        double room = ledger.guaranteed(t) - ledger.used(t) - w.claimedGpuEq();
        boolean reclaim = room > Admission.EPS; // other tenants' work is a candidate only for reclaim
        Gangs gangs = gangs(ledger);
        // What the terminating hold no longer counts as borrowing, summed in the ledger's order (as every sum here).
        List<Gang> stopping = new ArrayList<>();
        for (String name : terminating) {
            Gang g = gangs.byWorkload().get(name);
            if (g != null) stopping.add(g);
        }
        stopping.sort(Comparator.comparingInt(Gang::order));
        Map<String, Double> leaving = new HashMap<>();
        for (Gang g : stopping) leaving.merge(g.tenant(), g.gpuEq(), Double::sum);
        List<Gang> others = new ArrayList<>(), own = new ArrayList<>();
        // Its own tenant's strictly lower priority work (the lists are by priority, lowest first); other tenants' work
        // only for reclaim. The cheap tests before the replicas' phases.
        for (Gang g : gangs.byTenant().getOrDefault(t, List.of())) {
            if (g.priority() >= w.priority()) break;
            if (!terminating.contains(g.workload()) && !g.workload().equals(w.workload()) && mayGo(g)) own.add(g);
        }
        if (reclaim) {
            // Every gang in ORDER already (made once per ledger): filtering keeps it, so no sort per plan.
            Map<String, Double> budget = new HashMap<>();
            for (Gang g : inOrder(ledger)) {
                if (g.tenant().equals(t) || g.workload().equals(w.workload()) || !mayGo(g)) continue;
                double b = budget.computeIfAbsent(g.tenant(), o -> ledger.borrowed(o) - leaving.getOrDefault(o, 0.0));
                if (b < g.gpuEq() - Admission.EPS || terminating.contains(g.workload())) continue;
                others.add(g);
            }
            if (!others.isEmpty()) {
                Optional<Preempt> p = search(w, others, budget, room, stateIfNeeded.get(), Reason.Reclaim);
                if (p.isPresent()) return p;
            }
        }
        if (own.isEmpty()) return Optional.empty();
        own.sort(ORDER);
        return search(w, own, null, Double.POSITIVE_INFINITY, stateIfNeeded.get(), Reason.Priority);
    }

    /** Whether the waiting work fits on the node (as it was) with only {@code g}'s replicas taken off it. */
    private boolean fitsWithoutOnly(Gang g, NodeState original, ClusterState state, Waiting w, double room) {
        NodeState alone = original.copy();
        ClusterState solo = new ClusterState();
        state.pools().forEach(solo::addPool);
        solo.addNode(alone);
        release(alone, g);
        return fits(w, solo, room);
    }

    private boolean mayGo(Gang g) {
        return g.phases() != null && preemptible.containsAll(g.phases());
    }

    /**
     * Every workload's replicas as one gang, by workload and by tenant (each tenant's by priority, lowest first, then
     * in the ledger's order); made once per ledger, so that a plan reads only the gangs it may take, not every charge.
     */
    private record Gangs(Map<String, Gang> byWorkload, Map<String, List<Gang>> byTenant) {}

    /** Key of {@link #inOrder} among a ledger's derived values. */
    private static final Object IN_ORDER = new Object();

    /** Every gang of the ledger in {@link #ORDER}: made once per ledger, and only for a ledger some reclaim reads. */
    private static List<Gang> inOrder(TenantLedger ledger) {
        Gangs gangs = gangs(ledger); // first: a derived value may not ask for another
        return ledger.derived(IN_ORDER, l -> {
            List<Gang> all = new ArrayList<>(gangs.byWorkload().values());
            all.sort(ORDER);
            return List.copyOf(all);
        });
    }

    private static Gangs gangs(TenantLedger ledger) {
        return ledger.derived(Gangs.class, l -> {
            Map<String, Gang> byWorkload = new HashMap<>();
            Map<String, List<Gang>> byTenant = new LinkedHashMap<>();
            l.byWorkload().forEach((workload, cs) -> {
                Gang g = gang(byWorkload.size(), workload, cs, l);
                byWorkload.put(workload, g);
                byTenant.computeIfAbsent(g.tenant(), k -> new ArrayList<>()).add(g);
            });
            byTenant.replaceAll((k, v) -> {
                v.sort(Comparator.comparingInt(Gang::priority)); // stable: the ledger's order within a priority
                return List.copyOf(v);
            });
            return new Gangs(byWorkload, byTenant);
        });
    }

    private static Gang gang(int order, String workload, List<Charge> cs, TenantLedger ledger) {
        double eq = 0;
        boolean parked = true, checkpoints = true;
        int priority = Integer.MIN_VALUE;
        long start = Long.MIN_VALUE;
        for (Charge c : cs) {
            eq += c.gpuEq();
            parked &= c.parked();
            checkpoints &= c.checkpoints();
            priority = Math.max(priority, c.priority());
            start = Math.max(start, c.startMillis());
        }
        Set<WorkloadPhase> phases = EnumSet.noneOf(WorkloadPhase.class);
        for (Charge c : cs) {
            if (c.slot() == null || c.phase() == null) {
                phases = null;
                break;
            }
            phases.add(c.phase());
        }
        return new Gang(order, workload, ledger.tenantOf(cs.get(0).tenant()), cs, eq, parked, priority, start, checkpoints, phases);
    }

    /**
     * The fewest candidates (in order) that make it fit, taking from each victim tenant at most its budget, and the
     * waiting workload's charge at most {@code room}.
     */
    private Optional<Preempt> search(Waiting w, List<Gang> candidates, Map<String, Double> budget, double room,
                                     ClusterState state, Reason reason) {
        if (candidates.isEmpty()) return Optional.empty();
        List<Gang> best = w.need().replicas() <= 1 ? byNode(w, candidates, budget, room, state) : inOrder(w, candidates, budget, room, state);
        if (best == null || best.isEmpty()) return Optional.empty();
        List<String> names = new ArrayList<>();
        List<Charge> replicas = new ArrayList<>();
        double eq = 0;
        for (Gang g : best) {
            names.add(g.workload());
            replicas.addAll(g.replicas());
            eq += g.gpuEq();
        }
        return Optional.of(new Preempt(List.copyOf(names), List.copyOf(replicas), reason, graceSeconds, eq));
    }

    /** One replica: node by node, the node that needs the fewest victims (then the least GPU-eq taken). */
    private List<Gang> byNode(Waiting w, List<Gang> candidates, Map<String, Double> budget, double room, ClusterState state) {
        Map<String, List<Gang>> onNode = new LinkedHashMap<>();
        for (Gang g : candidates) {
            for (Charge c : g.replicas()) {
                List<Gang> l = onNode.computeIfAbsent(c.slot().node(), k -> new ArrayList<>());
                if (!l.contains(g)) l.add(g);
            }
        }
        Map<String, NodeState> nodes = new HashMap<>();
        for (NodeState n : state.nodes()) if (onNode.containsKey(n.name())) nodes.put(n.name(), n);
        List<Gang> best = null;
        double bestEq = 0, bestLost = 0;
        for (var e : onNode.entrySet()) {
            NodeState original = nodes.get(e.getKey());
            if (original == null) continue;
            List<Gang> taken = within(e.getValue(), budget);
            if (taken.isEmpty()) continue;
            ClusterState one = new ClusterState();
            state.pools().forEach(one::addPool);
            NodeState node = original.copy();
            one.addNode(node);
            for (Gang g : taken) release(node, g);
            if (!roomFor(node, w.need()) || !fits(w, one, room)) continue;
            // Give back each victim, most protected first, while the waiting replica still fits without it.
            for (int i = taken.size() - 1; i >= 0; i--) {
                Gang g = taken.get(i);
                apply(node, g);
                if (fits(w, one, room)) taken.remove(i);
                else release(node, g);
            }
            if (taken.isEmpty()) return List.of(); // it fits as it is: nothing to preempt
            if (taken.size() > 1) {
                // Giving back the most protected first can keep a big victim and take several small ones: one alone
                // that makes room is fewer.
                for (Gang g : within(e.getValue(), budget)) {
                    if (fitsWithoutOnly(g, original, state, w, room)) {
                        taken = new ArrayList<>(List.of(g));
                        break;
                    }
                }
            }
            double eq = taken.stream().mapToDouble(Gang::gpuEq).sum();
            double lost = lost(taken, w.nowMillis());
            if (taken.size() == 1 && !taken.get(0).checkpoints()) {
                // One victim that would lose its progress: a checkpointing one on the node that makes room alone, of
                // comparable size, loses none (only checkpointing ones are tried, so without them nothing changes).
                // Alone, every candidate is within its tenant's budget (plan() keeps no other).
                for (Gang g : e.getValue()) {
                    if (!g.checkpoints() || g == taken.get(0)) continue;
                    List<Gang> alternative = List.of(g);
                    double gLost = lost(alternative, w.nowMillis());
                    if (!better(1, g.gpuEq(), gLost, taken.size(), eq, lost)) continue;
                    if (fitsWithoutOnly(g, original, state, w, room)) {
                        taken = new ArrayList<>(alternative);
                        eq = g.gpuEq();
                        lost = gLost;
                    }
                }
            }
            if (best == null || better(taken.size(), eq, lost, best.size(), bestEq, bestLost)) {
                best = taken;
                bestEq = eq;
                bestLost = lost;
            }
        }
        if (best == null) return null;
        ClusterState whatIf = state.copy();
        for (Gang g : best) releaseAll(whatIf, g);
        return fits(w, whatIf, room) ? best : null;
    }

    /**
     * Whether taking {@code n} victims of {@code eq} GPU-eq that lose {@code lost} is better than the best so far: fewer
     * victims; as many, far apart in GPU-eq (more than a factor 2), the smaller (more would be freed than needed); of
     * comparable size, the least progress lost, then the least GPU-eq.
     */
    private static boolean better(int n, double eq, double lost, int bestN, double bestEq, double bestLost) {
        if (n != bestN) return n < bestN;
        boolean near = eq <= 2 * bestEq + Admission.EPS && bestEq <= 2 * eq + Admission.EPS;
        return near && Math.abs(lost - bestLost) > Admission.EPS ? lost < bestLost : eq < bestEq - Admission.EPS;
    }

    /**
     * The progress the victims would lose: GPU-eq x milliseconds run; a victim that checkpoints on SIGTERM loses none.
     * When the time now is unknown, each other victim's GPU-eq (as if all had run as long), so that without
     * checkpointing victims this is the least GPU-eq.
     */
    private static double lost(List<Gang> victims, long now) {
        double l = 0;
        for (Gang g : victims) {
            if (g.checkpoints()) continue;
            for (Charge c : g.replicas()) l += now == Long.MIN_VALUE ? c.gpuEq() : c.gpuEq() * Math.max(0, now - c.startMillis());
        }
        return l;
    }

    /** Several replicas: candidates in order until it fits, then each given back while it still fits. */
    private List<Gang> inOrder(Waiting w, List<Gang> candidates, Map<String, Double> budget, double room, ClusterState state) {
        ClusterState whatIf = state.copy();
        List<Gang> taken = new ArrayList<>();
        boolean fits = false;
        for (Gang g : within(candidates, budget)) {
            releaseAll(whatIf, g);
            taken.add(g);
            if (fits(w, whatIf, room)) {
                fits = true;
                break;
            }
        }
        if (!fits) return null;
        for (int i = taken.size() - 2; i >= 0; i--) {
            Gang g = taken.get(i);
            applyAll(whatIf, g);
            if (fits(w, whatIf, room)) taken.remove(i);
            else releaseAll(whatIf, g);
        }
        return taken;
    }

    /** The candidates, in order, that fit in their tenants' budgets (null budget: no limit). */
    private static List<Gang> within(List<Gang> candidates, Map<String, Double> budget) {
        List<Gang> out = new ArrayList<>();
        Map<String, Double> left = budget == null ? null : new HashMap<>(budget);
        for (Gang g : candidates) {
            if (left != null) {
                double b = left.getOrDefault(g.tenant(), 0.0);
                if (g.gpuEq() > b + Admission.EPS) continue;
                left.put(g.tenant(), b - g.gpuEq());
            }
            out.add(g);
        }
        return out;
    }

    /**
     * A necessary condition of the engine's fit for one replica on one node (CPU, memory, devices), so that nodes that
     * cannot take it even with every candidate gone cost no engine call. MIG and TPU needs are left to the engine.
     */
    private static boolean roomFor(NodeState n, Need need) {
        if (!n.schedulable() || n.cpuMilliFree() < need.cpuMilli() || n.memoryBytesFree() < need.memoryBytes()) return false;
        if (!need.wantsAccelerator() || !n.migCapacity().isEmpty()) return true;
        if (need.fractional()) {
            for (int d = 0; d < n.deviceCount(); d++) if (n.deviceFreeMilli(d) >= need.fractionMilli()) return true;
            return false;
        }
        return n.wholeDevicesFree() >= need.count();
    }

    private boolean fits(Waiting w, ClusterState s, double room) {
        PlacementDecision d = engine.place(w.need(), s, w.rules());
        return d.placed() && charges.gpuEq(d) <= room + Admission.EPS;
    }

    private static void release(NodeState node, Gang g) {
        for (Charge c : g.replicas()) if (c.slot().node().equals(node.name())) node.release(c.slot());
    }

    private static void apply(NodeState node, Gang g) {
        for (Charge c : g.replicas()) if (c.slot().node().equals(node.name())) node.apply(c.slot());
    }

    private static void releaseAll(ClusterState s, Gang g) {
        for (Charge c : g.replicas()) {
            NodeState n = s.node(c.slot().node());
            if (n != null) n.release(c.slot());
        }
    }

    private static void applyAll(ClusterState s, Gang g) {
        for (Charge c : g.replicas()) {
            NodeState n = s.node(c.slot().node());
            if (n != null) n.apply(c.slot());
        }
    }
}
