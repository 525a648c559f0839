package io.plimsoll.activity;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A tiny DCGM-exporter stand-in for tests: serves {@code /metrics} in the Prometheus text format,
 * replaying recorded GPU utilisation as
 * {@code DCGM_FI_DEV_GPU_UTIL{namespace="team-a",pod="<name>",gpu="0"} <value>}.
 *
 * <p>Replay clock: the clock starts at the <em>first</em> {@code /metrics} request, and the exporter
 * advances one recorded sample (57 s of trace time) per {@code samplePeriod} of wall-clock time (1 s by
 * default), i.e. sample {@code floor((now - firstScrape) / samplePeriod)}. After the last sample it keeps
 * serving the last value. Every response is logged ({@link #served()}) so tests can compute the
 * expected answer from what Prometheus actually saw.
 */
public final class ReplayExporter implements AutoCloseable {

    /** One exported series: labels and the recorded values in trace order. */
    public record Series(String namespace, String pod, String gpu, double[] values) {
        public Series {
            Objects.requireNonNull(pod);
            if (values.length == 0) throw new IllegalArgumentException("no values for " + pod);
        }
    }

    /** What one /metrics response contained. */
    public record Served(Instant at, int index, Map<String, Double> valueByPod) {}

    private final List<Series> series;
    private final Duration samplePeriod;
    private final List<Served> served = Collections.synchronizedList(new ArrayList<>());
    private volatile long startNanos = -1;
    private volatile Instant startWall;
    private HttpServer server;

    public ReplayExporter(List<Series> series, Duration samplePeriod) {
        this.series = List.copyOf(series);
        this.samplePeriod = samplePeriod;
    }

    /**
     * Reads a CSV slice with columns {@code value,timestamp_anon,container_ip} (the layout of
     * pod_gpu_duty_cycle.csv.gz), keeps rows of the given containers in timestamp order, and maps each
     * container to a pod name.
     */
    public static List<Series> loadSlice(String resource, String namespace, Map<String, String> podByContainer) {
        Map<String, List<double[]>> rows = new LinkedHashMap<>();
        podByContainer.keySet().forEach(k -> rows.put(k, new ArrayList<>()));
        try (InputStream in = ReplayExporter.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalArgumentException("missing test resource " + resource);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String header = r.readLine();
            if (header == null || !header.trim().equals("value,timestamp_anon,container_ip")) {
                throw new IllegalArgumentException("unexpected header in " + resource + ": " + header);
            }
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) continue;
                String[] f = line.split(",");
                List<double[]> list = rows.get(f[2].trim());
                if (list != null) list.add(new double[]{Double.parseDouble(f[1]), Double.parseDouble(f[0])});
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Series> out = new ArrayList<>();
        rows.forEach((container, list) -> {
            list.sort((a, b) -> Double.compare(a[0], b[0]));
            double[] values = list.stream().mapToDouble(a -> a[1]).toArray();
            out.add(new Series(namespace, podByContainer.get(container), "0", values));
        });
        return out;
    }

    /** Starts on 127.0.0.1 and a free port; returns the port. */
    public int start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/metrics", this::handle);
        server.start();
        return server.getAddress().getPort();
    }

    public int port() { return server.getAddress().getPort(); }

    /** Index of the sample served now (before the first scrape: 0). */
    public int currentIndex() {
        if (startNanos < 0) return 0;
        long elapsed = System.nanoTime() - startNanos;
        return (int) Math.min(elapsed / samplePeriod.toNanos(), Integer.MAX_VALUE);
    }

    public Instant replayStartedAt() { return startWall; }

    public List<Served> served() {
        synchronized (served) { return List.copyOf(served); }
    }

    /** The current exposition text (also what /metrics returns). */
    public synchronized String render(Map<String, Double> snapshot) {
        StringBuilder b = new StringBuilder();
        b.append("# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).\n");
        b.append("# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n");
        int idx = currentIndex();
        for (Series s : series) {
            double v = s.values()[Math.min(idx, s.values().length - 1)];
            snapshot.put(s.pod(), v);
            b.append("DCGM_FI_DEV_GPU_UTIL{namespace=\"").append(s.namespace())
                    .append("\",pod=\"").append(s.pod())
                    .append("\",gpu=\"").append(s.gpu()).append("\"} ")
                    .append(String.format(Locale.ROOT, "%.6f", v)).append('\n');
        }
        return b.toString();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            synchronized (this) {
                if (startNanos < 0) {
                    startNanos = System.nanoTime();
                    startWall = Instant.now();
                }
            }
            Instant at = Instant.now();
            int idx = currentIndex();
            Map<String, Double> snapshot = new LinkedHashMap<>();
            byte[] body = render(snapshot).getBytes(StandardCharsets.UTF_8);
            served.add(new Served(at, idx, snapshot));
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        }
    }

    @Override
    public void close() {
        if (server != null) server.stop(0);
    }
}
