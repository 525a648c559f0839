package io.plimsoll.simulate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void simulateLayoutAndNumbers() throws Exception {
        List<Object> curve = List.of(map("arrivedPct", 0, "allocatedPct", 0.86), map("arrivedPct", 1, "allocatedPct", null));
        Map<String, Object> explain = map("arrivedPct", 100.0, "holes", List.of(map("bucket", "1-99", "devices", 2)), "byModel", Map.of());
        Map<String, Object> doc = map(
                "policy", "fgd",
                "text", "a \"q\" \\ b\nc",
                "seeds", List.of(42L, 43L),
                "inflation", 1.3,
                "whole", 95.0,
                "big", 1e7,
                "small", 1.5e-4,
                "nan", Double.NaN,
                "mean", null,
                "empty", new ArrayList<>(),
                "runs", List.of(map("seed", 42L, "curve", curve, "explain", List.of(explain))));
        assertEquals("""
                {
                  "policy": "fgd",
                  "text": "a \\"q\\" \\\\ b\\nc",
                  "seeds": [
                    42,
                    43
                  ],
                  "inflation": 1.3,
                  "whole": 95.0,
                  "big": 10000000.0,
                  "small": 0.00015,
                  "nan": null,
                  "mean": null,
                  "empty": [],
                  "runs": [
                    {
                      "seed": 42,
                      "curve": [
                        {"arrivedPct": 0, "allocatedPct": 0.86},
                        {"arrivedPct": 1, "allocatedPct": null}
                      ],
                      "explain": [
                        {"arrivedPct": 100.0, "holes": [{"bucket": "1-99", "devices": 2}], "byModel": {}}
                      ]
                    }
                  ]
                }
                """, Json.write(doc));
    }

    @Test
    void servingLayoutWithFixedDecimals() throws Exception {
        Map<String, Object> doc = map(
                "seed", 7L,
                "cost_model", map("park_fraction", Json.fixed(0.25, 4), "node_startup_s", Json.fixed(180_000 / 1000.0, 3)),
                "policies", List.of(map("policy", "keep-alive 5m", "wait_p99_s", Json.fixed(215.9804, 3)),
                        map("policy", "always-on", "wait_p99_s", Json.fixed(0.0, 3))),
                "duty_cycle", map("pods", 3, "idle_stretches", List.of(map("longer_than_s", 300L), map("longer_than_s", 900L))));
        assertEquals("""
                {
                  "seed": 7,
                  "cost_model": {"park_fraction": 0.2500, "node_startup_s": 180.000},
                  "policies": [
                    {"policy": "keep-alive 5m", "wait_p99_s": 215.980},
                    {"policy": "always-on", "wait_p99_s": 0.000}
                  ],
                  "duty_cycle": {"pods": 3, "idle_stretches": [{"longer_than_s": 300}, {"longer_than_s": 900}]}
                }
                """, Json.write(doc, 1));
        assertNull(Json.fixed(Double.NaN, 3));
        assertEquals(Arrays.asList("1.000", "0.001", "-2.500"), Arrays.asList(Json.fixed(0.9996, 3).toString(),
                Json.fixed(0.0005, 3).toString(), Json.fixed(-2.5, 3).toString()));
    }
}
