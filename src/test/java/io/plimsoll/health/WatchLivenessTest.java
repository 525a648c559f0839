package io.plimsoll.health;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WatchLivenessTest {
    @Test
    void aWatchIsDownOnlyAfterTheGraceAndUpAgainAtOnce() {
        var t = new WatchLiveness.UnhealthySince(Duration.ofSeconds(90));
        Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
        assertEquals(Map.of(), t.update(Map.of("pods", false, "nodes", true), t0), "a reconnect is not an outage");
        assertEquals(Map.of(), t.update(Map.of("pods", false, "nodes", true), t0.plusSeconds(89)));
        assertEquals(Map.of("pods", "not watching since " + t0), t.update(Map.of("pods", false, "nodes", true), t0.plusSeconds(90)));
        assertEquals(Map.of(), t.update(Map.of("pods", true, "nodes", true), t0.plusSeconds(91)), "watching again");
        assertEquals(Map.of(), t.update(Map.of("pods", false), t0.plusSeconds(100)), "the clock starts over");
    }
}
