package io.plimsoll.engine.idle;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DurationsTest {
    @Test
    void singleAndCompoundDurations() {
        assertEquals(90_000, Durations.parseMillis("90s"));
        assertEquals(300_000, Durations.parseMillis("5m"));
        assertEquals(3_600_000, Durations.parseMillis("1h"));
        assertEquals(250, Durations.parseMillis("250ms"));
        assertEquals(5_400_000, Durations.parseMillis("1h30m"));
        assertEquals(3_661_000, Durations.parseMillis("1h1m1s"));
        assertEquals(30_000, Durations.parseMillis("30"));
        assertEquals(42_000, Durations.parseMillis("42"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis("1h30"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis("-5s"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parseMillis("soon"));
        assertEquals("15m", Durations.format(900_000));
    }
}
