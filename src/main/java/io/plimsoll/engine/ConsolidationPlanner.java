package io.plimsoll.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Which node to empty so it can leave its pool, as a pure function: the least used node below the pool's threshold
 * whose work may all move and would fit elsewhere. The operator's pool scaler ({@code PoolScaler}) and
 * {@code simulate serving} both call it; each says what may move and where it would fit.
 */
public final class ConsolidationPlanner {
    private ConsolidationPlanner() {}

    /** A pool's default consolidateBelowPercent. */
    public static final int DEFAULT_BELOW_PERCENT = 50;

    /** A node of the pool: its devices' use and capacity, in thousandths of a device. */
    public record Node(String name, int usedMilli, int capacityMilli) {
        double usedPercent() {
            return capacityMilli == 0 ? 100 : 100.0 * usedMilli / capacityMilli;
        }
    }

    /**
     * @param node    the node to empty, or null
     * @param blocked why the last lightly used node tried could not be emptied (null when none was, or one was chosen)
     */
    public record Choice(String node, String blocked) {}

    /**
     * @param nodes        the pool's schedulable nodes, in the caller's order (ties keep it)
     * @param belowPercent only nodes used more than 0 and less than this percent are emptied
     * @param whyNot       for a node: null when all its work may move and would fit on the others, else why not
     */
    public static Choice choose(List<Node> nodes, int belowPercent, Function<String, String> whyNot) {
        List<Node> lightly = new ArrayList<>();
        for (Node n : nodes) {
            if (n.capacityMilli() > 0 && n.usedMilli() > 0 && n.usedPercent() < belowPercent) lightly.add(n);
        }
        lightly.sort(Comparator.comparingInt(Node::usedMilli));
        String blocked = null;
        for (Node n : lightly) {
            String why = whyNot.apply(n.name());
            if (why == null) return new Choice(n.name(), null);
            blocked = n.name() + ": " + why;
        }
        return new Choice(null, blocked);
    }
}
