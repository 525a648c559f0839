package io.plimsoll.reconciler;

import io.plimsoll.api.AIWorkloadStatus;
import io.plimsoll.api.PoolRejection;
import io.plimsoll.api.QueueStatus;
import io.plimsoll.api.WorkloadState;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which status changes of a waiting workload are written at once, and which wait out the interval. */
class WaitingDetailsTest {
    private final WaitingDetails details = new WaitingDetails(30_000);

    private static AIWorkloadStatus pending(int free, int position, QueueStatus.Reason reason, String... pools) {
        AIWorkloadStatus s = new AIWorkloadStatus();
        s.setState(WorkloadState.Pending);
        s.setObservedGeneration(1L);
        s.setMessage("cannot place 1 of 1 replica(s): at most " + free + " cores free");
        Conditions.set(s.getConditions(), "Placed", false, "Unschedulable", "at most " + free + " cores free", 1L);
        s.getConditions().get(0).setLastTransitionTime("2026-12-01T00:00:00Z");
        QueueStatus q = new QueueStatus();
        q.setPosition(position);
        q.setOf(10);
        q.setReason(reason);
        s.setQueue(q);
        List<PoolRejection> why = new ArrayList<>();
        for (String p : pools) why.add(new PoolRejection(p, "at most " + free + " cores free"));
        s.setUnplaceable(why);
        return s;
    }

    @Test
    void detailsAloneAreWrittenOncePerInterval() {
        AIWorkloadStatus a = pending(3, 2, QueueStatus.Reason.Unschedulable, "g2"), b = pending(2, 1, QueueStatus.Reason.Unschedulable, "g2");
        assertEquals(0, details.writableAt("ns/w", a, b, 1_000), "the first change of details: at once");
        assertEquals(31_000, details.writableAt("ns/w", b, a, 5_000), "another within the interval: when it ends");
        assertEquals(31_000, details.writableAt("ns/w", b, a, 20_000), "still the same end");
        assertEquals(0, details.writableAt("ns/w", b, a, 31_000), "the interval is over");
        assertEquals(0, details.writableAt("ns/other", a, b, 31_001), "each workload has its own interval");
    }

    @Test
    void whatChangesMeaningIsWrittenAtOnce() {
        AIWorkloadStatus a = pending(3, 2, QueueStatus.Reason.Unschedulable, "g2");
        details.writableAt("ns/w", a, pending(2, 2, QueueStatus.Reason.Unschedulable, "g2"), 0); // details written at 0

        assertEquals(0, details.writableAt("ns/w", a, pending(3, 2, QueueStatus.Reason.Quota, "g2"), 1), "the queue's reason");
        details.writableAt("ns/w", a, pending(2, 2, QueueStatus.Reason.Unschedulable, "g2"), 2);
        assertEquals(0, details.writableAt("ns/w", a, pending(3, 2, QueueStatus.Reason.Unschedulable, "g2", "t4"), 3), "which pools refuse it");

        details.writableAt("ns/w", a, pending(2, 2, QueueStatus.Reason.Unschedulable, "g2"), 4);
        AIWorkloadStatus reason = pending(3, 2, QueueStatus.Reason.Unschedulable, "g2");
        reason.getConditions().get(0).setReason("QuotaExceeded");
        assertEquals(0, details.writableAt("ns/w", a, reason, 5), "a condition's reason");

        details.writableAt("ns/w", a, pending(2, 2, QueueStatus.Reason.Unschedulable, "g2"), 6);
        AIWorkloadStatus newGeneration = pending(3, 2, QueueStatus.Reason.Unschedulable, "g2");
        newGeneration.setObservedGeneration(2L);
        assertEquals(0, details.writableAt("ns/w", a, newGeneration, 7), "a new generation");

        details.writableAt("ns/w", a, pending(2, 2, QueueStatus.Reason.Unschedulable, "g2"), 8);
        AIWorkloadStatus placed = pending(3, 2, QueueStatus.Reason.Unschedulable, "g2");
        placed.setState(WorkloadState.Placed);
        assertEquals(0, details.writableAt("ns/w", a, placed, 9), "a new state");
        assertEquals(0, details.writableAt("ns/w", a, pending(1, 1, QueueStatus.Reason.Unschedulable, "g2"), 10),
                "after a change of meaning, the next details go at once");
    }
}
