package io.plimsoll.engine;

/** How the engine chooses among eligible pools. */
public enum PoolOrder {
    /** The pool where the placement costs least per hour (ties: order of the pools list). */
    Cheapest,
    /** The first pool in the pools list that fits. */
    Preference
}
