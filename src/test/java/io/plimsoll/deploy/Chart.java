package io.plimsoll.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.plimsoll.sandbox.EmbeddedKubernetes;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The Helm chart rendered in-process by helm-java (no helm binary, no cluster). */
final class Chart {
    static final Path DIR = Path.of("helm/plimsoll");

    private Chart() {}

    static String template(Map<String, Object> values) {
        TemplateCommand t = new Helm(DIR).template().withName("plimsoll").withNamespace("plimsoll-system")
                .withKubeVersion("1.30.0");
        values.forEach(t::set);
        return t.call();
    }

    static List<HasMetadata> render(Map<String, Object> values) {
        return EmbeddedKubernetes.parseYaml(template(values));
    }
}
