package io.plimsoll.tenancy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;

import java.util.List;
import java.util.Map;

/** Kubernetes label selectors (matchLabels, matchExpressions with In, NotIn, Exists, DoesNotExist), evaluated here. */
public final class Selectors {
    private Selectors() {}

    /**
     * Whether {@code labels} satisfy the selector. Throws IllegalArgumentException naming {@code field} and the fix
     * for a selector Kubernetes would refuse, and for an empty one (a tenant must not select every namespace).
     */
    public static boolean matches(String field, LabelSelector selector, Map<String, String> labels) {
        check(field, selector);
        Map<String, String> l = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null) {
            for (var e : selector.getMatchLabels().entrySet()) {
                if (!java.util.Objects.equals(e.getValue(), l.get(e.getKey()))) return false;
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String v = l.get(r.getKey());
                List<String> values = r.getValues() == null ? List.of() : r.getValues();
                boolean ok = switch (r.getOperator()) {
                    case "In" -> v != null && values.contains(v);
                    case "NotIn" -> v == null || !values.contains(v);
                    case "Exists" -> v != null;
                    default -> v == null; // DoesNotExist (check() refused anything else)
                };
                if (!ok) return false;
            }
        }
        return true;
    }

    /** Throws IllegalArgumentException naming the field and the fix when the selector is empty or malformed. */
    public static void check(String field, LabelSelector selector) {
        boolean noLabels = selector == null || selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty();
        boolean noExpressions = selector == null || selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty();
        if (noLabels && noExpressions) {
            throw new IllegalArgumentException(field + " is empty, which would select every namespace: add matchLabels or"
                    + " matchExpressions (e.g. matchLabels: {plimsoll.io/tenant: team-a})");
        }
        if (noExpressions) return;
        for (int i = 0; i < selector.getMatchExpressions().size(); i++) {
            LabelSelectorRequirement r = selector.getMatchExpressions().get(i);
            String at = field + ".matchExpressions[" + i + "]";
            if (r == null || r.getKey() == null || r.getKey().isBlank()) throw new IllegalArgumentException(at + ".key is missing: set a label key");
            boolean hasValues = r.getValues() != null && !r.getValues().isEmpty();
            String op = r.getOperator() == null ? "" : r.getOperator();
            switch (op) {
                case "In", "NotIn" -> {
                    if (!hasValues) throw new IllegalArgumentException(at + " uses " + op + " with no values: list at least one value");
                }
                case "Exists", "DoesNotExist" -> {
                    if (hasValues) throw new IllegalArgumentException(at + " uses " + op + " with values: remove the values");
                }
                default -> throw new IllegalArgumentException(at + ".operator is '" + op + "': use In, NotIn, Exists or DoesNotExist");
            }
        }
    }
}
