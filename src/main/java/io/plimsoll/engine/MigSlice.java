package io.plimsoll.engine;

/** A MIG instance profile: its node resource name, memory and share of one device's compute. */
public record MigSlice(String name, String resourceName, int memoryGiB, double computeFraction) {
}
