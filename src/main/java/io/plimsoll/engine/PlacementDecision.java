package io.plimsoll.engine;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The engine's answer: the chosen pool and slots, or why every pool was rejected.
 * Rejections are also kept for pools that fit but lost on cost, so the choice can be explained.
 */
public record PlacementDecision(String pool, String model, List<ReplicaSlot> slots, double costPerHour,
                                List<Rejection> rejections) {

    public static PlacementDecision unplaceable(List<Rejection> rejections) {
        return new PlacementDecision(null, null, List.of(), 0,
                rejections.stream().sorted(java.util.Comparator.comparing(Rejection::pool)).toList());
    }

    public boolean placed() {
        return pool != null;
    }

    /** "t4: device memory 16 GiB < 24 GiB needed; h100: 0 of 16 devices free". */
    public String explain() {
        if (rejections.isEmpty()) return "no pool is eligible: create an AcceleratorPool or list pools in the PlacementPolicy";
        return rejections.stream().map(Rejection::toString).collect(Collectors.joining("; "));
    }
}
