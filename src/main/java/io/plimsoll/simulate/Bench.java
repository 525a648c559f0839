package io.plimsoll.simulate;

import io.plimsoll.engine.packing.PackingPolicy;
import io.plimsoll.engine.packing.PlimsollPolicy;
import io.plimsoll.engine.packing.Policies;
import io.plimsoll.engine.packing.TaskShape;
import io.plimsoll.engine.packing.TypicalDistribution;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Developer benchmark: replays the published sequences of all five openb traces for seeds 42..51 with the
 * given policies in one JVM and prints ten-seed means and placements per second.
 * usage: Bench OPENB_DIR policy [policy...]
 */
public final class Bench {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String[] traces = System.getProperty("traces", "default,gpushare40,multigpu30,gpuspec25,cpu100").split(",");
        int s0 = Integer.getInteger("seed0", 42), s1 = Integer.getInteger("seed1", 51);
        List<TraceLoader.NodeSpec> nodes = TraceLoader.loadNodes(dir.resolve("openb_node_list_gpu_node.csv"));
        Set<String> models = TraceLoader.acceptedModels(nodes);
        for (int pi = 1; pi < args.length; pi++) {
            String policy = args[pi];
            double all100 = 0, all130 = 0;
            for (String trace : traces) {
                List<TaskShape> pods = TraceLoader.loadPods(dir.resolve("openb_pod_list_" + trace + ".csv"), models);
                TypicalDistribution dist = TypicalDistribution.fromTasks(pods,
                        Double.parseDouble(System.getProperty("cutoff", "" + TypicalDistribution.DEFAULT_CUTOFF)));
                double sum100 = 0, sum130 = 0, secs = 0;
                long dec = 0;
                int n = 0;
                for (int seed = s0; seed <= s1; seed++) {
                    List<TaskShape> arr = TraceLoader.loadArrivals(dir.resolve("sequences/" + trace + "_s" + seed + "_arrivals.csv.gz"), models);
                    int[] ranks = TraceLoader.loadRanks(dir.resolve("sequences/" + trace + "_s" + seed + "_noderank.csv.gz"), nodes);
                    PackingPolicy pol = policy.equals("plimsoll")
                            ? new PlimsollPolicy(dist, PlimsollPolicy.Params.fromSystemProperties()) // -Dplimsoll.* overrides
                            : Policies.create(policy, dist);
                    Replay.Result r = Replay.run(nodes, ranks, arr, pol, null, null);
                    sum100 += r.curve().at(100);
                    sum130 += r.curve().at(130);
                    secs += r.seconds();
                    dec += r.decisions();
                    n++;
                }
                all100 += sum100 / n;
                all130 += sum130 / n;
                System.out.printf(Locale.ROOT, "%-9s %-11s %7.3f %7.3f %8.0f/s%n", policy, trace, sum100 / n, sum130 / n, dec / secs);
            }
            System.out.printf(Locale.ROOT, "%-9s %-11s %7.3f %7.3f%n", policy, "AVG", all100 / traces.length, all130 / traces.length);
        }
    }
}
