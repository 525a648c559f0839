package io.plimsoll.snapshot;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;

import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * What a pod holds on its node as Kubernetes enforces it: its effective request of a resource (the larger of the sum
 * over its containers and its largest init container, plus pod overhead), and the devices its environment makes
 * visible. The same rule the kubelet admits pods by.
 */
public final class PodRequests {
    private PodRequests() {}

    public static long milli(Pod p, String resource) {
        return effective(p, resource, true);
    }

    public static long bytes(Pod p, String resource) {
        return effective(p, resource, false);
    }

    public static long count(Pod p, String resource) {
        return effective(p, resource, false);
    }

    private static long effective(Pod p, String resource, boolean milli) {
        if (p.getSpec() == null) return 0;
        long sum = 0;
        for (Container c : list(p.getSpec().getContainers())) sum = add(sum, amount(request(c, resource), milli));
        long init = 0;
        for (Container c : list(p.getSpec().getInitContainers())) init = Math.max(init, amount(request(c, resource), milli));
        long overhead = p.getSpec().getOverhead() == null ? 0 : amount(p.getSpec().getOverhead().get(resource), milli);
        return add(Math.max(sum, init), overhead);
    }

    /**
     * Device indexes a pod's containers name in NVIDIA_VISIBLE_DEVICES (the container runtime gives them whatever
     * scheduled the pod); {@code all} is every device. Indexes outside the node's devices are ignored, and so are
     * device UUIDs (which cannot be mapped to an index here).
     */
    public static List<Integer> visibleDevices(Pod p, int deviceCount) {
        TreeSet<Integer> out = new TreeSet<>();
        if (p.getSpec() == null || deviceCount <= 0) return List.of();
        for (List<Container> cs : List.of(list(p.getSpec().getContainers()), list(p.getSpec().getInitContainers()))) {
            for (Container c : cs) {
                for (EnvVar e : list(c.getEnv())) {
                    if (!"NVIDIA_VISIBLE_DEVICES".equals(e.getName()) || e.getValue() == null) continue;
                    String v = e.getValue().trim().toLowerCase(Locale.ROOT);
                    if (v.equals("all")) {
                        for (int d = 0; d < deviceCount; d++) out.add(d);
                        continue;
                    }
                    for (String part : v.split(",")) {
                        try {
                            int d = Integer.parseInt(part.trim());
                            if (d >= 0 && d < deviceCount) out.add(d);
                        } catch (NumberFormatException ignored) {
                            // void, none, a UUID: no index to count
                        }
                    }
                }
            }
        }
        return List.copyOf(out);
    }

    /** A container's request, or its limit when only a limit is set (as Kubernetes defaults it). */
    private static Quantity request(Container c, String resource) {
        if (c.getResources() == null) return null;
        Quantity q = c.getResources().getRequests() == null ? null : c.getResources().getRequests().get(resource);
        if (q == null && c.getResources().getLimits() != null) q = c.getResources().getLimits().get(resource);
        return q;
    }

    private static long amount(Quantity q, boolean milli) {
        return milli ? Quantities.milli(q) : Quantities.bytes(q);
    }

    private static long add(long a, long b) {
        long r = a + b;
        return r < a ? Long.MAX_VALUE : r;
    }

    private static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }
}
