package io.plimsoll.simulate.serving;

import io.plimsoll.simulate.CsvFile;
import io.plimsoll.simulate.InputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GPU-hours sitting in idle (0 % utilisation) stretches of the per-pod duty-cycle samples. A stretch is a
 * run of consecutive 0 samples of one pod; each sample stands for one sampling interval (the median
 * spacing of that pod's samples). A gap of more than 1.5 intervals between samples ends a stretch: missing
 * data is never counted as idle. One pod = one GPU.
 */
public final class DutyCycleReport {
    public record Row(long thresholdMillis, int stretches, double gpuHoursInStretches, double reclaimableGpuHours) {}

    public record Result(int pods, long samples, double observedGpuHours, double zeroGpuHours, List<Row> rows) {}

    public static Result compute(Path file, long[] thresholdsMillis) throws InputException {
        Map<String, List<long[]>> byPod = new HashMap<>();
        long[] count = {0};
        CsvFile.read(file, List.of("value", "timestamp_anon", "container_ip"), csv -> {
            double v = csv.finiteDouble("value");
            if (v < 0) throw csv.bad("value", "negative utilisation: " + v);
            double ts = csv.finiteDouble("timestamp_anon");
            String pod = csv.str("container_ip");
            if (pod.isEmpty()) throw csv.bad("container_ip", "empty pod id");
            byPod.computeIfAbsent(pod, k -> new ArrayList<>()).add(new long[] {Math.round(ts * 1000), v == 0 ? 0 : 1});
            count[0]++;
        });
        List<Long> stretches = new ArrayList<>();
        double observed = 0, zero = 0;
        for (List<long[]> s : byPod.values()) {
            s.sort((a, b) -> Long.compare(a[0], b[0]));
            long[] d = new long[Math.max(0, s.size() - 1)];
            for (int i = 1; i < s.size(); i++) d[i - 1] = s.get(i)[0] - s.get(i - 1)[0];
            long step = 57_000;
            if (d.length > 0) { long[] c = d.clone(); java.util.Arrays.sort(c); step = Math.max(1, c[c.length / 2]); }
            long run = 0;
            for (int i = 0; i < s.size(); i++) {
                boolean contiguous = i == 0 || s.get(i)[0] - s.get(i - 1)[0] <= step * 3 / 2;
                if (!contiguous && run > 0) { stretches.add(run); run = 0; }
                observed += step;
                if (s.get(i)[1] == 0) { run += step; zero += step; }
                else if (run > 0) { stretches.add(run); run = 0; }
            }
            if (run > 0) stretches.add(run);
        }
        List<Row> rows = new ArrayList<>();
        for (long th : thresholdsMillis) {
            int n = 0; double in = 0, rec = 0;
            for (long len : stretches) if (len > th) { n++; in += len; rec += len - th; }
            rows.add(new Row(th, n, in / 3.6e6, rec / 3.6e6));
        }
        return new Result(byPod.size(), count[0], observed / 3.6e6, zero / 3.6e6, rows);
    }
}
