package io.plimsoll.engine;

/** How the engine chooses a node and device inside a GPU or TPU pool (CPU and MIG pools always use best fit). */
public enum PackingStrategy {
    /**
     * Fill the node with the least CPU and GPU left after the placement, and the fullest device that still fits, so
     * whole devices and nodes stay free: {@code io.plimsoll.engine.packing.BestFitPolicy}, the same code that
     * {@code simulate --policy best-fit} runs (the FGD paper's best fit).
     */
    BestFit,
    /** Put work on the least-used node (spreads load; leaves holes on shared devices). */
    Spread,
    /**
     * Fragmentation gradient descent (the FGD paper): the node and device whose use least increases the GPU
     * capacity the typical workload could no longer use.
     */
    FGD,
    /** FGD plus Plimsoll's corrections for GPUs stranded by CPU and for scarce GPU models (the default for sharing). */
    Plimsoll;

    /**
     * Name of the packing policy in {@code io.plimsoll.engine.packing} for whole devices and shares, or null for the
     * engine's own rules (Spread; CPU-only work and MIG slices always take the fullest node that fits).
     */
    public String packingPolicy() {
        return switch (this) {
            case BestFit -> "best-fit";
            case FGD -> "fgd";
            case Plimsoll -> "plimsoll";
            default -> null;
        };
    }
}
