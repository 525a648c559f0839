package io.plimsoll.engine.packing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The "target workload" of FGD (METHOD.md section 3): the most popular task shapes, keyed by
 * (cpu, gpuMilli, numGpu, spec), covering 95 % of the tasks, with their probabilities, in a fixed order
 * (count desc, then cpu, gpuMilli, numGpu, spec descending).
 */
public final class TypicalDistribution {
    /** One typical shape and its probability. */
    public record Entry(TaskShape.ShapeKey key, long count, double probability, double meanMemMib) {
        public Entry(TaskShape.ShapeKey key, long count, double probability) {
            this(key, count, probability, 0.0);
        }
    }

    public static final double DEFAULT_CUTOFF = 0.95;

    private final List<Entry> entries;
    private final long total;
    private final long kept;

    private TypicalDistribution(List<Entry> entries, long total, long kept) {
        this.entries = Collections.unmodifiableList(entries);
        this.total = total;
        this.kept = kept;
    }

    /** Build from all task rows of a workload with the 95 % popularity cut-off. */
    public static TypicalDistribution fromTasks(Collection<TaskShape> tasks) {
        return fromTasks(tasks, DEFAULT_CUTOFF);
    }

    public static TypicalDistribution fromTasks(Collection<TaskShape> tasks, double cutoff) {
        Map<TaskShape.ShapeKey, Long> counts = new HashMap<>();
        Map<TaskShape.ShapeKey, Double> mem = new HashMap<>();
        for (TaskShape t : tasks) {
            counts.merge(t.key(), 1L, Long::sum);
            mem.merge(t.key(), (double) t.memMib(), Double::sum);
        }
        return fromTally(counts, mem, cutoff);
    }

    /**
     * Build from tasks already tallied: how many of each shape, and their memory (MiB) summed. The same result as
     * {@link #fromTasks} for the tasks tallied, at the cost of the distinct shapes, not of the tasks.
     */
    public static TypicalDistribution fromTally(Map<TaskShape.ShapeKey, Long> counts, Map<TaskShape.ShapeKey, Double> mem, double cutoff) {
        TypicalDistribution d = fromCounts(counts, cutoff);
        List<Entry> withMem = new ArrayList<>();
        for (Entry e : d.entries) withMem.add(new Entry(e.key(), e.count(), e.probability(), mem.get(e.key()) / e.count()));
        return new TypicalDistribution(withMem, d.total, d.kept);
    }

    /** Build from shape counts (e.g. an operator's observed workload). */
    public static TypicalDistribution fromCounts(Map<TaskShape.ShapeKey, Long> counts, double cutoff) {
        List<Map.Entry<TaskShape.ShapeKey, Long>> sorted = new ArrayList<>(counts.entrySet());
        sorted.sort(ORDER);
        long total = 0;
        for (Map.Entry<TaskShape.ShapeKey, Long> e : sorted) total += e.getValue();
        List<Map.Entry<TaskShape.ShapeKey, Long>> keptList = new ArrayList<>();
        long cum = 0;
        for (Map.Entry<TaskShape.ShapeKey, Long> e : sorted) {
            if (!(cum < cutoff * total)) break;
            keptList.add(e);
            cum += e.getValue();
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<TaskShape.ShapeKey, Long> e : keptList) {
            double p;
            if (cum == total) {
                p = (double) e.getValue() / total;
            } else {
                p = ((double) e.getValue() / total) / ((double) cum / total);
            }
            entries.add(new Entry(e.getKey(), e.getValue(), p));
        }
        return new TypicalDistribution(entries, total, cum);
    }

    private static final Comparator<Map.Entry<TaskShape.ShapeKey, Long>> ORDER = (a, b) -> {
        int c = Long.compare(b.getValue(), a.getValue());
        if (c != 0) return c;
        TaskShape.ShapeKey x = a.getKey(), y = b.getKey();
        c = Integer.compare(y.cpuMilli(), x.cpuMilli());
        if (c != 0) return c;
        c = Integer.compare(y.gpuMilli(), x.gpuMilli());
        if (c != 0) return c;
        c = Integer.compare(y.numGpu(), x.numGpu());
        if (c != 0) return c;
        return y.gpuSpec().compareTo(x.gpuSpec());
    };

    public List<Entry> entries() { return entries; }
    public int size() { return entries.size(); }
    /** Number of rows the distribution was built from. */
    public long total() { return total; }
    /** Number of rows covered by the kept shapes. */
    public long kept() { return kept; }
}
