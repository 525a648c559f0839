package io.plimsoll.activity;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Against a real Prometheus server (the {@code prometheus} binary, e.g. Debian's package installed by
 * .ci/prometheus.sh) scraping {@link ReplayExporter} every second.
 *
 * <p>Binary: env {@code PLIMSOLL_PROMETHEUS_BIN}, else {@code prometheus} on PATH. Without one the tests
 * FAIL (run .ci/prometheus.sh), unless {@code PLIMSOLL_SKIP_PROMETHEUS_TESTS=1}, which skips them.
 */
class PrometheusActivitySourceRealPrometheusTest {

    static final String NS = "team-a";
    /** Busy (74, 45, 0, 11, 12, 30, 88 %) for trace samples 0..6, then at most 1.2 %. */
    static final String BUSY_POD = "painter-0-7f9c2";
    /** Never above 4 %. */
    static final String IDLE_POD = "sketcher-0-x4k2q";
    static final double THRESHOLD = PrometheusActivitySource.DEFAULT_GPU_UTIL_THRESHOLD;
    /** Wait until the exporter serves this sample index: well after the busy pod went idle (index 7). */
    static final int WAIT_FOR_INDEX = 11;

    static ReplayExporter exporter;
    static Process prometheus;
    static Path workDir;
    static URI promUrl;
    static HttpClient http;
    static PrometheusActivitySource source;
    static Instant queriedAt;
    static String skipReason;

    @BeforeAll
    static void startPrometheus() throws Exception {
        String bin = findPrometheus();
        String envBin = System.getenv("PLIMSOLL_PROMETHEUS_BIN");
        if (bin == null) {
            if ("1".equals(System.getenv("PLIMSOLL_SKIP_PROMETHEUS_TESTS"))) {
                // Each test is then reported as skipped (see skipIfRequested), not silently absent.
                skipReason = "no prometheus binary; skipped because PLIMSOLL_SKIP_PROMETHEUS_TESTS=1";
                System.err.println("WARNING: real-Prometheus activity tests " + skipReason);
                return;
            }
            fail("No Prometheus binary found (" + (envBin == null || envBin.isBlank()
                    ? "PLIMSOLL_PROMETHEUS_BIN unset and no 'prometheus' on PATH"
                    : "PLIMSOLL_PROMETHEUS_BIN=" + envBin + " is not an executable file") + "). Run .ci/prometheus.sh (as root it installs Debian's prometheus"
                    + " package) or set PLIMSOLL_PROMETHEUS_BIN; set PLIMSOLL_SKIP_PROMETHEUS_TESTS=1 to skip"
                    + " these tests deliberately.");
        }
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        exporter = new ReplayExporter(ReplayExporter.loadSlice("/activity/pod_gpu_duty_cycle_slice.csv", NS, Map.of(
                "9cd20d9c3dcebaf54796126cf30daf5e", BUSY_POD,
                "d5a83968c8748be73578a8fe06faefe6", IDLE_POD)), Duration.ofSeconds(1));
        int exporterPort = exporter.start();

        workDir = Files.createTempDirectory("plimsoll-prom-");
        Path config = workDir.resolve("prometheus.yml");
        Files.writeString(config, String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  scrape_timeout: 1s",
                "  evaluation_interval: 15s",
                "scrape_configs:",
                "  - job_name: replay-dcgm",
                "    static_configs:",
                "      - targets: ['127.0.0.1:" + exporterPort + "']",
                ""));
        int promPort = freePort();
        promUrl = URI.create("http://127.0.0.1:" + promPort);
        ProcessBuilder pb = new ProcessBuilder(bin,
                "--config.file=" + config,
                "--storage.tsdb.path=" + workDir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + promPort,
                "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("prometheus.log").toFile());
        prometheus = pb.start();

        waitReady(Duration.ofSeconds(20));
        source = new PrometheusActivitySource(promUrl, Duration.ofSeconds(5), http, Duration.ofSeconds(1));

        // Wait until the busy pod has been idle for a few scrapes, then one more scrape interval so that
        // Prometheus has ingested what the exporter served.
        awaitProm(Duration.ofSeconds(25), "exporter not scraped in time",
                () -> exporter.currentIndex() >= WAIT_FOR_INDEX && !exporter.served().isEmpty());
        Instant served = Instant.now();
        awaitProm(Duration.ofSeconds(10), "no scrape after the last sample was served", () -> lastScrapeAfter(served));
        queriedAt = Instant.now();
    }

    @BeforeEach
    void skipIfRequested() {
        Assumptions.assumeTrue(skipReason == null, skipReason);
    }

    @AfterAll
    static void stopPrometheus() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(5, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
                prometheus.waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (exporter != null) exporter.close();
        if (workDir != null) {
            try (Stream<Path> s = Files.walk(workDir)) {
                s.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void busyThenIdlePodIsLastActiveWhenUtilisationLastExceededThreshold() {
        ActivityReading r = source.lastActive(PrometheusActivitySource.DEFAULT_GPU_UTIL_QUERY,
                Map.of("namespace", NS, "workload", "painter"), THRESHOLD, Duration.ofSeconds(60), queriedAt);
        ActivityReading.Ok ok = assertInstanceOf(ActivityReading.Ok.class, r, r.message());

        List<ReplayExporter.Served> log = exporter.served();
        Instant lastBusy = null;
        Instant firstIdleAfter = null;
        for (ReplayExporter.Served s : log) {
            if (s.valueByPod().get(BUSY_POD) > THRESHOLD) {
                lastBusy = s.at();
                firstIdleAfter = null;
            } else if (lastBusy != null && firstIdleAfter == null) {
                firstIdleAfter = s.at();
            }
        }
        assertTrue(lastBusy != null && firstIdleAfter != null, "exporter log has no busy->idle transition: " + log);
        // Range query at 1 s step: the last evaluation that still sees the busy sample lies between that
        // scrape and the next one (the first idle sample). Allow a scrape or two of slack.
        long errMs = Duration.between(lastBusy, ok.lastActive()).toMillis();
        System.out.printf("[real-prometheus] lastActive=%s lastBusyScrape=%s firstIdleScrape=%s diff=%d ms%n",
                ok.lastActive(), lastBusy, firstIdleAfter, errMs);
        assertTrue(errMs >= -1500 && errMs <= 2500,
                "lastActive " + ok.lastActive() + " vs last busy scrape " + lastBusy + " (diff " + errMs + " ms)");
        assertTrue(ok.lastActive().isBefore(firstIdleAfter.plusMillis(1500)),
                "lastActive " + ok.lastActive() + " after first idle scrape " + firstIdleAfter);
        assertTrue(ok.usable());
        assertEquals("ActivityObserved", ok.conditionReason());
    }

    @Test
    void alwaysIdlePodIsIdleThroughout() {
        ActivityReading r = source.lastActive(PrometheusActivitySource.DEFAULT_GPU_UTIL_QUERY,
                Map.of("namespace", NS, "workload", "sketcher"), THRESHOLD, Duration.ofSeconds(60), queriedAt);
        ActivityReading.IdleThroughout idle = assertInstanceOf(ActivityReading.IdleThroughout.class, r, r.message());
        // Data starts at the first scrape.
        long sinceFirstScrape = Duration.between(exporter.replayStartedAt(), idle.since()).toMillis();
        assertTrue(sinceFirstScrape >= -1500 && sinceFirstScrape <= 2500,
                "since " + idle.since() + " vs first scrape " + exporter.replayStartedAt());
        assertEquals(Optional.of(idle.since()), idle.effectiveLastActive());
    }

    @Test
    void explicitPodListViaPodsPlaceholder() {
        ActivityReading r = source.lastActive("max(DCGM_FI_DEV_GPU_UTIL{namespace=\"{{namespace}}\",pod=~\"{{pods}}\"})",
                Map.of("namespace", NS, "pods", PrometheusActivitySource.podsRegex(List.of(BUSY_POD, IDLE_POD))),
                THRESHOLD, Duration.ofSeconds(60), queriedAt);
        assertInstanceOf(ActivityReading.Ok.class, r, r.message());
    }

    @Test
    void workloadWithoutSeriesGivesNoData() {
        ActivityReading r = source.lastActive(PrometheusActivitySource.DEFAULT_GPU_UTIL_QUERY,
                Map.of("namespace", NS, "workload", "ghost"), THRESHOLD, Duration.ofSeconds(60), queriedAt);
        ActivityReading.NoData nd = assertInstanceOf(ActivityReading.NoData.class, r, r.message());
        assertTrue(nd.message().contains("pod=~\"ghost-.*\""), nd.message());
        assertFalse(nd.usable());
        // The inference default: no http_requests_total is scraped here, so no data either.
        ActivityReading rate = source.lastActive(PrometheusActivitySource.DEFAULT_REQUEST_RATE_QUERY,
                Map.of("namespace", NS, "workload", "painter"),
                PrometheusActivitySource.DEFAULT_REQUEST_RATE_THRESHOLD, Duration.ofSeconds(60), queriedAt);
        assertInstanceOf(ActivityReading.NoData.class, rate, rate.message());
    }

    @Test
    void malformedPromQlGivesErrorWithPrometheusMessage() throws Exception {
        String bad = "avg(DCGM_FI_DEV_GPU_UTIL{namespace=\"{{namespace}}\"";
        ActivityReading r = source.lastActive(bad, Map.of("namespace", NS), THRESHOLD,
                Duration.ofSeconds(60), queriedAt);
        ActivityReading.SourceError err = assertInstanceOf(ActivityReading.SourceError.class, r, r.message());
        // Ask Prometheus directly for its error text and check we pass it on verbatim.
        String rendered = "avg(DCGM_FI_DEV_GPU_UTIL{namespace=\"" + NS + "\"";
        long end = queriedAt.getEpochSecond();
        HttpResponse<String> direct = http.send(HttpRequest.newBuilder(URI.create(promUrl + "/api/v1/query_range?query="
                + URLEncoder.encode(rendered, StandardCharsets.UTF_8) + "&start=" + (end - 60) + "&end=" + end
                + "&step=1")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, direct.statusCode());
        String promError = new com.fasterxml.jackson.databind.ObjectMapper().readTree(direct.body()).path("error").asText();
        assertFalse(promError.isEmpty());
        System.out.println("[real-prometheus] bad PromQL -> " + err.message());
        assertTrue(err.message().contains(promError), err.message() + " should contain " + promError);
        assertTrue(err.message().contains("bad_data") && err.message().contains("fix the PromQL"), err.message());
        assertTrue(err.message().contains(rendered), err.message());
    }

    @Test
    void unreachablePrometheusGivesErrorQuickly() throws Exception {
        int closed = freePort();
        PrometheusActivitySource dead = new PrometheusActivitySource(URI.create("http://127.0.0.1:" + closed),
                Duration.ofSeconds(2), http, Duration.ofSeconds(1));
        long t0 = System.nanoTime();
        ActivityReading r = dead.lastActive(PrometheusActivitySource.DEFAULT_GPU_UTIL_QUERY,
                Map.of("namespace", NS, "workload", "painter"), THRESHOLD, Duration.ofSeconds(60), Instant.now());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        ActivityReading.SourceError err = assertInstanceOf(ActivityReading.SourceError.class, r, r.message());
        assertTrue(ms < 2500, "took " + ms + " ms");
        assertTrue(err.message().contains("cannot reach Prometheus at http://127.0.0.1:" + closed), err.message());
    }

    // ---------------------------------------------------------------------------------------------------

    static String findPrometheus() {
        String env = System.getenv("PLIMSOLL_PROMETHEUS_BIN");
        if (env != null && !env.isBlank()) {
            File f = new File(env);
            return f.isFile() && f.canExecute() ? f.getAbsolutePath() : null;
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                File f = new File(dir, "prometheus");
                if (f.isFile() && f.canExecute()) return f.getAbsolutePath();
            }
        }
        return null;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void waitReady(Duration max) {
        HttpRequest ready = HttpRequest.newBuilder(URI.create(promUrl + "/-/ready")).timeout(Duration.ofSeconds(1)).build();
        awaitProm(max, "prometheus not ready within " + max, () -> {
            try {
                return http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException notYet) {
                return false; // not listening yet
            }
        });
    }

    /** Polls {@code done} until it holds; fails with Prometheus's log when Prometheus exits or time runs out. */
    static void awaitProm(Duration max, String what, java.util.concurrent.Callable<Boolean> done) {
        try {
            org.awaitility.Awaitility.await().atMost(max).pollInterval(Duration.ofMillis(150)).until(() -> {
                if (!prometheus.isAlive()) fail("prometheus exited with " + prometheus.exitValue() + "; " + promLogTail());
                return done.call();
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            fail(what + "; " + promLogTail());
        }
    }

    /** Whether Prometheus's last scrape of the exporter began after {@code t} (its targets API says when). */
    static boolean lastScrapeAfter(Instant t) throws Exception {
        HttpRequest targets = HttpRequest.newBuilder(URI.create(promUrl + "/api/v1/targets")).timeout(Duration.ofSeconds(1)).build();
        String body = http.send(targets, HttpResponse.BodyHandlers.ofString()).body();
        var m = java.util.regex.Pattern.compile("\"lastScrape\":\"([^\"]+)\"").matcher(body);
        while (m.find()) {
            if (java.time.OffsetDateTime.parse(m.group(1)).toInstant().isAfter(t)) return true;
        }
        return false;
    }

    static String promLogTail() {
        try {
            List<String> lines = Files.readAllLines(workDir.resolve("prometheus.log"));
            return "prometheus log tail:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no prometheus log: " + e + ")";
        }
    }
}
