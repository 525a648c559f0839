package io.plimsoll.simulate.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServingSimulateCommandTest {
    static final String SLICE = "src/test/resources/genai-slice/";
    static final String REQ = SLICE + "requests_nov15-17.csv", LAT = SLICE + "load_latency_200.csv", DUTY = SLICE + "duty_cycle_3pods.csv.gz";

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = new ServingSimulateCommand().run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static void noStackTrace(Run r) {
        assertFalse(r.err.contains("Exception") || r.err.contains("\tat "), r.err);
    }

    @Test
    void sliceWritesTableAndJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out.json");
        Run r = run("simulate", "serving", "--requests", REQ, "--load-latency", LAT, "--duty-cycle", DUTY, "--seed", "7",
                "--json", json.toString());
        assertEquals(0, r.code, r.err);
        for (String s : new String[] {"plimsoll-adaptive (default)", "always-on (1 replica/model)", "keep-alive 90s", "keep-alive 5m",
                "keep-alive 15m", "cluster-autoscaler (keep-alive 5m)", "plimsoll-adaptive, plain pool rule", "busy GPUh", "idle GPUh", "node-hours", "wait p99",
                "goal:", "idle stretch longer than", "268 requests", "17 models"}) {
            assertTrue(r.out.contains(s), "missing '" + s + "' in\n" + r.out);
        }
        String j = Files.readString(json);
        assertEquals(7, count(j, "\"policy\":"));
        assertEquals(7, count(j, "\"cold_starts\":"));
        assertEquals(4, count(j, "\"longer_than_s\":"));
        assertTrue(j.contains("\"park_fraction\": 0.2500"), j);
        assertTrue(j.contains("\"strategy\": \"BestFit\", \"placement\": \"io.plimsoll.engine.PlacementEngine\""), j);
        // Plimsoll's pool rule is the operator's default AcceleratorPool spec.scaling, one set of constants for both
        assertTrue(j.contains("\"plimsoll_pool_rule\": {\"empty_node_removed_after_s\": "
                + io.plimsoll.engine.PoolPlanner.DEFAULT_SCALE_DOWN_AFTER.toSeconds() + ".000, \"last_node_kept_s\": "
                + io.plimsoll.engine.PoolPlanner.DEFAULT_LAST_NODE_AFTER.toSeconds() + ".000, \"grow_if_parked_within_s\": "
                + io.plimsoll.engine.PoolPlanner.DEFAULT_GROW_IF_PARKED_WITHIN.toSeconds() + ".000, \"references_too\": false}"), j);
        assertTrue(j.contains("\"parked_only_node_removed_after_s\": " + io.plimsoll.engine.PoolPlanner.DEFAULT_PARKED_ONLY_AFTER.toSeconds() + ".000"), j);
        assertEquals(io.plimsoll.api.PoolScaling.DEFAULT_SCALE_DOWN_AFTER, new io.plimsoll.api.PoolScaling().getScaleDownAfter());
        assertEquals(io.plimsoll.api.PoolScaling.DEFAULT_LAST_NODE_AFTER, new io.plimsoll.api.PoolScaling().getLastNodeAfter());
        Matcher calls = Pattern.compile("\"engine_placements\": ([0-9]+)").matcher(j);
        while (calls.find()) assertTrue(Long.parseLong(calls.group(1)) > 0, "every policy places through the engine:\n" + j);
        // busy GPU-hours = sum of exec times of the slice, the same for every policy
        double busy = 0;
        for (String line : Files.readAllLines(Path.of(REQ)).subList(1, 269)) busy += Double.parseDouble(line.split(",", -1)[3]);
        Matcher m = Pattern.compile("\"busy_gpu_hours\": ([0-9.]+)").matcher(j);
        int n = 0;
        while (m.find()) { assertEquals(busy / 3600, Double.parseDouble(m.group(1)), 1e-3); n++; }
        assertEquals(7, n);
        // where each policy's node-hours went, in kinds that add up to its node-hours
        Matcher by = Pattern.compile("\"gpu_node_hours\": ([0-9.]+),.*?\"gpu_node_hours_by\": \\{\"starting\": ([0-9.]+), \"empty\": ([0-9.]+), "
                + "\"parked_only\": ([0-9.]+), \"serving\": ([0-9.]+)", Pattern.DOTALL).matcher(j);
        int kinds = 0;
        while (by.find()) {
            double sum = 0;
            for (int g = 2; g <= 5; g++) sum += Double.parseDouble(by.group(g));
            assertEquals(Double.parseDouble(by.group(1)), sum, 0.005, by.group());
            kinds++;
        }
        assertEquals(7, kinds, j);
        // always-on never cold-starts after the start; the others do
        String on = j.substring(j.indexOf("\"policy\": \"always-on"));
        on = on.substring(0, on.indexOf('}'));
        assertTrue(on.contains("\"cold_starts\": 0,"), on);
        // deterministic for a seed
        Path json2 = dir.resolve("out2.json");
        assertEquals(0, run("--requests", REQ, "--load-latency", LAT, "--duty-cycle", DUTY, "--seed", "7", "--json", json2.toString()).code);
        assertEquals(j, Files.readString(json2));
        // another packing strategy is the PlacementPolicy's, passed to the same engine
        Path json3 = dir.resolve("out3.json");
        Run fgd = run("--requests", REQ, "--load-latency", LAT, "--seed", "7", "--strategy", "fgd", "--json", json3.toString());
        assertEquals(0, fgd.code, fgd.err);
        assertTrue(fgd.out.contains("PlacementEngine (FGD)"), fgd.out);
        assertTrue(Files.readString(json3).contains("\"strategy\": \"FGD\""));
    }

    static int count(String s, String needle) {
        int c = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) c++;
        return c;
    }

    @Test
    void missingColumnNamesFileLineAndField(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("no-exec.csv");
        Files.writeString(f, "gmt_create,checkpoint_model_version_id\n2024-11-15 16:57:50,M0000\n");
        Run r = run("--requests", f.toString(), "--load-latency", LAT);
        assertEquals(2, r.code);
        assertTrue(r.err.contains(f + ":1: field 'exec_time_seconds'"), r.err);
        noStackTrace(r);
    }

    @Test
    void negativeExecTimeNamesLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("neg.csv");
        Files.writeString(f, "gmt_create,exec_time_seconds,checkpoint_model_version_id\n"
                + "2024-11-15 16:57:50,3.0,M0000\n2024-11-15 16:58:50,-1.5,M0000\n");
        Run r = run("--requests", f.toString(), "--load-latency", LAT);
        assertEquals(2, r.code);
        assertTrue(r.err.contains(f + ":3: field 'exec_time_seconds': negative"), r.err);
        noStackTrace(r);
    }

    @Test
    void badTimeAndBadLatency(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("time.csv");
        Files.writeString(f, "gmt_create,exec_time_seconds,checkpoint_model_version_id\nyesterday,3.0,M0000\n");
        Run r = run("--requests", f.toString(), "--load-latency", LAT);
        assertEquals(2, r.code);
        assertTrue(r.err.contains(f + ":2: field 'gmt_create'"), r.err);
        Path l = dir.resolve("lat.csv");
        Files.writeString(l, "value\n100\nabc\n");
        r = run("--requests", REQ, "--load-latency", l.toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains(l + ":3: field 'value': not a number"), r.err);
        noStackTrace(r);
    }

    /** A bad value for one flag exits 2 with an error naming what is wrong, and no stack trace. */
    private void badFlag(String flag, String value, String... said) {
        Run r = run("--requests", REQ, "--load-latency", LAT, flag, value);
        assertEquals(2, r.code, flag + " " + value);
        for (String s : said) assertTrue(r.err.contains(s), r.err);
        noStackTrace(r);
    }

    @Test
    void unreadableFileAndBadFlags(@TempDir Path dir) {
        Path missing = dir.resolve("nope.csv");
        Run r = run("--requests", missing.toString(), "--load-latency", LAT);
        assertEquals(2, r.code);
        assertTrue(r.err.contains(missing.toString()) && r.err.contains("cannot read"), r.err);
        noStackTrace(r);
        badFlag("--gpus-per-node", "eight", "'--gpus-per-node'");
        badFlag("--node-startup", "-3m", "'--node-startup'");
        badFlag("--park-fraction", "2", "park-fraction");
        badFlag("--strategy", "Tightest", "'--strategy'", "BestFit");
        badFlag("--last-node-after", "soon", "'--last-node-after'");
        badFlag("--same-pool-rule", "yes", "'--same-pool-rule'");
        r = run("--requests", REQ, "--load-latency", LAT, "--bogus");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("'--bogus'"), r.err);
        r = run("--load-latency", LAT);
        assertEquals(2, r.code);
        assertTrue(r.err.contains("'--requests'"), r.err);
        noStackTrace(r);
    }
}
