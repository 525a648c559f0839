package io.plimsoll.engine;

/** Why a pool could not take a workload, in words the user can act on. */
public record Rejection(String pool, String reason) {
    @Override
    public String toString() {
        return pool + ": " + reason;
    }
}
