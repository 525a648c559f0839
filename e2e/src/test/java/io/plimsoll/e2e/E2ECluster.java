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
 * a cloud cluster), a client given by the caller (e.g. a real API server started by the test, see
 * io.plimsoll.realapi), or, when neither, the embedded API the sandbox uses. On a real cluster it installs the
 * CRDs from crds/, adds fake accelerator nodes (labelled plimsoll.io/fake-node=true, capacity in their status,
 * as KWOK-style tests do) and removes what it created afterwards.
 */
public final class E2ECluster implements AutoCloseable {
    public final KubernetesClient client;
    /** A real API server (status written through subresources, objects cleaned up on close). */
    public final boolean real;
    private final EmbeddedKubernetes embedded;
    private final boolean ownsClient;
    private final List<HasMetadata> created = new ArrayList<>();

    public E2ECluster() throws IOException {
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
            installCrds(client);
        }
        ownsClient = true;
    }

    /**
     * On the real API server {@code client} talks to, with rights to create nodes and CRDs (an admin); the CRDs are
     * installed or updated. The caller keeps the client: {@link #close()} removes what this created but leaves it open.
     */
    public E2ECluster(KubernetesClient client) throws IOException {
        this.embedded = null;
        this.client = client;
        this.real = true;
        this.ownsClient = false;
        installCrds(client);
    }

    private static void installCrds(KubernetesClient client) throws IOException {
        for (String f : EmbeddedKubernetes.CRD_FILES) {
            try (InputStream in = Files.newInputStream(Path.of("crds", f))) {
                CustomResourceDefinition crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
                client.apiextensions().v1().customResourceDefinitions().resource(crd).createOr(c -> c.update());
            }
        }
        for (String f : EmbeddedKubernetes.CRD_FILES) {
            String name = f.replaceAll("-v1\\.yml$", "");
            client.apiextensions().v1().customResourceDefinitions().withName(name)
                    .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions().stream()
                            .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 60, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** The demo nodes; on a real API server the status (capacity) is written through the status subresource. */
    public void addDemoNodes() {
        for (Node n : DemoCluster.nodes()) addNode(n);
    }

    /** One fake node, removed on close; on a real API server its status (capacity) goes through the status subresource. */
    public Node addNode(Node n) {
        Node made = client.nodes().resource(n).create();
        if (real) {
            made.setStatus(n.getStatus());
            made = client.nodes().resource(made).updateStatus();
        }
        created.add(made);
        return made;
    }

    /** Any other object this suite creates, removed on close on a real cluster. */
    public <T extends HasMetadata> T create(T o) {
        T made = client.resource(o).create();
        created.add(made);
        return made;
    }

    public void applySamples() {
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
            if (ownsClient) client.close();
        } else {
            embedded.close();
        }
    }
}
