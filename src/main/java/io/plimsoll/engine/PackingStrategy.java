package io.plimsoll.engine;

/** How the engine chooses a node and device inside a pool. */
public enum PackingStrategy {
    /** Fill the most-used node and device that still fits, so whole devices and nodes stay free. */
    BestFit,
    /** Put work on the least-used node (spreads load; leaves holes on shared devices). */
    Spread
}
