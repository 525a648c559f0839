package io.plimsoll.engine;

import java.util.List;

/**
 * The placement policy's rules for one phase, resolved to engine terms.
 *
 * @param pools eligible pools in order of preference; empty means all pools that accept the phase
 */
public record PhaseRules(List<String> pools, PoolOrder poolOrder, boolean allowSharing, PackingStrategy strategy) {

    public static final PhaseRules DEFAULT = new PhaseRules(List.of(), PoolOrder.Cheapest, true, PackingStrategy.BestFit);

    public PhaseRules {
        pools = pools == null ? List.of() : List.copyOf(pools);
        poolOrder = poolOrder == null ? PoolOrder.Cheapest : poolOrder;
        strategy = strategy == null ? PackingStrategy.BestFit : strategy;
    }
}
