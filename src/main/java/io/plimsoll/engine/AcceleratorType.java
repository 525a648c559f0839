package io.plimsoll.engine;

/** Kind of accelerator a workload asks for or a pool carries. */
public enum AcceleratorType {
    GPU, TPU, None
}
