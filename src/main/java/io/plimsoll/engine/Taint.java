package io.plimsoll.engine;

import java.util.Objects;

/**
 * A node taint: pods that do not tolerate it stay off the node ({@code NoSchedule}) or are refused and evicted
 * by the kubelet ({@code NoExecute}); {@code PreferNoSchedule} is only a preference and never keeps a pod off.
 */
public record Taint(String key, String value, Effect effect) {

    public enum Effect { NoSchedule, PreferNoSchedule, NoExecute }

    public Taint {
        key = key == null ? "" : key;
        value = value == null ? "" : value;
        Objects.requireNonNull(effect, "effect");
    }

    /** Whether the taint keeps a pod that does not tolerate it off the node. */
    public boolean hard() {
        return effect != Effect.PreferNoSchedule;
    }

    /** As kubectl shows it: {@code gpu=reserved:NoSchedule}, or {@code gpu:NoSchedule} without a value. */
    @Override
    public String toString() {
        return key + (value.isEmpty() ? "" : "=" + value) + ":" + effect;
    }
}
