package io.plimsoll.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.AIWorkload;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import jakarta.inject.Inject;

import java.util.List;

/** Runs inside the started operator: a simulated kubelet, then the report once placements settle. */
public class SandboxApplication implements QuarkusApplication {

    @Inject
    KubernetesClient client;

    @Override
    public int run(String... args) throws Exception {
        SandboxCommand.Options opts = SandboxCommand.options;
        try (SimulatedKubelet kubelet = new SimulatedKubelet(client)) {
            long deadline = System.currentTimeMillis() + opts.timeoutSeconds() * 1000L;
            boolean settled = false;
            int stable = 0;
            while (System.currentTimeMillis() < deadline) {
                List<AIWorkload> wls = client.resources(AIWorkload.class).inAnyNamespace().list().getItems();
                stable = SandboxReport.settled(wls) ? stable + 1 : 0;
                if (stable >= 3) {
                    settled = true;
                    break;
                }
                Thread.sleep(500);
            }
            Thread.sleep(1000); // let pool status catch up with the last placements
            System.out.println();
            System.out.println("Plimsoll sandbox: demo cluster " + DemoCluster.nodes().size() + " nodes, API at " + SandboxCommand.cluster.url());
            System.out.println();
            System.out.print(SandboxReport.render(client));
            if (!settled) {
                System.out.println("\nWARNING: placements did not settle within " + opts.timeoutSeconds() + " s");
            }
            if (opts.tenants()) {
                System.out.print(SandboxTenants.run(client, System.currentTimeMillis() + opts.timeoutSeconds() * 1000L));
            }
            if (opts.keepRunning()) {
                SandboxCommand.cluster.writeKubeconfig(opts.kubeconfig());
                System.out.println("\nSandbox keeps running. Look around with:\n  export KUBECONFIG=" + opts.kubeconfig().toAbsolutePath()
                        + "\n  kubectl get aiw,apool,ppol\nStop with Ctrl+C.");
                Quarkus.waitForExit();
            }
            return settled ? 0 : 1;
        }
    }
}
