package io.plimsoll.activity;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of asking an activity source "when was this workload last active".
 *
 * <p>Exactly one of four explicit cases:
 * <ul>
 *   <li>{@link Ok}: data present, and the value exceeded the threshold; {@code lastActive} is the latest
 *       such time (to the resolution of the query step).</li>
 *   <li>{@link IdleThroughout}: data present but never above the threshold in the lookback; the workload
 *       has been idle at least since {@code since} (the earliest data point seen). Activity before
 *       {@code since} is unknown, so a policy should treat {@code since} as the last-active time.</li>
 *   <li>{@link NoData}: the query ran but returned nothing usable (no series, only NaN, or data that stopped
 *       too long ago). Never grounds for a scale-down.</li>
 *   <li>{@link SourceError}: the query could not be run (bad PromQL, HTTP error, timeout, unreachable).
 *       Never grounds for a scale-down.</li>
 * </ul>
 * {@link #effectiveLastActive()} is empty exactly for the last two: callers set a condition
 * ({@link #conditionReason()}, {@link #message()}) and keep the workload running.
 */
public sealed interface ActivityReading
        permits ActivityReading.Ok, ActivityReading.IdleThroughout, ActivityReading.NoData, ActivityReading.SourceError {

    enum Kind { OK, IDLE_THROUGHOUT, NO_DATA, ERROR }

    Kind kind();

    /** The PromQL that was (or would have been) run, after substitution; may be empty. */
    String query();

    /** Human-readable explanation, suitable for a status condition message. */
    String message();

    /**
     * The last-active time a policy may use, or empty when the source gives no grounds for scaling down
     * (no data, error). For {@link IdleThroughout} this is {@code since} (conservative).
     */
    Optional<Instant> effectiveLastActive();

    /** True when the reading may feed an idle policy; false means: set a condition, do not scale down. */
    default boolean usable() { return effectiveLastActive().isPresent(); }

    /** CamelCase reason for a Kubernetes condition. */
    default String conditionReason() {
        switch (kind()) {
            case OK: return "ActivityObserved";
            case IDLE_THROUGHOUT: return "IdleThroughoutLookback";
            case NO_DATA: return "ActivityNoData";
            default: return "ActivitySourceError";
        }
    }

    static Ok ok(Instant lastActive) { return new Ok(lastActive, ""); }

    static Ok ok(Instant lastActive, String query) { return new Ok(lastActive, query); }

    static IdleThroughout idleThroughout(Instant since) { return new IdleThroughout(since, ""); }

    static IdleThroughout idleThroughout(Instant since, String query) { return new IdleThroughout(since, query); }

    static NoData noData(String reason) { return new NoData(reason, ""); }

    static NoData noData(String reason, String query) { return new NoData(reason, query); }

    static SourceError error(String reason) { return new SourceError(reason, ""); }

    static SourceError error(String reason, String query) { return new SourceError(reason, query); }

    record Ok(Instant lastActive, String query) implements ActivityReading {
        public Ok {
            Objects.requireNonNull(lastActive, "lastActive");
            query = query == null ? "" : query;
        }
        @Override public Kind kind() { return Kind.OK; }
        @Override public Optional<Instant> effectiveLastActive() { return Optional.of(lastActive); }
        @Override public String message() {
            return "last active at " + lastActive + (query.isEmpty() ? "" : " (query: " + query + ")");
        }
    }

    record IdleThroughout(Instant since, String query) implements ActivityReading {
        public IdleThroughout {
            Objects.requireNonNull(since, "since");
            query = query == null ? "" : query;
        }
        @Override public Kind kind() { return Kind.IDLE_THROUGHOUT; }
        @Override public Optional<Instant> effectiveLastActive() { return Optional.of(since); }
        @Override public String message() {
            return "idle throughout the data seen, since at least " + since
                    + (query.isEmpty() ? "" : " (query: " + query + ")");
        }
    }

    record NoData(String reason, String query) implements ActivityReading {
        public NoData {
            reason = reason == null ? "no data" : reason;
            query = query == null ? "" : query;
        }
        @Override public Kind kind() { return Kind.NO_DATA; }
        @Override public Optional<Instant> effectiveLastActive() { return Optional.empty(); }
        @Override public String message() { return reason; }
    }

    record SourceError(String reason, String query) implements ActivityReading {
        public SourceError {
            reason = reason == null ? "error" : reason;
            query = query == null ? "" : query;
        }
        @Override public Kind kind() { return Kind.ERROR; }
        @Override public Optional<Instant> effectiveLastActive() { return Optional.empty(); }
        @Override public String message() { return reason; }
    }
}
