package io.plimsoll.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.annotation.JsonValue;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;

import java.io.IOException;

/**
 * Reads {@code spec.template} so that one malformed template can never stop the AIWorkload watch: a template that
 * does not read as a PodTemplateSpec (stored before the CRD had its schema, or written past it) becomes an
 * {@link Unreadable} template carrying the raw JSON and the field that failed. The reconciler then fails that one
 * workload with a message naming the field; the watch and every other workload go on.
 */
public final class LenientPodTemplate extends JsonDeserializer<PodTemplateSpec> {
    private static final ObjectMapper FALLBACK = new ObjectMapper();

    @Override
    public PodTemplateSpec deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonNode tree = p.readValueAsTree();
        ObjectCodec codec = p.getCodec();
        ObjectMapper mapper = codec instanceof ObjectMapper m ? m : FALLBACK;
        try {
            return mapper.treeToValue(tree, PodTemplateSpec.class);
        } catch (JsonMappingException e) {
            return new Unreadable(tree, "spec.template" + path(e), e.getOriginalMessage());
        } catch (IOException | RuntimeException e) {
            return new Unreadable(tree, "spec.template", e.getMessage());
        }
    }

    /** The JSON path of the failing field, e.g. {@code .spec.containers} or {@code .metadata.labels}. */
    static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) sb.append('.').append(r.getFieldName());
            else if (r.getIndex() >= 0) sb.append('[').append(r.getIndex()).append(']');
        }
        return sb.toString();
    }

    /** A template that could not be read; it serializes back to exactly what was stored. */
    public static final class Unreadable extends PodTemplateSpec {
        private final transient JsonNode raw;
        private final transient String field;
        private final transient String problem;

        Unreadable(JsonNode raw, String field, String problem) {
            this.raw = raw;
            this.field = field;
            this.problem = problem == null ? "unreadable" : shorten(problem);
        }

        @JsonValue
        public JsonNode raw() { return raw; }

        /** The field that failed, e.g. {@code spec.template.spec.containers}. */
        public String field() { return field; }

        /** What was wrong, in Jackson's words (shortened). */
        public String problem() { return problem; }

        private static String shorten(String s) {
            String one = s.replaceAll("\\s+", " ").replaceAll("\\(class [^)]*\\)", "").trim();
            int cut = one.indexOf(" at [Source");
            if (cut > 0) one = one.substring(0, cut);
            return one.length() > 200 ? one.substring(0, 200) + "..." : one;
        }
    }
}
