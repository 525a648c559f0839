package io.plimsoll.simulate.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.plimsoll.engine.idle.AdaptiveKeepAlive;
import io.plimsoll.engine.idle.AlwaysOn;
import io.plimsoll.engine.idle.FixedKeepAlive;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tiny hand-made traces whose figures are worked out by hand in the comments. */
class ServingReplayTest {
    static final long S = 1000;
    static final double GPUH = 3600.0; // seconds per GPU-hour
    static final long[] LOAD_10S = {10 * S};

    static ServingConfig unlimited(int maxReplicas, double parkFraction) {
        return new ServingConfig(0, 0, 600 * S, 0, parkFraction, 2 * S, maxReplicas, 0.5, 600 * S, 30 * S);
    }

    static ServingTrace trace(long[][] rows) { // {arrival s, exec s, model}
        List<ServingTrace.Request> r = new java.util.ArrayList<>();
        int models = 0;
        for (long[] x : rows) { r.add(new ServingTrace.Request(x[0] * S, x[1] * S, (int) x[2])); models = Math.max(models, (int) x[2] + 1); }
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < models; i++) names.add("M" + i);
        return new ServingTrace(r, names);
    }

    @Test
    void keepAliveColdStartsWaitsAndGpuHours() {
        // requests at 0, 20, 200 s, 5 s each; load 10 s; keep-alive 60 s.
        // r1: cold start, waits 10, runs 10-15. r2 at 20: warm (idle 15-20), runs 20-25.
        // idle 25-85, then scaled to zero. r3 at 200: cold start, waits 10, runs 210-215.
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {20, 5, 0}, {200, 5, 0}});
        PolicyResult r = ServingReplay.run(t, new FixedKeepAlive(Duration.ofSeconds(60)), unlimited(1, 0.25), LOAD_10S, 1, false, false, "ka");
        assertEquals(3, r.requests());
        assertEquals(2, r.coldStarts());
        assertEquals(15 / GPUH, r.busyGpuHours(), 1e-9);
        assertEquals(65 / GPUH, r.idleWarmGpuHours(), 1e-9);
        assertEquals(20 / GPUH, r.loadingGpuHours(), 1e-9);
        assertEquals(10.0, r.waitP50Seconds(), 1e-9); // waits 0, 10, 10
        assertEquals(10.0, r.waitP99Seconds(), 1e-9);
        assertEquals(20.0 / 3, r.waitMeanSeconds(), 1e-9);
    }

    @Test
    void queueingAddsReplicasUpToTheLimit() {
        // two requests at 0 s for one model, 5 s each, load 10 s.
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {0, 5, 0}});
        PolicyResult two = ServingReplay.run(t, new FixedKeepAlive(Duration.ofSeconds(60)), unlimited(2, 0.25), LOAD_10S, 1, false, false, "x");
        assertEquals(2, two.coldStarts());          // the queue started a second replica
        assertEquals(10.0, two.waitP99Seconds(), 1e-9);
        PolicyResult one = ServingReplay.run(t, new FixedKeepAlive(Duration.ofSeconds(60)), unlimited(1, 0.25), LOAD_10S, 1, false, false, "x");
        assertEquals(1, one.coldStarts());          // one replica: the second request queues behind the first
        assertEquals(15.0, one.waitP99Seconds(), 1e-9);
        assertEquals(10.0, one.waitP50Seconds(), 1e-9);
    }

    @Test
    void parkedReplicaCostsItsFractionAndResumesWithoutColdStart() {
        // warm 10 s, horizon 1000 s for every model; park fraction 0.5, resume 2 s.
        // r1 at 0: cold, waits 10, runs 10-15; warm 15-25 (10 GPU-s); parked 25-100 (75 s x 0.5 = 37.5 GPU-s);
        // r2 at 100: resume, waits 2, runs 102-107.
        AdaptiveKeepAlive p = new AdaptiveKeepAlive(new AdaptiveKeepAlive.Params(10 * S, 0.5, 600 * S, 1000 * S, 1000 * S, 1000 * S, 1));
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {100, 5, 0}});
        PolicyResult r = ServingReplay.run(t, p, unlimited(1, 0.5), LOAD_10S, 1, false, false, "p");
        assertEquals(1, r.coldStarts());
        assertEquals(1, r.resumes());
        assertEquals(47.5 / GPUH, r.idleWarmGpuHours(), 1e-9);
        assertEquals(37.5 / GPUH, r.parkedGpuHours(), 1e-9);
        assertEquals(10 / GPUH, r.busyGpuHours(), 1e-9);
        assertEquals(12 / GPUH, r.loadingGpuHours(), 1e-9); // 10 s load + 2 s resume on a whole GPU
        assertEquals(10.0, r.waitP99Seconds(), 1e-9);
        assertEquals(2.0, r.waitP50Seconds(), 1e-9);
    }

    @Test
    void nodeStartUpDelaysTheFirstReplicaAndNodesAreCounted() {
        // 1-GPU nodes, none at start, start-up 100 s: r1 at 0 waits 100 (node) + 10 (load), runs 110-115.
        ServingConfig c = new ServingConfig(1, 100 * S, 600 * S, 0, 0.25, 2 * S, 1, 0.5, 600 * S, 30 * S);
        ServingTrace t = trace(new long[][] {{0, 5, 0}});
        PolicyResult r = ServingReplay.run(t, new FixedKeepAlive(Duration.ofSeconds(60)), c, LOAD_10S, 1, false, false, "n");
        assertEquals(110.0, r.waitP99Seconds(), 1e-9);
        assertEquals(1, r.maxNodes());
        assertEquals(115 / GPUH, r.nodeHours(), 1e-9);
    }

    @Test
    void thePoolGrowsOneNodeAtATimeWithTheOperatorsCooldown() {
        // 1-GPU nodes, none at start, start-up 100 s, scans every 30 s. Two models at 0 s need two nodes.
        // At once: both nodes come at 100 s, both wait 110 s. With a 180 s cooldown (the operator's pool scaler)
        // the second node is asked for at the 180 s scan, ready at 280 s: that model waits 290 s (keep-alive 10 min,
        // so the first model's replica does not free its node before).
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {0, 5, 1}});
        ServingConfig atOnce = new ServingConfig(1, 100 * S, 600 * S, 0, 0.25, 2 * S, 1, 0.5, 600 * S, 30 * S);
        PolicyResult r = ServingReplay.run(t, new FixedKeepAlive(Duration.ofSeconds(600)), atOnce, LOAD_10S, 1, false, false, "n");
        assertEquals(110.0, r.waitP99Seconds(), 1e-9);
        ServingConfig paced = new ServingConfig(1, 100 * S, 600 * S, 0, 0.25, 2 * S, 1, 0.5, 600 * S, 30 * S,
                io.plimsoll.engine.PackingStrategy.BestFit, 180 * S, 600 * S, 50, -1);
        PolicyResult p = ServingReplay.run(t, new FixedKeepAlive(Duration.ofSeconds(600)), paced, LOAD_10S, 1, false, false, "n");
        assertEquals(110.0, p.waitP50Seconds(), 1e-9);
        assertEquals(290.0, p.waitP99Seconds(), 1e-9);
        assertEquals(2, p.maxNodes());
    }

    @Test
    void secondModelNeedsASecondNode() {
        // 1-GPU nodes, one ready at start, start-up 100 s, two models each one request at 0 s, keep-alive 10 min:
        // M0 loads on the ready node (waits 10); M1 waits for a new node (100) and its load (10).
        ServingConfig c = new ServingConfig(1, 100 * S, 600 * S, 1, 0.25, 2 * S, 1, 0.5, 600 * S, 30 * S);
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {0, 5, 1}});
        PolicyResult r = ServingReplay.run(t, new FixedKeepAlive(Duration.ofSeconds(600)), c, LOAD_10S, 1, false, false, "n");
        assertEquals(2, r.maxNodes());
        assertEquals(10.0, r.waitP50Seconds(), 1e-9);
        assertEquals(110.0, r.waitP99Seconds(), 1e-9);
        assertEquals(2, r.coldStarts());
        // with a 60 s keep-alive M0's replica is gone at 75 s and M1 takes its GPU before the new node is up
        PolicyResult r2 = ServingReplay.run(t, new FixedKeepAlive(Duration.ofSeconds(60)), c, LOAD_10S, 1, false, false, "n");
        assertEquals(85.0, r2.waitP99Seconds(), 1e-9);
    }

    @Test
    void alwaysOnStartsWarmAndNeverColdStarts() {
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {1000, 5, 1}, {2000, 5, 0}});
        PolicyResult r = ServingReplay.run(t, new AlwaysOn(), unlimited(1, 0.25), LOAD_10S, 1, false, true, "on");
        assertEquals(0, r.coldStarts());
        assertEquals(0.0, r.waitP99Seconds(), 1e-9);
        assertEquals(15 / GPUH, r.busyGpuHours(), 1e-9);
        assertEquals((2 * 2005 - 15) / GPUH, r.idleWarmGpuHours(), 1e-9); // 2 replicas over 0-2005 s minus busy
    }

    @Test
    void clusterAutoscalerMovesIdleReplicaOffUnderusedNode() {
        // 2-GPU nodes, 2 ready at 0; CA: under 60 % for 60 s, scans every 30 s; keep-alive 100 s; load 10 s.
        // A (exec 5) and B (exec 500) land on n0, C (exec 5, again at 100 s) on n1. n1 is under 60 % from the
        // 30 s scan; at 120 s A is gone (idle 15-115), so C (idle) fits on n0: it moves and reloads, n1 is removed.
        // Horizon = B done at 510 s: node time = n0 510 s + n1 120 s.
        ServingConfig c = new ServingConfig(2, 100 * S, 600 * S, 2, 0.25, 2 * S, 1, 0.6, 60 * S, 30 * S);
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {0, 500, 1}, {0, 5, 2}, {100, 5, 2}});
        PolicyResult ca = ServingReplay.run(t, new FixedKeepAlive(Duration.ofSeconds(100)), c, LOAD_10S, 1, true, false, "ca");
        assertEquals(1, ca.restarts());
        assertEquals(3, ca.coldStarts());
        assertEquals(630 / GPUH, ca.nodeHours(), 1e-9);
        assertEquals(10.0, ca.waitP99Seconds(), 1e-9);
        // without the CA rule n1 stays (it is not empty for 10 min before the end)
        PolicyResult plain = ServingReplay.run(t, new FixedKeepAlive(Duration.ofSeconds(100)), c, LOAD_10S, 1, false, false, "pool");
        assertEquals(0, plain.restarts());
        assertEquals(1020 / GPUH, plain.nodeHours(), 1e-9);
    }

    @Test
    void parkedReplicaYieldsItsGpuInsteadOfWaitingForANode() {
        // one 1-GPU node, start-up 100 s; park fraction 0.5 after 10 s warm, horizon 1000 s.
        // A at 0: loads 10, runs 10-15, warm 15-25, parked from 25 (0.5 GPU). B at 50 needs a whole GPU: A's
        // parked replica is scaled to zero (evicted) and B loads at once: waits 10, not 110.
        AdaptiveKeepAlive p = new AdaptiveKeepAlive(new AdaptiveKeepAlive.Params(10 * S, 0.5, 600 * S, 1000 * S, 1000 * S, 1000 * S, 1));
        ServingConfig c = new ServingConfig(1, 100 * S, 600 * S, 1, 0.5, 2 * S, 1, 0.5, 600 * S, 30 * S);
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {50, 5, 1}});
        PolicyResult plain = new ServingReplay(t, p, c, LOAD_10S, 1, false, false).run("p", io.plimsoll.engine.idle.ModelActivity::new);
        assertEquals(1, plain.parkEvictions());
        assertEquals(10.0, plain.waitP99Seconds(), 1e-9);
        assertEquals(1, plain.maxNodes());
        assertEquals(12.5 / GPUH, plain.parkedGpuHours(), 1e-9); // 25-50 s at 0.5
        // Plimsoll's pool rule also asks for a node once something had to be evicted
        PolicyResult withNode = new ServingReplay(t, p, c, LOAD_10S, 1, false, false).askForNodeAfterEviction(true)
                .run("y", io.plimsoll.engine.idle.ModelActivity::new);
        assertEquals(2, withNode.maxNodes());
        assertEquals(10.0, withNode.waitP99Seconds(), 1e-9);
    }

    static final AdaptiveKeepAlive PARK_AFTER_10S = new AdaptiveKeepAlive(
            new AdaptiveKeepAlive.Params(10 * S, 0.5, 600 * S, 1000 * S, 1000 * S, 1000 * S, 1));

    @Test
    void parkedReplicasStayInPlaceAndTheEnginePacksTheOnesThatMove() {
        // two 2-GPU nodes; replicas park at 0.5 GPU after 10 s warm. A and B load on node 0 (best fit), C on node 1;
        // all run 10-15 s and park in place at 25 s. The 30 s scan consolidates the least used node, as the operator
        // does: node 1 (C, a quarter used) empties, the engine moving C beside A on node 0 (1 move, loading 10 s at
        // 0.5 GPU). A at 100 s resumes on node 0: its device is shared, so the engine moves C beside B (same node: no
        // load) and A takes its device whole: waits 2 s.
        ServingConfig c = new ServingConfig(2, 100 * S, 600 * S, 2, 0.5, 2 * S, 1, 0.5, 600 * S, 30 * S);
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {0, 5, 1}, {0, 5, 2}, {100, 5, 0}});
        PolicyResult r = new ServingReplay(t, PARK_AFTER_10S, c, LOAD_10S, 1, false, false).run("p", io.plimsoll.engine.idle.ModelActivity::new);
        assertEquals(1, r.parkedMoves());
        assertEquals(0, r.parkEvictions());
        assertEquals(2, r.maxNodes());
        assertEquals(3, r.coldStarts());
        assertEquals(1, r.resumes());
        assertEquals((10 + 10 + 10 + 2) / 4.0, r.waitMeanSeconds(), 1e-9);
        // loads: 3 x 10 s on a whole GPU, 1 move x 10 s at 0.5, A's resume 2 s on a whole GPU
        assertEquals((30 + 5 + 2) / GPUH, r.loadingGpuHours(), 1e-9);
        // parked: A 25-100 s, B and C 25-107 s, each at 0.5 GPU
        assertEquals((75 + 82 + 82) * 0.5 / GPUH, r.parkedGpuHours(), 1e-9);
        org.junit.jupiter.api.Assertions.assertTrue(r.placements() >= 6, "every start, move and resume asks the engine");
    }

    @Test
    void theNodeHoursAreSplitByWhatTheNodesHeldAndAddUp() {
        // The scenario above: 2 nodes from 0 s; node 1 empties at 30 s (its parked replica moves) and is removed after
        // the 600 s grace, which the run does not reach (it ends at 107 s): 107 s on node 0, 107 s on node 1.
        ServingConfig c = new ServingConfig(2, 100 * S, 600 * S, 2, 0.5, 2 * S, 1, 0.5, 600 * S, 30 * S);
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {0, 5, 1}, {0, 5, 2}, {100, 5, 0}});
        PolicyResult r = new ServingReplay(t, PARK_AFTER_10S, c, LOAD_10S, 1, false, false).run("p", io.plimsoll.engine.idle.ModelActivity::new);
        PolicyResult.NodeHours b = r.nodeHoursBy();
        assertEquals(r.nodeHours(), b.starting() + b.empty() + b.parkedOnly() + b.serving(), 1e-9, "every node-hour is in one kind");
        assertEquals(0, b.starting(), 1e-12);
        // node 1: serving 0-25 s, parked only 25-30 s, then empty 30-107 s; node 0: serving 0-25 s, parked only 25-100 s,
        // then serving (A resumes) 100-107 s.
        assertEquals(77 / 3600.0, b.empty(), 1e-9);
        assertEquals((5 + 75) / 3600.0, b.parkedOnly(), 1e-9);
        assertEquals((25 + 25 + 7) / 3600.0, b.serving(), 1e-9);
    }

    @Test
    void aNodeHoldingOnlyParkedReplicasLeavesAfterParkedOnlyAfter() {
        // one 1-GPU node, start-up 100 s. A at 0: loads 10, runs 10-15, parks at 25 s. The 30 s scan marks the node
        // idle (it holds only a parked replica); with parked-only-after 60 s the 90 s scan removes it, and A, which
        // fits nowhere else, goes to zero. A again at 300 s: a node is asked for (ready at 400), A loads 10 s and runs
        // 410-415: waits 110 s. Node time: 0-90 s and 300-415 s = 205 s.
        ServingConfig rule = new ServingConfig(1, 100 * S, 600 * S, 1, 0.5, 2 * S, 1, 0.5, 600 * S, 30 * S,
                io.plimsoll.engine.PackingStrategy.BestFit, 0, 0, 100, 60 * S);
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {300, 5, 0}});
        PolicyResult r = new ServingReplay(t, PARK_AFTER_10S, rule, LOAD_10S, 1, false, false).run("p", io.plimsoll.engine.idle.ModelActivity::new);
        assertEquals(205 / 3600.0, r.nodeHours(), 1e-9);
        assertEquals(1, r.parkEvictions());
        assertEquals(2, r.coldStarts());
        assertEquals(110.0, r.waitP99Seconds(), 1e-9);
        assertEquals(65 / 3600.0, r.nodeHoursBy().parkedOnly(), 1e-9); // 25-90 s
        // both requests found A at zero: one waited its load (10 s), the other a node start too (110 s)
        assertEquals(new PolicyResult.FromZero(2, 10.0, 110.0), r.fromZero());
        // Without the rule the parked replica keeps its node, and A resumes in 2 s: node time 0-307 s.
        ServingConfig never = new ServingConfig(1, 100 * S, 600 * S, 1, 0.5, 2 * S, 1, 0.5, 600 * S, 30 * S,
                io.plimsoll.engine.PackingStrategy.BestFit, 0, 0, 100, -1);
        PolicyResult n = new ServingReplay(t, PARK_AFTER_10S, never, LOAD_10S, 1, false, false).run("p", io.plimsoll.engine.idle.ModelActivity::new);
        assertEquals(307 / 3600.0, n.nodeHours(), 1e-9);
        assertEquals(1, n.resumes());
        assertEquals(0, n.parkEvictions());
        assertEquals(new PolicyResult.FromZero(1, 10.0, 10.0), n.fromZero(), "the second request found A parked");
    }

    @Test
    void thePoolsLastNodeStaysLastNodeAfterInsteadOfParkedOnlyAfter() {
        // As above (parked-only-after 60 s; the 30 s scan marks the node idle), but the node is the pool's last one and
        // Plimsoll's pool rule keeps the last node 400 s: due at 430 s, so A finds its replica parked at 300 s and
        // resumes in 2 s. Node time 0-307 s; one cold start; no eviction.
        ServingConfig rule = new ServingConfig(1, 100 * S, 600 * S, 1, 0.5, 2 * S, 1, 0.5, 600 * S, 30 * S,
                io.plimsoll.engine.PackingStrategy.BestFit, 0, 0, 100, 60 * S);
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {300, 5, 0}});
        PolicyResult kept = new ServingReplay(t, PARK_AFTER_10S, rule, LOAD_10S, 1, false, false)
                .plimsollPoolRule(null, Duration.ofSeconds(400), null).run("p", io.plimsoll.engine.idle.ModelActivity::new);
        assertEquals(307 / 3600.0, kept.nodeHours(), 1e-9);
        assertEquals(1, kept.coldStarts());
        assertEquals(1, kept.resumes());
        assertEquals(0, kept.parkEvictions());
        assertEquals(10.0, kept.waitP99Seconds(), 1e-9);
        // Last node 200 s: due at 230 s, removed at the 240 s scan; A at 300 s waits a node (ready 400 s) and its load,
        // runs 410-415 s: waits 110 s. Node time 0-240 s and 300-415 s = 355 s.
        PolicyResult gone = new ServingReplay(t, PARK_AFTER_10S, rule, LOAD_10S, 1, false, false)
                .plimsollPoolRule(null, Duration.ofSeconds(200), null).run("p", io.plimsoll.engine.idle.ModelActivity::new);
        assertEquals(355 / 3600.0, gone.nodeHours(), 1e-9);
        assertEquals(2, gone.coldStarts());
        assertEquals(110.0, gone.waitP99Seconds(), 1e-9);
    }

    @Test
    void parkedReplicasMovedToAnotherNodeAreChargedTheirLoad() {
        // two 1-GPU nodes. A loads on node 0, B on node 1; both park at 25 s (0.5 GPU each, on their own node).
        // The 30 s scan finds node 0 holding only a parked replica: the engine moves A beside B on node 1 (A loads
        // there: 10 s x 0.5 GPU). B at 100 s resumes on node 1: its device is shared, so the engine moves A back
        // to the empty node 0 (another 10 s x 0.5) and B gets the whole device: waits 2 s.
        ServingConfig c = new ServingConfig(1, 100 * S, 600 * S, 2, 0.5, 2 * S, 1, 0.5, 600 * S, 30 * S);
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {0, 5, 1}, {100, 5, 1}});
        PolicyResult r = new ServingReplay(t, PARK_AFTER_10S, c, LOAD_10S, 1, false, false).run("p", io.plimsoll.engine.idle.ModelActivity::new);
        assertEquals(2, r.parkedMoves());
        assertEquals(0, r.parkEvictions());
        assertEquals(2, r.coldStarts());
        assertEquals(1, r.resumes());
        assertEquals((10 + 10 + 2) / 3.0, r.waitMeanSeconds(), 1e-9);
        // loads: A and B 10 s on a whole GPU, two moves 10 s at 0.5, B's resume 2 s on a whole GPU
        assertEquals((10 + 10 + 5 + 5 + 2) / GPUH, r.loadingGpuHours(), 1e-9);
    }

    @Test
    void aResumingReplicaScalesItsParkedNeighbourToZeroWhenItFitsNowhereElse() {
        // two 1-GPU nodes: A loads on node 0, B on node 1, both park in place at 25 s; the 30 s scan moves A beside
        // B on node 1. C at 40 s takes node 0's GPU and is still warm (parks at 65 s) when B comes back at 60 s.
        // A fits nowhere else, so it is scaled to zero and B resumes on its device (waits 2 s). Plimsoll's pool
        // rule also asks for a node after the eviction.
        ServingConfig c = new ServingConfig(1, 100 * S, 600 * S, 2, 0.5, 2 * S, 1, 0.5, 600 * S, 30 * S);
        ServingTrace t = trace(new long[][] {{0, 5, 0}, {0, 5, 1}, {40, 5, 2}, {60, 5, 1}});
        PolicyResult plain = new ServingReplay(t, PARK_AFTER_10S, c, LOAD_10S, 1, false, false).run("p", io.plimsoll.engine.idle.ModelActivity::new);
        assertEquals(1, plain.parkedMoves());
        assertEquals(1, plain.parkEvictions());
        assertEquals(1, plain.resumes());
        assertEquals(2, plain.maxNodes());
        assertEquals((10 + 10 + 10 + 2) / 4.0, plain.waitMeanSeconds(), 1e-9);
        PolicyResult withNode = new ServingReplay(t, PARK_AFTER_10S, c, LOAD_10S, 1, false, false).askForNodeAfterEviction(true)
                .run("y", io.plimsoll.engine.idle.ModelActivity::new);
        assertEquals(1, withNode.parkEvictions());
        assertEquals(3, withNode.maxNodes());
    }
}
