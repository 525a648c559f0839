package io.plimsoll.engine.idle;

import java.time.Duration;

/** Scale a replica to zero once it has been idle for a fixed time (Knative-style keep-alive). */
public final class FixedKeepAlive implements IdlePolicy {
    private final long keepAliveMillis;
    private final String name;

    public FixedKeepAlive(Duration keepAlive) {
        this(keepAlive, "keep-alive " + Durations.format(keepAlive.toMillis()));
    }

    public FixedKeepAlive(Duration keepAlive, String name) {
        if (keepAlive == null || keepAlive.isNegative()) throw new IllegalArgumentException("keep-alive must be >= 0");
        this.keepAliveMillis = keepAlive.toMillis();
        this.name = name;
    }

    public long keepAliveMillis() { return keepAliveMillis; }

    @Override public String name() { return name; }

    @Override
    public Decision decide(ModelActivity history, long idleSinceMillis, long nowMillis) {
        Decision g = IdlePolicy.guard(history, idleSinceMillis, nowMillis);
        if (g != null) return g;
        long expiry = idleSinceMillis + keepAliveMillis;
        if (nowMillis >= expiry) {
            return new Decision(Action.SCALE_TO_ZERO, Long.MAX_VALUE, "idle " + Durations.format(nowMillis - idleSinceMillis)
                    + " >= keep-alive " + Durations.format(keepAliveMillis));
        }
        return Decision.keep(expiry, "idle " + Durations.format(nowMillis - idleSinceMillis) + " < keep-alive");
    }
}
