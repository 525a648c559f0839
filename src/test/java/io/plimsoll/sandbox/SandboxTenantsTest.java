package io.plimsoll.sandbox;

import io.plimsoll.reconciler.TestOperator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sandbox --tenants}: the two sample tenants' story on the demo cluster prints the preemption it caused. */
class SandboxTenantsTest {
    @Test
    void teamBTakesItsGuaranteeBackFromTeamAsMostRecentBorrowedJobs() throws Exception {
        try (EmbeddedKubernetes k8s = SandboxCommand.start();
             SimulatedKubelet kubelet = new SimulatedKubelet(k8s.client());
             TestOperator operator = new TestOperator(k8s.client())) {
            String out = SandboxTenants.run(k8s.client(), System.currentTimeMillis() + 60_000);
            assertTrue(out.contains("Preempted (team-a's most recent borrowed jobs, back in line): [a-burst-12, a-burst-13]"), out);
            assertTrue(out.contains("team-b  6.0         10.0   4.0"), out);
            assertTrue(!out.contains("WARNING"), out);
        }
    }
}
