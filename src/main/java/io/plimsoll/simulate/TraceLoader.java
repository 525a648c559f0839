package io.plimsoll.simulate;

import io.plimsoll.engine.packing.NodeState;
import io.plimsoll.engine.packing.TaskShape;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Loads the openb node list, pod list, arrival sequences and node-rank files, validating every field. */
public final class TraceLoader {
    /** GPU models of the openb trace; gpu_spec entries must be one of these or a model present in the node list. */
    public static final Set<String> KNOWN_MODELS = Set.of("P100", "T4", "V100M16", "V100M32", "A10", "G2", "G3");

    private TraceLoader() {}

    /** One node row. */
    public record NodeSpec(String name, int cpuMilli, long memMib, int gpus, String model) {
        public NodeState newState() { return new NodeState(name, cpuMilli, memMib, gpus, model); }
    }

    public static List<NodeSpec> loadNodes(Path file) throws InputException {
        CsvFile csv = CsvFile.read(file);
        csv.require("sn", "cpu_milli", "memory_mib", "gpu", "model");
        List<NodeSpec> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int r = 0; r < csv.size(); r++) {
            String sn = csv.str(r, "sn");
            if (sn.isEmpty()) throw new InputException(csv.file(), csv.lineOf(r), "sn", "empty node name. Fix: give every node a name.");
            if (!seen.add(sn)) throw new InputException(csv.file(), csv.lineOf(r), "sn", "duplicate node name '" + sn + "'. Fix: node names must be unique.");
            int cpu = csv.nonNegInt(r, "cpu_milli");
            long mem = csv.nonNegLong(r, "memory_mib");
            int gpu = csv.nonNegInt(r, "gpu");
            if (gpu > 64) throw new InputException(csv.file(), csv.lineOf(r), "gpu", "implausible GPU count " + gpu + ". Fix: use 0..64.");
            String model = csv.str(r, "model");
            out.add(new NodeSpec(sn, cpu, mem, gpu, model));
        }
        if (out.isEmpty()) throw new InputException(csv.file(), 2, null, "no node rows. Fix: add at least one node.");
        return out;
    }

    /** Models accepted in gpu_spec: the openb models plus any present in the node list. */
    public static Set<String> acceptedModels(List<NodeSpec> nodes) {
        Set<String> s = new java.util.TreeSet<>(KNOWN_MODELS);
        for (NodeSpec n : nodes) if (!n.model().isEmpty()) s.add(n.model());
        return s;
    }

    private static TaskShape task(CsvFile csv, int r, String name, Set<String> models) throws InputException {
        int cpu = csv.nonNegInt(r, "cpu_milli");
        long mem = csv.nonNegLong(r, "memory_mib");
        int n = csv.nonNegInt(r, "num_gpu");
        int m = csv.nonNegInt(r, "gpu_milli");
        String spec = csv.has("gpu_spec") ? csv.str(r, "gpu_spec") : "";
        if (n > 64) throw new InputException(csv.file(), csv.lineOf(r), "num_gpu", "implausible GPU count " + n + ". Fix: use 0..64.");
        if (n > 0) {
            for (String p : spec.split("\\|", -1)) {
                if (!p.isEmpty() && !models.contains(p)) {
                    throw new InputException(csv.file(), csv.lineOf(r), "gpu_spec", "unknown GPU model '" + p
                            + "'. Fix: use models separated by '|' from " + models + ", or leave it empty for any model.");
                }
            }
        }
        return new TaskShape(name, cpu, mem, n, m, spec);
    }

    /** All rows of a pod list (name order as in the file). */
    public static List<TaskShape> loadPods(Path file, Set<String> models) throws InputException {
        CsvFile csv = CsvFile.read(file);
        csv.require("name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli");
        List<TaskShape> out = new ArrayList<>(csv.size());
        for (int r = 0; r < csv.size(); r++) out.add(task(csv, r, csv.str(r, "name"), models));
        if (out.isEmpty()) throw new InputException(csv.file(), 2, null, "no pod rows. Fix: add at least one task.");
        return out;
    }

    /** An arrival sequence file, sorted by its {@code order} column. */
    public static List<TaskShape> loadArrivals(Path file, Set<String> models) throws InputException {
        CsvFile csv = CsvFile.read(file);
        csv.require("order", "name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli");
        int n = csv.size();
        long[] order = new long[n];
        TaskShape[] tasks = new TaskShape[n];
        for (int r = 0; r < n; r++) {
            order[r] = csv.nonNegLong(r, "order");
            tasks[r] = task(csv, r, csv.str(r, "name"), models);
        }
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Long.compare(order[a], order[b]));
        List<TaskShape> out = new ArrayList<>(n);
        for (int i : idx) out.add(tasks[i]);
        return out;
    }

    /** A node-rank file mapped onto the node list: rank[i] for node i. Every node must be ranked. */
    public static int[] loadRanks(Path file, List<NodeSpec> nodes) throws InputException {
        CsvFile csv = CsvFile.read(file);
        csv.require("sn", "rank");
        Map<String, Integer> byName = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) byName.put(nodes.get(i).name(), i);
        int[] rank = new int[nodes.size()];
        Arrays.fill(rank, -1);
        for (int r = 0; r < csv.size(); r++) {
            String sn = csv.str(r, "sn");
            Integer i = byName.get(sn);
            if (i == null) {
                throw new InputException(csv.file(), csv.lineOf(r), "sn", "node '" + sn
                        + "' is not in the node list. Fix: use the rank file generated for this node list.");
            }
            rank[i] = csv.nonNegInt(r, "rank");
        }
        for (int i = 0; i < rank.length; i++) {
            if (rank[i] < 0) {
                throw new InputException(csv.file(), 0, "sn", "node '" + nodes.get(i).name()
                        + "' has no rank. Fix: rank every node of the node list.");
            }
        }
        return rank;
    }

    /** Trace name from a pod-list file name: openb_pod_list_default.csv -> default. */
    public static String traceName(Path podsFile) {
        String f = podsFile.getFileName().toString();
        if (f.endsWith(".gz")) f = f.substring(0, f.length() - 3);
        if (f.endsWith(".csv")) f = f.substring(0, f.length() - 4);
        String prefix = "openb_pod_list_";
        int i = f.indexOf(prefix);
        return i >= 0 ? f.substring(i + prefix.length()) : f;
    }
}
