package io.plimsoll.activity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Workload activity read from Prometheus over its HTTP API ({@code /api/v1/query_range}).
 *
 * <p>A PromQL template (with {@code {{namespace}}}, {@code {{workload}}}, {@code {{pods}}} or any other
 * {@code {{name}}} taken from the variables) is rendered and run as a range query from
 * {@code now - lookback} to {@code now} at the configured step. The answer is the latest evaluation time
 * at which the value (the maximum over all returned series) was strictly above the threshold.
 *
 * <p>Plimsoll pod names are {@code <workload>-<replica>-<random>}, hence the default selectors
 * {@code pod=~"{{workload}}-.*"}. Note that such a prefix also matches a workload whose name extends this
 * one with a dash (workload {@code sd} matches pods of {@code sd-xl}); pass {@code {{pods}}}
 * ({@link #podsRegex}) when workload names can collide.
 *
 * <p>Never throws for a bad or unreachable source: bad PromQL, HTTP errors, timeouts, refused
 * connections, non-Prometheus answers, missing template variables, no series and stale data all come back
 * as {@link ActivityReading.SourceError} or {@link ActivityReading.NoData}, whose message names the query
 * and the fix. Thread-safe; one instance per Prometheus endpoint.
 */
public final class PrometheusActivitySource {

    /** DCGM exporter GPU utilisation (percent, 0..100), averaged over the workload's pods. */
    public static final String DEFAULT_GPU_UTIL_QUERY =
            "avg(DCGM_FI_DEV_GPU_UTIL{namespace=\"{{namespace}}\",pod=~\"{{workload}}-.*\"})";
    /** Percent; a GPU at or below this is idle (DCGM reports a few percent on an idle, loaded model). */
    public static final double DEFAULT_GPU_UTIL_THRESHOLD = 5.0;

    /** Request rate (per second) of an inference workload's pods. */
    public static final String DEFAULT_REQUEST_RATE_QUERY =
            "sum(rate(http_requests_total{namespace=\"{{namespace}}\",pod=~\"{{workload}}-.*\"}[2m]))";
    /** Any request at all counts as activity. */
    public static final double DEFAULT_REQUEST_RATE_THRESHOLD = 0.0;

    public static final Duration DEFAULT_STEP = Duration.ofSeconds(60);

    /**
     * DCGM exporter framebuffer in use (MiB) on each device, by pod: the largest is what one replica's model holds in
     * device memory (a parked replica keeps it there).
     */
    public static final String DEFAULT_DEVICE_MEMORY_QUERY =
            "max(max_over_time(DCGM_FI_DEV_FB_USED{namespace=\"{{namespace}}\",pod=~\"{{workload}}-.*\"}[10m]))";
    /** No GPU has more than this much memory (MiB); a larger reading is not believed. */
    static final double MAX_DEVICE_MEMORY_MIB = 1 << 20;

    /** Prometheus refuses range queries with more than 11,000 points per series. */
    static final long MAX_POINTS = 11_000;

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*}}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BODY_EXCERPT = 300;

    private final URI baseUrl;
    private final URI queryRangeUrl;
    private final URI queryUrl;
    private final Duration timeout;
    private final HttpClient client;
    private final Duration step;

    public PrometheusActivitySource(URI baseUrl, Duration timeout, HttpClient client) {
        this(baseUrl, timeout, client, DEFAULT_STEP);
    }

    /**
     * @param baseUrl Prometheus root, e.g. {@code http://prometheus.monitoring:9090} (a path prefix such as
     *                {@code /prometheus} is kept)
     * @param timeout bound on one whole query (connect, server evaluation, response); also sent to
     *                Prometheus as its query {@code timeout}
     * @param step    range-query resolution; also the resolution of {@code lastActive}
     */
    public PrometheusActivitySource(URI baseUrl, Duration timeout, HttpClient client, Duration step) {
        this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.client = Objects.requireNonNull(client, "client");
        this.step = Objects.requireNonNull(step, "step");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be > 0");
        if (step.toMillis() < 1) throw new IllegalArgumentException("step must be >= 1ms");
        String s = baseUrl.toString();
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        this.queryRangeUrl = URI.create(s + "/api/v1/query_range");
        this.queryUrl = URI.create(s + "/api/v1/query");
    }

    /**
     * The device memory (MiB) the workload's pods were measured to hold over the last 10 minutes, from the DCGM
     * exporter: the largest of one device. Empty when Prometheus cannot say (no data, an error, a timeout, an answer
     * that does not read, a number out of range): the caller then goes by what the workload declares.
     */
    public java.util.OptionalDouble deviceMemoryUsedMiB(String namespace, String workload, Instant now) {
        try {
            String query = render(DEFAULT_DEVICE_MEMORY_QUERY, Map.of("namespace", namespace, "workload", workload));
            Map<String, String> form = new LinkedHashMap<>();
            form.put("query", query);
            form.put("time", seconds(now == null ? Instant.now() : now));
            form.put("timeout", seconds(timeout));
            HttpRequest req = HttpRequest.newBuilder(queryUrl).timeout(timeout)
                    .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(formEncode(form))).build();
            CompletableFuture<HttpResponse<String>> future = client.sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            HttpResponse<String> resp;
            try {
                resp = future.get(timeout.toMillis() + 250, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                future.cancel(true);
                return java.util.OptionalDouble.empty();
            }
            if (resp.statusCode() != 200) return java.util.OptionalDouble.empty();
            JsonNode root = JSON.readTree(resp.body() == null ? "" : resp.body());
            if (root == null || !"success".equals(root.path("status").asText())) return java.util.OptionalDouble.empty();
            double most = -1;
            for (JsonNode series : root.path("data").path("result")) {
                JsonNode value = series.path("value");
                if (!value.isArray() || value.size() != 2) continue;
                double v;
                try {
                    v = Double.parseDouble(value.get(1).asText());
                } catch (NumberFormatException notANumber) {
                    continue;
                }
                if (!Double.isFinite(v) || v < 0 || v > MAX_DEVICE_MEMORY_MIB) continue;
                most = Math.max(most, v);
            }
            return most < 0 ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(most);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.OptionalDouble.empty();
        } catch (Exception e) {
            // No reading is no reading: the declared memory stands.
            return java.util.OptionalDouble.empty();
        }
    }

    public URI baseUrl() { return baseUrl; }

    public Duration step() { return step; }

    public Duration timeout() { return timeout; }

    /**
     * Data whose last point is older than this before {@code now} is treated as missing (the exporter or
     * scrape stopped; Prometheus marks the series stale), not as idleness.
     */
    public Duration maxDataAge() {
        Duration twoSteps = step.multipliedBy(2);
        Duration floor = Duration.ofSeconds(30);
        return twoSteps.compareTo(floor) > 0 ? twoSteps : floor;
    }

    /**
     * When was the workload last active?
     *
     * @param promqlTemplate PromQL with {@code {{var}}} placeholders
     * @param vars           values for the placeholders (e.g. namespace, workload, pods)
     * @param threshold      a value strictly above this is activity
     * @param lookback       how far back to look
     * @param now            end of the window
     */
    public ActivityReading lastActive(String promqlTemplate, Map<String, String> vars, double threshold,
                                      Duration lookback, Instant now) {
        String query = "";
        try {
            if (promqlTemplate == null || promqlTemplate.isBlank()) {
                return ActivityReading.error("activity query is empty; set a PromQL query for this phase", "");
            }
            try {
                query = render(promqlTemplate, vars == null ? Map.of() : vars);
            } catch (IllegalArgumentException e) {
                return ActivityReading.error(e.getMessage() + " in activity query " + promqlTemplate, promqlTemplate);
            }
            if (lookback == null || lookback.isNegative() || lookback.isZero()) {
                return ActivityReading.error("activity lookback must be positive (got " + lookback + ") for query " + query, query);
            }
            if (Double.isNaN(threshold)) {
                return ActivityReading.error("activity threshold is NaN for query " + query, query);
            }
            if (now == null) now = Instant.now();
            return run(query, threshold, lookback, now);
        } catch (RuntimeException e) {
            // Last resort: a bug here must not crash the reconciler nor be read as idleness.
            return ActivityReading.error("internal error reading activity for query " + query + ": " + e, query);
        }
    }

    private ActivityReading run(String query, double threshold, Duration lookback, Instant now) {
        Duration effStep = step;
        long points = lookback.toMillis() / step.toMillis() + 1;
        if (points > MAX_POINTS) {
            effStep = Duration.ofMillis((lookback.toMillis() + MAX_POINTS - 2) / (MAX_POINTS - 1));
        }
        Instant start = now.minus(lookback);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("query", query);
        form.put("start", seconds(start));
        form.put("end", seconds(now));
        form.put("step", seconds(effStep));
        form.put("timeout", seconds(timeout));
        HttpRequest req = HttpRequest.newBuilder(queryRangeUrl)
                .timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(formEncode(form)))
                .build();

        HttpResponse<String> resp;
        CompletableFuture<HttpResponse<String>> future = null;
        try {
            future = client.sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            // HttpRequest.timeout only bounds the wait for headers; this bounds the body too.
            resp = future.get(timeout.toMillis() + 250, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            return timedOut(query);
        } catch (InterruptedException e) {
            if (future != null) future.cancel(true);
            Thread.currentThread().interrupt();
            return ActivityReading.error("interrupted while querying Prometheus at " + baseUrl + " for " + query, query);
        } catch (ExecutionException e) {
            return transportError(query, e.getCause() == null ? e : e.getCause());
        }
        return interpret(query, resp, threshold, lookback, now);
    }

    private ActivityReading timedOut(String query) {
        return ActivityReading.error("Prometheus at " + baseUrl + " did not answer within " + timeout
                + " for query " + query + "; check that it is reachable and not overloaded, simplify the query,"
                + " or raise the activity source timeout", query);
    }

    private ActivityReading transportError(String query, Throwable cause) {
        if (cause instanceof HttpTimeoutException && !(cause instanceof HttpConnectTimeoutException)) {
            return timedOut(query);
        }
        String what;
        if (cause instanceof HttpConnectTimeoutException) what = "connection timed out";
        else if (cause instanceof ConnectException || hasCause(cause, ConnectException.class)) what = "connection refused or unreachable";
        else if (cause instanceof IOException) what = "I/O error";
        else what = "request failed";
        String detail = cause.getMessage() == null ? cause.getClass().getSimpleName()
                : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        return ActivityReading.error("cannot reach Prometheus at " + baseUrl + " (" + what + ": " + detail
                + ") for query " + query + "; check the activity source URL, the Prometheus service and network"
                + " policies", query);
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) return true;
        }
        return false;
    }

    private ActivityReading interpret(String query, HttpResponse<String> resp, double threshold,
                                      Duration lookback, Instant now) {
        int code = resp.statusCode();
        String body = resp.body() == null ? "" : resp.body();
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.isObject() || !root.path("status").isTextual()) {
            return ActivityReading.error("HTTP " + code + " from " + queryRangeUrl + " is not a Prometheus API answer"
                    + " (body: " + excerpt(body) + ") for query " + query
                    + "; check that the activity source URL points at the Prometheus server root", query);
        }
        String status = root.path("status").asText();
        if (!"success".equals(status)) {
            String type = root.path("errorType").asText("unknown");
            String err = root.path("error").asText("(no error text)");
            String fix;
            switch (type) {
                case "bad_data": fix = "fix the PromQL of the activity query"; break;
                case "timeout": case "canceled":
                    fix = "simplify the query, shorten the lookback, or raise the activity source timeout"; break;
                case "execution":
                    fix = "the query failed while evaluating; check it in the Prometheus UI"; break;
                case "unavailable":
                    fix = "Prometheus is not ready; it will be retried"; break;
                default: fix = "check the query and Prometheus' logs";
            }
            return ActivityReading.error("Prometheus rejected the activity query " + query + " (HTTP " + code + ", "
                    + type + "): " + err + "; " + fix, query);
        }
        if (code / 100 != 2) {
            return ActivityReading.error("HTTP " + code + " from " + queryRangeUrl + " with status success for query "
                    + query + "; check proxies in front of Prometheus", query);
        }
        JsonNode data = root.path("data");
        String resultType = data.path("resultType").asText("");
        if (!"matrix".equals(resultType)) {
            return ActivityReading.error("Prometheus returned result type '" + resultType + "' instead of matrix for "
                    + query + "; the activity query must be an instant-vector expression (no range selector at"
                    + " the top level, not a string or scalar literal)", query);
        }
        JsonNode result = data.path("result");
        if (!result.isArray()) {
            return ActivityReading.error("malformed Prometheus answer (data.result missing) for " + query, query);
        }

        long firstData = Long.MAX_VALUE;
        long lastData = Long.MIN_VALUE;
        long lastAbove = Long.MIN_VALUE;
        int series = 0;
        for (JsonNode s : result) {
            series++;
            for (JsonNode point : s.path("values")) {
                if (!point.isArray() || point.size() < 2) continue;
                long tsMillis;
                double value;
                try {
                    tsMillis = new BigDecimal(point.get(0).asText()).movePointRight(3)
                            .setScale(0, RoundingMode.HALF_UP).longValueExact();
                    value = parseValue(point.get(1).asText());
                } catch (RuntimeException e) {
                    return ActivityReading.error("malformed sample " + point + " in Prometheus answer for " + query, query);
                }
                if (Double.isNaN(value)) continue;
                firstData = Math.min(firstData, tsMillis);
                lastData = Math.max(lastData, tsMillis);
                if (value > threshold) lastAbove = Math.max(lastAbove, tsMillis);
            }
        }
        if (firstData == Long.MAX_VALUE) {
            String what = series == 0 ? "no series" : "only NaN values";
            return ActivityReading.noData("activity query returned " + what + " over the last " + lookback
                    + " for " + query + "; check the metric name, that it is scraped, and that its namespace/pod"
                    + " labels match (Plimsoll pods are named <workload>-<replica>-<random>)", query);
        }
        Instant dataUntil = Instant.ofEpochMilli(lastData);
        if (Duration.between(dataUntil, now).compareTo(maxDataAge()) > 0) {
            return ActivityReading.noData("activity data stopped at " + dataUntil + " (older than " + maxDataAge()
                    + " before " + now + ") for " + query + "; the exporter or its scrape is probably down,"
                    + " so idleness cannot be told from missing data", query);
        }
        if (lastAbove != Long.MIN_VALUE) {
            return ActivityReading.ok(Instant.ofEpochMilli(lastAbove), query);
        }
        return ActivityReading.idleThroughout(Instant.ofEpochMilli(firstData), query);
    }

    private static double parseValue(String s) {
        switch (s) {
            case "+Inf": case "Inf": return Double.POSITIVE_INFINITY;
            case "-Inf": return Double.NEGATIVE_INFINITY;
            case "NaN": return Double.NaN;
            default: return Double.parseDouble(s);
        }
    }

    /**
     * Replaces every {@code {{name}}} with the value from {@code vars}, escaped for a double-quoted PromQL
     * string. Throws IllegalArgumentException naming a placeholder with no value.
     */
    public static String render(String template, Map<String, String> vars) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String value = vars.get(name);
            if (value == null) {
                throw new IllegalArgumentException("no value for placeholder {{" + name + "}} (known: "
                        + vars.keySet() + ")");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(escapePromQlString(value)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Escapes backslash, double quote and newlines for use inside a double-quoted PromQL string. */
    static String escapePromQlString(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\\': b.append("\\\\"); break;
                case '"': b.append("\\\""); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                default: b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * A regex (RE2, as PromQL uses) matching exactly the given pod names, for {@code pod=~"{{pods}}"}.
     * Regex metacharacters in names (Kubernetes allows '.') are escaped; the result is not yet escaped
     * for a PromQL string, {@link #render} does that. An empty collection gives a regex matching nothing.
     */
    public static String podsRegex(Collection<String> podNames) {
        if (podNames.isEmpty()) return "$^";
        StringJoiner j = new StringJoiner("|");
        for (String p : podNames) {
            StringBuilder b = new StringBuilder();
            for (char c : p.toCharArray()) {
                if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) b.append('\\');
                b.append(c);
            }
            j.add(b.toString());
        }
        return j.toString();
    }

    private static String seconds(Instant t) {
        return BigDecimal.valueOf(t.toEpochMilli(), 3).toPlainString();
    }

    private static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
    }

    private static String formEncode(Map<String, String> form) {
        StringJoiner j = new StringJoiner("&");
        form.forEach((k, v) -> j.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return j.toString();
    }

    private static String excerpt(String body) {
        String s = body.replaceAll("\\s+", " ").trim();
        if (s.isEmpty()) return "empty";
        return s.length() <= BODY_EXCERPT ? s : s.substring(0, BODY_EXCERPT) + "...";
    }
}
