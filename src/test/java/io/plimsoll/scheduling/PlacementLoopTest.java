package io.plimsoll.scheduling;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.plimsoll.engine.ClusterState;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.scheduling.PlacementLoop.Outcome;
import io.plimsoll.scheduling.PlacementLoop.Request;
import io.plimsoll.scheduling.PlacementLoop.Result;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What a cycle attempts again, and where a workload stands in line. */
class PlacementLoopTest {
    final List<String> attempted = new CopyOnWriteArrayList<>();
    final AtomicLong freed = new AtomicLong();
    volatile boolean room;

    Request request(String key, int priority, long arrival) {
        PlacementLoop.Attempt a = held -> {
            attempted.add(key);
            return Result.of(room ? Outcome.PLACED : Outcome.UNPLACEABLE);
        };
        return new Request(new PlacementQueue.Entry(key, priority, arrival), PlacementLoopGateTest.ONE, PhaseRules.DEFAULT, a);
    }

    @Test
    void aWaitingWorkloadHandedOverAgainUnchangedIsNotAttemptedUntilCapacityFrees() {
        PlacementLoop loop = new PlacementLoop(ClusterState::new, freed::get, k -> {});
        loop.enqueue(request("ns/a", 0, 1));
        loop.enqueue(request("ns/b", 0, 2));
        loop.cycle();
        assertEquals(List.of("ns/a", "ns/b"), attempted);
        assertEquals(new PlacementLoop.Standing(2, 2, loop.standing("ns/b").last(), 0), loop.standing("ns/b"));

        // Its reconcile looks again (every 30 s): same request, nothing freed since: no cycle, no attempt.
        assertFalse(loop.submit(request("ns/b", 0, 2)), "its last answer stands");
        loop.cycle();
        assertEquals(List.of("ns/a", "ns/b"), attempted, "a cycle passes both over");
        assertEquals(Outcome.UNPLACEABLE, loop.standing("ns/b").last().outcome());

        // A new request goes before it in line: the positions follow.
        loop.enqueue(request("ns/vip", 5, 3));
        loop.cycle();
        assertEquals(3, loop.standing("ns/b").position());
        assertEquals(1, loop.standing("ns/vip").position());

        // Capacity frees: handed over again, it is attempted (and placed).
        room = true;
        freed.incrementAndGet();
        assertTrue(loop.submit(request("ns/b", 0, 2)));
        await().atMost(Duration.ofSeconds(10)).until(() -> loop.standing("ns/b").last().outcome() == Outcome.PLACED);
        // From here cycles run on the loop's own thread only (wake), never beside one.
        loop.wake();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertEquals(0, loop.standing("ns/b").position(), "placed: out of line from the next cycle on"));

        // A changed request (another priority) is attempted whatever was freed.
        room = false;
        loop.enqueue(request("ns/c", 0, 4));
        loop.wake();
        await().atMost(Duration.ofSeconds(10)).until(() -> loop.standing("ns/c").last() != null
                && loop.standing("ns/c").last().outcome() == Outcome.UNPLACEABLE);
        int before = attempted.size();
        assertTrue(loop.submit(request("ns/c", 1, 4)), "a new priority is a new request");
        await().atMost(Duration.ofSeconds(10)).until(() -> attempted.size() > before);
    }
}
