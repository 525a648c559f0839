package io.plimsoll.reconciler;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A Parked verdict turned down says why from its parts, not by editing its message. */
class IdleVerdictTest {
    @Test
    void aParkedVerdictTurnedDownKeepsWhenItWentIdleAndSaysWhyItStays() {
        var parked = IdleScaler.Verdict.parked(42, "idle since 2026-12-03T10:00:00Z (adaptive, quiet for 5m)", Instant.EPOCH);
        assertEquals("idle since 2026-12-03T10:00:00Z (adaptive, quiet for 5m): " + IdleScaler.PARKED, parked.message());

        var kept = parked.notParked("parking is off (parkFraction 0)");
        assertFalse(kept.park());
        assertEquals("Active", kept.reason());
        assertEquals(42, kept.recheckAt());
        assertEquals("idle since 2026-12-03T10:00:00Z (adaptive, quiet for 5m): parking is off (parkFraction 0): kept as it is", kept.message());

        assertThrows(IllegalStateException.class, () -> kept.notParkedMessage("x"), "only a verdict that parks can be turned down");
    }
}
