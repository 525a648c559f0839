package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AIWorkloadSpec;
import io.plimsoll.api.AcceleratorRequest;
import io.plimsoll.api.PhaseRule;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.api.ReplicaResources;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.Need;
import io.plimsoll.engine.NodeConstraints;
import io.plimsoll.engine.PhaseRules;
import io.plimsoll.engine.PodConstraints;
import io.plimsoll.engine.Taint;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.snapshot.Quantities;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads an AIWorkload's spec into the engine's {@link Need}, checking what the CRD's validation would reject
 * (so a spec that reached us without it, e.g. from an old CRD, still gets a clear message, never a crash).
 */
public final class WorkloadNeeds {
    private WorkloadNeeds() {}

    /** A label value holds at most 63 characters, and the pods carry the workload's name as one. */
    static final int MAX_NAME_LENGTH = 63;
    static final long MAX_CPU_MILLI = 100_000L * 1000;
    static final long MAX_MEMORY_BYTES = 1L << 50;
    /** A longer idle timeout is a typo (or an attempt to overflow a clock): Never says it plainly. */
    static final long MAX_IDLE_TIMEOUT_MS = 365L * 24 * 3600 * 1000;

    /** The spec, checked; {@link IllegalArgumentException} names the field and the fix. */
    public record Parsed(Need need, Quantity cpu, Quantity memory) {}

    /** The PlacementPolicy the workload names, or {@code default}. */
    public static String policyName(AIWorkload wl) {
        String p = wl.getSpec() == null ? null : wl.getSpec().getPolicy();
        return p == null || p.isBlank() ? io.plimsoll.api.PlacementPolicy.DEFAULT_NAME : p;
    }

    public static Parsed parse(AIWorkload wl) {
        AIWorkloadSpec spec = wl.getSpec();
        if (spec == null) throw new IllegalArgumentException("spec is missing: set spec.phase and spec.resources");
        String name = wl.getMetadata() == null ? null : wl.getMetadata().getName();
        if (name != null && name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("metadata.name is " + name.length() + " characters: its pods carry it as a label value,"
                    + " which holds at most " + MAX_NAME_LENGTH + "; recreate the workload with a shorter name");
        }
        WorkloadPhase phase = spec.getPhase();
        if (phase == null) {
            throw new IllegalArgumentException("spec.phase is required: set Training, Inference, Optimization or Workbench");
        }
        if (spec.getTraining() != null && phase != WorkloadPhase.Training) {
            throw new IllegalArgumentException("spec.training applies only to phase Training: remove spec.training or set spec.phase to Training");
        }
        int replicas = spec.getReplicas() == null ? 1 : spec.getReplicas();
        if (replicas < 0) throw new IllegalArgumentException("spec.replicas is " + replicas + ": use 0 or more");
        if (spec.getTemplate() instanceof io.plimsoll.api.LenientPodTemplate.Unreadable bad) {
            throw new IllegalArgumentException(bad.field() + " cannot be read as a pod template (" + bad.problem()
                    + "): fix it to match the Pod API (kubectl explain pod.spec)");
        }
        if (spec.getTemplate() == null || spec.getTemplate().getSpec() == null
                || spec.getTemplate().getSpec().getContainers() == null || spec.getTemplate().getSpec().getContainers().isEmpty()) {
            throw new IllegalArgumentException("spec.template.spec.containers is empty: add at least one container with an image");
        }
        ReplicaResources res = spec.getResources() == null ? new ReplicaResources() : spec.getResources();
        Quantity cpu = Quantities.parse("spec.resources.cpu", res.getCpu() == null ? "1" : res.getCpu(), "4 or 500m");
        Quantity mem = Quantities.parse("spec.resources.memory", res.getMemory() == null ? "2Gi" : res.getMemory(), "16Gi");
        if (Quantities.milli(cpu) > MAX_CPU_MILLI) {
            throw new IllegalArgumentException("spec.resources.cpu '" + res.getCpu() + "' is more than any node has (at most 100000 cores): use e.g. 4 or 500m");
        }
        if (Quantities.bytes(mem) > MAX_MEMORY_BYTES) {
            throw new IllegalArgumentException("spec.resources.memory '" + res.getMemory() + "' is more than any node has (at most 1Pi): use e.g. 16Gi");
        }
        TemplatePolicy.check(spec.getTemplate());
        if (spec.getIdleTimeout() != null && !"Never".equals(spec.getIdleTimeout())) {
            long ms;
            try {
                ms = io.plimsoll.engine.idle.Durations.parseMillis(spec.getIdleTimeout());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("spec.idleTimeout '" + spec.getIdleTimeout() + "' is not a duration: use e.g. 30m, 1h30m or Never");
            }
            if (ms > MAX_IDLE_TIMEOUT_MS || ms < 0) {
                throw new IllegalArgumentException("spec.idleTimeout '" + spec.getIdleTimeout() + "' is longer than the 365-day maximum: use at most 8760h, or Never");
            }
        }
        AcceleratorRequest acc = res.getAccelerator() == null ? new AcceleratorRequest() : res.getAccelerator();
        AcceleratorType type = acc.getType() == null ? AcceleratorType.None : acc.getType();
        int count = 0, milli = 0;
        if (acc.getCount() != null && acc.getFraction() != null) {
            throw new IllegalArgumentException("spec.resources.accelerator sets both count and fraction: keep count for whole devices or fraction for part of one");
        }
        if (type == AcceleratorType.None) {
            if (acc.getCount() != null || acc.getFraction() != null) {
                throw new IllegalArgumentException("spec.resources.accelerator.type is None but count or fraction is set: set type to GPU or TPU");
            }
        } else if (acc.getFraction() != null) {
            double f = acc.getFraction();
            if (!(f > 0 && f < 1)) {
                throw new IllegalArgumentException("spec.resources.accelerator.fraction is " + f + ": use a value between 0 and 1, or count for whole devices");
            }
            if (type != AcceleratorType.GPU) {
                throw new IllegalArgumentException("spec.resources.accelerator.fraction is only for GPUs: use count for TPU chips");
            }
            milli = Math.max(1, (int) Math.round(f * 1000));
            if (milli >= 1000) milli = 999;
        } else if (acc.getCount() != null) {
            count = acc.getCount();
            if (count < 1) throw new IllegalArgumentException("spec.resources.accelerator.count is " + count + ": use 1 or more");
        } else {
            throw new IllegalArgumentException("spec.resources.accelerator asks for a " + type + " but sets neither count nor fraction: set one");
        }
        double minMem = acc.getMinMemoryGiB() == null ? 0 : acc.getMinMemoryGiB();
        if (minMem < 0) throw new IllegalArgumentException("spec.resources.accelerator.minMemoryGiB is negative: use 0 or more");
        if (acc.getTopology() != null && type != AcceleratorType.TPU) {
            throw new IllegalArgumentException("spec.resources.accelerator.topology applies only to type TPU: remove it or set type to TPU");
        }
        // The pod asks for more than the main container when sidecars or init containers ask for CPU and memory: the
        // kubelet admits the pod by its effective request, so the fit counts it too.
        var sidecars = spec.getTemplate().getSpec();
        long podCpu = effective(Quantities.milli(cpu), sidecars, "cpu", true);
        long podMem = effective(Quantities.bytes(mem), sidecars, "memory", false);
        Need need = new Need(phase, replicas, podCpu, podMem, type, count, milli, minMem,
                acc.getModels() == null ? Set.of() : Set.copyOf(acc.getModels()), acc.getTopology(),
                phase == WorkloadPhase.Training).withConstraints(constraints(spec.getTemplate().getSpec()));
        return new Parsed(need, cpu, mem);
    }

    /**
     * The template's own node constraints: nodeSelector, required node affinity and tolerations. What the API server
     * would refuse in a pod (an unknown operator, Gt without one integer, ...) is refused here, naming the field.
     */
    static PodConstraints constraints(PodSpec spec) {
        List<PodConstraints.Term> terms = new ArrayList<>();
        NodeSelector required = spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null ? null
                : spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
        if (required != null) {
            String at = "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";
            List<NodeSelectorTerm> list = required.getNodeSelectorTerms();
            if (list == null || list.isEmpty()) {
                throw new IllegalArgumentException(at + " is empty: add at least one term, or remove requiredDuringSchedulingIgnoredDuringExecution");
            }
            for (int i = 0; i < list.size(); i++) {
                NodeSelectorTerm t = list.get(i);
                terms.add(new PodConstraints.Term(
                        requirements(at + "[" + i + "].matchExpressions", t == null ? null : t.getMatchExpressions(), false),
                        requirements(at + "[" + i + "].matchFields", t == null ? null : t.getMatchFields(), true)));
            }
        }
        List<PodConstraints.Toleration> tolerations = new ArrayList<>();
        if (spec.getTolerations() != null) {
            for (int i = 0; i < spec.getTolerations().size(); i++) {
                tolerations.add(toleration("spec.template.spec.tolerations[" + i + "]", spec.getTolerations().get(i)));
            }
        }
        return new PodConstraints(spec.getNodeSelector(), terms, tolerations);
    }

    private static List<PodConstraints.Requirement> requirements(String at, List<NodeSelectorRequirement> list, boolean fields) {
        List<PodConstraints.Requirement> out = new ArrayList<>();
        if (list == null) return out;
        for (int i = 0; i < list.size(); i++) {
            NodeSelectorRequirement r = list.get(i);
            String where = at + "[" + i + "]";
            if (r == null || r.getKey() == null || r.getKey().isEmpty()) throw new IllegalArgumentException(where + ".key is empty: name a node label");
            PodConstraints.Operator op;
            try {
                op = PodConstraints.Operator.valueOf(String.valueOf(r.getOperator()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ".operator '" + r.getOperator() + "' is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt");
            }
            List<String> values = r.getValues() == null ? List.of() : r.getValues();
            if (fields) {
                if (!NodeConstraints.NAME_FIELD.equals(r.getKey())) {
                    throw new IllegalArgumentException(where + ".key '" + r.getKey() + "' is not a node field that can be matched: use metadata.name");
                }
                if ((op != PodConstraints.Operator.In && op != PodConstraints.Operator.NotIn) || values.size() != 1) {
                    throw new IllegalArgumentException(where + " must be In or NotIn with exactly one node name");
                }
            }
            switch (op) {
                case In, NotIn -> {
                    if (values.isEmpty()) throw new IllegalArgumentException(where + ".values is empty: " + op + " needs at least one value");
                }
                case Exists, DoesNotExist -> {
                    if (!values.isEmpty()) throw new IllegalArgumentException(where + ".values must be empty for " + op);
                }
                case Gt, Lt -> {
                    if (values.size() != 1 || !values.get(0).matches("-?\\d{1,18}")) {
                        throw new IllegalArgumentException(where + ".values must be one integer for " + op + ", e.g. [\"8\"]");
                    }
                }
            }
            out.add(new PodConstraints.Requirement(r.getKey(), op, values));
        }
        return out;
    }

    private static PodConstraints.Toleration toleration(String at, Toleration t) {
        if (t == null) throw new IllegalArgumentException(at + " is empty: give a key, an operator and an effect");
        String key = t.getKey() == null ? "" : t.getKey();
        String value = t.getValue() == null ? "" : t.getValue();
        boolean exists;
        if (t.getOperator() == null || t.getOperator().isEmpty() || "Equal".equals(t.getOperator())) {
            if (key.isEmpty()) throw new IllegalArgumentException(at + " has no key: an empty key needs operator Exists (tolerates every taint)");
            exists = false;
        } else if ("Exists".equals(t.getOperator())) {
            if (!value.isEmpty()) throw new IllegalArgumentException(at + ".value must be empty with operator Exists");
            exists = true;
        } else {
            throw new IllegalArgumentException(at + ".operator '" + t.getOperator() + "' is not Equal or Exists");
        }
        Taint.Effect effect = null;
        if (t.getEffect() != null && !t.getEffect().isEmpty()) {
            try {
                effect = Taint.Effect.valueOf(t.getEffect());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ".effect '" + t.getEffect() + "' is not NoSchedule, PreferNoSchedule or NoExecute (or empty: all)");
            }
        }
        return new PodConstraints.Toleration(key, exists, value, effect);
    }

    /**
     * The pod's effective request of a resource, as the kubelet admits it: the larger of the sum over its containers
     * (the main one at {@code main}, the others as the template gives them) and the largest init container.
     */
    static long effective(long main, io.fabric8.kubernetes.api.model.PodSpec spec, String resource, boolean milli) {
        long sum = main;
        var containers = spec.getContainers();
        for (int i = 1; i < containers.size(); i++) sum = saturatingAdd(sum, request(containers.get(i), resource, milli));
        long init = 0;
        if (spec.getInitContainers() != null) {
            for (var c : spec.getInitContainers()) init = Math.max(init, request(c, resource, milli));
        }
        return Math.max(sum, init);
    }

    private static long request(io.fabric8.kubernetes.api.model.Container c, String resource, boolean milli) {
        if (c.getResources() == null) return 0;
        Quantity q = c.getResources().getRequests() == null ? null : c.getResources().getRequests().get(resource);
        if (q == null && c.getResources().getLimits() != null) q = c.getResources().getLimits().get(resource);
        return milli ? Quantities.milli(q) : Quantities.bytes(q);
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return r < a ? Long.MAX_VALUE : r;
    }

    /** The phase's rules from a policy, defaults where it is silent. */
    public static PhaseRules rules(PlacementPolicy policy, WorkloadPhase phase) {
        PhaseRule r = policy == null || policy.getSpec() == null ? null : policy.getSpec().ruleFor(phase);
        if (r == null) return PhaseRules.DEFAULT;
        return new PhaseRules(r.getPools(), r.getPoolOrder(), r.getAllowSharing() == null || r.getAllowSharing(), r.getStrategy());
    }
}
