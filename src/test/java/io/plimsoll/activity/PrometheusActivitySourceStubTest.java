package io.plimsoll.activity;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fast checks of request building, JSON parsing and threshold logic against a JDK stub HTTP server. */
class PrometheusActivitySourceStubTest {

    static final Instant NOW = Instant.ofEpochSecond(1_700_000_600L);
    static final Duration LOOKBACK = Duration.ofMinutes(10);
    static final Map<String, String> VARS = Map.of("namespace", "team-a", "workload", "llm");
    static final String Q = PrometheusActivitySource.DEFAULT_GPU_UTIL_QUERY;
    static final double TH = PrometheusActivitySource.DEFAULT_GPU_UTIL_THRESHOLD;

    HttpServer server;
    volatile int status = 200;
    volatile String body = "";
    volatile String contentType = "application/json";
    final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();
    final List<String> paths = new CopyOnWriteArrayList<>();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    PrometheusActivitySource source;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            try (ex) {
                paths.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
                requests.add(parseForm(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", contentType);
                ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
                if (b.length > 0) try (OutputStream os = ex.getResponseBody()) { os.write(b); }
            }
        });
        server.start();
        source = new PrometheusActivitySource(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"),
                Duration.ofSeconds(2), http);
    }

    @AfterEach
    void stop() { server.stop(0); }

    void answer(int code, String fixture) throws IOException {
        status = code;
        try (InputStream in = getClass().getResourceAsStream("/activity/api/" + fixture)) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    ActivityReading read() { return source.lastActive(Q, VARS, TH, LOOKBACK, NOW); }

    @Test
    void sendsRenderedRangeQueryWithWindowAndStep() throws IOException {
        answer(200, "busy_then_idle.json");
        read();
        assertEquals(List.of("POST /api/v1/query_range"), paths);
        Map<String, String> form = requests.get(0);
        assertEquals("avg(DCGM_FI_DEV_GPU_UTIL{namespace=\"team-a\",pod=~\"llm-.*\"})", form.get("query"));
        assertEquals("1700000000.000", form.get("start"));
        assertEquals("1700000600.000", form.get("end"));
        assertEquals("60", form.get("step"));
        assertEquals("2", form.get("timeout"));
    }

    @Test
    void lastActiveIsLatestPointStrictlyAboveThreshold() throws IOException {
        answer(200, "busy_then_idle.json");
        ActivityReading r = read();
        ActivityReading.Ok ok = assertInstanceOf(ActivityReading.Ok.class, r, r.message());
        // 5 at +120 s is not above 5; 5.0001 at +180 s is.
        assertEquals(Instant.ofEpochSecond(1_700_000_180L), ok.lastActive());
        assertTrue(ok.query().contains("pod=~\"llm-.*\""));
        assertEquals(ok.effectiveLastActive().orElseThrow(), ok.lastActive());
        // A higher threshold moves it back to +60 s (50 %).
        ActivityReading r2 = source.lastActive(Q, VARS, 60, LOOKBACK, NOW);
        assertEquals(Instant.ofEpochSecond(1_700_000_000L), ((ActivityReading.Ok) r2).lastActive());
    }

    @Test
    void maxOverSeriesAndFractionalTimestampsAndNaNIgnored() throws IOException {
        answer(200, "multi_series.json");
        ActivityReading.Ok ok = assertInstanceOf(ActivityReading.Ok.class, read());
        assertEquals(Instant.ofEpochMilli(1_700_000_300_500L), ok.lastActive());
    }

    @Test
    void allBelowThresholdIsIdleThroughoutSinceFirstPoint() throws IOException {
        answer(200, "idle.json");
        ActivityReading r = read();
        ActivityReading.IdleThroughout idle = assertInstanceOf(ActivityReading.IdleThroughout.class, r, r.message());
        assertEquals(Instant.ofEpochSecond(1_700_000_120L), idle.since());
        assertEquals("IdleThroughoutLookback", idle.conditionReason());
        assertTrue(idle.usable());
        // Same data with a 4 % threshold: active at the last point.
        assertEquals(Instant.ofEpochSecond(1_700_000_600L),
                ((ActivityReading.Ok) source.lastActive(Q, VARS, 4, LOOKBACK, NOW)).lastActive());
    }

    @Test
    void emptyResultIsNoDataNamingTheQuery() throws IOException {
        answer(200, "empty.json");
        ActivityReading r = read();
        ActivityReading.NoData nd = assertInstanceOf(ActivityReading.NoData.class, r, r.message());
        assertTrue(nd.message().contains("no series"), nd.message());
        assertTrue(nd.message().contains("avg(DCGM_FI_DEV_GPU_UTIL{namespace=\"team-a\",pod=~\"llm-.*\"})"), nd.message());
        assertTrue(nd.message().contains("<workload>-<replica>-<random>"), nd.message());
        assertFalse(nd.usable());
        assertTrue(nd.effectiveLastActive().isEmpty());
        assertEquals("ActivityNoData", nd.conditionReason());
    }

    @Test
    void onlyNaNIsNoData() {
        status = 200;
        body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
                + "\"values\":[[1700000540,\"NaN\"],[1700000600,\"NaN\"]]}]}}";
        ActivityReading.NoData nd = assertInstanceOf(ActivityReading.NoData.class, read());
        assertTrue(nd.message().contains("only NaN"), nd.message());
    }

    @Test
    void infinityCountsAsActive() {
        status = 200;
        body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
                + "\"values\":[[1700000540,\"+Inf\"],[1700000600,\"0\"]]}]}}";
        assertEquals(Instant.ofEpochSecond(1_700_000_540L), ((ActivityReading.Ok) read()).lastActive());
    }

    @Test
    void dataThatStoppedLongAgoIsNoDataNotIdle() {
        status = 200;
        // All zeros, but the last point is 8 minutes before now: the scrape stopped (stale series).
        body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
                + "\"values\":[[1700000000,\"0\"],[1700000060,\"0\"],[1700000120,\"0\"]]}]}}";
        ActivityReading.NoData nd = assertInstanceOf(ActivityReading.NoData.class, read());
        assertTrue(nd.message().contains("data stopped at 2023-11-14T22:15:20Z"), nd.message());
        // Within two steps of now is fine.
        body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
                + "\"values\":[[1700000000,\"0\"],[1700000480,\"0\"]]}]}}";
        assertInstanceOf(ActivityReading.IdleThroughout.class, read());
    }

    @Test
    void badDataIsErrorWithPrometheusText() throws IOException {
        answer(400, "bad_data.json");
        ActivityReading r = read();
        ActivityReading.SourceError err = assertInstanceOf(ActivityReading.SourceError.class, r, r.message());
        assertTrue(err.message().contains("invalid parameter \"query\": 1:44: parse error: unexpected end of input inside braces"),
                err.message());
        assertTrue(err.message().contains("HTTP 400, bad_data"), err.message());
        assertTrue(err.message().contains("fix the PromQL"), err.message());
        assertTrue(err.message().contains(err.query()), err.message());
        assertEquals("ActivitySourceError", err.conditionReason());
        assertFalse(err.usable());
    }

    @Test
    void statusErrorWithoutHttpErrorAndOtherErrorTypes() {
        status = 503;
        body = "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out in expression evaluation\"}";
        ActivityReading.SourceError e1 = assertInstanceOf(ActivityReading.SourceError.class, read());
        assertTrue(e1.message().contains("query timed out in expression evaluation"), e1.message());
        assertTrue(e1.message().contains("raise the activity source timeout"), e1.message());
        status = 422;
        body = "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"many-to-many matching not allowed\"}";
        ActivityReading.SourceError e2 = assertInstanceOf(ActivityReading.SourceError.class, read());
        assertTrue(e2.message().contains("HTTP 422, execution): many-to-many matching not allowed"), e2.message());
    }

    @Test
    void nonPrometheusAnswerIsErrorNamingUrlAndStatus() {
        status = 404;
        contentType = "text/html";
        body = "<html><body>404 page not found</body></html>";
        ActivityReading.SourceError err = assertInstanceOf(ActivityReading.SourceError.class, read());
        assertTrue(err.message().contains("HTTP 404"), err.message());
        assertTrue(err.message().contains("/api/v1/query_range is not a Prometheus API answer"), err.message());
        assertTrue(err.message().contains("404 page not found"), err.message());
        status = 200;
        body = "";
        assertInstanceOf(ActivityReading.SourceError.class, read());
    }

    @Test
    void nonMatrixResultIsError() {
        status = 200;
        body = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";
        ActivityReading.SourceError err = assertInstanceOf(ActivityReading.SourceError.class, read());
        assertTrue(err.message().contains("'vector'"), err.message());
    }

    @Test
    void malformedSampleIsError() {
        status = 200;
        body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
                + "\"values\":[[1700000600,\"lots\"]]}]}}";
        assertInstanceOf(ActivityReading.SourceError.class, read());
    }

    @Test
    void missingPlaceholderIsErrorWithoutRequest() {
        ActivityReading r = source.lastActive(Q, Map.of("namespace", "team-a"), TH, LOOKBACK, NOW);
        ActivityReading.SourceError err = assertInstanceOf(ActivityReading.SourceError.class, r);
        assertTrue(err.message().contains("{{workload}}"), err.message());
        assertTrue(paths.isEmpty());
        assertInstanceOf(ActivityReading.SourceError.class, source.lastActive(" ", VARS, TH, LOOKBACK, NOW));
        assertInstanceOf(ActivityReading.SourceError.class, source.lastActive(Q, VARS, TH, Duration.ZERO, NOW));
        assertInstanceOf(ActivityReading.SourceError.class, source.lastActive(Q, VARS, Double.NaN, LOOKBACK, NOW));
        assertTrue(paths.isEmpty());
    }

    @Test
    void basePathPrefixIsKept() throws IOException {
        answer(200, "empty.json");
        PrometheusActivitySource prefixed = new PrometheusActivitySource(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/prometheus"), Duration.ofSeconds(2), http);
        prefixed.lastActive(Q, VARS, TH, LOOKBACK, NOW);
        assertEquals(List.of("POST /prometheus/api/v1/query_range"), paths);
    }

    @Test
    void stepIsWidenedToStayUnderPrometheusPointLimit() throws IOException {
        answer(200, "empty.json");
        PrometheusActivitySource fine = new PrometheusActivitySource(source.baseUrl(), Duration.ofSeconds(2), http,
                Duration.ofSeconds(1));
        fine.lastActive(Q, VARS, TH, Duration.ofDays(1), NOW);
        double step = Double.parseDouble(requests.get(0).get("step"));
        assertTrue(86_400 / step + 1 <= 11_000, "step " + step);
    }

    @Test
    void hangingServerTimesOutWithinTimeout() throws Exception {
        try (ServerSocket hang = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            // Accepts connections (backlog) but never answers.
            PrometheusActivitySource slow = new PrometheusActivitySource(
                    URI.create("http://127.0.0.1:" + hang.getLocalPort()), Duration.ofMillis(800), http);
            long t0 = System.nanoTime();
            ActivityReading r = slow.lastActive(Q, VARS, TH, LOOKBACK, NOW);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            ActivityReading.SourceError err = assertInstanceOf(ActivityReading.SourceError.class, r, r.message());
            assertTrue(err.message().contains("did not answer within PT0.8S"), err.message());
            assertTrue(ms >= 700 && ms < 2000, "took " + ms + " ms");
        }
    }

    @Test
    void slowBodyIsBoundedToo() throws Exception {
        // Headers arrive at once, the body never completes.
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            Thread t = new Thread(() -> {
                try (Socket c = s.accept()) {
                    accepted.incrementAndGet();
                    c.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 1000\r\n\r\n{\"status\":").getBytes(StandardCharsets.US_ASCII));
                    c.getOutputStream().flush();
                    done.await(); // the body never comes: the connection stays open until the test is over
                } catch (Exception ignored) {
                    // closed by the test
                }
            });
            t.setDaemon(true);
            t.start();
            PrometheusActivitySource slow = new PrometheusActivitySource(
                    URI.create("http://127.0.0.1:" + s.getLocalPort()), Duration.ofMillis(800), http);
            long t0 = System.nanoTime();
            ActivityReading r = slow.lastActive(Q, VARS, TH, LOOKBACK, NOW);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            done.countDown();
            assertInstanceOf(ActivityReading.SourceError.class, r, r.message());
            assertTrue(ms < 2000, "took " + ms + " ms");
        }
    }

    @Test
    void deviceMemoryIsTheLargestSeriesOfAnInstantQueryAndNothingWhenPrometheusCannotSay() {
        status = 200;
        body = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                + "{\"metric\":{\"pod\":\"llm-0-abcde\"},\"value\":[1700000600,\"13312\"]},"
                + "{\"metric\":{\"pod\":\"llm-1-fghij\"},\"value\":[1700000600,\"20480\"]},"
                + "{\"metric\":{\"pod\":\"llm-2-klmno\"},\"value\":[1700000600,\"NaN\"]},"
                + "{\"metric\":{\"pod\":\"llm-3-pqrst\"},\"value\":[1700000600,\"1e12\"]}]}}";
        assertEquals(20480.0, source.deviceMemoryUsedMiB("team-a", "llm", NOW).orElseThrow(), "NaN and absurd readings are not believed");
        assertEquals(List.of("POST /api/v1/query"), paths);
        assertEquals("max(max_over_time(DCGM_FI_DEV_FB_USED{namespace=\"team-a\",pod=~\"llm-.*\"}[10m]))", requests.get(0).get("query"));
        assertEquals("1700000600.000", requests.get(0).get("time"));

        body = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";
        assertTrue(source.deviceMemoryUsedMiB("team-a", "llm", NOW).isEmpty(), "no data");
        status = 503;
        body = "down";
        assertTrue(source.deviceMemoryUsedMiB("team-a", "llm", NOW).isEmpty(), "an outage");
        status = 200;
        body = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}";
        assertTrue(source.deviceMemoryUsedMiB("team-a", "llm", NOW).isEmpty(), "an error answer");
    }

    @Test
    void anOutageOrStaleDataKeepsAZeroedWorkloadAtZero() {
        var scaler = new io.plimsoll.reconciler.IdleScaler(source);
        var w = io.plimsoll.reconciler.Fixtures.workload("w", io.plimsoll.engine.WorkloadPhase.Inference, 1,
                io.plimsoll.engine.AcceleratorType.GPU, 1, null, null);
        java.time.Instant zeroAt = NOW.minusSeconds(600);
        status = 503;
        body = "down";
        var v = scaler.evaluate(w, null, zeroAt, NOW);
        assertTrue(v.scaledToZero(), v.message());
        assertFalse(v.changed(), "no Resumed on an outage");
        assertTrue(v.signalProblem());
        assertTrue(v.message().contains("stays at zero"), v.message());
        status = 200;
        body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}";
        v = scaler.evaluate(w, null, zeroAt, NOW);
        assertTrue(v.scaledToZero() && !v.changed(), "no data (what follows a scale-down) changes nothing either: " + v.message());
    }

    @Test
    void closedPortIsErrorQuickly() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) { port = s.getLocalPort(); }
        PrometheusActivitySource dead = new PrometheusActivitySource(URI.create("http://127.0.0.1:" + port),
                Duration.ofSeconds(2), http);
        long t0 = System.nanoTime();
        ActivityReading r = dead.lastActive(Q, VARS, TH, LOOKBACK, NOW);
        ActivityReading.SourceError err = assertInstanceOf(ActivityReading.SourceError.class, r);
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 2000);
        assertTrue(err.message().contains("connection refused or unreachable"), err.message());
        assertTrue(err.message().contains("check the activity source URL"), err.message());
    }

    @Test
    void renderEscapesValuesAndPodsRegex() {
        assertEquals("x{a=\"q\\\"uote\\\\\"}", PrometheusActivitySource.render("x{a=\"{{ v }}\"}", Map.of("v", "q\"uote\\")));
        String regex = PrometheusActivitySource.podsRegex(List.of("llm-0-abcde", "a.b-1-xyz"));
        assertEquals("llm-0-abcde|a\\.b-1-xyz", regex);
        // Rendered into a PromQL string the backslash is doubled, as PromQL requires.
        assertEquals("pod=~\"llm-0-abcde|a\\\\.b-1-xyz\"",
                PrometheusActivitySource.render("pod=~\"{{pods}}\"", Map.of("pods", regex)));
        assertEquals("$^", PrometheusActivitySource.podsRegex(List.of()));
        assertThrows(IllegalArgumentException.class, () -> PrometheusActivitySource.render("{{x}}", Map.of()));
    }

    @Test
    void readingFactories() {
        Instant t = Instant.ofEpochSecond(5);
        assertEquals(ActivityReading.Kind.OK, ActivityReading.ok(t).kind());
        assertEquals(ActivityReading.Kind.IDLE_THROUGHOUT, ActivityReading.idleThroughout(t).kind());
        assertEquals(ActivityReading.Kind.NO_DATA, ActivityReading.noData("none").kind());
        assertEquals(ActivityReading.Kind.ERROR, ActivityReading.error("boom").kind());
        assertEquals("boom", ActivityReading.error("boom").message());
    }

    static Map<String, String> parseForm(String s) {
        Map<String, String> m = new HashMap<>();
        if (s.isEmpty()) return m;
        for (String kv : s.split("&")) {
            int i = kv.indexOf('=');
            m.put(URLDecoder.decode(kv.substring(0, i), StandardCharsets.UTF_8),
                    URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
        }
        return m;
    }
}
