package io.plimsoll.engine;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What a pod's constraints are matched against on a node: its labels and its taints. Immutable. */
public record NodeTraits(Map<String, String> labels, List<Taint> taints) {

    /** A node with no labels and no taints (what nodes built without traits have). */
    public static final NodeTraits NONE = new NodeTraits(Map.of(), List.of());

    public NodeTraits {
        TreeMap<String, String> l = new TreeMap<>();
        if (labels != null) labels.forEach((k, v) -> {
            if (k != null) l.put(k, v == null ? "" : v);
        });
        labels = Collections.unmodifiableMap(l);
        taints = taints == null ? List.of() : List.copyOf(taints);
    }
}
