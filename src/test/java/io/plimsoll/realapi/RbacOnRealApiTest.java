package io.plimsoll.realapi;

import io.plimsoll.deploy.OperatorApiCalls;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The chart's RBAC as a real API server evaluates it (SubjectAccessReview, i.e. {@code kubectl auth can-i --as}):
 * every call the operator makes ({@link OperatorApiCalls}, which RbacCoverageTest keeps in step with the code) is
 * allowed to the chart's ServiceAccount, and writes it must not make are denied, for each set of scaling values.
 */
@RealApi
class RbacOnRealApiTest {

    @Test
    void defaultValuesAllowEveryCallAndNoNodeWrites(RealApiServer api) {
        check(api, api.serviceAccountUser(), OperatorApiCalls.with(false, false, false));
    }

    @Test
    void scalingValuesAddExactlyTheirCalls(RealApiServer api) {
        check(api, api.installRelease("nodes", Map.of("scaling.nodes", true)), OperatorApiCalls.with(true, false, false));
        check(api, api.installRelease("consolidation", Map.of("scaling.consolidation", true)), OperatorApiCalls.with(false, true, false));
        check(api, api.installRelease("capi", Map.of("scaling.clusterApi", true)), OperatorApiCalls.with(false, false, true));
    }

    @Test
    void leaderElectionIsLimitedToTheReleaseNamespace(RealApiServer api) {
        String ns = api.createNamespace("other");
        List<String> wrong = new ArrayList<>();
        for (String verb : List.of("get", "create", "update", "patch")) {
            if (!api.operatorMay(verb, "coordination.k8s.io", "leases", RealApiServer.NAMESPACE)) wrong.add("denied " + verb + " in release ns");
            if (api.operatorMay(verb, "coordination.k8s.io", "leases", ns)) wrong.add("allowed " + verb + " leases in " + ns);
        }
        if (api.operatorMay("delete", "coordination.k8s.io", "leases", RealApiServer.NAMESPACE)) wrong.add("allowed delete leases");
        assertEquals(List.of(), wrong);
    }

    /** Allowed: exactly {@code expected} among the operator's possible calls; denied: everything in NEVER. */
    static void check(RealApiServer api, String user, Set<String> expected) {
        Set<String> possible = OperatorApiCalls.with(true, true, true);
        Set<String> wrong = new TreeSet<>();
        for (String call : possible) {
            String[] c = OperatorApiCalls.parse(call);
            String ns = c[2].equals("leases") ? OperatorApiCalls.LEASE_NAMESPACE : null;
            boolean allowed = api.may(user, c[0], c[1], c[2], ns);
            if (allowed != expected.contains(call)) wrong.add((allowed ? "allowed " : "denied ") + call);
        }
        for (String call : OperatorApiCalls.NEVER) {
            String[] c = OperatorApiCalls.parse(call);
            if (api.may(user, c[0], c[1], c[2], null)) wrong.add("allowed " + call);
        }
        System.err.println("RBAC of " + user + " on the real API server: " + expected.size() + " calls allowed, "
                + (possible.size() - expected.size() + OperatorApiCalls.NEVER.size()) + " denied as they should be"
                + (wrong.isEmpty() ? "" : "; wrong: " + wrong));
        assertEquals(Set.of(), wrong, user + ": SubjectAccessReview answers that differ from the chart's intent");
    }
}
