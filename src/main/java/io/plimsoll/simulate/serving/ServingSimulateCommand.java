package io.plimsoll.simulate.serving;

import io.plimsoll.engine.PackingStrategy;
import io.plimsoll.simulate.InputException;
import io.plimsoll.simulate.Json;
import io.plimsoll.simulate.SimulateFlags;
import io.plimsoll.simulate.SimulateFlags.UsageError;
import io.plimsoll.engine.idle.AdaptiveKeepAlive;
import io.plimsoll.engine.idle.AlwaysOn;
import io.plimsoll.engine.idle.Durations;
import io.plimsoll.engine.idle.FixedKeepAlive;
import io.plimsoll.engine.idle.IdlePolicy;

import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code simulate serving}: replays a request trace for Plimsoll's default inference idle policy and the
 * references (always-on, keep-alive 90 s / 5 min / 15 min, Cluster Autoscaler node rule) in one invocation.
 */
public final class ServingSimulateCommand {
    public static final String USAGE = String.join("\n",
            "usage: simulate serving --requests R.csv --load-latency L.csv [--duty-cycle D.csv.gz] [--seed 42]",
            "         [--gpus-per-node 8] [--node-startup 180s] [--node-empty-grace 10m] [--initial-nodes 1]",
            "         [--park-fraction 0.25] [--park-resume 3s] [--max-replicas 16] [--strategy BestFit]",
            "         [--scale-up-cooldown 3m] [--consolidation-interval 10m] [--consolidate-below 50] [--parked-only-after 8m|never]",
            "         [--plimsoll-empty-grace 2m] [--last-node-after 17m|none] [--grow-if-parked-within 8m|always] [--same-pool-rule false]",
            "         [--ca-keepalive 5m] [--ca-threshold 0.5] [--ca-unneeded 10m]",
            "         [--adaptive-warm 10s] [--adaptive-park-cost 0.25] [--adaptive-penalty 2500s]",
            "         [--adaptive-min 60s] [--adaptive-max 2h] [--adaptive-default 15m] [--adaptive-min-samples 8]",
            "         [--adaptive-extra 10m]",
            "         [--from 2024-11-23] [--until 2024-12-01] [--json OUT.json]",
            "  --gpus-per-node 0 = unlimited capacity without nodes (the README's reference model);",
            "  --max-replicas 1 = one replica per model, no concurrency;",
            "  --strategy: the PlacementPolicy packing strategy the placement engine uses (BestFit, Spread, FGD, Plimsoll).");

    public static void main(String[] args) {
        System.exit(new ServingSimulateCommand().run(args, System.out, System.err));
    }

    public int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return execute(args, out, err);
        } catch (UsageError e) {
            err.println("simulate serving: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (InputException e) {
            err.println("simulate serving: " + e.describe());
            return 2;
        } catch (RuntimeException | OutOfMemoryError e) {
            err.println("simulate serving: internal error: " + e);
            return 1;
        }
    }

    private static final List<String> FLAGS = List.of("--requests", "--load-latency", "--duty-cycle", "--seed",
            "--gpus-per-node", "--node-startup", "--node-empty-grace", "--initial-nodes", "--park-fraction",
            "--park-resume", "--max-replicas", "--strategy", "--scale-up-cooldown", "--consolidation-interval", "--consolidate-below", "--parked-only-after", "--plimsoll-empty-grace", "--last-node-after", "--grow-if-parked-within", "--same-pool-rule", "--ca-keepalive", "--ca-threshold", "--ca-unneeded", "--adaptive-warm",
            "--adaptive-park-cost", "--adaptive-penalty", "--adaptive-extra", "--adaptive-min", "--adaptive-max", "--adaptive-default", "--adaptive-min-samples",
            "--from", "--until", "--json");

    private int execute(String[] args, PrintStream out, PrintStream err) throws UsageError, InputException {
        int start = 0;
        if (args.length > 0 && args[0].equals("simulate")) start++;
        if (args.length > start && args[start].equals("serving")) start++;
        Map<String, String> o = SimulateFlags.parse(args, start, FLAGS);
        if (o == null) {
            out.println(USAGE);
            return 0;
        }
        if (!o.containsKey("--requests")) throw new UsageError("argument '--requests': required");
        if (!o.containsKey("--load-latency")) throw new UsageError("argument '--load-latency': required");
        ServingConfig d = ServingConfig.defaults();
        long seed = longArg(o, "--seed", 42);
        ServingConfig cfg;
        try {
            cfg = new ServingConfig((int) longArg(o, "--gpus-per-node", d.gpusPerNode()),
                    dur(o, "--node-startup", d.nodeStartupMillis()), dur(o, "--node-empty-grace", d.nodeEmptyGraceMillis()),
                    (int) longArg(o, "--initial-nodes", d.initialNodes()), dbl(o, "--park-fraction", d.parkFraction()),
                    dur(o, "--park-resume", d.parkResumeMillis()), (int) longArg(o, "--max-replicas", d.maxReplicas()),
                    dbl(o, "--ca-threshold", d.caUnderUtil()), dur(o, "--ca-unneeded", d.caUnneededMillis()), d.scanMillis(),
                    strategy(o), dur(o, "--scale-up-cooldown", d.scaleUpCooldownMillis()),
                    dur(o, "--consolidation-interval", d.consolidationIntervalMillis()),
                    (int) longArg(o, "--consolidate-below", d.consolidateBelowPercent()),
                    "never".equals(o.get("--parked-only-after")) ? -1 : dur(o, "--parked-only-after", d.parkedOnlyAfterMillis()));
        } catch (IllegalArgumentException e) {
            throw new UsageError("bad cost-model flags: " + e.getMessage()
                    + " (gpus-per-node >= 0, park-fraction in (0,1], max-replicas >= 1, ca-threshold in [0,1], consolidate-below in [1,100])");
        }
        AdaptiveKeepAlive.Params p0 = AdaptiveKeepAlive.DEFAULTS;
        AdaptiveKeepAlive.Params ap;
        try {
            ap = new AdaptiveKeepAlive.Params(dur(o, "--adaptive-warm", p0.warmMillis()),
                    dbl(o, "--adaptive-park-cost", p0.parkCost()), dur(o, "--adaptive-penalty", p0.coldStartPenaltyMillis()),
                    dur(o, "--adaptive-min", p0.minHorizonMillis()),
                    dur(o, "--adaptive-max", p0.maxHorizonMillis()), dur(o, "--adaptive-default", p0.defaultHorizonMillis()),
                    (int) longArg(o, "--adaptive-min-samples", p0.minSamples()));
        } catch (IllegalArgumentException e) {
            throw new UsageError("bad --adaptive-* flags: need warm <= min <= max, park-cost in (0,1]");
        }
        long caKa = dur(o, "--ca-keepalive", 300_000L);
        long from = timeArg(o, "--from", Long.MIN_VALUE), until = timeArg(o, "--until", Long.MAX_VALUE);

        ServingTrace trace = ServingTrace.load(Path.of(o.get("--requests")), from, until);
        long[] lat = ServingTrace.loadLatencies(Path.of(o.get("--load-latency")));
        DutyCycleReport.Result duty = null;
        long[] thresholds = {300_000L, 900_000L, 1_800_000L, 3_600_000L};
        if (o.containsKey("--duty-cycle")) duty = DutyCycleReport.compute(Path.of(o.get("--duty-cycle")), thresholds);

        // Plimsoll's pool rule: the operator's defaults (AcceleratorPool spec.scaling) unless a flag says otherwise.
        Duration emptyGrace = optDur(o, "--plimsoll-empty-grace", io.plimsoll.engine.PoolPlanner.DEFAULT_SCALE_DOWN_AFTER, null),
                lastNodeAfter = optDur(o, "--last-node-after", io.plimsoll.engine.PoolPlanner.DEFAULT_LAST_NODE_AFTER, "none"),
                growIfParkedWithin = optDur(o, "--grow-if-parked-within", io.plimsoll.engine.PoolPlanner.DEFAULT_GROW_IF_PARKED_WITHIN, "always");
        List<PolicyResult> results = new ArrayList<>();
        results.add(new ServingReplay(trace, new AdaptiveKeepAlive(ap, dur(o, "--adaptive-extra", AdaptiveKeepAlive.DEFAULT_EXTRA_PARK_MILLIS)), cfg, lat, seed, false, false).askForNodeAfterEviction(true)
                .plimsollPoolRule(emptyGrace, lastNodeAfter, growIfParkedWithin)
                .run("plimsoll-adaptive (default)", io.plimsoll.engine.idle.ModelActivity::new));
        // always-on = exactly one replica per model, warm from the start, never scaled (requests queue on it)
        // --same-pool-rule: the references' pools follow Plimsoll's tuned pool rule too (the CA rows keep the CA rule)
        String sameArg = o.getOrDefault("--same-pool-rule", "false");
        if (!sameArg.equals("true") && !sameArg.equals("false")) throw new UsageError("argument '--same-pool-rule': true or false, not '" + sameArg + "'");
        boolean same = sameArg.equals("true");
        java.util.function.UnaryOperator<ServingReplay> rule = r -> same ? r.plimsollPoolRule(emptyGrace, lastNodeAfter, growIfParkedWithin) : r;
        results.add(rule.apply(new ServingReplay(trace, new AlwaysOn(), cfg.withMaxReplicas(1), lat, seed, false, true))
                .run("always-on (1 replica/model)", io.plimsoll.engine.idle.ModelActivity::new));
        for (long ka : new long[] {90_000L, 300_000L, 900_000L}) {
            IdlePolicy pol = new FixedKeepAlive(Duration.ofMillis(ka));
            results.add(rule.apply(new ServingReplay(trace, pol, cfg, lat, seed, false, false))
                    .run(pol.name(), io.plimsoll.engine.idle.ModelActivity::new));
        }
        if (cfg.gpusPerNode() > 0) {
            // ablation: Plimsoll's idle policy with the plain pool rule (no node asked for after parked replicas made room)
            results.add(new ServingReplay(trace, new AdaptiveKeepAlive(ap, dur(o, "--adaptive-extra", AdaptiveKeepAlive.DEFAULT_EXTRA_PARK_MILLIS)),
                    cfg, lat, seed, false, false).plimsollPoolRule(emptyGrace, lastNodeAfter, null)
                    .run("plimsoll-adaptive, plain pool rule", io.plimsoll.engine.idle.ModelActivity::new));
            results.add(ServingReplay.run(trace, new FixedKeepAlive(Duration.ofMillis(caKa)), cfg, lat, seed, true, false,
                    "cluster-autoscaler (keep-alive " + Durations.format(caKa) + ")"));
        }
        PolicyResult pl = results.get(0), k5 = results.get(3), k15 = results.get(4);
        boolean idleOk = pl.idleWarmGpuHours() <= k5.idleWarmGpuHours();
        boolean coldOk = pl.coldStarts() <= k15.coldStarts();
        boolean p99Ok = pl.waitP99Seconds() <= k15.waitP99Seconds();
        boolean billOk = pl.nodeHours() <= k5.nodeHours();

        out.printf(Locale.ROOT, "simulate serving: %s, %d requests (%d undispatched rows skipped), %d models, window %s .. %s, seed %d%n",
                o.get("--requests"), trace.requests().size(), trace.skippedUndispatched(), trace.models().size(),
                java.time.Instant.ofEpochMilli(trace.requests().get(0).arrivalMillis()),
                java.time.Instant.ofEpochMilli(trace.requests().get(trace.requests().size() - 1).arrivalMillis()), seed);
        out.printf(Locale.ROOT, "cost model: %s GPUs/node, node start-up %s, empty node removed after %s, parked replica = %.3f GPU,"
                        + " park resume %s, max %d replicas/model, load latency drawn from %d samples,"
                        + " placed by the operator's PlacementEngine (%s), pool grows one node per %s, consolidates one node below %d%% used per %s, removes a node holding only parked replicas after %s%n",
                cfg.gpusPerNode() == 0 ? "unlimited" : Integer.toString(cfg.gpusPerNode()), Durations.format(cfg.nodeStartupMillis()),
                Durations.format(cfg.nodeEmptyGraceMillis()), cfg.parkFraction(), Durations.format(cfg.parkResumeMillis()),
                cfg.maxReplicas(), lat.length, cfg.strategy(), Durations.format(cfg.scaleUpCooldownMillis()),
                cfg.consolidateBelowPercent(), Durations.format(cfg.consolidationIntervalMillis()),
                cfg.parkedOnlyAfterMillis() < 0 ? "never" : Durations.format(cfg.parkedOnlyAfterMillis()));
        Map<String, Object> poolRule = new LinkedHashMap<>();
        poolRule.put("empty_node_removed_after_s", seconds(emptyGrace.toMillis()));
        poolRule.put("last_node_kept_s", lastNodeAfter == null ? null : seconds(lastNodeAfter.toMillis()));
        poolRule.put("grow_if_parked_within_s", growIfParkedWithin == null ? null : seconds(growIfParkedWithin.toMillis()));
        poolRule.put("references_too", same);
        out.printf(Locale.ROOT, "plimsoll's pool rule%s: empty node (not the last) removed after %s, last node kept %s, grows after an eviction of a replica parked within %s%n",
                same ? " (also the references' pools)" : "", Durations.format(emptyGrace.toMillis()),
                lastNodeAfter == null ? "none" : Durations.format(lastNodeAfter.toMillis()),
                growIfParkedWithin == null ? "always" : Durations.format(growIfParkedWithin.toMillis()));
        out.printf(Locale.ROOT, "%-38s %9s %10s %8s %8s %10s %6s %6s %8s %8s %8s %8s %9s %9s%n", "policy", "busy GPUh", "idle GPUh",
                "parked", "load", "node-hours", "nodes", "cold", "moved", "resumes", "restarts", "evicted", "wait p50", "wait p99");
        for (PolicyResult r : results) {
            out.printf(Locale.ROOT, "%-38s %9.1f %10.1f %8.1f %8.1f %10.1f %6d %6d %8d %8d %8d %8d %8.1fs %8.1fs%n", r.policy(),
                    r.busyGpuHours(), r.idleWarmGpuHours(), r.parkedGpuHours(), r.loadingGpuHours(), r.nodeHours(), r.maxNodes(),
                    r.coldStarts(), r.parkedMoves(), r.resumes(), r.restarts(), r.parkEvictions(), r.waitP50Seconds(), r.waitP99Seconds());
        }
        out.printf(Locale.ROOT, "%-38s %9s %10s %12s %10s %14s%n", "where the node-hours went", "starting", "empty",
                "parked only", "serving", "serving full");
        for (PolicyResult r : results) {
            PolicyResult.NodeHours b = r.nodeHoursBy();
            out.printf(Locale.ROOT, "%-38s %9.1f %10.1f %12.1f %10.1f %13.0f%%%n", r.policy(), b.starting(), b.empty(), b.parkedOnly(),
                    b.serving(), b.servingFullPct());
        }
        out.printf(Locale.ROOT, "%-38s %9s %10s %10s%n", "requests that found their model at zero", "requests", "wait p50", "wait p99");
        for (PolicyResult r : results) {
            PolicyResult.FromZero z = r.fromZero();
            out.printf(Locale.ROOT, "%-38s %9d %9.1fs %9.1fs%n", r.policy(), z.requests(), z.waitP50Seconds(), z.waitP99Seconds());
        }
        out.printf(Locale.ROOT, "goal: idle %.1f <= keep-alive 5m %.1f: %s; cold starts %d <= keep-alive 15m %d: %s;"
                        + " p99 %.1fs <= keep-alive 15m %.1fs: %s; GPU-node-hours %.1f <= keep-alive 5m %.1f: %s -> %s%n",
                pl.idleWarmGpuHours(), k5.idleWarmGpuHours(), idleOk ? "yes" : "NO", pl.coldStarts(), k15.coldStarts(),
                coldOk ? "yes" : "NO", pl.waitP99Seconds(), k15.waitP99Seconds(), p99Ok ? "yes" : "NO",
                pl.nodeHours(), k5.nodeHours(), billOk ? "yes" : "NO",
                idleOk && coldOk && p99Ok && billOk ? "MET" : "NOT MET");
        if (duty != null) {
            out.printf(Locale.ROOT, "duty cycle %s: %d pods, %d samples, %.1f GPU-hours observed, %.1f at 0%%%n",
                    o.get("--duty-cycle"), duty.pods(), duty.samples(), duty.observedGpuHours(), duty.zeroGpuHours());
            out.printf(Locale.ROOT, "%-22s %10s %20s %22s%n", "idle stretch longer than", "stretches", "GPU-h in stretches", "reclaimable GPU-h");
            for (DutyCycleReport.Row r : duty.rows()) {
                out.printf(Locale.ROOT, "%-22s %10d %20.1f %22.1f%n", Durations.format(r.thresholdMillis()), r.stretches(),
                        r.gpuHoursInStretches(), r.reclaimableGpuHours());
            }
        }
        if (o.containsKey("--json")) {
            Path jp = Path.of(o.get("--json"));
            try {
                Files.writeString(jp, json(o, trace, cfg, seed, results, duty, idleOk, coldOk, p99Ok, billOk, poolRule), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                throw new InputException(jp.toString(), 0, null, "cannot write JSON output: " + e.getMessage());
            }
        }
        return 0;
    }

    private static String json(Map<String, String> o, ServingTrace trace, ServingConfig c, long seed, List<PolicyResult> rs,
                               DutyCycleReport.Result duty, boolean idleOk, boolean coldOk, boolean p99Ok, boolean billOk,
                               Map<String, Object> poolRule) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("requests_file", o.get("--requests"));
        doc.put("requests", trace.requests().size());
        doc.put("models", trace.models().size());
        doc.put("seed", seed);
        Map<String, Object> cost = new LinkedHashMap<>();
        cost.put("gpus_per_node", c.gpusPerNode());
        cost.put("node_startup_s", seconds(c.nodeStartupMillis()));
        cost.put("node_empty_grace_s", seconds(c.nodeEmptyGraceMillis()));
        cost.put("parked_only_node_removed_after_s", c.parkedOnlyAfterMillis() < 0 ? null : seconds(c.parkedOnlyAfterMillis()));
        cost.put("initial_nodes", c.initialNodes());
        cost.put("park_fraction", Json.fixed(c.parkFraction(), 4));
        cost.put("park_resume_s", seconds(c.parkResumeMillis()));
        cost.put("max_replicas", c.maxReplicas());
        cost.put("ca_threshold", Json.fixed(c.caUnderUtil(), 3));
        cost.put("ca_unneeded_s", seconds(c.caUnneededMillis()));
        cost.put("strategy", c.strategy().toString());
        cost.put("placement", "io.plimsoll.engine.PlacementEngine");
        cost.put("scale_up_cooldown_s", seconds(c.scaleUpCooldownMillis()));
        cost.put("consolidation_interval_s", seconds(c.consolidationIntervalMillis()));
        cost.put("consolidate_below_percent", c.consolidateBelowPercent());
        cost.put("plimsoll_pool_rule", poolRule);
        doc.put("cost_model", cost);
        List<Object> policies = new ArrayList<>();
        for (PolicyResult r : rs) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("policy", r.policy());
            p.put("requests", r.requests());
            p.put("busy_gpu_hours", Json.fixed(r.busyGpuHours(), 3));
            p.put("idle_warm_gpu_hours", Json.fixed(r.idleWarmGpuHours(), 3));
            p.put("parked_gpu_hours", Json.fixed(r.parkedGpuHours(), 3));
            p.put("loading_gpu_hours", Json.fixed(r.loadingGpuHours(), 3));
            p.put("gpu_node_hours", Json.fixed(r.nodeHours(), 3));
            p.put("max_nodes", r.maxNodes());
            p.put("cold_starts", r.coldStarts());
            p.put("parked_moves", r.parkedMoves());
            p.put("park_resumes", r.resumes());
            p.put("ca_restarts", r.restarts());
            p.put("parked_evictions", r.parkEvictions());
            p.put("engine_placements", r.placements());
            p.put("wait_p50_s", Json.fixed(r.waitP50Seconds(), 3));
            p.put("wait_p99_s", Json.fixed(r.waitP99Seconds(), 3));
            p.put("wait_mean_s", Json.fixed(r.waitMeanSeconds(), 3));
            PolicyResult.NodeHours b = r.nodeHoursBy();
            Map<String, Object> by = new LinkedHashMap<>();
            by.put("starting", Json.fixed(b.starting(), 3));
            by.put("empty", Json.fixed(b.empty(), 3));
            by.put("parked_only", Json.fixed(b.parkedOnly(), 3));
            by.put("serving", Json.fixed(b.serving(), 3));
            by.put("serving_full_pct", Json.fixed(b.servingFullPct(), 1));
            p.put("gpu_node_hours_by", by);
            Map<String, Object> zero = new LinkedHashMap<>();
            zero.put("requests", r.fromZero().requests());
            zero.put("wait_p50_s", Json.fixed(r.fromZero().waitP50Seconds(), 3));
            zero.put("wait_p99_s", Json.fixed(r.fromZero().waitP99Seconds(), 3));
            p.put("requests_at_zero", zero);
            policies.add(p);
        }
        doc.put("policies", policies);
        Map<String, Object> goal = new LinkedHashMap<>();
        goal.put("idle_le_keepalive_5m", idleOk);
        goal.put("cold_starts_le_keepalive_15m", coldOk);
        goal.put("p99_le_keepalive_15m", p99Ok);
        goal.put("node_hours_le_keepalive_5m", billOk);
        goal.put("met", idleOk && coldOk && p99Ok && billOk);
        doc.put("goal", goal);
        if (duty != null) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("pods", duty.pods());
            d.put("samples", duty.samples());
            d.put("observed_gpu_hours", Json.fixed(duty.observedGpuHours(), 3));
            d.put("zero_gpu_hours", Json.fixed(duty.zeroGpuHours(), 3));
            List<Object> stretches = new ArrayList<>();
            for (DutyCycleReport.Row r : duty.rows()) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("longer_than_s", r.thresholdMillis() / 1000);
                s.put("stretches", r.stretches());
                s.put("gpu_hours", Json.fixed(r.gpuHoursInStretches(), 3));
                s.put("reclaimable_gpu_hours", Json.fixed(r.reclaimableGpuHours(), 3));
                stretches.add(s);
            }
            d.put("idle_stretches", stretches);
            doc.put("duty_cycle", d);
        }
        return Json.write(doc, 1);
    }

    private static BigDecimal seconds(long millis) {
        return Json.fixed(millis / 1000.0, 3);
    }

    private static PackingStrategy strategy(Map<String, String> o) throws UsageError {
        String v = o.get("--strategy");
        if (v == null) return PackingStrategy.BestFit;
        for (PackingStrategy s : PackingStrategy.values()) if (s.name().equalsIgnoreCase(v.trim())) return s;
        throw new UsageError("argument '--strategy': '" + v + "' is not one of " + java.util.Arrays.toString(PackingStrategy.values()));
    }

    private static long longArg(Map<String, String> o, String k, long def) throws UsageError {
        String v = o.get(k);
        if (v == null) return def;
        try {
            long x = Long.parseLong(v.trim());
            if (x < 0) throw new UsageError("argument '" + k + "': must be >= 0, got '" + v + "'");
            return x;
        } catch (NumberFormatException e) {
            throw new UsageError("argument '" + k + "': not an integer: '" + v + "'");
        }
    }

    private static double dbl(Map<String, String> o, String k, double def) throws UsageError {
        return SimulateFlags.number(o, k, def);
    }

    /** The flag's duration, {@code def} when absent, null when it is the word {@code off} (e.g. none). */
    private static Duration optDur(Map<String, String> o, String k, Duration def, String off) throws UsageError {
        if (!o.containsKey(k)) return def;
        if (off != null && off.equals(o.get(k))) return null;
        return Duration.ofMillis(dur(o, k, 0));
    }

    private static long dur(Map<String, String> o, String k, long def) throws UsageError {
        return SimulateFlags.duration(o, k, def);
    }

    private static long timeArg(Map<String, String> o, String k, long def) throws UsageError {
        String v = o.get(k);
        if (v == null) return def;
        try {
            String s = v.trim();
            if (s.length() == 10) s = s + " 00:00:00";
            return ServingTrace.parseTime(s);
        } catch (RuntimeException e) {
            throw new UsageError("argument '" + k + "': not a date 'YYYY-MM-DD[ HH:MM:SS]': '" + v + "'");
        }
    }
}
