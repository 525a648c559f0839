package io.plimsoll.sandbox;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Loads deploy/samples (bundled in the jar) in the order its kustomization.yaml lists them. */
public final class SampleLoader {
    private SampleLoader() {}

    private static final String DIR = "META-INF/plimsoll/samples/";

    public static List<String> files() {
        List<String> files = new ArrayList<>();
        boolean inResources = false;
        for (String line : read("kustomization.yaml").split("\n")) {
            if (line.startsWith("resources:")) {
                inResources = true;
            } else if (inResources && line.startsWith("- ")) {
                files.add(line.substring(2).trim());
            } else if (!line.isBlank() && !line.startsWith(" ")) {
                inResources = false;
            }
        }
        return files;
    }

    public static List<HasMetadata> load(String file) {
        return EmbeddedKubernetes.parseYaml(read(file));
    }

    /** Creates every sample object; returns them in the order created. */
    public static List<HasMetadata> apply(KubernetesClient client) {
        List<HasMetadata> created = new ArrayList<>();
        for (String f : files()) {
            for (HasMetadata o : load(f)) created.add(client.resource(o).create());
        }
        return created;
    }

    static String read(String file) {
        try (InputStream in = EmbeddedKubernetes.resource(DIR + file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
