package io.plimsoll.reconciler;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** metav1.Condition handling: lastTransitionTime only moves when the status flips. */
public final class Conditions {
    private Conditions() {}

    public static void set(List<Condition> conditions, String type, boolean status, String reason, String message,
                           Long observedGeneration) {
        String s = status ? "True" : "False";
        Condition existing = conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
        String transition = existing != null && s.equals(existing.getStatus()) && existing.getLastTransitionTime() != null
                ? existing.getLastTransitionTime()
                : Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Condition c = new ConditionBuilder().withType(type).withStatus(s).withReason(reason)
                .withMessage(message == null ? "" : message).withObservedGeneration(observedGeneration)
                .withLastTransitionTime(transition).build();
        if (existing != null) {
            int at = conditions.indexOf(existing);
            // One entry per type, even if an earlier write raced and left a duplicate behind.
            conditions.removeIf(x -> type.equals(x.getType()));
            conditions.add(Math.min(at, conditions.size()), c);
        } else {
            conditions.add(c);
        }
    }

    public static Condition get(List<Condition> conditions, String type) {
        return conditions == null ? null : conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }
}
