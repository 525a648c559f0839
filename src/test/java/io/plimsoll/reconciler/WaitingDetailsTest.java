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
        assertEquals(0, details.writableAt("ns/w", null, a, 1_000), "its first status: at once");
        assertEquals(31_000, details.writableAt("ns/w", a, b, 5_000), "details within the interval of that write: when it ends");
        assertEquals(31_000, details.writableAt("ns/w", a, b, 20_000), "still the same end");
        assertEquals(0, details.writableAt("ns/w", a, b, 31_000), "the interval is over");
        assertEquals(61_000, details.writableAt("ns/w", b, a, 31_001), "and the next one counts from then");
        assertEquals(0, details.writableAt("ns/other", null, a, 31_002), "each workload has its own interval");
        assertEquals(61_003, details.writableAt("ns/unknown", a, b, 31_003),
                "a workload not seen written (after a restart) waits a whole interval, so a restart rewrites nothing");
    }

    private static AIWorkloadStatus queued(int position) {
        AIWorkloadStatus s = new AIWorkloadStatus();
        s.setObservedGeneration(1L);
        QueueStatus q = new QueueStatus();
        q.setPosition(position);
        q.setOf(5_000);
        q.setReason(QueueStatus.Reason.Queued);
        s.setQueue(q);
        return s;
    }

    /**
     * A workload the loop has not tried yet is said to be queued only when the loop has not answered within
     * {@link WaitingDetails#FIRST_QUEUED_MS}; from then on its place in line is a detail. The loop's answer is written at once.
     */
    @Test
    void aWorkloadNotTriedYetIsSaidToBeQueuedOnlyAfterAWhileAndItsPlaceInLineIsADetail() {
        long first = WaitingDetails.FIRST_QUEUED_MS;
        assertEquals(1_000 + first, details.writableAt("ns/w", null, queued(4_000), 1_000), "not at once: the loop may answer first");
        assertEquals(1_000 + first, details.writableAt("ns/w", new AIWorkloadStatus(), queued(3_000), 2_000), "counted from the first ask");
        assertEquals(0, details.writableAt("ns/w", null, pending(3, 2_000, QueueStatus.Reason.Unschedulable, "g2"), 3_000),
                "the loop's answer: at once");

        assertEquals(10_000 + first, details.writableAt("ns/slow", null, queued(4_000), 10_000));
        assertEquals(0, details.writableAt("ns/slow", null, queued(3_500), 10_000 + first), "still not tried: said now");
        assertEquals(10_000 + first + 30_000, details.writableAt("ns/slow", queued(3_500), queued(2_000), 20_000),
                "its place in line is a detail: written once per interval");
        assertEquals(0, details.writableAt("ns/slow", queued(3_500), pending(3, 2_000, QueueStatus.Reason.Unschedulable, "g2"), 20_001),
                "tried: at once");
        assertEquals(1_000 + first, details.writableAt("ns/placed", null, queued(1), 1_000));
        AIWorkloadStatus placed = pending(3, 2, QueueStatus.Reason.Unschedulable, "g2");
        placed.setState(WorkloadState.Placed);
        placed.setQueue(null);
        assertEquals(0, details.writableAt("ns/placed", null, placed, 1_001), "placed: at once");
        details.forget("ns/w");
    }

    @Test
    void theIntervalGrowsWithTheQueueSoAllDetailsKeepToTheirRate() {
        for (int i = 0; i < 3_600; i++) details.writableAt("ns/w" + i, null, pending(3, i + 1, QueueStatus.Reason.Unschedulable, "g2"), 0);
        assertEquals(360_000, details.interval(), "3,600 waiting at 10 detail writes a second: each every 6 minutes");
        AIWorkloadStatus a = pending(3, 2, QueueStatus.Reason.Unschedulable, "g2"), b = pending(2, 1, QueueStatus.Reason.Unschedulable, "g2");
        assertEquals(360_000, details.writableAt("ns/w0", a, b, 30_000));
        AIWorkloadStatus placed = pending(3, 2, QueueStatus.Reason.Unschedulable, "g2");
        placed.setState(WorkloadState.Placed);
        for (int i = 0; i < 3_000; i++) assertEquals(0, details.writableAt("ns/w" + i, a, placed, 30_000));
        assertEquals(60_000, details.interval(), "600 left waiting");
        assertEquals(0, details.writableAt("ns/w3000", a, b, 60_000));
        for (int i = 3_001; i < 3_600; i++) details.forget("ns/w" + i);
        assertEquals(30_000, details.interval(), "never shorter than 30 s");
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
        assertEquals(0, details.writableAt("ns/w", placed, pending(1, 1, QueueStatus.Reason.Unschedulable, "g2"), 10),
                "back to waiting: a change of meaning, written with its details");
        assertEquals(30_010, details.writableAt("ns/w", a, pending(2, 2, QueueStatus.Reason.Unschedulable, "g2"), 12),
                "so the next details wait the interval from that write");
    }
}
