package io.plimsoll.sandbox;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * An in-process Kubernetes API: the Fabric8 mock server in CRUD mode with Plimsoll's CRDs installed.
 * It stores and watches objects like an API server but runs no scheduler, kubelet or garbage collector.
 */
public final class EmbeddedKubernetes implements AutoCloseable {
    public static final List<String> CRD_FILES = List.of(
            "aiworkloads.plimsoll.io-v1.yml", "acceleratorpools.plimsoll.io-v1.yml", "placementpolicies.plimsoll.io-v1.yml",
            "tenants.plimsoll.io-v1.yml");
    private static final String CRD_RESOURCE_DIR = "META-INF/plimsoll/crds/";

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final EmbeddedApiDispatcher dispatcher = new EmbeddedApiDispatcher();

    public EmbeddedKubernetes() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
        for (String f : CRD_FILES) {
            client.apiextensions().v1().customResourceDefinitions().resource(loadCrd(f)).create();
        }
    }

    /** One of {@link #CRD_FILES} as bundled in the jar (a copy of crds/). */
    public static CustomResourceDefinition loadCrd(String file) {
        try (InputStream in = resource(CRD_RESOURCE_DIR + file)) {
            return io.fabric8.kubernetes.client.utils.Serialization.unmarshal(in, CustomResourceDefinition.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static InputStream resource(String path) {
        InputStream in = EmbeddedKubernetes.class.getClassLoader().getResourceAsStream(path);
        if (in == null) throw new IllegalStateException(path + " is not on the classpath: rebuild with ./mvnw package");
        return in;
    }

    public KubernetesClient client() {
        return client;
    }

    /** Request hooks: observe every call, or answer some instead of the store (fault injection in tests). */
    public EmbeddedApiDispatcher dispatcher() {
        return dispatcher;
    }

    /** A new client to the same API, identified by its User-Agent (so tests can tell the operator's calls apart). */
    public KubernetesClient newClient(String userAgent) {
        return new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration()).withUserAgent(userAgent).build()).build();
    }

    /** The API server URL, e.g. http://127.0.0.1:41234/. */
    public String url() {
        return client.getConfiguration().getMasterUrl();
    }

    /** Writes a kubeconfig that points kubectl at this API server. */
    public Path writeKubeconfig(Path file) throws IOException {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: plimsoll-sandbox
                  cluster:
                    server: %s
                contexts:
                - name: plimsoll-sandbox
                  context:
                    cluster: plimsoll-sandbox
                    user: sandbox
                    namespace: default
                current-context: plimsoll-sandbox
                users:
                - name: sandbox
                  user:
                    token: sandbox
                """.formatted(url());
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    /** Splits a multi-document YAML stream of Plimsoll and core objects into typed objects. */
    public static List<HasMetadata> parseYaml(String yaml) {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) continue;
            out.add(SampleKinds.unmarshal(doc));
        }
        return out;
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
