package io.plimsoll.simulate;

import io.plimsoll.engine.packing.PackingPolicy;
import io.plimsoll.engine.packing.Policies;
import io.plimsoll.engine.packing.TaskShape;
import io.plimsoll.engine.packing.TypicalDistribution;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code simulate --nodes N.csv --pods P.csv --policy NAME --seeds 42..51 --inflation 1.3 --json OUT.json
 * [--sequences DIR] [--explain] [--explain-at PCT]}: replays (with --sequences) or samples (METHOD.md section 9)
 * arrivals per seed, places them with the policy and reports the allocation curve.
 */
public final class SimulateCommand {
    public static final int EXIT_OK = 0;
    public static final int EXIT_INTERNAL = 1;
    public static final int EXIT_BAD_INPUT = 2;

    static final String USAGE = "usage: simulate --nodes NODES.csv --pods PODS.csv --policy "
            + String.join("|", Policies.NAMES) + " [--seeds 42..51] [--inflation 1.3] [--json OUT.json]"
            + " [--sequences DIR] [--explain] [--explain-at PCT]";

    private SimulateCommand() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Options after parsing. */
    static final class Options {
        Path nodes, pods, json, sequences;
        String policy;
        long[] seeds = range(42, 51);
        double inflation = 1.3;
        boolean explain;
        List<Double> explainAt = new ArrayList<>();
        boolean quiet;
    }

    static long[] range(long a, long b) {
        long[] r = new long[(int) (b - a + 1)];
        for (int i = 0; i < r.length; i++) r[i] = a + i;
        return r;
    }

    private static InputException flag(String flag, String msg) {
        return new InputException("command line", 0, flag, msg + ". " + USAGE);
    }

    static Options parse(String[] args) throws InputException {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i == 0 && a.equals("simulate")) continue;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            boolean takesValue = switch (a) {
                case "--nodes", "--pods", "--policy", "--seeds", "--inflation", "--json", "--sequences", "--explain-at" -> true;
                case "--explain", "--quiet" -> false;
                default -> throw flag(a, "unknown flag '" + a + "'. Fix: use one of the flags below");
            };
            if (takesValue && value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) throw flag(a, "missing value for " + a);
                value = args[++i];
            }
            switch (a) {
                case "--nodes" -> o.nodes = Path.of(value);
                case "--pods" -> o.pods = Path.of(value);
                case "--json" -> o.json = Path.of(value);
                case "--sequences" -> o.sequences = Path.of(value);
                case "--policy" -> {
                    if (!Policies.NAMES.contains(value)) throw flag(a, "unknown policy '" + value + "'. Fix: use one of " + Policies.NAMES);
                    o.policy = value;
                }
                case "--seeds" -> o.seeds = parseSeeds(value);
                case "--inflation" -> {
                    try {
                        o.inflation = Double.parseDouble(value);
                    } catch (NumberFormatException e) {
                        throw flag(a, "'" + value + "' is not a number. Fix: e.g. --inflation 1.3");
                    }
                    if (!(o.inflation > 0 && o.inflation <= 10)) throw flag(a, "inflation must be in (0, 10]. Fix: e.g. --inflation 1.3");
                }
                case "--explain" -> o.explain = true;
                case "--quiet" -> o.quiet = true;
                case "--explain-at" -> {
                    try {
                        for (String p : value.split(",")) o.explainAt.add(Double.parseDouble(p.trim()));
                    } catch (NumberFormatException e) {
                        throw flag(a, "'" + value + "' is not a percentage. Fix: e.g. --explain-at 100");
                    }
                    o.explain = true;
                }
                default -> throw flag(a, "unknown flag");
            }
        }
        if (o.nodes == null) throw flag("--nodes", "missing required flag --nodes");
        if (o.pods == null) throw flag("--pods", "missing required flag --pods");
        if (o.policy == null) throw flag("--policy", "missing required flag --policy");
        return o;
    }

    static long[] parseSeeds(String v) throws InputException {
        try {
            if (v.contains("..")) {
                String[] p = v.split("\\.\\.", -1);
                long a = Long.parseLong(p[0].trim()), b = Long.parseLong(p[1].trim());
                if (b < a || b - a > 100000) throw flag("--seeds", "bad seed range '" + v + "'. Fix: e.g. --seeds 42..51");
                return range(a, b);
            }
            String[] p = v.split(",");
            long[] r = new long[p.length];
            for (int i = 0; i < p.length; i++) r[i] = Long.parseLong(p[i].trim());
            return r;
        } catch (NumberFormatException e) {
            throw flag("--seeds", "bad seeds '" + v + "'. Fix: e.g. --seeds 42..51 or --seeds 42,43");
        }
    }

    /** Run the command; returns the exit status (0 ok, 2 bad input, 1 internal error). Never throws. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return execute(parse(args), out, err);
        } catch (InputException e) {
            err.println("simulate: " + e.describe());
            return EXIT_BAD_INPUT;
        } catch (RuntimeException | OutOfMemoryError e) {
            err.println("simulate: internal error: " + e);
            return EXIT_INTERNAL;
        }
    }

    static int execute(Options o, PrintStream out, PrintStream err) throws InputException {
        List<TraceLoader.NodeSpec> nodes = TraceLoader.loadNodes(o.nodes);
        Set<String> models = TraceLoader.acceptedModels(nodes);
        List<TaskShape> pods = TraceLoader.loadPods(o.pods, models);
        String trace = TraceLoader.traceName(o.pods);
        long capacity = 0;
        for (TraceLoader.NodeSpec n : nodes) capacity += 1000L * n.gpus();
        if (capacity == 0) throw new InputException(o.nodes.toString(), 0, "gpu", "the node list has no GPUs. Fix: use a node list with GPU nodes.");
        if (o.sequences != null && !Files.isDirectory(o.sequences)) {
            throw new InputException(o.sequences.toString(), 0, "--sequences", "not a directory. Fix: pass the folder holding <trace>_s<seed>_arrivals.csv.gz.");
        }
        TypicalDistribution dist = TypicalDistribution.fromTasks(pods);
        double[] explainAt = o.explainAt.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int xHigh = (int) Math.round(o.inflation * 100);
        int curveMax = Math.max(130, xHigh);

        out.printf(Locale.ROOT, "simulate: trace %s, policy %s, %d nodes (%d GPUs), %d pod rows, %d typical shapes, arrivals %s%n",
                trace, o.policy, nodes.size(), capacity / 1000, pods.size(), dist.size(),
                o.sequences == null ? "sampled (inflation " + o.inflation + ")" : "replayed from " + o.sequences);
        out.printf(Locale.ROOT, "%6s %9s %9s %8s %7s %8s %9s%n", "seed", "alloc@100", "alloc@130", "placed", "failed", "seconds", "tasks/s");

        List<Object> runs = new ArrayList<>();
        double sum100 = 0, sum130 = 0, totalSeconds = 0;
        long totalDecisions = 0;
        int n100 = 0, n130 = 0;
        long wallStart = System.nanoTime();
        for (int si = 0; si < o.seeds.length; si++) {
            long seed = o.seeds[si];
            List<TaskShape> arrivals;
            int[] ranks;
            if (o.sequences != null) {
                Path a = o.sequences.resolve(trace + "_s" + seed + "_arrivals.csv.gz");
                Path r = o.sequences.resolve(trace + "_s" + seed + "_noderank.csv.gz");
                arrivals = TraceLoader.loadArrivals(a, models);
                ranks = TraceLoader.loadRanks(r, nodes);
            } else {
                ArrivalSampler.Sample s = ArrivalSampler.sample(pods, nodes.size(), capacity, o.inflation, seed);
                arrivals = s.arrivals();
                ranks = s.ranks();
            }
            PackingPolicy policy = Policies.create(o.policy, dist);
            Explain explain = o.explain ? new Explain(dist, pods) : null;
            Replay.Result res = Replay.run(nodes, ranks, arrivals, policy, explain, explainAt);
            double a100 = res.curve().at(100);
            double a130 = res.curve().at(130);
            if (!Double.isNaN(a100)) { sum100 += a100; n100++; }
            if (!Double.isNaN(a130)) { sum130 += a130; n130++; }
            totalSeconds += res.seconds();
            totalDecisions += res.decisions();
            out.printf(Locale.ROOT, "%6d %9s %9s %8d %7d %8.2f %9.0f%n", seed, fmt(a100), fmt(a130), res.placed(), res.failed(),
                    res.seconds(), res.decisions() / Math.max(res.seconds(), 1e-9));
            if (explain != null) {
                for (Map<String, Object> snap : res.explains()) out.print(Explain.render(snap));
            }
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("seed", seed);
            List<Object> curve = new ArrayList<>();
            for (int x = 0; x <= curveMax; x++) {
                Map<String, Object> pt = new LinkedHashMap<>();
                pt.put("arrivedPct", x);
                double v = res.curve().at(x);
                pt.put("allocatedPct", Double.isNaN(v) ? null : v);
                curve.add(pt);
            }
            run.put("allocatedPctAt100", Double.isNaN(a100) ? null : a100);
            run.put("allocatedPctAt130", Double.isNaN(a130) ? null : a130);
            run.put("arrivals", res.decisions());
            run.put("placed", res.placed());
            run.put("failed", res.failed());
            run.put("seconds", round(res.seconds(), 4));
            run.put("curve", curve);
            if (explain != null) run.put("explain", res.explains());
            runs.add(run);
            double elapsed = (System.nanoTime() - wallStart) / 1e9;
            if (!o.quiet && (elapsed > 2 || si == o.seeds.length - 1)) {
                err.printf(Locale.ROOT, "[simulate] %s/%s seed %d done (%d/%d), %.1fs elapsed%n", trace, o.policy, seed, si + 1,
                        o.seeds.length, elapsed);
            }
        }
        Double m100 = n100 == 0 ? null : sum100 / n100;
        Double m130 = n130 == 0 ? null : sum130 / n130;
        double pps = totalDecisions / Math.max(totalSeconds, 1e-9);
        out.printf(Locale.ROOT, "%6s %9s %9s %8s %7s %8.2f %9.0f%n", "mean", m100 == null ? "-" : String.format(Locale.ROOT, "%.3f", m100),
                m130 == null ? "-" : String.format(Locale.ROOT, "%.3f", m130), "", "", totalSeconds / o.seeds.length, pps);

        if (o.json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("policy", o.policy);
            doc.put("trace", trace);
            doc.put("nodes", o.nodes.toString());
            doc.put("pods", o.pods.toString());
            doc.put("arrivals", o.sequences == null ? "sampled" : "sequences");
            doc.put("inflation", o.inflation);
            doc.put("seeds", Arrays.stream(o.seeds).boxed().toList());
            doc.put("allocatedPctAt100", m100 == null ? null : round(m100, 4));
            doc.put("allocatedPctAt130", m130 == null ? null : round(m130, 4));
            doc.put("placementsPerSecond", round(pps, 1));
            doc.put("runs", runs);
            try {
                Path parent = o.json.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                Files.writeString(o.json, Json.write(doc), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new InputException(o.json.toString(), 0, "--json", "cannot write file: " + e.getMessage()
                        + ". Fix: pass a writable path.");
            }
        }
        return EXIT_OK;
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }
}
