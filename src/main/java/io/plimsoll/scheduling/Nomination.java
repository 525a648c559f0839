package io.plimsoll.scheduling;

import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.NodeState;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PlacementDecision;
import io.plimsoll.engine.PlacementEngine;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.ReplicaSlot;

import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The nodes held for the head of the queue when it does not fit yet, as kube-scheduler nominates a node: the nodes
 * of a pool that could take it if they were empty, those closest to taking it now (the most free devices, then CPU).
 * Work behind the head may not be placed on them, so they empty out for the head however much small work keeps
 * arriving: a 4x8 gang is not starved by a stream of 1-GPU jobs. Pure.
 */
public final class Nomination {
    private Nomination() {}

    /**
     * @param previous the head's nomination from the last cycle: kept while its nodes still serve (so the nodes
     *                 being emptied do not change under the head)
     * @return the node names held for the head; empty when no pool could take it even empty
     */
    public static Set<String> nodesFor(Need need, ClusterState state, PhaseRules rules, PlacementEngine engine, Set<String> previous) {
        Set<String> best = Set.of();
        long bestFree = -1;
        for (PoolProfile pool : state.pools()) {
            if (!rules.pools().isEmpty() && !rules.pools().contains(pool.name())) continue;
            PhaseRules only = new PhaseRules(List.of(pool.name()), rules.poolOrder(), rules.allowSharing(), rules.strategy());
            PlacementDecision ifEmpty = engine.place(need, state.withPoolEmptied(pool.name()), only);
            if (!ifEmpty.placed()) continue;
            int nodes = (int) ifEmpty.slots().stream().map(ReplicaSlot::node).distinct().count();
            List<NodeState> candidates = state.nodesOf(pool.name()).stream()
                    .filter(n -> n.schedulable() && io.plimsoll.engine.NodeConstraints.mismatch(need.constraints(), n.name(), n.traits()) == null)
                    .sorted(Comparator.comparingLong(Nomination::free).reversed().thenComparing(NodeState::name)).toList();
            if (candidates.size() < nodes) continue;
            if (previous != null && previous.size() == nodes
                    && candidates.stream().map(NodeState::name).toList().containsAll(previous)) {
                return previous;
            }
            Set<String> chosen = new LinkedHashSet<>();
            long total = 0;
            for (NodeState n : candidates.subList(0, nodes)) {
                chosen.add(n.name());
                total += free(n);
            }
            if (total > bestFree) {
                bestFree = total;
                best = chosen;
            }
        }
        return best;
    }

    /** How close a node is to holding more: free device thousandths first, then free CPU. */
    private static long free(NodeState n) {
        long devices = 0;
        for (int d = 0; d < n.deviceCount(); d++) devices += n.deviceFreeMilli(d);
        return devices * 1_000_000L + Math.max(0, n.cpuMilliFree()) / 1000;
    }

    /**
     * Places work that is not the head while nodes are held for the head: away from the held nodes, or on them only
     * where it takes no more than a share of a device already in use (which delays nothing the head needs).
     */
    public static PlacementDecision backfill(PlacementEngine engine, Need need, ClusterState state, PhaseRules rules, Set<String> held) {
        if (held.isEmpty()) return engine.place(need, state, rules);
        PlacementDecision away = engine.place(need, state.excluding(held), rules);
        if (away.placed()) return away;
        PlacementDecision anywhere = engine.place(need, state, rules);
        boolean harmless = anywhere.placed() && anywhere.slots().stream().allMatch(s -> !held.contains(s.node())
                || (s.fractionMilli() > 0 && s.devices().size() == 1 && state.node(s.node()).deviceUsedMilli(s.devices().get(0)) > 0));
        return harmless ? anywhere : away;
    }
}
