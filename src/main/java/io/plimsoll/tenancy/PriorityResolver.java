package io.plimsoll.tenancy;

import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.PhaseRule;
import io.plimsoll.api.PlacementPolicy;
import io.plimsoll.engine.WorkloadPhase;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A workload's effective priority, from what admins own: the value of the PriorityClass named by
 * {@code spec.priorityClassName}, else the cluster's globalDefault PriorityClass, else the PlacementPolicy's
 * {@code defaultPriority} for the workload's phase, else 0.
 *
 * <p>A raw {@code spec.priority} is not trusted (any user could jump the queue with it): it is ignored, and the
 * result carries a warning for a Warning event, whenever PriorityClasses are read ({@link #of}). Only a resolver
 * built {@link #withoutPriorityClasses()} (no PriorityClass machinery: offline tools such as simulate and bench)
 * still honours it, between the PriorityClass and the policy default, as Plimsoll did before.
 *
 * <p>Pure apart from the {@link PriorityClasses} it reads (an informer's cache in the operator).
 */
public final class PriorityResolver {
    /** The highest value a PriorityClass for ordinary workloads may have (Kubernetes' own bound); higher ones are system classes. */
    public static final int MAX_USER_PRIORITY = 1_000_000_000;
    /** PriorityClasses with this prefix are the cluster's own (system-cluster-critical, system-node-critical). */
    public static final String SYSTEM_PREFIX = "system-";

    /** Where PriorityClasses come from: in the operator {@link TenancyInformers}; in tests a list. */
    public interface PriorityClasses {
        Optional<PriorityClass> priorityClass(String name);

        List<PriorityClass> priorityClasses();

        /** A fixed set, e.g. for tests. */
        static PriorityClasses of(List<PriorityClass> all) {
            return new PriorityClasses() {
                @Override
                public Optional<PriorityClass> priorityClass(String name) {
                    return all.stream().filter(p -> name.equals(p.getMetadata().getName())).findFirst();
                }

                @Override
                public List<PriorityClass> priorityClasses() {
                    return all;
                }
            };
        }
    }

    /** What decided the priority. */
    public enum Source {
        /** The PriorityClass named by spec.priorityClassName. */
        PriorityClass,
        /** The cluster's globalDefault PriorityClass. */
        GlobalDefault,
        /** spec.priority, honoured only without PriorityClass machinery. */
        SpecPriority,
        /** The PlacementPolicy's defaultPriority for the phase. */
        PolicyDefault,
        /** Nothing set: 0. */
        None
    }

    /**
     * @param priority      the effective priority; when {@link #ok()} is false, what the workload would get without
     *                      its priorityClassName (for display only: do not place it)
     * @param source        what decided it
     * @param priorityClass the PriorityClass used (named or global default), else null
     * @param error         null, or why the workload must not be placed (names spec.priorityClassName and the fix):
     *                      keep it Pending with this message, as for an unknown PlacementPolicy
     * @param warning       null, or a note for a Warning event (spec.priority set but ignored)
     */
    public record Resolution(int priority, Source source, String priorityClass, String error, String warning) {
        public boolean ok() {
            return error == null;
        }
    }

    private final PriorityClasses classes;

    private PriorityResolver(PriorityClasses classes) {
        this.classes = classes;
    }

    /** Reads PriorityClasses from {@code classes}; spec.priority is ignored. */
    public static PriorityResolver of(PriorityClasses classes) {
        return new PriorityResolver(java.util.Objects.requireNonNull(classes));
    }

    /** No PriorityClass machinery: spec.priority is honoured, spec.priorityClassName is refused. */
    public static PriorityResolver withoutPriorityClasses() {
        return new PriorityResolver(null);
    }

    /** The workload's priority; {@code policy} is the PlacementPolicy it uses (null when none exists). */
    public Resolution resolve(AIWorkload workload, PlacementPolicy policy) {
        var spec = workload.getSpec();
        String className = spec == null ? null : blankToNull(spec.getPriorityClassName());
        Integer own = spec == null ? null : spec.getPriority();
        WorkloadPhase phase = spec == null ? null : spec.getPhase();
        String warning = own != null && classes != null
                ? "spec.priority " + own + " is ignored (a workload's priority comes from a PriorityClass the cluster admin owns):"
                + " remove it and set spec.priorityClassName (kubectl get priorityclasses)"
                : null;
        Resolution fallback = fallback(own, phase, policy, warning);
        if (className == null) return fallback;
        if (className.startsWith(SYSTEM_PREFIX)) {
            return refused(fallback, "spec.priorityClassName '" + className + "' is reserved for the cluster's own components:"
                    + " name a PriorityClass your cluster admin made for workloads (kubectl get priorityclasses), or remove the field");
        }
        if (classes == null) {
            return refused(fallback, "spec.priorityClassName '" + className + "' cannot be used: this Plimsoll does not read"
                    + " PriorityClasses; remove the field");
        }
        Optional<PriorityClass> pc = classes.priorityClass(className);
        if (pc.isEmpty()) {
            return refused(fallback, "spec.priorityClassName '" + className + "' is not a PriorityClass: ask your cluster admin"
                    + " to create it, or name an existing one (kubectl get priorityclasses), or remove the field");
        }
        return new Resolution(value(pc.get()), Source.PriorityClass, className, null, warning);
    }

    private Resolution fallback(Integer own, WorkloadPhase phase, PlacementPolicy policy, String warning) {
        if (classes != null) {
            Optional<PriorityClass> global = globalDefault(classes.priorityClasses());
            if (global.isPresent()) {
                return new Resolution(value(global.get()), Source.GlobalDefault, global.get().getMetadata().getName(), null, warning);
            }
        } else if (own != null) {
            return new Resolution(clamp(own), Source.SpecPriority, null, null, null);
        }
        PhaseRule rule = phase == null || policy == null || policy.getSpec() == null ? null : policy.getSpec().ruleFor(phase);
        if (rule != null && rule.getDefaultPriority() != null) {
            return new Resolution(clamp(rule.getDefaultPriority()), Source.PolicyDefault, null, null, warning);
        }
        return new Resolution(0, Source.None, null, null, warning);
    }

    private static Resolution refused(Resolution fallback, String error) {
        return new Resolution(fallback.priority(), fallback.source(), fallback.priorityClass(), error, fallback.warning());
    }

    /**
     * The globalDefault PriorityClass; if several claim it (the API server refuses a second one, but a race can leave
     * two), the lowest value wins, then the first name, as Kubernetes' admission does. System classes never count.
     */
    static Optional<PriorityClass> globalDefault(List<PriorityClass> all) {
        return all.stream().filter(p -> Boolean.TRUE.equals(p.getGlobalDefault()))
                .filter(p -> p.getMetadata().getName() != null && !p.getMetadata().getName().startsWith(SYSTEM_PREFIX))
                .min(Comparator.comparingInt(PriorityResolver::value).thenComparing(p -> p.getMetadata().getName()));
    }

    private static int value(PriorityClass pc) {
        return clamp(pc.getValue() == null ? 0 : pc.getValue());
    }

    /** Within what a user PriorityClass may hold, so nothing outranks it by wrapping round or by a system value. */
    private static int clamp(int v) {
        return Math.max(-MAX_USER_PRIORITY, Math.min(MAX_USER_PRIORITY, v));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
