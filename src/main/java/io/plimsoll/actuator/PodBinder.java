package io.plimsoll.actuator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.Annotations;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.PoolProfile;
import io.plimsoll.engine.ReplicaSlot;
import io.plimsoll.engine.Units;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Creates a workload's pods already bound to the node the engine chose ({@code spec.nodeName}), with the
 * devices pinned: whole devices as the pool's extended resource, except on Fractional pools, whose devices
 * Plimsoll hands out itself (NVIDIA_VISIBLE_DEVICES and annotations, for whole devices and fractions alike, so a
 * replica can be parked in place); a MIG slice as its MIG resource, TPU chips with the slice topology as node
 * selector.
 * The only code that writes pods on the engine's behalf.
 */
@ApplicationScoped
public class PodBinder {
    static final String TPU_TOPOLOGY_LABEL = "cloud.google.com/gke-tpu-topology";

    private final KubernetesClient client;

    @Inject
    public PodBinder(KubernetesClient client) {
        this.client = client;
    }

    private static final String SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789";
    private static final java.util.random.RandomGenerator RANDOM = new java.security.SecureRandom();

    /**
     * A fresh name for a replica's pod, {@code <workload>-<replica>-<5 random chars>}. Every pod gets a new
     * name, so a replacement never collides with the pod it replaces while that one is still being deleted;
     * the replica label, not the name, says which replica a pod runs.
     */
    public static String newPodName(AIWorkload wl, int replica) {
        StringBuilder sb = new StringBuilder(wl.getMetadata().getName()).append('-').append(replica).append('-');
        for (int i = 0; i < 5; i++) sb.append(SUFFIX_CHARS.charAt(RANDOM.nextInt(SUFFIX_CHARS.length())));
        return sb.toString();
    }

    /**
     * The label selector, as a string, that matches exactly the pods {@link #buildPod} makes for this workload: the
     * labels Plimsoll sets on them itself (a template's plimsoll.io/ labels are dropped, its managed-by is overwritten).
     * The workload's /scale subresource reports it, so an autoscaler reads the metrics of these pods.
     */
    public static String selector(AIWorkload wl) {
        return Annotations.MANAGED_BY + "=" + Annotations.MANAGER + "," + Annotations.WORKLOAD + "=" + wl.getMetadata().getName();
    }

    /** Builds the pod for one replica; pure, for tests and dry runs. */
    public static Pod buildPod(AIWorkload wl, String name, int replica, PoolProfile pool, ReplicaSlot slot, Quantity cpu, Quantity memory) {
        PodTemplateSpec template = wl.getSpec().getTemplate();
        ObjectMeta tmeta = template == null || template.getMetadata() == null ? new ObjectMeta() : template.getMetadata();
        PodSpec spec = template == null || template.getSpec() == null ? new PodSpec()
                : new io.fabric8.kubernetes.api.model.PodSpecBuilder(template.getSpec()).build();
        if (spec.getContainers() == null || spec.getContainers().isEmpty()) {
            throw new IllegalArgumentException("spec.template.spec.containers is empty: add at least one container with an image");
        }
        // Plimsoll's own labels and annotations are Plimsoll's: whatever the template says under plimsoll.io/ is dropped.
        Map<String, String> labels = withoutPlimsollKeys(tmeta.getLabels());
        labels.put(Annotations.WORKLOAD, wl.getMetadata().getName());
        labels.put(Annotations.REPLICA, String.valueOf(replica));
        labels.put(Annotations.PHASE, wl.getSpec().getPhase().name());
        labels.put(Annotations.MANAGED_BY, Annotations.MANAGER);
        Map<String, String> ann = withoutPlimsollKeys(tmeta.getAnnotations());
        ann.put(Annotations.POOL, pool.name());
        ann.put(Annotations.COST, String.format(Locale.ROOT, "%.4f", slot.costPerHour()));

        Map<String, Quantity> requests = new HashMap<>();
        requests.put("cpu", cpu);
        requests.put("memory", memory);
        Map<String, Quantity> limits = new HashMap<>();
        limits.put("memory", memory);
        List<EnvVar> env = new ArrayList<>();
        if (slot.mig() != null) {
            ann.put(Annotations.MIG_PROFILE, slot.mig().name());
            requests.put(slot.mig().resourceName(), new Quantity("1"));
            limits.put(slot.mig().resourceName(), new Quantity("1"));
        } else if (slot.fractionMilli() > 0 || (pool.sharing() == io.plimsoll.engine.SharingMode.Fractional && !slot.devices().isEmpty())) {
            // A share is pinned to one device; it requests no extended resource, so it is never counted twice.
            // On a Fractional pool whole devices are pinned the same way: the device plugin never picks them.
            ann.put(Annotations.DEVICES, join(slot.devices()));
            env.add(new EnvVar(NVIDIA_VISIBLE_DEVICES, join(slot.devices()), null));
            if (slot.fractionMilli() > 0) {
                ann.put(Annotations.GPU_MILLI, String.valueOf(slot.fractionMilli()));
                env.add(new EnvVar("PLIMSOLL_GPU_FRACTION", Units.fraction(slot.fractionMilli()), null));
            }
        } else if (!slot.devices().isEmpty() && pool.resourceName() != null) {
            ann.put(Annotations.DEVICES, join(slot.devices()));
            Quantity n = new Quantity(String.valueOf(slot.devices().size()));
            requests.put(pool.resourceName(), n);
            limits.put(pool.resourceName(), n);
        }
        if (pool.type() == AcceleratorType.TPU && pool.topology() != null) {
            Map<String, String> sel = new LinkedHashMap<>(spec.getNodeSelector() == null ? Map.of() : spec.getNodeSelector());
            sel.put(TPU_TOPOLOGY_LABEL, pool.topology());
            spec.setNodeSelector(sel);
        }
        // Requests go on the first container (the workload's main one); others keep their CPU and memory. Every other
        // container and init container is told it has no GPU: an explicit variable wins over envFrom and over the
        // image's own NVIDIA_VISIBLE_DEVICES=all, so no sidecar reaches a device Plimsoll did not give it.
        Container main = spec.getContainers().get(0);
        main.setResources(new ResourceRequirements(null, limits, requests));
        setEnv(main, env);
        List<EnvVar> none = List.of(new EnvVar(NVIDIA_VISIBLE_DEVICES, "void", null));
        for (Container c : spec.getContainers()) if (c != main) setEnv(c, none);
        if (spec.getInitContainers() != null) for (Container c : spec.getInitContainers()) setEnv(c, none);
        if (env.isEmpty() && !requests.containsKey(pool.resourceName() == null ? "" : pool.resourceName())
                && slot.mig() == null) {
            setEnv(main, none); // CPU-only, or a TPU: no GPU either
        }
        spec.setSchedulerName(Annotations.SCHEDULER_NAME);
        spec.setNodeName(slot.node());
        if (spec.getRestartPolicy() == null) {
            spec.setRestartPolicy(wl.getSpec().getPhase().runsToCompletion() ? "Never" : "Always");
        }
        ObjectMeta meta = new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(wl.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(ann)
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion(wl.getApiVersion()).withKind(wl.getKind())
                        .withName(wl.getMetadata().getName()).withUid(wl.getMetadata().getUid())
                        .withController(true).withBlockOwnerDeletion(true).build())
                .build();
        Pod pod = new Pod();
        pod.setMetadata(meta);
        pod.setSpec(spec);
        return pod;
    }

    private static final String NVIDIA_VISIBLE_DEVICES = "NVIDIA_VISIBLE_DEVICES";

    private static Map<String, String> withoutPlimsollKeys(Map<String, String> in) {
        Map<String, String> out = new LinkedHashMap<>();
        if (in != null) in.forEach((k, v) -> {
            if (k != null && !k.startsWith(Annotations.PREFIX)) out.put(k, v);
        });
        return out;
    }

    private static void setEnv(Container c, List<EnvVar> env) {
        if (env.isEmpty()) return;
        List<EnvVar> merged = new ArrayList<>(c.getEnv() == null ? List.of() : c.getEnv());
        merged.removeIf(e -> env.stream().anyMatch(x -> x.getName().equals(e.getName())));
        merged.addAll(env);
        c.setEnv(merged);
    }

    /** Creates the pod, already bound to its node. */
    public Pod create(Pod pod) {
        return client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
    }

    /** Evicts the pod through the Eviction API, which honours PodDisruptionBudgets; false when a budget refuses. */
    public boolean evict(Pod pod) {
        return client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).evict();
    }

    /**
     * Parks a replica in place: from now on it is counted as {@code milli} thousandths of its device and costs that
     * share; nothing restarts. A JSON patch of the pod's annotations; returns the pod as patched.
     */
    public Pod park(Pod pod, int milli, java.time.Instant since) {
        return client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).edit(p -> {
            Map<String, String> ann = new LinkedHashMap<>(p.getMetadata().getAnnotations() == null ? Map.of() : p.getMetadata().getAnnotations());
            String cost = ann.get(Annotations.COST);
            ann.put(Annotations.PARKED, since.toString());
            ann.put(Annotations.GPU_MILLI, String.valueOf(milli));
            if (cost != null) {
                ann.put(Annotations.SERVING_COST, cost);
                try {
                    ann.put(Annotations.COST, String.format(Locale.ROOT, "%.4f", Double.parseDouble(cost) * milli / 1000.0));
                } catch (NumberFormatException ignored) {
                    // a hand-edited cost stays as it is
                }
            }
            p.getMetadata().setAnnotations(ann);
            return p;
        });
    }

    /** Brings a parked replica back to its whole device (in place, nothing restarts); returns the pod as patched. */
    public Pod unpark(Pod pod) {
        return client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).edit(p -> {
            Map<String, String> ann = new LinkedHashMap<>(p.getMetadata().getAnnotations() == null ? Map.of() : p.getMetadata().getAnnotations());
            ann.remove(Annotations.PARKED);
            ann.remove(Annotations.GPU_MILLI);
            String cost = ann.remove(Annotations.SERVING_COST);
            if (cost != null) ann.put(Annotations.COST, cost);
            p.getMetadata().setAnnotations(ann);
            return p;
        });
    }

    /** The reason of the {@code DisruptionTarget} condition Plimsoll puts on a pod it preempts. */
    public static final String PREEMPTED_BY_PLIMSOLL = "PreemptionByPlimsoll";

    /**
     * Marks a pod about to be deleted for another workload with the {@code DisruptionTarget} condition, as
     * kube-scheduler does before it preempts (reason {@link #PREEMPTED_BY_PLIMSOLL}): {@code kubectl describe pod}
     * shows why it goes, controllers that read the condition see it, and a restarted operator finds it while the pod
     * terminates.
     *
     * <p>One strategic merge patch of the pod's status, as kube-scheduler sends: the API server merges
     * {@code status.conditions} by condition type, so the pod is not read first and a condition the kubelet set
     * meanwhile is kept (a merge patch would replace the whole list with a cached copy). An API server that does not
     * take strategic merge patches (415, as the embedded one in {@code sandbox} and {@code bench}) gets a read and a
     * patch of the edited list instead, from then on.
     */
    public void markDisrupted(Pod pod, String message) {
        PodCondition condition = new PodConditionBuilder()
                .withType("DisruptionTarget").withStatus("True").withReason(PREEMPTED_BY_PLIMSOLL).withMessage(message)
                .withLastTransitionTime(java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()).build();
        if (strategicMergeTaken) {
            try {
                // The pod itself, not only its name: Fabric8 reads a pod named only by name before it patches.
                client.resource(pod).subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                        Serialization.asJson(Map.of("status", Map.of("conditions", List.of(condition)))));
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 415) throw e;
                strategicMergeTaken = false;
            }
        }
        client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).editStatus(p -> {
            if (p.getStatus() == null) p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
            List<PodCondition> cs = new ArrayList<>(p.getStatus().getConditions() == null ? List.of() : p.getStatus().getConditions());
            cs.removeIf(c -> "DisruptionTarget".equals(c.getType()));
            cs.add(condition);
            p.getStatus().setConditions(cs);
            return p;
        });
    }

    /** False once the API server refused a strategic merge patch (415): it is not asked again. */
    private volatile boolean strategicMergeTaken = true;

    /** The pod's {@code DisruptionTarget} condition if Plimsoll preempted it (with a message), else null. */
    public static PodCondition preemptedBy(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) return null;
        for (var c : pod.getStatus().getConditions()) {
            if ("DisruptionTarget".equals(c.getType()) && "True".equals(c.getStatus()) && PREEMPTED_BY_PLIMSOLL.equals(c.getReason())
                    && c.getMessage() != null) {
                return c;
            }
        }
        return null;
    }

    public void delete(Pod pod) {
        client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).delete();
    }

    private static String join(List<Integer> devices) {
        return devices.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
