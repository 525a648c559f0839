package io.plimsoll.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.plimsoll.engine.PodConstraints.Operator;
import io.plimsoll.engine.PodConstraints.Requirement;
import io.plimsoll.engine.PodConstraints.Term;
import io.plimsoll.engine.PodConstraints.Toleration;

/**
 * Whether a node may take a pod, as the Kubernetes scheduler and the kubelet decide it: the node is schedulable
 * (not cordoned, Ready), matches the pod's nodeSelector and required node affinity, carries no NoSchedule or
 * NoExecute taint the pod does not tolerate, and admits one more pod. Pure: engine types only.
 */
public final class NodeConstraints {
    private NodeConstraints() {}

    /** The field {@code matchFields} can name (the only one Kubernetes supports). */
    public static final String NAME_FIELD = "metadata.name";

    /** Why a node cannot take the pod, phrased after "1 node" and after "3 nodes". */
    public record Exclusion(String one, String many) {
        /** "1 node is cordoned or not ready", "3 nodes are cordoned or not ready". */
        public String count(int n) {
            return n + (n == 1 ? " node " + one : " nodes " + many);
        }
    }

    public static final Exclusion NOT_SCHEDULABLE = new Exclusion("is cordoned or not ready", "are cordoned or not ready");
    public static final Exclusion POD_CAPACITY = new Exclusion("is at its pod capacity (status.allocatable.pods)",
            "are at their pod capacity (status.allocatable.pods)");

    /**
     * The first check the node fails, in this order: cordoned or not ready, nodeSelector, required node affinity,
     * untolerated taint, pod capacity; null when it passes them all.
     */
    public static Exclusion exclusion(PodConstraints pod, NodeState node) {
        if (!node.schedulable()) return NOT_SCHEDULABLE;
        Exclusion e = mismatch(pod, node.name(), node.traits());
        if (e != null) return e;
        return node.podsFree() > 0 ? null : POD_CAPACITY;
    }

    /** The first of the pod's own constraints (nodeSelector, required affinity, taints) the node fails, or null. */
    public static Exclusion mismatch(PodConstraints pod, String nodeName, NodeTraits node) {
        // Asked for every node on every decision: no iterator over an empty selector.
        if (!pod.nodeSelector().isEmpty()) {
            for (Map.Entry<String, String> e : pod.nodeSelector().entrySet()) {
                if (!e.getValue().equals(node.labels().get(e.getKey()))) {
                    String s = "match nodeSelector " + e.getKey() + "=" + e.getValue();
                    return new Exclusion("does not " + s, "do not " + s);
                }
            }
        }
        if (!pod.requiredAffinity().isEmpty() && !matchesAny(pod.requiredAffinity(), nodeName, node.labels())) {
            return affinityMismatch(pod.requiredAffinity(), nodeName, node.labels());
        }
        Taint t = untolerated(pod.tolerations(), node.taints());
        if (t != null) {
            String s = " taint " + t + " that the pod does not tolerate";
            return new Exclusion("has" + s, "have" + s);
        }
        return null;
    }

    /** Whether any term matches (terms are ORed). */
    public static boolean matchesAny(List<Term> terms, String nodeName, Map<String, String> labels) {
        for (Term t : terms) if (matches(t, nodeName, labels)) return true;
        return false;
    }

    /** Whether every expression and field of the term matches (ANDed); an empty term matches nothing. */
    public static boolean matches(Term term, String nodeName, Map<String, String> labels) {
        return failing(term, nodeName, labels) == null;
    }

    /** The first requirement of the term the node fails, or null when the term matches. Empty term: a marker. */
    private static Requirement failing(Term term, String nodeName, Map<String, String> labels) {
        if (term.matchExpressions().isEmpty() && term.matchFields().isEmpty()) return EMPTY_TERM;
        for (Requirement r : term.matchExpressions()) if (!matches(r, labels)) return r;
        Map<String, String> fields = nodeName == null ? Map.of() : Map.of(NAME_FIELD, nodeName);
        for (Requirement r : term.matchFields()) if (!matches(r, fields)) return r;
        return null;
    }

    private static final Requirement EMPTY_TERM = new Requirement("", Operator.Exists, List.of());

    /** One requirement against a node's labels (or fields), with Kubernetes' semantics for each operator. */
    public static boolean matches(Requirement r, Map<String, String> labels) {
        boolean has = labels.containsKey(r.key());
        String v = labels.get(r.key());
        return switch (r.operator()) {
            case In -> has && r.values().contains(v);
            case NotIn -> !has || !r.values().contains(v);
            case Exists -> has;
            case DoesNotExist -> !has;
            case Gt, Lt -> {
                if (!has || r.values().size() != 1) yield false;
                Long label = integer(v), bound = integer(r.values().get(0));
                if (label == null || bound == null) yield false;
                yield r.operator() == Operator.Gt ? label > bound : label < bound;
            }
        };
    }

    private static Long integer(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException | NullPointerException e) {
            return null;
        }
    }

    /** The first taint that keeps pods off (NoSchedule, NoExecute) and none of the tolerations tolerates, or null. */
    public static Taint untolerated(List<Toleration> tolerations, List<Taint> taints) {
        if (taints.isEmpty()) return null;
        for (Taint t : taints) {
            if (!t.hard()) continue;
            boolean ok = false;
            for (Toleration tol : tolerations) {
                if (tolerates(tol, t)) {
                    ok = true;
                    break;
                }
            }
            if (!ok) return t;
        }
        return null;
    }

    /** Kubernetes' ToleratesTaint: effect (if set) equal, key (if set) equal, then Exists or an equal value. */
    public static boolean tolerates(Toleration tol, Taint taint) {
        if (tol.effect() != null && tol.effect() != taint.effect()) return false;
        if (!tol.key().isEmpty() && !tol.key().equals(taint.key())) return false;
        return tol.exists() || tol.value().equals(taint.value());
    }

    private static Exclusion affinityMismatch(List<Term> terms, String nodeName, Map<String, String> labels) {
        if (terms.size() > 1) {
            String s = " none of the " + terms.size() + " terms of the required node affinity";
            return new Exclusion("matches" + s, "match" + s);
        }
        Requirement r = failing(terms.get(0), nodeName, labels);
        String s = r == EMPTY_TERM ? "match the required node affinity (its term is empty and matches no node)"
                : "match the required node affinity " + r;
        return new Exclusion("does not " + s, "do not " + s);
    }

    /**
     * The exclusions counted by reason, most nodes first (ties alphabetically, so the order of nodes does not matter):
     * "3 nodes have taint gpu=reserved:NoSchedule that the pod does not tolerate; 2 nodes do not match nodeSelector disk=ssd".
     */
    public static String summary(Map<Exclusion, Integer> counts) {
        List<Map.Entry<Exclusion, Integer>> list = new ArrayList<>(counts.entrySet());
        list.sort(Comparator.comparing(Map.Entry<Exclusion, Integer>::getValue).reversed()
                .thenComparing(e -> e.getKey().many()));
        return list.stream().map(e -> e.getKey().count(e.getValue())).collect(Collectors.joining("; "));
    }

    /** Counts the exclusion of each node that has one; the nodes that pass go to {@code eligible}. */
    public static Map<Exclusion, Integer> sort(PodConstraints pod, List<NodeState> nodes, List<NodeState> eligible) {
        Map<Exclusion, Integer> out = new LinkedHashMap<>();
        for (NodeState n : nodes) {
            Exclusion e = exclusion(pod, n);
            if (e == null) eligible.add(n);
            else out.merge(e, 1, Integer::sum);
        }
        return out;
    }
}
