package io.plimsoll.realapi;

import io.plimsoll.e2e.E2ECluster;
import io.plimsoll.e2e.PoolRuleE2ETest;
import io.plimsoll.reconciler.TestOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The pool rule's e2e scenario ({@link PoolRuleE2ETest}) on a real kube-apiserver, with the operator running as the
 * ServiceAccount of the chart installed with {@code scaling.nodes=true} (the value that lets it patch nodes): the new
 * spec.scaling fields pass the API server's schema, and the pool's scaler marks and cordons nodes with exactly the
 * chart's RBAC.
 */
@RealApi(set = "scaling.nodes=true")
class PoolRuleOnRealApiTest {
    static E2ECluster cluster;
    static TestOperator operator;

    @BeforeAll
    static void setUp(RealApiServer api) throws Exception {
        cluster = new E2ECluster(api.adminClient());
        operator = api.startOperator("pool-rule-0");
    }

    @AfterAll
    static void tearDown() {
        if (operator != null) operator.close();
        if (cluster != null) cluster.close();
    }

    @Test
    void nodesThatServeNothingLeaveButThePoolsLastNodeStaysLastNodeAfter(RealApiServer api) {
        PoolRuleE2ETest.lastNodeStaysLastNodeAfter(cluster);
        assertEquals(List.of(), api.forbidden(), "the chart with scaling.nodes=true allows what the pool's scaler does");
    }
}
