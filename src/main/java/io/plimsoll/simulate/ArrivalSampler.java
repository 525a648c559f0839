package io.plimsoll.simulate;

import io.plimsoll.engine.packing.TaskShape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Generates an arrival sequence and a node order without the published sequence files (METHOD.md section 9),
 * with {@link java.util.Random}: shuffle all rows; if the demand is below the target, append clones drawn
 * uniformly with replacement from the whole file until a draw's per-GPU milli would exceed the target;
 * if above, delete uniformly random tasks until it is not; then draw a random node permutation.
 */
public final class ArrivalSampler {
    private ArrivalSampler() {}

    /** A generated arrival sequence and node ranks. */
    public record Sample(List<TaskShape> arrivals, int[] ranks, int clones, int pruned) {}

    public static Sample sample(List<TaskShape> pods, int nodeCount, long capacityMilli, double inflation, long seed) {
        Random rnd = new Random(seed);
        List<TaskShape> seq = new ArrayList<>(pods);
        Collections.shuffle(seq, rnd);
        double target = inflation * capacityMilli;
        long d = 0;
        for (TaskShape t : pods) d += t.gpuDemand();
        int clones = 0, pruned = 0;
        if (d < target) {
            while (true) {
                TaskShape t = pods.get(rnd.nextInt(pods.size()));
                if (d + t.gpuMilli() > target) break;
                seq.add(t.withName(t.name() + "-tuned-" + clones));
                clones++;
                d += t.gpuDemand();
            }
        } else if (d > target) {
            while (d > target && !seq.isEmpty()) {
                TaskShape t = seq.remove(rnd.nextInt(seq.size()));
                d -= t.gpuDemand();
                pruned++;
            }
        }
        int[] perm = new int[nodeCount];
        for (int i = 0; i < nodeCount; i++) perm[i] = i;
        for (int i = nodeCount - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        return new Sample(seq, perm, clones, pruned);
    }
}
