package io.plimsoll.activity;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayExporterTest {

    @Test
    void loadsSliceAndServesPrometheusTextFormat() throws Exception {
        List<ReplayExporter.Series> series = ReplayExporter.loadSlice("/activity/pod_gpu_duty_cycle_slice.csv", "team-a",
                Map.of("9cd20d9c3dcebaf54796126cf30daf5e", "painter-0-7f9c2"));
        assertEquals(1, series.size());
        assertEquals(60, series.get(0).values().length);
        assertEquals(74.0, series.get(0).values()[0]);
        try (ReplayExporter ex = new ReplayExporter(series, Duration.ofSeconds(1))) {
            int port = ex.start();
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            assertTrue(r.body().contains("# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n"), r.body());
            assertTrue(r.body().contains("DCGM_FI_DEV_GPU_UTIL{namespace=\"team-a\",pod=\"painter-0-7f9c2\",gpu=\"0\"} 74.000000\n"),
                    r.body());
            assertEquals(1, ex.served().size());
            assertEquals(0, ex.served().get(0).index());
        }
    }
}
