package io.plimsoll.engine.idle;

/**
 * Idle scale-down rule for one workload (Inference or Workbench). Pure and online: it sees only the
 * activity recorded so far. A missing or bad activity signal ({@link ModelActivity#hasData()} false, or a
 * null history) must always give {@link Action#KEEP}.
 */
public interface IdlePolicy {
    String name();

    /**
     * Decision for a replica that has been idle since {@code idleSinceMillis} (for the whole workload:
     * {@link ModelActivity#idleSinceMillis()}). Never returns PREWARM for a replica that exists.
     */
    Decision decide(ModelActivity history, long idleSinceMillis, long nowMillis);

    /**
     * Decision for an idle replica while the workload has at least one other replica (a scale-out replica of a
     * burst). Default: the same as {@link #decide(ModelActivity, long, long)}.
     */
    default Decision decideExtra(ModelActivity history, long idleSinceMillis, long nowMillis) {
        return decide(history, idleSinceMillis, nowMillis);
    }

    /** Decision for the workload as a whole, using the workload's own idle time. */
    default Decision decide(ModelActivity history, long nowMillis) {
        if (history == null || !history.hasData()) return Decision.keep(Long.MAX_VALUE, "no activity data: keep");
        if (history.busy()) return Decision.keep(Long.MAX_VALUE, "request in progress");
        return decide(history, history.idleSinceMillis(), nowMillis);
    }

    /**
     * For a workload currently at zero replicas: should a replica be started before any request arrives?
     * Default: no. Returns PREWARM or KEEP (= stay at zero).
     */
    default Decision prewarm(ModelActivity history, long nowMillis) {
        return Decision.keep(Long.MAX_VALUE, "no pre-warming");
    }

    /**
     * Common guard: null / no-data histories and unknown idle starts are always KEEP. Returns null when the
     * policy may decide. (A replica is judged on its own idle time: another replica of the workload being
     * busy does not keep an idle one.)
     */
    static Decision guard(ModelActivity history, long idleSinceMillis, long nowMillis) {
        if (history == null || !history.hasData()) return Decision.keep(Long.MAX_VALUE, "no activity data: keep");
        if (idleSinceMillis < 0 || idleSinceMillis > nowMillis) {
            return Decision.keep(Long.MAX_VALUE, "idle start unknown or in the future: keep");
        }
        return null;
    }
}
