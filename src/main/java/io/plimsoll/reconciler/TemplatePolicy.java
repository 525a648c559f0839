package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a workload's pod template may not say, because Plimsoll decides it: accelerators are placed and counted by
 * Plimsoll, so no container or init container may request an extended resource (nvidia.com/gpu, a MIG slice,
 * google.com/tpu, ...) or a DRA claim, or choose its devices through a device-selection variable. Anything else in
 * the template is the tenant's own business (Pod Security admission governs privilege).
 */
public final class TemplatePolicy {
    private TemplatePolicy() {}

    /** Environment variables that select devices at run time (NVIDIA, CUDA, ROCm, TPU, Neuron, Habana). */
    public static final Set<String> DEVICE_VARIABLES = Set.of(
            "NVIDIA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES", "NVIDIA_MIG_CONFIG_DEVICES",
            "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL",
            "TPU_VISIBLE_CHIPS", "TPU_VISIBLE_DEVICES", "TPU_CHIPS_PER_PROCESS_BOUNDS", "TPU_PROCESS_BOUNDS",
            "NEURON_RT_VISIBLE_CORES", "HABANA_VISIBLE_DEVICES");

    /** Resources a template may request itself; every other (extended) resource is Plimsoll's to set. */
    private static final Set<String> OWN_RESOURCES = Set.of("cpu", "memory", "ephemeral-storage");

    /** Throws IllegalArgumentException naming the first field that breaks the rules, and the fix. */
    public static void check(PodTemplateSpec template) {
        List<String> problems = problems(template);
        if (!problems.isEmpty()) throw new IllegalArgumentException(problems.get(0)
                + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : ""));
    }

    /** Every rule the template breaks, each naming the field and the fix. */
    public static List<String> problems(PodTemplateSpec template) {
        List<String> out = new ArrayList<>();
        PodSpec spec = template == null ? null : template.getSpec();
        if (spec == null) return out;
        if (spec.getPriorityClassName() != null && spec.getPriorityClassName().startsWith("system-")) {
            out.add("spec.template.spec.priorityClassName " + spec.getPriorityClassName() + " is reserved for the cluster's own"
                    + " components: remove it (a workload's priority is spec.priorityClassName)");
        }
        if (spec.getResourceClaims() != null && !spec.getResourceClaims().isEmpty()) {
            out.add("spec.template.spec.resourceClaims is set: Plimsoll assigns devices itself; remove it and ask through spec.resources.accelerator");
        }
        containers(out, "containers", spec.getContainers());
        containers(out, "initContainers", spec.getInitContainers());
        return out;
    }

    private static void containers(List<String> out, String kind, List<Container> containers) {
        if (containers == null) return;
        for (int i = 0; i < containers.size(); i++) {
            Container c = containers.get(i);
            String at = "spec.template.spec." + kind + "[" + i + "]";
            if (c.getResources() != null) {
                resources(out, at + ".resources.requests", c.getResources().getRequests());
                resources(out, at + ".resources.limits", c.getResources().getLimits());
                if (c.getResources().getClaims() != null && !c.getResources().getClaims().isEmpty()) {
                    out.add(at + ".resources.claims is set: Plimsoll assigns devices itself; remove it");
                }
            }
            if (c.getEnv() != null) {
                for (EnvVar e : c.getEnv()) {
                    if (e.getName() != null && DEVICE_VARIABLES.contains(e.getName().toUpperCase(Locale.ROOT))) {
                        out.add(at + ".env " + e.getName() + " selects devices: Plimsoll pins devices itself; remove it");
                    }
                }
            }
        }
    }

    private static void resources(List<String> out, String at, Map<String, Quantity> resources) {
        if (resources == null) return;
        for (String name : resources.keySet()) {
            if (OWN_RESOURCES.contains(name) || name.startsWith("hugepages-")) continue;
            out.add(at + "[" + name + "] is set: Plimsoll requests accelerators itself; remove it and set spec.resources.accelerator instead");
        }
    }
}
