package io.plimsoll.reconciler;

import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.plimsoll.api.AIWorkload;

import java.util.Map;
import java.util.Objects;

/**
 * Which updates of an AIWorkload start a reconcile: a new generation (spec change), a new activity time in the
 * {@code plimsoll.io/last-activity} annotation (it brings an idle workload back), or deletion. Status-only updates,
 * including Plimsoll's own, do not.
 */
public class SpecOrActivityChanged implements OnUpdateFilter<AIWorkload> {
    @Override
    public boolean accept(AIWorkload updated, AIWorkload old) {
        return !Objects.equals(updated.getMetadata().getGeneration(), old.getMetadata().getGeneration())
                || !Objects.equals(activity(updated), activity(old))
                || !Objects.equals(updated.getMetadata().getDeletionTimestamp(), old.getMetadata().getDeletionTimestamp())
                || !Objects.equals(updated.getMetadata().getFinalizers(), old.getMetadata().getFinalizers());
    }

    private static String activity(AIWorkload w) {
        Map<String, String> a = w.getMetadata().getAnnotations();
        return a == null ? null : a.get(IdleScaler.LAST_ACTIVITY);
    }
}
