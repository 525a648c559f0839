package io.plimsoll.sandbox;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.PlacementPolicy;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Maps a YAML document's kind to its Java type, so samples load as typed objects. */
final class SampleKinds {
    private SampleKinds() {}

    private static final Pattern KIND = Pattern.compile("(?m)^kind:\\s*(\\S+)\\s*$");
    private static final Map<String, Class<? extends HasMetadata>> TYPES = Map.of(
            "AIWorkload", AIWorkload.class,
            "AcceleratorPool", AcceleratorPool.class,
            "PlacementPolicy", PlacementPolicy.class,
            "Tenant", io.plimsoll.api.Tenant.class);

    static HasMetadata unmarshal(String doc) {
        Matcher m = KIND.matcher(doc);
        if (!m.find()) throw new IllegalArgumentException("YAML document has no top-level kind:\n" + doc);
        Class<? extends HasMetadata> type = TYPES.get(m.group(1));
        if (type != null) return Serialization.unmarshal(doc, type);
        return (HasMetadata) Serialization.unmarshal(doc);
    }
}
