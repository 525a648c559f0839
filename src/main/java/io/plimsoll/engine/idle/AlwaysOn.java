package io.plimsoll.engine.idle;

/** Never scale down (reference; also the default for training / optimization workloads). */
public final class AlwaysOn implements IdlePolicy {
    private final String name;

    public AlwaysOn() { this("always-on"); }

    public AlwaysOn(String name) { this.name = name; }

    @Override public String name() { return name; }

    @Override
    public Decision decide(ModelActivity history, long idleSinceMillis, long nowMillis) {
        return Decision.keep(Long.MAX_VALUE, "never culled");
    }
}
