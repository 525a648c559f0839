package io.plimsoll.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.plimsoll.engine.ReplicaSlot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What moves the version that caches of who uses what (the tenants' ledger) are keyed on. */
class RecordBookTest {
    final List<String> touched = new ArrayList<>();
    final RecordBook book = new RecordBook(touched::add);

    static PodRecord record(String pod, String node) {
        return new PodRecord("ns/" + pod, null, "ns/w", 0, "a100", new ReplicaSlot(node, List.of(0), 0, null, 1000, 1L << 30, 1.0),
                0, null, Instant.parse("2026-12-03T00:00:00Z"));
    }

    @Test
    void learningAPodsUidMovesNoPlacementButEveryOtherChangeDoes() {
        long v0 = book.placementsVersion();
        book.put(record("p0", "n0"));
        long placed = book.placementsVersion();
        assertNotEquals(v0, placed, "a placement");

        book.update("ns/p0", r -> r.withUid("uid-0", Instant.parse("2026-12-03T00:00:01Z")));
        assertEquals("uid-0", book.get("ns/p0").podUid());
        assertEquals(placed, book.placementsVersion(), "only the UID (and when it was learned) changed");
        assertEquals(List.of("n0", "n0"), touched, "the node is still told: its view reads whether the pod was seen");

        book.update("ns/p0", r -> r.parkedAt(250, "2026-12-03T00:00:02Z"));
        long parked = book.placementsVersion();
        assertNotEquals(placed, parked, "a park");

        book.put(record("p0", "n1"));
        long moved = book.placementsVersion();
        assertNotEquals(parked, moved, "a record replaced");

        book.remove("ns/p0");
        assertNotEquals(moved, book.placementsVersion(), "a record gone");
    }
}
