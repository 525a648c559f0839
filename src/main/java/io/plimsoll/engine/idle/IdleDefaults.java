package io.plimsoll.engine.idle;

import java.time.Duration;

/** The idle policy Plimsoll applies by default to each workload kind. */
public final class IdleDefaults {
    private IdleDefaults() {}

    public enum WorkloadKind { INFERENCE, WORKBENCH, TRAINING, OPTIMIZATION }

    /** Workbench (notebook) default idle timeout. */
    public static final Duration WORKBENCH_IDLE = Duration.ofMinutes(60);

    public static IdlePolicy forKind(WorkloadKind kind) {
        switch (kind) {
            case INFERENCE: return new AdaptiveKeepAlive();
            case WORKBENCH: return new FixedKeepAlive(WORKBENCH_IDLE, "workbench idle 60m");
            case TRAINING:
            case OPTIMIZATION: return new AlwaysOn("never culled");
            default: throw new IllegalArgumentException("kind");
        }
    }
}
