package io.plimsoll.engine.idle;

/**
 * Result of {@link IdlePolicy#decide}. {@code recheckAtMillis} is when the answer may change if nothing
 * else happens (no new request): the operator (or the replay) should ask again then; {@link Long#MAX_VALUE}
 * means "never, unless activity changes".
 */
public record Decision(Action action, long recheckAtMillis, String reason) {
    public Decision {
        if (action == null) throw new IllegalArgumentException("action");
        if (reason == null) reason = "";
    }

    public static Decision keep(long recheckAt, String reason) { return new Decision(Action.KEEP, recheckAt, reason); }

    public boolean isKeep() { return action == Action.KEEP; }
}
