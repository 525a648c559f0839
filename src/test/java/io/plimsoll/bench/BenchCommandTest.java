package io.plimsoll.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.plimsoll.simulate.TraceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench command on a small slice (38 nodes, 50 workloads, embedded API). No timing assertions: figures only. */
class BenchCommandTest {
    @TempDir
    Path tmp;

    static Path slice(String file) throws URISyntaxException {
        return Path.of(BenchCommandTest.class.getResource("/openb-slice/small/" + file).toURI());
    }

    @Test
    void smallRunSettlesEveryWorkloadAndWritesTheFigures() throws Exception {
        Path json = tmp.resolve("bench.json");
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status = BenchCommand.run(new String[]{"--nodes", slice("openb_node_list_small.csv").toString(),
                        "--pods", slice("openb_pod_list_small.csv").toString(), "--workloads", "50", "--timeout", "120",
                        "--isolated-decisions", "120", "--json", json.toString()},
                new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        String out = o.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out + e.toString(StandardCharsets.UTF_8));
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        for (String key : List.of("workloads", "nodes", "api", "bound", "pending", "secondsToAllSettled", "podsPerSecond",
                "decisionP50Ms", "decisionP99Ms", "decisionCpuP50Ms", "decisionCpuP99Ms", "heapPeakMiB", "apiRequestsPerPlacement")) {
            assertTrue(r.hasNonNull(key), "JSON has " + key + ": " + r);
        }
        assertEquals(50, r.get("workloads").asInt());
        assertEquals(38, r.get("nodes").asInt());
        assertEquals("embedded", r.get("api").asText());
        assertEquals(50, r.get("bound").asInt() + r.get("pending").asInt(), "every workload bound or pending: " + r);
        assertTrue(r.get("bound").asInt() > 0 && r.get("podsBound").asInt() >= r.get("bound").asInt(), r.toString());
        assertTrue(r.get("apiRequests").asLong() > 0, "the operator's requests are counted");
        assertTrue(r.get("harnessApiRequestsByResource").get("POST aiworkloads").asLong() == 50, "the bench's own requests are counted apart: " + r);
        assertTrue(r.get("decisionCpuP99Ms").asDouble() <= r.get("decisionP99Ms").asDouble() * 1.01 + 0.01,
                "a decision's CPU time is within its wall time: " + r);
        assertEquals(120, r.get("isolatedDecisions").asInt(), "more decisions than workloads: the workloads again " + r);
        assertTrue(out.contains("time until all settled"), out);
    }

    @Test
    void withTenantsTheWorkloadsSpreadOverTheTenantsNamespacesAndStillSettle() throws Exception {
        Path json = tmp.resolve("tenants.json");
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status = BenchCommand.run(new String[]{"--nodes", slice("openb_node_list_small.csv").toString(),
                        "--pods", slice("openb_pod_list_small.csv").toString(), "--workloads", "60", "--tenants", "3",
                        "--timeout", "120", "--json", json.toString()},
                new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        String out = o.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out + e.toString(StandardCharsets.UTF_8));
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertEquals(3, r.get("tenants").asInt());
        for (String key : List.of("preemptions", "workloadsPreempted", "gpuHoursLostToPreemption")) {
            assertTrue(r.hasNonNull(key), "JSON has " + key + ": " + r);
        }
        assertTrue(r.get("preemptions").asLong() >= r.get("workloadsPreempted").asLong(),
                "every workload preempted was preempted at least once: " + r);
        assertEquals(60, r.get("bound").asInt() + r.get("pending").asInt(), "every workload bound or pending: " + r);
        assertTrue(r.get("bound").asInt() > 0, r.toString());
        assertTrue(out.contains("3 tenants (a namespace each)"), out);
        var tenants = BenchCommand.tenants(3, 100);
        assertEquals(List.of("bench-t0", "bench-t1", "bench-t2"), tenants.stream().map(t -> t.getMetadata().getName()).toList());
        assertEquals(30.0, tenants.get(0).getSpec().getGuaranteed().getGpuEquivalents());
        assertEquals(100.0, tenants.get(0).getSpec().getLimit().getGpuEquivalents());
        assertEquals("plimsoll-bench-t1", new BenchCommand.Options(null, null, 1, 0, 0, "embedded", null, 1, 1, false, 3, 200).namespaceOf(4));
    }

    @Test
    void tenantsAreBounded() {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status = BenchCommand.run(new String[]{"--tenants", "51"}, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        assertEquals(BenchCommand.EXIT_BAD_INPUT, status);
        assertTrue(e.toString(StandardCharsets.UTF_8).contains("--tenants 51 is more than 50"), e.toString(StandardCharsets.UTF_8));
        e.reset();
        status = BenchCommand.run(new String[]{"--isolated-decisions", "100001"}, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        assertEquals(BenchCommand.EXIT_BAD_INPUT, status);
        assertTrue(e.toString(StandardCharsets.UTF_8).contains("--isolated-decisions 100001 is more than 100000"), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withoutTheOperatorItMeasuresTheApiServersIntakeAlone() throws Exception {
        Path json = tmp.resolve("intake.json");
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status = BenchCommand.run(new String[]{"--nodes", slice("openb_node_list_small.csv").toString(),
                        "--pods", slice("openb_pod_list_small.csv").toString(), "--workloads", "40", "--without-operator",
                        "--json", json.toString()},
                new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        String out = o.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out + e.toString(StandardCharsets.UTF_8));
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertTrue(r.get("withoutOperator").asBoolean(), r.toString());
        assertEquals(40, r.get("applied").asInt());
        assertTrue(r.get("appliedPerSecond").asDouble() > 0, r.toString());
        assertTrue(!r.has("bound"), "nothing is placed without the operator: " + r);
        assertTrue(out.contains("no operator"), out);
    }

    @Test
    void theNodeListRepeatsToTheWantedCount() throws Exception {
        var nodes = TraceLoader.loadNodes(slice("openb_node_list_small.csv"));
        BenchCluster c = BenchCluster.of(nodes, 100);
        assertEquals(100, c.nodeSpecs().size());
        assertEquals(100, c.nodeSpecs().stream().map(TraceLoader.NodeSpec::name).distinct().count(), "names stay unique");
        assertEquals(nodes.get(0).name() + "-r1", c.nodeSpecs().get(nodes.size()).name());
        assertEquals(7, c.pools().size(), "one pool per GPU model, no CPU pool without GPU-less nodes");
    }

    @Test
    void workloadsFollowThePodShapes() throws Exception {
        var nodes = TraceLoader.loadNodes(slice("openb_node_list_small.csv"));
        var pods = TraceLoader.loadPods(slice("openb_pod_list_small.csv"), TraceLoader.acceptedModels(nodes));
        var batch = BenchWorkloads.make(pods, 700, 7, "ns");
        var mix = batch.mix();
        assertEquals(700, batch.workloads().size());
        assertEquals(700, mix.inference() + mix.training() + mix.optimization());
        assertTrue(mix.gangs() > 0 && mix.pods() > 700, "some Training workloads are gangs: " + mix);
        assertEquals(700, batch.workloads().stream().map(w -> w.getMetadata().getName()).distinct().count());
        for (var w : batch.workloads()) {
            var acc = w.getSpec().getResources().getAccelerator();
            switch (w.getSpec().getPhase()) {
                case Inference -> assertTrue(acc.getFraction() > 0 && acc.getFraction() < 1 && "Never".equals(w.getSpec().getIdleTimeout()));
                case Training -> assertTrue(acc.getCount() >= 1 && w.getSpec().getReplicas() <= 4);
                case Optimization -> assertEquals(io.plimsoll.engine.AcceleratorType.None, acc.getType());
                default -> throw new AssertionError(w.getSpec().getPhase());
            }
        }
    }
}
