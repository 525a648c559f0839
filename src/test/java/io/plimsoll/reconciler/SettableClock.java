package io.plimsoll.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operator's clock in tests: real time plus an offset that a test moves forward, so "ten minutes later" takes no
 * ten minutes (and no sleep). Until moved it is the system clock, so every other timing behaves as in production.
 */
public final class SettableClock extends Clock {
    private final AtomicLong offsetMillis = new AtomicLong();

    /** Moves the operator's time forward. */
    public void advance(Duration d) {
        offsetMillis.addAndGet(d.toMillis());
    }

    @Override
    public Instant instant() {
        return Instant.now().plusMillis(offsetMillis.get());
    }

    @Override
    public long millis() {
        return System.currentTimeMillis() + offsetMillis.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("the operator's clock is UTC");
    }
}
