package io.plimsoll.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.plimsoll.sandbox.DemoCluster;
import io.plimsoll.sandbox.EmbeddedKubernetes;
import io.plimsoll.sandbox.SampleLoader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the e2e suite runs: the cluster named by PLIMSOLL_E2E_KUBECONFIG (any conformant cluster: kind, k3d,
 * a cloud cluster) or, when it is unset, the embedded API the sandbox uses. On a real cluster it installs the
 * CRDs from crds/, adds fake accelerator nodes (labelled plimsoll.io/fake-node=true, capacity in their status,
 * as KWOK-style tests do) and removes what it created afterwards.
 */
final class E2ECluster implements AutoCloseable {
    final KubernetesClient client;
    final boolean real;
    private final EmbeddedKubernetes embedded;
    private final List<HasMetadata> created = new ArrayList<>();

    E2ECluster() throws IOException {
        String kubeconfig = System.getenv("PLIMSOLL_E2E_KUBECONFIG");
        if (kubeconfig == null || kubeconfig.isBlank()) {
            embedded = new EmbeddedKubernetes();
            client = embedded.client();
            real = false;
        } else {
            embedded = null;
            client = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(Files.readString(Path.of(kubeconfig)))).build();
            real = true;
            for (String f : EmbeddedKubernetes.CRD_FILES) {
                try (InputStream in = Files.newInputStream(Path.of("crds", f))) {
                    CustomResourceDefinition crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
                    client.apiextensions().v1().customResourceDefinitions().resource(crd).createOr(c -> c.update());
                }
            }
            client.apiextensions().v1().customResourceDefinitions().withName("aiworkloads.plimsoll.io")
                    .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions().stream()
                            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 60, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** The demo nodes; on a real API server the status (capacity) is written through the status subresource. */
    void addDemoNodes() {
        for (Node n : DemoCluster.nodes()) {
            Node made = client.nodes().resource(n).create();
            if (real) {
                made.setStatus(n.getStatus());
                client.nodes().resource(made).updateStatus();
            }
            created.add(made);
        }
    }

    void applySamples() {
        for (String f : SampleLoader.files()) {
            for (HasMetadata o : SampleLoader.load(f)) created.add(client.resource(o).create());
        }
    }

    @Override
    public void close() {
        if (real) {
            for (HasMetadata o : created) {
                try {
                    client.resource(o).delete();
                } catch (RuntimeException ignored) {
                    // best effort cleanup of a shared cluster
                }
            }
            client.close();
        } else {
            embedded.close();
        }
    }
}
