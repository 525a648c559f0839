package io.plimsoll.engine.packing;

/** A policy's decision: the node (index into the cluster), the devices on it, and the winning score. */
public record Placement(int nodeIndex, int[] devices, double score) {}
