package io.plimsoll.e2e;

import io.fabric8.kubernetes.api.model.Node;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.PoolScaling;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.reconciler.Fixtures;
import io.plimsoll.reconciler.PoolScaler;
import io.plimsoll.reconciler.TestOperator;
import io.plimsoll.sandbox.DemoCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end, the pool rule that simulate serving measures (docs/serving-results.md): nodes that serve nothing leave
 * after scaleDownAfter, but the pool's last node stays lastNodeAfter, so a request that comes meanwhile finds a node.
 * The times are seconds here (the defaults are 2m and 17m); the rule is the same code, PoolPlanner.
 */
public class PoolRuleE2ETest {
    static final String POOL = "e2e-last-node";
    static E2ECluster cluster;
    static TestOperator operator;

    @BeforeAll
    static void setUp() throws Exception {
        cluster = new E2ECluster();
        operator = new TestOperator(cluster.client);
    }

    @AfterAll
    static void tearDown() {
        if (operator != null) operator.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void nodesThatServeNothingLeaveButThePoolsLastNodeStaysLastNodeAfter() {
        lastNodeStaysLastNodeAfter(cluster);
    }

    /** The scenario, on any cluster where an operator runs (also io.plimsoll.realapi.SamplesOnRealApiTest). */
    public static void lastNodeStaysLastNodeAfter(E2ECluster cluster) {
        java.util.function.Predicate<String> cordoned = node -> {
            Node n = cluster.client.nodes().withName(node).get();
            return n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable());
        };
        AcceleratorPool pool = Fixtures.gpuPool(POOL, "L4", 24, 1, SharingMode.Fractional, 1.0);
        PoolScaling s = new PoolScaling();
        s.setMinNodes(0);
        s.setScaleDownAfter("1s");
        s.setLastNodeAfter("15s");
        pool.getSpec().setScaling(s);
        List<String> names = List.of(POOL + "-0", POOL + "-1");
        for (String n : names) cluster.addNode(DemoCluster.node(n, POOL, 8, 32, Map.of("nvidia.com/gpu", "1")));
        cluster.create(pool);

        // Neither node holds work: one leaves after a second or so; the other is then the pool's last node.
        await().atMost(Duration.ofSeconds(30)).until(() -> names.stream().anyMatch(cordoned::test));
        String first = names.stream().filter(cordoned::test).findFirst().orElseThrow();
        String last = names.stream().filter(n -> !n.equals(first)).findFirst().orElseThrow();
        assertFalse(cordoned.test(last), "both left at once");
        // It stays while its lastNodeAfter runs (15 s from when it went idle, a second or two before the first left).
        await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(9)).until(() -> !cordoned.test(last));
        // Then it leaves too, and the event says why.
        await().atMost(Duration.ofSeconds(30)).until(() -> cordoned.test(last));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertTrue(cluster.client.v1().events().inAnyNamespace().list()
                .getItems().stream().anyMatch(e -> "ScaledDown".equals(e.getReason()) && e.getMessage().contains(last)
                        && e.getMessage().contains("lastNodeAfter 15s, the pool's last node")), "ScaledDown event for " + last));
        assertTrue(cluster.client.nodes().withName(last).get().getMetadata().getAnnotations().containsKey(PoolScaler.SCALED_DOWN_AT));
        // The pool goes (its nodes stay cordoned until the cluster's close): other scenarios on this cluster do not see it.
        cluster.client.resources(AcceleratorPool.class).withName(POOL).delete();
    }
}
