package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** An object with a /scale subresource whose replicas are the pool's nodes (e.g. a Cluster API MachineDeployment). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ScaleTargetRef {
    @JsonPropertyDescription("API version of the target, e.g. cluster.x-k8s.io/v1beta1.")
    @Required
    private String apiVersion;
    @JsonPropertyDescription("Kind of the target, e.g. MachineDeployment.")
    @Required
    private String kind;
    @JsonPropertyDescription("Name of the target.")
    @Required
    private String name;
    @JsonPropertyDescription("Namespace of the target (omit for cluster-scoped targets).")
    private String namespace;
    @JsonPropertyDescription("Plural resource name if it is not the lower-cased kind plus s (e.g. nodepools).")
    private String resource;

    public String getApiVersion() { return apiVersion; }
    public void setApiVersion(String apiVersion) { this.apiVersion = apiVersion; }
    public String getKind() { return kind; }
    public void setKind(String kind) { this.kind = kind; }
    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getNamespace() { return namespace; }
    public void setNamespace(String namespace) { this.namespace = namespace; }
    public String getResource() { return resource; }
    public void setResource(String resource) { this.resource = resource; }

    /** The API path of the target's /scale subresource. */
    public String scalePath() {
        String plural = resource != null && !resource.isBlank() ? resource : kind.toLowerCase(java.util.Locale.ROOT) + "s";
        String base = apiVersion.contains("/") ? "/apis/" + apiVersion : "/api/" + apiVersion;
        return base + (namespace == null || namespace.isBlank() ? "" : "/namespaces/" + namespace) + "/" + plural + "/" + name + "/scale";
    }
}
