package io.plimsoll.engine.packing;

import java.util.List;

/** Policy factory by name. */
public final class Policies {
    public static final List<String> NAMES = List.of("best-fit", "fgd", "plimsoll");

    private Policies() {}

    /** @throws IllegalArgumentException for an unknown name */
    public static PackingPolicy create(String name, TypicalDistribution dist) {
        return switch (name) {
            case "best-fit", "bestfit" -> new BestFitPolicy();
            case "fgd" -> new FgdPolicy(dist);
            case "plimsoll" -> new PlimsollPolicy(dist);
            default -> throw new IllegalArgumentException("unknown policy '" + name + "' (known: " + NAMES + ")");
        };
    }
}
