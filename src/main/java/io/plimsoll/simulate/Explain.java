package io.plimsoll.simulate;

import io.plimsoll.engine.packing.Cluster;
import io.plimsoll.engine.packing.FragmentationModel;
import io.plimsoll.engine.packing.NodeState;
import io.plimsoll.engine.packing.TaskShape;
import io.plimsoll.engine.packing.TypicalDistribution;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Where the unallocated GPU capacity sits, and why tasks failed (the --explain report). */
public final class Explain {
    static final int[] HOLE_BOUNDS = {1, 100, 250, 500, 750, 1000};
    static final String[] HOLE_NAMES = {"1-99", "100-249", "250-499", "500-749", "750-999"};

    private final FragmentationModel frag;
    private final int minGpuTaskCpu;
    private final long minGpuTaskMem;
    /** reason -> count */
    private final Map<String, Integer> reasons = new TreeMap<>();
    /** shape -> (reason -> count) */
    private final Map<String, Map<String, Integer>> byShape = new TreeMap<>();
    private final Map<String, Integer> shapeTotals = new TreeMap<>();

    public Explain(TypicalDistribution dist, List<TaskShape> pods) {
        this.frag = new FragmentationModel(dist);
        int c = Integer.MAX_VALUE;
        long m = Long.MAX_VALUE;
        for (TaskShape t : pods) {
            if (t.isCpuOnly()) continue;
            c = Math.min(c, t.cpuMilli());
            m = Math.min(m, t.memMib());
        }
        this.minGpuTaskCpu = c == Integer.MAX_VALUE ? 0 : c;
        this.minGpuTaskMem = m == Long.MAX_VALUE ? 0 : m;
        double cs = 0, ms = 0, gs = 0;
        for (TaskShape t : pods) {
            if (t.isCpuOnly()) continue;
            cs += t.cpuMilli();
            ms += t.memMib();
            gs += t.gpuDemand();
        }
        this.cpuPerMilliGpu = gs == 0 ? 0 : cs / gs;
        this.memPerMilliGpu = gs == 0 ? 0 : ms / gs;
    }

    /** Average CPU milli and memory MiB that GPU tasks of the workload bring per milli-GPU. */
    private final double cpuPerMilliGpu, memPerMilliGpu;

    static String shapeName(TaskShape t) {
        if (t.isCpuOnly()) return "cpu-only";
        String s = t.isFractional() ? "1x" + t.gpuMilli() + "m" : t.numGpu() + "xGPU";
        if (t.numGpu() > 1 && t.gpuMilli() < 1000) s = t.numGpu() + "x" + t.gpuMilli() + "m";
        return t.gpuSpec().isEmpty() ? s : s + " [" + t.gpuSpec() + "]";
    }

    /** Classify why no node fits the task. */
    public static String reason(Cluster cluster, TaskShape t) {
        boolean anyModel = false, gpuFitCpuFail = false, gpuFitMemFail = false, totalEnough = false;
        for (NodeState n : cluster.nodes()) {
            if (!t.isCpuOnly() && !t.accessible(n.model())) continue;
            if (!t.isCpuOnly() && n.gpuCount() == 0) continue;
            anyModel = true;
            if (n.gpuFits(t)) {
                if (t.cpuMilli() > n.cpuFree()) gpuFitCpuFail = true;
                else if (t.memMib() > n.memFree()) gpuFitMemFail = true;
            } else if (n.freeGpuTotal() >= t.gpuDemand()) {
                totalEnough = true;
            }
        }
        if (!anyModel) return "no-node-of-model";
        if (gpuFitCpuFail) return "cpu-exhausted";
        if (gpuFitMemFail) return "memory-exhausted";
        if (totalEnough) return "gpu-fragmented";
        return "gpu-capacity";
    }

    public void recordFailure(Cluster cluster, TaskShape t) {
        String r = reason(cluster, t);
        reasons.merge(r, 1, Integer::sum);
        String s = shapeName(t);
        byShape.computeIfAbsent(s, k -> new TreeMap<>()).merge(r, 1, Integer::sum);
        shapeTotals.merge(s, 1, Integer::sum);
    }

    /** Snapshot of the cluster now, as a JSON-ready map. */
    public Map<String, Object> snapshot(Cluster cluster, double arrivedPct) {
        long cap = cluster.gpuCapacityMilli();
        long free = 0, wholeDevices = 0, cpuStranded = 0, memStranded = 0;
        double cpuBound = 0, memBound = 0;
        long[] holeCount = new long[HOLE_NAMES.length];
        long[] holeMilli = new long[HOLE_NAMES.length];
        Map<String, long[]> byModel = new TreeMap<>(); // free, whole devices, partial milli, nodes
        for (NodeState n : cluster.nodes()) {
            if (n.gpuCount() == 0) continue;
            long[] bm = byModel.computeIfAbsent(n.model(), k -> new long[4]);
            bm[3]++;
            free += n.freeGpuTotal();
            bm[0] += n.freeGpuTotal();
            for (int d = 0; d < n.gpuCount(); d++) {
                int f = n.freeOf(d);
                if (f == TaskShape.MILLI_PER_GPU) {
                    wholeDevices++;
                    bm[1]++;
                } else if (f > 0) {
                    bm[2] += f;
                    for (int b = 0; b < HOLE_NAMES.length; b++) {
                        if (f >= HOLE_BOUNDS[b] && f < HOLE_BOUNDS[b + 1]) {
                            holeCount[b]++;
                            holeMilli[b] += f;
                        }
                    }
                }
            }
            if (n.freeGpuTotal() > 0) {
                double byCpu = cpuPerMilliGpu <= 0 ? n.freeGpuTotal() : n.cpuFree() / cpuPerMilliGpu;
                double byMem = memPerMilliGpu <= 0 ? n.freeGpuTotal() : n.memFree() / memPerMilliGpu;
                cpuBound += Math.max(0, n.freeGpuTotal() - byCpu);
                memBound += Math.max(0, n.freeGpuTotal() - Math.max(byMem, 0));
                if (n.cpuFree() < minGpuTaskCpu) cpuStranded += n.freeGpuTotal();
                else if (n.memFree() < minGpuTaskMem) memStranded += n.freeGpuTotal();
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("arrivedPct", AllocationCurve.round2(arrivedPct));
        out.put("allocatedPct", AllocationCurve.round2(100.0 * (cap - free) / cap));
        out.put("unallocatedMilli", free);
        out.put("unallocatedPctOfCapacity", AllocationCurve.round2(100.0 * free / cap));
        out.put("wholeFreeDevices", wholeDevices);
        out.put("wholeFreeMilli", wholeDevices * 1000);
        long partial = 0;
        List<Object> holes = new ArrayList<>();
        for (int b = 0; b < HOLE_NAMES.length; b++) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("bucket", HOLE_NAMES[b]);
            h.put("devices", holeCount[b]);
            h.put("milli", holeMilli[b]);
            holes.add(h);
            partial += holeMilli[b];
        }
        out.put("partialHoleMilli", partial);
        out.put("partialHoles", holes);
        Map<String, Object> models = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : byModel.entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("nodes", e.getValue()[3]);
            m.put("freeMilli", e.getValue()[0]);
            m.put("wholeFreeDevices", e.getValue()[1]);
            m.put("partialMilli", e.getValue()[2]);
            models.put(e.getKey().isEmpty() ? "(none)" : e.getKey(), m);
        }
        out.put("byModel", models);
        Map<String, Object> stranded = new LinkedHashMap<>();
        stranded.put("cpuExhaustedMilli", cpuStranded);
        stranded.put("memoryExhaustedMilli", memStranded);
        stranded.put("minGpuTaskCpuMilli", minGpuTaskCpu);
        stranded.put("cpuBoundMilli", Math.round(cpuBound));
        stranded.put("memoryBoundMilli", Math.round(memBound));
        stranded.put("avgCpuMilliPerGpu", Math.round(cpuPerMilliGpu * 1000));
        stranded.put("avgMemMibPerGpu", Math.round(memPerMilliGpu * 1000));
        stranded.put("minGpuTaskMemMib", minGpuTaskMem);
        out.put("strandedGpu", stranded);
        FragmentationModel.PoolFragmentation pf = frag.total(cluster.nodes());
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("fragMilli", AllocationCurve.round2(pf.fragMilli()));
        f.put("fragPctOfFree", AllocationCurve.round2(pf.fragPctOfFree()));
        f.put("fragPctOfCapacity", AllocationCurve.round2(pf.fragPctOfCapacity()));
        out.put("fgdFragmentation", f);
        out.put("failuresByReason", new LinkedHashMap<>(reasons));
        List<Map.Entry<String, Integer>> shapes = new ArrayList<>(shapeTotals.entrySet());
        shapes.sort((a, b) -> b.getValue() - a.getValue());
        List<Object> fs = new ArrayList<>();
        for (Map.Entry<String, Integer> e : shapes) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("shape", e.getKey());
            m.put("failed", e.getValue());
            m.put("reasons", new LinkedHashMap<>(byShape.get(e.getKey())));
            fs.add(m);
        }
        out.put("failuresByShape", fs);
        return out;
    }

    /** Human rendering of a snapshot. */
    @SuppressWarnings("unchecked")
    public static String render(Map<String, Object> s) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "  at arrived %.2f%%: allocated %.2f%%, unallocated %d milli-GPU (%.2f%% of capacity)%n",
                (Double) s.get("arrivedPct"), (Double) s.get("allocatedPct"), (Long) s.get("unallocatedMilli"),
                (Double) s.get("unallocatedPctOfCapacity")));
        sb.append(String.format(Locale.ROOT, "    whole free devices: %d (%d milli); partial holes: %d milli%n",
                (Long) s.get("wholeFreeDevices"), (Long) s.get("wholeFreeMilli"), (Long) s.get("partialHoleMilli")));
        for (Object o : (List<Object>) s.get("partialHoles")) {
            Map<String, Object> h = (Map<String, Object>) o;
            sb.append(String.format(Locale.ROOT, "      hole %-8s %6d devices %9d milli%n", h.get("bucket"), (Long) h.get("devices"), (Long) h.get("milli")));
        }
        sb.append("    by model (nodes, free milli, whole devices, partial milli):\n");
        for (Map.Entry<String, Object> e : ((Map<String, Object>) s.get("byModel")).entrySet()) {
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            sb.append(String.format(Locale.ROOT, "      %-8s %5d %9d %6d %9d%n", e.getKey(), (Long) m.get("nodes"),
                    (Long) m.get("freeMilli"), (Long) m.get("wholeFreeDevices"), (Long) m.get("partialMilli")));
        }
        Map<String, Object> st = (Map<String, Object>) s.get("strandedGpu");
        sb.append(String.format(Locale.ROOT, "    free GPU on nodes with CPU exhausted (< %d milli-CPU): %d milli; memory exhausted (< %d MiB): %d milli%n",
                (Integer) st.get("minGpuTaskCpuMilli"), (Long) st.get("cpuExhaustedMilli"), (Long) st.get("minGpuTaskMemMib"),
                (Long) st.get("memoryExhaustedMilli")));
        sb.append(String.format(Locale.ROOT, "    free GPU beyond what free CPU can feed at the workload's average %d milli-CPU/GPU: %d milli; beyond free memory at %d MiB/GPU: %d milli%n",
                (Long) st.get("avgCpuMilliPerGpu"), (Long) st.get("cpuBoundMilli"), (Long) st.get("avgMemMibPerGpu"), (Long) st.get("memoryBoundMilli")));
        Map<String, Object> f = (Map<String, Object>) s.get("fgdFragmentation");
        sb.append(String.format(Locale.ROOT, "    FGD fragmentation: %.0f milli (%.2f%% of free)%n", (Double) f.get("fragMilli"),
                (Double) f.get("fragPctOfFree")));
        sb.append("    failures by reason: ").append(s.get("failuresByReason")).append('\n');
        int k = 0;
        for (Object o : (List<Object>) s.get("failuresByShape")) {
            if (k++ >= 12) break;
            Map<String, Object> m = (Map<String, Object>) o;
            sb.append(String.format(Locale.ROOT, "      %-34s %6d %s%n", m.get("shape"), (Integer) m.get("failed"), m.get("reasons")));
        }
        return sb.toString();
    }
}
