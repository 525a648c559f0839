package io.plimsoll.actuator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * Writes a status as a JSON merge patch of the whole status, every field the status type knows present (null when
 * unset, which the merge removes). A JSON Patch computed against a cached copy (what JOSDK sends without server-side
 * apply) is refused with 422 when the cache is one write behind ("remove" of a path that is already gone); this
 * patch says what the status is, whatever the server holds, so it needs no resourceVersion and never conflicts.
 * The reconcilers are the only writers of their resources' status.
 */
@jakarta.enterprise.context.ApplicationScoped
public class StatusWriter {
    private final KubernetesClient client;

    @jakarta.inject.Inject
    public StatusWriter(KubernetesClient client) {
        this.client = client;
    }

    /** Serializes every property, null or not, so that the merge patch clears what is no longer set. */
    private static final ObjectMapper WITH_NULLS = new ObjectMapper()
            .findAndRegisterModules()
            .setAnnotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public JsonInclude.Value findPropertyInclusion(Annotated a) {
                    return JsonInclude.Value.construct(JsonInclude.Include.ALWAYS, JsonInclude.Include.ALWAYS);
                }
            });

    /** The merge patch body: {@code {"status": {...}}} with every known field. */
    public static String body(Object status) {
        ObjectNode root = WITH_NULLS.createObjectNode();
        root.set("status", WITH_NULLS.valueToTree(status));
        return root.toString();
    }

    /** Writes the status; returns the resource as the API server now has it. */
    public <T extends HasMetadata> T write(T resource, Object status) {
        return client.resource(resource).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), body(status));
    }

    /**
     * Writes the status and hands the result to the controller's cache, so the next reconcile reads its own write
     * (what JOSDK does for the status patches it sends itself).
     */
    public <T extends HasMetadata> void write(T resource, Object status, io.javaoperatorsdk.operator.api.reconciler.Context<T> context) {
        T written = write(resource, status);
        if (context == null || written == null) return;
        try {
            context.eventSourceRetriever().getControllerEventSource().handleRecentResourceUpdate(
                    io.javaoperatorsdk.operator.processing.event.ResourceID.fromResource(written), written, resource);
        } catch (RuntimeException e) {
            // the cache catches up from the watch; only a read-your-write shortcut is lost
        }
    }
}
