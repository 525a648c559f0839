package io.plimsoll.simulate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

class SimulateCommandTest {
    @TempDir
    Path tmp;

    record Outcome(int status, String out, String err) {}

    static Outcome run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status = SimulateCommand.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Outcome(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (-?[0-9.]+)").matcher(json);
        assertTrue(m.find(), "key " + key);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void sampledRunOnSmallSliceWritesJson() throws Exception {
        Path json = tmp.resolve("out.json");
        Outcome r = run("simulate", "--nodes", SliceFiles.smallNodes().toString(), "--pods", SliceFiles.smallPods().toString(),
                "--policy", "fgd", "--seeds", "1..3", "--inflation", "1.3", "--json", json.toString(), "--explain", "--explain-at", "100");
        assertEquals(0, r.status(), r.err());
        String s = Files.readString(json);
        assertTrue(s.contains("\"policy\": \"fgd\""));
        assertTrue(s.contains("\"runs\": ["));
        assertEquals(3, count(s, "\"seed\": "));
        assertEquals(3 * 131, count(s, "\"arrivedPct\": ") - explainSnapshots(s), "curve 0..130 per seed");
        for (String k : List.of("placed", "failed", "seconds", "allocatedPctAt100", "allocatedPctAt130", "placementsPerSecond")) {
            assertTrue(s.contains("\"" + k + "\": "), k);
        }
        double m130 = number(s, "allocatedPctAt130");
        assertTrue(m130 > 50 && m130 <= 100, "mean @130 " + m130);
        assertTrue(s.contains("\"wholeFreeDevices\"") && s.contains("\"partialHoles\"") && s.contains("\"failuresByReason\""));
        assertTrue(r.out().contains("alloc@100") && r.out().contains("mean"));
        // curve values of the first run
        Matcher m = Pattern.compile("\\{\"arrivedPct\": (\\d+), \"allocatedPct\": ([0-9.]+|null)\\}").matcher(s);
        List<Double> first = new ArrayList<>();
        while (m.find() && first.size() < 131) if (!m.group(2).equals("null")) first.add(Double.parseDouble(m.group(2)));
        assertTrue(first.size() > 100, "most curve points defined");
        for (double v : first) assertTrue(v >= 0 && v <= 100, "percent " + v);
    }

    private static int explainSnapshots(String s) {
        return count(s, "\"unallocatedMilli\"");
    }

    private static int count(String s, String needle) {
        int c = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) c++;
        return c;
    }

    @Test
    void replayWithSequencesMatchesPublishedFigure() throws Exception {
        // sequences dir holds default_s42_*; the trace name is derived from the pods file name
        Path json = tmp.resolve("fgd.json");
        Outcome r = run("--nodes", SliceFiles.nodes().toString(), "--pods", SliceFiles.defaultPods().toString(), "--policy", "fgd",
                "--seeds", "42", "--sequences", SliceFiles.dir().toString(), "--json", json.toString());
        assertEquals(0, r.status(), r.err());
        String s = Files.readString(json);
        assertEquals(95.14, number(s, "allocatedPctAt100"), 1e-9);
        assertEquals(95.29, number(s, "allocatedPctAt130"), 1e-9);
        assertTrue(s.contains("{\"arrivedPct\": 130, \"allocatedPct\": 95.29}"), "curve point at 130");
    }

    private Path write(String name, String content) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    private void assertBadInput(Outcome r, String... needles) {
        assertEquals(2, r.status(), r.err());
        for (String n : needles) assertTrue(r.err().contains(n), "stderr should contain '" + n + "': " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
        assertFalse(r.err().contains("Exception"), "no exception names");
    }

    @Test
    void missingColumnNamesFileLineAndField() throws Exception {
        Path nodes = write("nodes.csv", "sn,cpu_milli,gpu,model\nn1,1000,1,T4\n");
        assertBadInput(run("--nodes", nodes.toString(), "--pods", SliceFiles.smallPods().toString(), "--policy", "fgd"),
                "nodes.csv:1", "memory_mib", "missing column");
    }

    @Test
    void unknownGpuModelNamesFileLineAndField() throws Exception {
        Path pods = write("openb_pod_list_x.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\n"
                + "p0,1000,10,1,500,T4\np1,1000,10,1,500,T4|H100\n");
        assertBadInput(run("--nodes", SliceFiles.smallNodes().toString(), "--pods", pods.toString(), "--policy", "fgd"),
                "openb_pod_list_x.csv:3", "gpu_spec", "H100");
    }

    @Test
    void negativeRequestNamesFileLineAndField() throws Exception {
        Path pods = write("pods.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,10,1,500\np1,1000,-5,0,0\n");
        assertBadInput(run("--nodes", SliceFiles.smallNodes().toString(), "--pods", pods.toString(), "--policy", "best-fit"),
                "pods.csv:3", "memory_mib", "negative");
        Path pods2 = write("pods2.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,abc,10,1,500\n");
        assertBadInput(run("--nodes", SliceFiles.smallNodes().toString(), "--pods", pods2.toString(), "--policy", "best-fit"),
                "pods2.csv:2", "cpu_milli", "not an integer");
    }

    @Test
    void unreadableFileIsNamed() {
        assertBadInput(run("--nodes", tmp.resolve("nope.csv").toString(), "--pods", SliceFiles.smallPods().toString(), "--policy", "fgd"),
                "nope.csv", "cannot read");
        assertBadInput(run("--nodes", SliceFiles.smallNodes().toString(), "--pods", SliceFiles.smallPods().toString(), "--policy", "fgd",
                "--sequences", tmp.toString(), "--seeds", "42"), "small_s42_arrivals.csv.gz", "cannot read");
    }

    @Test
    void badFlagsExitTwo() {
        assertBadInput(run("--nodes", "a", "--pods", "b", "--policy", "fgd", "--frobnicate"), "--frobnicate", "unknown flag");
        assertBadInput(run("--nodes", "a", "--pods", "b", "--policy", "worst-fit"), "--policy", "worst-fit");
        assertBadInput(run("--nodes", "a", "--pods", "b", "--policy", "fgd", "--seeds", "x..y"), "--seeds");
        assertBadInput(run("--nodes", "a", "--pods", "b", "--policy", "fgd", "--inflation", "-1"), "--inflation");
        assertBadInput(run("--pods", "b", "--policy", "fgd"), "--nodes");
        assertBadInput(run("--nodes", "a", "--pods", "b", "--policy"), "--policy", "missing value");
    }

    @Test
    void traceNameFromPodsFile() {
        assertEquals("default", TraceLoader.traceName(Path.of("/x/openb_pod_list_default.csv")));
        assertEquals("gpushare40", TraceLoader.traceName(Path.of("openb_pod_list_gpushare40.csv.gz")));
    }
}
