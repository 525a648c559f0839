package io.plimsoll.engine;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the pod template lets its pods run, as Kubernetes reads it: every {@code nodeSelector} pair must be a
 * label of the node; the required node affinity is a list of terms, any one of which must match (the expressions
 * of a term all must); every taint of the node that keeps pods off must be tolerated. Only the template's own
 * constraints: selectors Plimsoll adds to the pod itself (a TPU pool's topology) are not here.
 *
 * @param requiredAffinity the terms of {@code requiredDuringSchedulingIgnoredDuringExecution}; empty means none
 */
public record PodConstraints(Map<String, String> nodeSelector, List<Term> requiredAffinity, List<Toleration> tolerations) {

    /** No constraint: any node will do. */
    public static final PodConstraints NONE = new PodConstraints(Map.of(), List.of(), List.of());

    public PodConstraints {
        nodeSelector = nodeSelector == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(nodeSelector));
        requiredAffinity = requiredAffinity == null ? List.of() : List.copyOf(requiredAffinity);
        tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    }

    /** Operators of a node selector requirement. */
    public enum Operator { In, NotIn, Exists, DoesNotExist, Gt, Lt }

    /**
     * One expression over a node's labels (or, in {@code matchFields}, over its fields: {@code metadata.name}).
     * Gt and Lt compare integers: the label and the single value must both parse as one.
     */
    public record Requirement(String key, Operator operator, List<String> values) {
        public Requirement {
            key = key == null ? "" : key;
            java.util.Objects.requireNonNull(operator, "operator");
            values = values == null ? List.of() : List.copyOf(values);
        }

        /** "zone In [a, b]", "gpu Exists", "cores Gt 8". */
        @Override
        public String toString() {
            return switch (operator) {
                case Exists, DoesNotExist -> key + " " + operator;
                case Gt, Lt -> key + " " + operator + " " + String.join(",", values);
                default -> key + " " + operator + " " + values;
            };
        }
    }

    /** One {@code nodeSelectorTerm}: all its expressions and fields must match; a term with neither matches no node. */
    public record Term(List<Requirement> matchExpressions, List<Requirement> matchFields) {
        public Term {
            matchExpressions = matchExpressions == null ? List.of() : List.copyOf(matchExpressions);
            matchFields = matchFields == null ? List.of() : List.copyOf(matchFields);
        }

        public static Term of(Requirement... expressions) {
            return new Term(List.of(expressions), List.of());
        }
    }

    /**
     * A toleration. {@code exists} is operator Exists (any value); otherwise Equal (the value must be equal). An
     * empty key with Exists tolerates every taint; a null effect matches every effect.
     */
    public record Toleration(String key, boolean exists, String value, Taint.Effect effect) {
        public Toleration {
            key = key == null ? "" : key;
            value = value == null ? "" : value;
        }

        public static Toleration equal(String key, String value, Taint.Effect effect) {
            return new Toleration(key, false, value, effect);
        }

        public static Toleration exists(String key, Taint.Effect effect) {
            return new Toleration(key, true, "", effect);
        }
    }

    public PodConstraints withNodeSelector(Map<String, String> selector) {
        return new PodConstraints(selector, requiredAffinity, tolerations);
    }

    public PodConstraints withRequiredAffinity(List<Term> terms) {
        return new PodConstraints(nodeSelector, terms, tolerations);
    }

    public PodConstraints withTolerations(List<Toleration> list) {
        return new PodConstraints(nodeSelector, requiredAffinity, list);
    }

    public boolean isNone() {
        return nodeSelector.isEmpty() && requiredAffinity.isEmpty() && tolerations.isEmpty();
    }
}
