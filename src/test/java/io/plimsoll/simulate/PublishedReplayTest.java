package io.plimsoll.simulate;

import io.plimsoll.engine.packing.BestFitPolicy;
import io.plimsoll.engine.packing.FgdPolicy;
import io.plimsoll.engine.packing.PlimsollPolicy;
import io.plimsoll.engine.packing.TaskShape;
import io.plimsoll.engine.packing.TypicalDistribution;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replays the paper simulator's own sequence (default trace, seed 42) and checks the published figures. */
class PublishedReplayTest {

    @Test
    void replayOfDefaultSeed42ReproducesPublishedBestFitAndFgd() throws Exception {
        List<TraceLoader.NodeSpec> nodes = TraceLoader.loadNodes(SliceFiles.nodes());
        assertEquals(1213, nodes.size());
        Set<String> models = TraceLoader.acceptedModels(nodes);
        List<TaskShape> pods = TraceLoader.loadPods(SliceFiles.defaultPods(), models);
        assertEquals(8152, pods.size());
        TypicalDistribution dist = TypicalDistribution.fromTasks(pods);
        assertEquals(35, dist.size(), "METHOD.md check number");
        assertEquals(7766, dist.kept(), "METHOD.md check number");
        List<TaskShape> arrivals = TraceLoader.loadArrivals(SliceFiles.dir().resolve("default_s42_arrivals.csv.gz"), models);
        assertEquals(10866, arrivals.size(), "METHOD.md 9.6 check number");
        assertEquals(8_075_080L, arrivals.stream().mapToLong(TaskShape::gpuDemand).sum(), "METHOD.md 9.6 check number");
        int[] ranks = TraceLoader.loadRanks(SliceFiles.dir().resolve("default_s42_noderank.csv.gz"), nodes);

        Replay.Result bf = Replay.run(nodes, ranks, arrivals, new BestFitPolicy(), null, null);
        assertEquals(92.94, bf.curve().at(100), 1e-9, "published best fit @100");
        assertEquals(93.13, bf.curve().at(130), 1e-9, "published best fit @130");

        Replay.Result fgd = Replay.run(nodes, ranks, arrivals, new FgdPolicy(dist), null, null);
        assertEquals(95.14, fgd.curve().at(100), 1e-9, "published FGD @100");
        assertEquals(95.29, fgd.curve().at(130), 1e-9, "published FGD @130");
        assertEquals(10866, fgd.placed() + fgd.failed());

        // Plimsoll with FGD-equivalent parameters is FGD, decision for decision
        Replay.Result same = Replay.run(nodes, ranks, arrivals, new PlimsollPolicy(dist, PlimsollPolicy.Params.FGD_EQUIVALENT), null, null);
        assertEquals(fgd.placed(), same.placed());
        assertEquals(95.29, same.curve().at(130), 1e-9);

        // the default Plimsoll policy beats FGD on this sequence by a clear margin (measured 95.9x)
        Replay.Result pl = Replay.run(nodes, ranks, arrivals, new PlimsollPolicy(dist), null, null);
        assertTrue(pl.curve().at(100) >= 95.14 + 0.4, "plimsoll @100 " + pl.curve().at(100));
        assertTrue(pl.curve().at(130) >= 95.29 + 0.4, "plimsoll @130 " + pl.curve().at(130));
    }
}
