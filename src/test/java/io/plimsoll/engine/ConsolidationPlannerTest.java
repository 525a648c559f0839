package io.plimsoll.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.plimsoll.engine.ConsolidationPlanner.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which node consolidation empties, as the operator's pool scaler and simulate serving both decide it. */
class ConsolidationPlannerTest {
    static final List<Node> POOL = List.of(new Node("busy", 6000, 8000), new Node("light", 1500, 8000),
            new Node("lighter", 500, 8000), new Node("empty", 0, 8000), new Node("half", 4000, 8000));

    @Test
    void theLeastUsedNodeBelowTheThresholdWhoseWorkMayMoveGoesFirst() {
        List<String> asked = new ArrayList<>();
        var choice = ConsolidationPlanner.choose(POOL, 50, n -> { asked.add(n); return null; });
        assertEquals("lighter", choice.node());
        assertEquals(List.of("lighter"), asked, "an empty node needs no consolidation; it leaves by the idle rule");
    }

    @Test
    void aNodeThatCannotBeEmptiedIsSkippedAndTheLastReasonIsKept() {
        Map<String, String> why = Map.of("lighter", "a notebook is in use", "light", "would not fit elsewhere");
        var choice = ConsolidationPlanner.choose(POOL, 50, why::get);
        assertNull(choice.node());
        assertEquals("light: would not fit elsewhere", choice.blocked());
        assertEquals("light", ConsolidationPlanner.choose(POOL, 50, n -> n.equals("lighter") ? "no" : null).node());
    }

    @Test
    void nodesAtOrAboveTheThresholdStay() {
        assertNull(ConsolidationPlanner.choose(List.of(new Node("half", 4000, 8000)), 50, n -> null).node(), "50 % is not below 50 %");
        assertEquals("half", ConsolidationPlanner.choose(List.of(new Node("half", 4000, 8000)), 51, n -> null).node());
        var none = ConsolidationPlanner.choose(List.of(new Node("busy", 6000, 8000)), 50, n -> null);
        assertNull(none.blocked(), "nothing lightly used: nothing to say");
    }
}
