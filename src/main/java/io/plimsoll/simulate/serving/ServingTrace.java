package io.plimsoll.simulate.serving;

import io.plimsoll.simulate.CsvFile;
import io.plimsoll.simulate.InputException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Requests of a serving trace, sorted by arrival; each model id is one Inference workload. */
public final class ServingTrace {
    public record Request(long arrivalMillis, long execMillis, int model) {}

    static final String TIME = "gmt_create", EXEC = "exec_time_seconds", MODEL = "checkpoint_model_version_id", STATUS = "predict_status";
    private static final DateTimeFormatter FMT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private int skippedUndispatched;
    private final List<Request> requests;
    private final List<String> models;

    public ServingTrace(List<Request> requests, List<String> models) {
        List<Request> r = new ArrayList<>(requests);
        r.sort(Comparator.comparingLong(Request::arrivalMillis));
        this.requests = List.copyOf(r);
        this.models = List.copyOf(models);
    }

    public List<Request> requests() { return requests; }
    public List<String> models() { return models; }

    /** Rows skipped because they were never dispatched (status PENDING, no model, exec 0). */
    public int skippedUndispatched() { return skippedUndispatched; }

    /** Parses {@code YYYY-MM-DD HH:MM:SS} (UTC) to epoch millis; also accepts plain epoch seconds. */
    static long parseTime(String s) {
        try {
            return LocalDateTime.parse(s, FMT).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException e) {
            return Math.round(Double.parseDouble(s) * 1000); // NumberFormatException if neither
        }
    }

    /** Loads requests with {@code from <= arrival < until} (epoch ms; use Long.MIN/MAX for no bound). */
    public static ServingTrace load(Path file, long fromMillis, long untilMillis) throws InputException {
        List<Request> out = new ArrayList<>();
        Map<String, Integer> ids = new LinkedHashMap<>();
        int[] skipped = {0};
        CsvFile.read(file, List.of(TIME, EXEC, MODEL), csv -> {
            String ts = csv.str(TIME);
            long t;
            try {
                t = parseTime(ts);
            } catch (RuntimeException e) {
                throw csv.bad(TIME, "not a time 'YYYY-MM-DD HH:MM:SS': '" + ts + "'");
            }
            double exec = csv.finiteDouble(EXEC);
            if (exec < 0) throw csv.bad(EXEC, "negative execution time: " + exec);
            String m = csv.str(MODEL);
            if (m.isEmpty()) {
                // 13 rows of the November file: status PENDING, exec 0, no model = never dispatched to a deployment.
                if (csv.str(STATUS).equals("PENDING") && exec == 0) { skipped[0]++; return; }
                throw csv.bad(MODEL, "empty model id");
            }
            if (t < fromMillis || t >= untilMillis) return;
            int id = ids.computeIfAbsent(m, k -> ids.size());
            out.add(new Request(t, Math.round(exec * 1000), id));
        });
        if (out.isEmpty()) throw new InputException(file.toString(), 0, null, "no requests (in the selected window)");
        ServingTrace t = new ServingTrace(out, new ArrayList<>(ids.keySet()));
        t.skippedUndispatched = skipped[0];
        return t;
    }

    /** Load latencies in ms from a CSV with column {@code value} (ms). */
    public static long[] loadLatencies(Path file) throws InputException {
        List<Long> v = new ArrayList<>();
        CsvFile.read(file, List.of("value"), csv -> {
            double ms = csv.finiteDouble("value");
            if (ms < 0) throw csv.bad("value", "negative load latency: " + ms);
            v.add(Math.round(ms));
        });
        if (v.isEmpty()) throw new InputException(file.toString(), 0, "value", "no load latencies");
        long[] a = new long[v.size()];
        for (int i = 0; i < a.length; i++) a[i] = v.get(i);
        return a;
    }
}
