package io.plimsoll.deploy;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** deploy/base/operator.yaml is the chart rendered with defaults, so Helm and kustomize users get the same operator. */
class DeployManifestsTest {
    static final Path OPERATOR = Path.of("deploy/base/operator.yaml");

    @Test
    void plainManifestsAreTheRenderedChart() throws Exception {
        String rendered = "# Generated from helm/plimsoll with default values (release plimsoll, namespace plimsoll-system).\n"
                + "# Regenerate: ./mvnw test -Dtest=DeployManifestsTest -Dplimsoll.regenerate=true\n" + Chart.template(Map.of());
        if (Boolean.getBoolean("plimsoll.regenerate")) Files.writeString(OPERATOR, rendered);
        assertEquals(rendered, Files.readString(OPERATOR),
                "deploy/base/operator.yaml is stale: ./mvnw test -Dtest=DeployManifestsTest -Dplimsoll.regenerate=true");
    }
}
