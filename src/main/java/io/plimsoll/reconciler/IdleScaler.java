package io.plimsoll.reconciler;

import io.plimsoll.activity.ActivityReading;
import io.plimsoll.activity.PrometheusActivitySource;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.PhaseRule;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.idle.Action;
import io.plimsoll.engine.idle.AdaptiveKeepAlive;
import io.plimsoll.engine.idle.Decision;
import io.plimsoll.engine.idle.Durations;
import io.plimsoll.engine.idle.FixedKeepAlive;
import io.plimsoll.engine.idle.IdleDefaults;
import io.plimsoll.engine.idle.IdlePolicy;
import io.plimsoll.engine.idle.ModelActivity;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides when an idle Inference or Workbench workload is parked (Inference under the adaptive rule), goes to zero
 * replicas, and when it comes back, from the activity its {@code plimsoll.io/last-activity} annotation (or
 * Prometheus) reports, with the same idle policies that {@code simulate serving} measures. No signal or a bad one
 * never scales anything down.
 */
public class IdleScaler {
    /** Annotation a workload, sidecar or gateway sets to the time of its last request (RFC 3339). */
    public static final String LAST_ACTIVITY = "plimsoll.io/last-activity";

    /** End of a Parked verdict's message: what parking does. */
    static final String PARKED = "parked in place, serves on the next request";

    /** Activity reported before this is not a real signal (and earlier times overflow epoch milliseconds). */
    static final Instant EARLIEST_ACTIVITY = Instant.parse("2000-01-01T00:00:00Z");

    /** How far back the Prometheus source looks for activity. */
    static final Duration PROMETHEUS_LOOKBACK = Duration.ofHours(6);

    private final Map<String, ModelActivity> activity = new ConcurrentHashMap<>();
    private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();
    /** Workloads a spec change brought back from zero: the generation that did, and when (it counts as activity). */
    private final Map<String, SpecResume> specResumes = new ConcurrentHashMap<>();
    private final PrometheusActivitySource prometheus;

    /** @param prometheus the Prometheus activity source, or null when the operator has none */
    public IdleScaler(PrometheusActivitySource prometheus) {
        this.prometheus = prometheus;
    }

    /**
     * What to do now.
     *
     * @param scaledToZero the workload should have no replicas
     * @param changed      it just went to zero or came back (an event is due)
     * @param recheckAt    when to look again if nothing else happens (epoch ms; Long.MAX_VALUE: on change only)
     * @param condition    reason and message for the Idle condition; {@code signalProblem} when the activity
     *                     source is missing or bad (reported, never acted on). Messages name times, not running
     *                     durations, so a status is not rewritten on every look; only the scale-down itself says
     *                     how long the workload was idle.
     * @param park         park the replicas in place (Inference under the adaptive rule)
     * @param lastActive   the last activity the decision used, or null
     */
    public record Verdict(boolean scaledToZero, boolean changed, long recheckAt, String reason, String message,
                          boolean signalProblem, boolean park, Instant lastActive, String idleSince) {
        public Verdict(boolean scaledToZero, boolean changed, long recheckAt, String reason, String message, boolean signalProblem) {
            this(scaledToZero, changed, recheckAt, reason, message, signalProblem, false, null, null);
        }

        static Verdict off(String reason, String message) {
            return new Verdict(false, false, Long.MAX_VALUE, reason, message, false);
        }

        /** A Parked verdict: {@code idleSince} says since when and by which rule; the message adds what parking does. */
        static Verdict parked(long recheckAt, String idleSince, Instant lastActive) {
            return new Verdict(false, false, recheckAt, "Parked", idleSince + ": " + PARKED, false, true, lastActive, idleSince);
        }

        /**
         * The Idle condition's message when this Parked verdict's replicas stay as they are ({@code why}). Only for a
         * verdict that parks.
         */
        public String notParkedMessage(String why) {
            if (!park || idleSince == null) throw new IllegalStateException("not a Parked verdict: " + reason);
            return idleSince + ": " + why;
        }

        /** This Parked verdict, turned down: the workload is kept as it is ({@code why}), and counted active. */
        public Verdict notParked(String why) {
            return new Verdict(false, false, recheckAt, "Active", notParkedMessage(why + ": kept as it is"), false);
        }
    }

    /**
     * @param scaledToZeroAt when the workload went to zero for the current generation, or null
     */
    public Verdict evaluate(AIWorkload wl, PlacementPolicy policy, Instant scaledToZeroAt, Instant now) {
        return evaluate(wl, policy, scaledToZeroAt, now, null);
    }

    /** @param ceilingMillis the tenant's maxIdleTimeout (null: none): no idle rule keeps a replica longer */
    public Verdict evaluate(AIWorkload wl, PlacementPolicy policy, Instant scaledToZeroAt, Instant now, Long ceilingMillis) {
        noteSpecResume(wl, scaledToZeroAt, now);
        Verdict v = decide(wl, policy, scaledToZeroAt, now, ceilingMillis);
        if (v.signalProblem() && scaledToZeroAt != null) {
            // A lost or stale signal changes nothing in either direction: what is at zero stays at zero.
            v = new Verdict(true, false, v.recheckAt(), v.reason(), v.message() + "; stays at zero (since "
                    + scaledToZeroAt + ") until activity is reported or spec.replicas changes", true);
        }
        // Metrics change without any Kubernetes event: with a Prometheus source, look again every minute.
        if (prometheus != null && !"NeverIdle".equals(v.reason()) && v.recheckAt() > now.toEpochMilli() + 60_000) {
            return new Verdict(v.scaledToZero(), v.changed(), now.toEpochMilli() + 60_000, v.reason(), v.message(), v.signalProblem(), v.park(),
                    v.lastActive(), v.idleSince());
        }
        return v;
    }

    private record SpecResume(long generation, Instant at) {}

    /**
     * A workload that was at zero (state Idle) and whose spec changed since (say an autoscaler set spec.replicas through
     * /scale), and that the reconciler therefore brings back ({@code scaledToZeroAt} null), was asked to run again: that
     * moment counts as activity, so it is idle-timed from then instead of going back to zero at once on its old activity
     * time. Kept in memory: after a restart only the activity signal counts.
     */
    private void noteSpecResume(AIWorkload wl, Instant scaledToZeroAt, Instant now) {
        var status = wl.getStatus();
        Long gen = wl.getMetadata().getGeneration();
        if (scaledToZeroAt != null || status == null || status.getState() != WorkloadState.Idle || gen == null
                || status.getObservedGeneration() == null || gen.equals(status.getObservedGeneration())) {
            return;
        }
        String key = wl.getMetadata().getNamespace() + "/" + wl.getMetadata().getName();
        specResumes.compute(key, (k, old) -> old != null && old.generation() == gen ? old : new SpecResume(gen, now));
    }

    private Verdict decide(AIWorkload wl, PlacementPolicy policy, Instant scaledToZeroAt, Instant now, Long ceilingMillis) {
        WorkloadPhase phase = wl.getSpec().getPhase();
        String key = wl.getMetadata().getNamespace() + "/" + wl.getMetadata().getName();
        IdlePolicy rule;
        try {
            rule = policyFor(wl, policy, phase, ceilingMillis);
        } catch (IllegalArgumentException e) {
            return new Verdict(false, false, Long.MAX_VALUE, "BadIdleTimeout", e.getMessage(), true);
        }
        if (rule == null) return Verdict.off("NeverIdle", phase + " workloads are not scaled down when idle");
        Map<String, String> ann = wl.getMetadata().getAnnotations() == null ? Map.of() : wl.getMetadata().getAnnotations();
        String raw = ann.get(LAST_ACTIVITY);
        Instant last = null;
        if (raw != null) {
            // Echo at most a few dozen characters of a value anyone can write.
            String shown = raw.length() > 64 ? raw.substring(0, 64) + "..." : raw;
            try {
                last = raw.length() > 64 ? null : Instant.parse(raw.trim());
            } catch (DateTimeParseException e) {
                last = null;
            }
            if (last == null) {
                return new Verdict(false, false, Long.MAX_VALUE, "BadActivitySignal",
                        "annotation " + LAST_ACTIVITY + " is '" + shown + "', not an RFC 3339 time such as 2026-11-24T10:15:00Z: no scale-down until it is fixed", true);
            }
            if (last.isAfter(now.plusSeconds(60))) {
                return new Verdict(false, false, Long.MAX_VALUE, "BadActivitySignal",
                        "annotation " + LAST_ACTIVITY + " is in the future (" + shown + "): check the clock of whatever sets it", true);
            }
            if (last.isBefore(EARLIEST_ACTIVITY)) {
                // Before any workload could have run (and far enough back to overflow a clock): not a real signal.
                return new Verdict(false, false, Long.MAX_VALUE, "BadActivitySignal",
                        "annotation " + LAST_ACTIVITY + " is " + shown + ", before 2000: set the time of the workload's last request", true);
            }
        }
        if (prometheus != null) {
            PhaseRule r = policy == null || policy.getSpec() == null ? null : policy.getSpec().ruleFor(phase);
            String query = r != null && r.getActivityQuery() != null && !r.getActivityQuery().isBlank()
                    ? r.getActivityQuery() : PrometheusActivitySource.DEFAULT_GPU_UTIL_QUERY;
            double threshold = r != null && r.getActivityThreshold() != null
                    ? r.getActivityThreshold() : PrometheusActivitySource.DEFAULT_GPU_UTIL_THRESHOLD;
            ActivityReading reading = prometheus.lastActive(query, Map.of("namespace", wl.getMetadata().getNamespace(),
                    "workload", wl.getMetadata().getName()), threshold, PROMETHEUS_LOOKBACK, now);
            if (reading.effectiveLastActive().isEmpty()) {
                // No data or an error from a configured source: report it, never scale down on it.
                ModelActivity h = activity.get(key);
                if (h != null) h.markSignalLost();
                return new Verdict(false, false, now.toEpochMilli() + 60_000, "BadActivitySignal",
                        "Prometheus activity source: " + reading.message() + "; no scale-down while it lasts", true);
            }
            Instant fromMetrics = reading.effectiveLastActive().get();
            if (last == null || fromMetrics.isAfter(last)) last = fromMetrics;
        }
        if (last == null) {
            return new Verdict(false, false, Long.MAX_VALUE, "NoActivitySignal",
                    "no " + LAST_ACTIVITY + " annotation and no Prometheus source: set the annotation (RFC 3339) from the workload, a sidecar or the gateway, or give the operator plimsoll.prometheus.url, to enable idle scale-down", true);
        }
        SpecResume resumed = specResumes.get(key);
        if (resumed != null && resumed.at().isAfter(last)) last = resumed.at();
        ModelActivity history = activity.computeIfAbsent(key, k -> new ModelActivity());
        long t = last.toEpochMilli();
        Long seen = lastSeen.get(key);
        if (seen == null || t > seen) {
            // The annotation reports instants of activity: each new one is a request that started and ended then.
            history.onRequest(t);
            history.onStart(t);
            history.onFinish(t);
            lastSeen.put(key, t);
        }
        String lastText = last.toString();
        long nowMs = now.toEpochMilli();
        String idleFor = human(Duration.ofMillis(Math.max(0, nowMs - t)));
        if (scaledToZeroAt != null) {
            if (last.isAfter(scaledToZeroAt)) {
                return new Verdict(false, true, Long.MAX_VALUE, "Active", "activity at " + lastText + " after scale-down: replicas restored", false);
            }
            Decision pre = rule.prewarm(history, nowMs);
            if (pre.action() == Action.PREWARM) {
                return new Verdict(false, true, Long.MAX_VALUE, "Prewarmed", "started ahead of expected activity: " + pre.reason(), false);
            }
            return new Verdict(true, false, pre.recheckAtMillis(), "IdleTimeout",
                    // scaledToZeroAt is kept to the second: compare it with the activity time to the second too
                    "idle for " + human(idleBetween(last.truncatedTo(java.time.temporal.ChronoUnit.SECONDS), scaledToZeroAt))
                            + " when scaled to zero at " + scaledToZeroAt + " (" + rule.name() + "); no devices held; comes back on new activity or when spec.replicas changes",
                    false, false, last, null);
        }
        Decision d = rule.decide(history, nowMs);
        if (d.action() == Action.SCALE_TO_ZERO) {
            return new Verdict(true, true, Long.MAX_VALUE, "IdleTimeout",
                    "idle for " + idleFor + " (" + rule.name() + "): scaled to zero, devices freed", false, false, last, null);
        }
        if (d.action() == Action.PARK && phase == WorkloadPhase.Inference) {
            // Parked in place: the replica stays warm where it is and is counted as a share of its device.
            return Verdict.parked(d.recheckAtMillis(), "idle since " + lastText + " (" + rule.name() + ", " + d.reason() + ")", last);
        }
        return new Verdict(false, false, d.recheckAtMillis(), "Active", "last activity at " + lastText + " (" + rule.name() + ")", false, false, last, null);
    }

    /** Forgets a deleted workload's history. */
    public void forget(String workloadKey) {
        activity.remove(workloadKey);
        lastSeen.remove(workloadKey);
        specResumes.remove(workloadKey);
    }

    /**
     * As {@link #policyFor(AIWorkload, PlacementPolicy, WorkloadPhase)}, under the tenant's ceiling on idle time (an
     * Inference or Workbench replica is never kept idle longer, whatever the workload says, Never included).
     */
    static IdlePolicy policyFor(AIWorkload wl, PlacementPolicy policy, WorkloadPhase phase, Long ceilingMillis) {
        IdlePolicy p = policyFor(wl, policy, phase);
        if (ceilingMillis == null || phase.runsToCompletion()) return p;
        String why = "capped by the tenant's maxIdleTimeout " + Durations.format(ceilingMillis);
        if (p == null) return new FixedKeepAlive(Duration.ofMillis(ceilingMillis), "idle timeout " + why);
        if (p instanceof FixedKeepAlive f && f.keepAliveMillis() > ceilingMillis) {
            return new FixedKeepAlive(Duration.ofMillis(ceilingMillis), "idle timeout " + why);
        }
        if (p instanceof AdaptiveKeepAlive a) return a.capped(ceilingMillis);
        return p;
    }

    /** The workload's own idleTimeout, else its phase rule's, else the default for its phase; null = never. */
    static IdlePolicy policyFor(AIWorkload wl, PlacementPolicy policy, WorkloadPhase phase) {
        String own = wl.getSpec().getIdleTimeout();
        if (own != null && !own.isBlank()) {
            if (own.equals("Never")) return null;
            return new FixedKeepAlive(parse("spec.idleTimeout", own), "idle timeout " + own);
        }
        PhaseRule r = policy == null || policy.getSpec() == null ? null : policy.getSpec().ruleFor(phase);
        if (r != null && r.getIdleTimeout() != null && !r.getIdleTimeout().isBlank()) {
            return new FixedKeepAlive(parse("PlacementPolicy " + policy.getMetadata().getName() + " spec."
                    + phase.name().toLowerCase() + ".idleTimeout", r.getIdleTimeout()), "policy idle timeout " + r.getIdleTimeout());
        }
        return switch (phase) {
            case Inference -> new AdaptiveKeepAlive();
            case Workbench -> new FixedKeepAlive(IdleDefaults.WORKBENCH_IDLE, "workbench idle timeout 60m");
            default -> null;
        };
    }

    /** 90s, 30m, 1h30m; a bad value names the field and the fix. */
    static Duration parse(String field, String value) {
        try {
            return Duration.ofMillis(Durations.parseMillis(value));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " is '" + value + "': use a duration such as 90s, 30m or 1h30m, or Never");
        }
    }

    private static Duration idleBetween(Instant from, Instant to) {
        Duration d = Duration.between(from, to);
        return d.isNegative() ? Duration.ZERO : d;
    }

    static String human(Duration d) {
        long s = d.getSeconds();
        if (s < 120) return s + "s";
        if (s < 7200) return (s / 60) + "m";
        return (s / 3600) + "h" + (s % 3600 / 60 > 0 ? (s % 3600 / 60) + "m" : "");
    }
}
