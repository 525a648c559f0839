package io.plimsoll.simulate.tenants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code simulate tenants} on a 38-node slice: the JSON's fields, and figures that must hold whatever the tuning. */
class TenantsSimulateCommandTest {
    static final String SLICE = "src/test/resources/openb-slice/small/";
    static final String NODES = SLICE + "openb_node_list_small.csv", PODS = SLICE + "openb_pod_list_small_timed.csv";

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code = new TenantsSimulateCommand().run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static JsonNode slice(Path dir, String name, String... extra) throws Exception {
        Path json = dir.resolve(name);
        List<String> args = new java.util.ArrayList<>(List.of("simulate", "tenants", "--nodes", NODES, "--pods", PODS,
                "--hours", "2", "--warmup", "2h", "--burst", "20m", "--load", "1.3", "--seed", "7", "--json", json.toString()));
        args.addAll(List.of(extra));
        Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("goal: plimsoll allocation"), r.out);
        return new ObjectMapper().readTree(Files.readString(json));
    }

    @Test
    void theJsonHasEveryFieldAndTheFiguresAreConsistent(@TempDir Path dir) throws Exception {
        JsonNode doc = slice(dir, "out.json", "--grace-period", "45");
        assertEquals(45.0, doc.get("gracePeriodSeconds").asDouble());
        JsonNode policies = doc.get("policies");
        assertEquals(3, policies.size());
        double capacity = doc.get("capacityGpuEq").asDouble();
        double guaranteed = 0;
        for (int i = 0; i < 3; i++) {
            JsonNode p = policies.get(i);
            assertEquals(List.of("no-quota", "static-quota", "plimsoll").get(i), p.get("policy").asText());
            for (String f : List.of("allocationPct", "preemptions", "lostGpuHoursPct", "tenants")) assertTrue(p.has(f), f);
            double alloc = p.get("allocationPct").asDouble();
            assertTrue(alloc > 0 && alloc <= 100.0001, "allocation " + alloc);
            assertEquals(6, p.get("tenants").size());
            guaranteed = 0;
            for (JsonNode t : p.get("tenants")) {
                for (String f : List.of("tenant", "guaranteed", "waitP50Seconds", "waitP99Seconds", "deficitTimePct",
                        "reclaimP50Seconds", "reclaimP99Seconds")) {
                    assertTrue(t.has(f), f);
                }
                assertTrue(t.get("waitP50Seconds").asDouble() <= t.get("waitP99Seconds").asDouble());
                assertTrue(t.get("reclaimP50Seconds").asDouble() <= t.get("reclaimP99Seconds").asDouble());
                double d = t.get("deficitTimePct").asDouble();
                assertTrue(d >= 0 && d <= 100.0001, "deficit " + d);
                guaranteed += t.get("guaranteed").asDouble();
                if (i == 1) {
                    assertTrue(t.get("maxUsedGpuEq").asDouble() <= t.get("guaranteed").asDouble() + 1e-6,
                            "static quota: nobody above its guarantee: " + t);
                }
            }
            double lost = p.get("lostGpuHoursPct").asDouble();
            if (i < 2) {
                assertEquals(0, p.get("preemptions").asInt(), "only plimsoll preempts");
                assertEquals(0.0, lost);
            } else {
                assertTrue(lost >= 0 && lost <= 100);
                assertFalse(p.get("reclaimTookWithinGuarantee").asBoolean(), "reclaim never takes work within a guarantee");
            }
        }
        assertTrue(guaranteed <= 0.9 * capacity + 0.5, "guarantees add up to at most 90 % of the capacity");
        assertTrue(policies.get(1).get("maxAboveGuaranteeGpuEq").asDouble() <= 1e-6);
        // Plimsoll is work conserving: it allocates more than static quotas.
        assertTrue(policies.get(2).get("allocationPct").asDouble() > policies.get(1).get("allocationPct").asDouble());
        assertTrue(doc.has("goal"));
    }

    @Test
    void theSameSeedGivesTheSameFigures(@TempDir Path dir) throws Exception {
        JsonNode a = slice(dir, "a.json", "--policies", "no-quota,static-quota,plimsoll");
        JsonNode b = slice(dir, "b.json");
        assertEquals(a.get("policies"), b.get("policies"));
    }

    @Test
    void jobsThatCheckpointLoseNothingWhenPreemptedAndResumeWhereTheyWere(@TempDir Path dir) throws Exception {
        JsonNode none = slice(dir, "none.json").get("policies").get(2);
        JsonNode all = slice(dir, "all.json", "--checkpointing", "1").get("policies").get(2);
        assertTrue(none.get("preemptions").asInt() > 0 && none.get("lostGpuHours").asDouble() > 0, "the load preempts: " + none);
        assertTrue(all.get("preemptions").asInt() > 0, "still preempted: " + all);
        assertEquals(0.0, all.get("lostGpuHours").asDouble(), "every victim checkpoints");
        JsonNode half = slice(dir, "half.json", "--checkpointing", "0.5").get("policies").get(2);
        double lost = half.get("lostGpuHours").asDouble();
        assertTrue(lost > 0 && lost < none.get("lostGpuHours").asDouble(), "half checkpoint: " + lost + " vs " + none);
    }

    @Test
    void badFlagsSayWhatIsWrong() {
        Run r = run("--tenants", "3");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("--tenants") && r.err.contains("4..8"), r.err);
        r = run("--worth", "T4");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("MODEL=GPU_EQ"), r.err);
        r = run("--nodes", "/nonexistent.csv");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("/nonexistent.csv"), r.err);
        r = run("--policies", "fifo");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("fifo"), r.err);
        r = run("--checkpointing", "1.5");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("--checkpointing") && r.err.contains("[0, 1]"), r.err);
        assertEquals(0, run("--help").code);
    }
}
