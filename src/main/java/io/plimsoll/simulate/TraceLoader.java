package io.plimsoll.simulate;

import io.plimsoll.engine.packing.NodeState;
import io.plimsoll.engine.packing.TaskShape;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
        List<NodeSpec> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        CsvFile.read(file, List.of("sn", "cpu_milli", "memory_mib", "gpu", "model"), csv -> {
            String sn = csv.str("sn");
            if (sn.isEmpty()) throw csv.bad("sn", "empty node name. Fix: give every node a name.");
            if (!seen.add(sn)) throw csv.bad("sn", "duplicate node name '" + sn + "'. Fix: node names must be unique.");
            int cpu = csv.nonNegInt("cpu_milli");
            long mem = csv.nonNegLong("memory_mib");
            int gpu = csv.nonNegInt("gpu");
            if (gpu > 64) throw csv.bad("gpu", "implausible GPU count " + gpu + ". Fix: use 0..64.");
            out.add(new NodeSpec(sn, cpu, mem, gpu, csv.str("model")));
        });
        if (out.isEmpty()) throw new InputException(file.toString(), 2, null, "no node rows. Fix: add at least one node.");
        return out;
    }

    /** Models accepted in gpu_spec: the openb models plus any present in the node list. */
    public static Set<String> acceptedModels(List<NodeSpec> nodes) {
        Set<String> s = new java.util.TreeSet<>(KNOWN_MODELS);
        for (NodeSpec n : nodes) if (!n.model().isEmpty()) s.add(n.model());
        return s;
    }

    private static final List<String> TASK_COLUMNS = List.of("name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli");

    private static TaskShape task(CsvFile csv, Set<String> models) throws InputException {
        String name = csv.str("name");
        int cpu = csv.nonNegInt("cpu_milli");
        long mem = csv.nonNegLong("memory_mib");
        int n = csv.nonNegInt("num_gpu");
        int m = csv.nonNegInt("gpu_milli");
        String spec = csv.str("gpu_spec");
        if (n > 64) throw csv.bad("num_gpu", "implausible GPU count " + n + ". Fix: use 0..64.");
        if (n > 0) {
            for (String p : spec.split("\\|", -1)) {
                if (!p.isEmpty() && !models.contains(p)) {
                    throw csv.bad("gpu_spec", "unknown GPU model '" + p
                            + "'. Fix: use models separated by '|' from " + models + ", or leave it empty for any model.");
                }
            }
        }
        return new TaskShape(name, cpu, mem, n, m, spec);
    }

    /** All rows of a pod list (name order as in the file). */
    public static List<TaskShape> loadPods(Path file, Set<String> models) throws InputException {
        List<TaskShape> out = new ArrayList<>();
        CsvFile.read(file, TASK_COLUMNS, csv -> out.add(task(csv, models)));
        if (out.isEmpty()) throw new InputException(file.toString(), 2, null, "no pod rows. Fix: add at least one task.");
        return out;
    }

    /** An arrival sequence file, sorted by its {@code order} column (stable: rows of equal order keep file order). */
    public static List<TaskShape> loadArrivals(Path file, Set<String> models) throws InputException {
        record Arrival(long order, TaskShape task) {}
        List<Arrival> rows = new ArrayList<>();
        List<String> required = new ArrayList<>(TASK_COLUMNS);
        required.add(0, "order");
        CsvFile.read(file, required, csv -> rows.add(new Arrival(csv.nonNegLong("order"), task(csv, models))));
        rows.sort(Comparator.comparingLong(Arrival::order));
        List<TaskShape> out = new ArrayList<>(rows.size());
        for (Arrival a : rows) out.add(a.task());
        return out;
    }

    /** A node-rank file mapped onto the node list: rank[i] for node i. Every node must be ranked. */
    public static int[] loadRanks(Path file, List<NodeSpec> nodes) throws InputException {
        Map<String, Integer> byName = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) byName.put(nodes.get(i).name(), i);
        int[] rank = new int[nodes.size()];
        Arrays.fill(rank, -1);
        CsvFile.read(file, List.of("sn", "rank"), csv -> {
            String sn = csv.str("sn");
            Integer i = byName.get(sn);
            if (i == null) {
                throw csv.bad("sn", "node '" + sn + "' is not in the node list. Fix: use the rank file generated for this node list.");
            }
            rank[i] = csv.nonNegInt("rank");
        });
        for (int i = 0; i < rank.length; i++) {
            if (rank[i] < 0) {
                throw new InputException(file.toString(), 0, "sn", "node '" + nodes.get(i).name()
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
