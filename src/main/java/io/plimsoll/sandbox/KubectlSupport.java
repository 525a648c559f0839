package io.plimsoll.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What kubectl needs from the embedded API beyond storage: API discovery (so {@code kubectl get aiw} resolves the
 * short name) and server-side tables for Plimsoll's resources (so it prints the CRDs' printer columns).
 */
final class KubectlSupport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CR_LIST = Pattern.compile("^/apis/plimsoll\\.io/v1alpha1/(?:namespaces/[^/]+/)?([a-z]+)$");
    private static final Pattern FILTER = Pattern.compile("^(\\w+)\\[\\?\\(@\\.(\\w+)==\"([^\"]*)\"\\)\\]$");

    private final Map<String, List<CustomResourceColumnDefinition>> columns = new LinkedHashMap<>();

    KubectlSupport() {
        for (String f : EmbeddedKubernetes.CRD_FILES) {
            CustomResourceDefinition crd = EmbeddedKubernetes.loadCrd(f);
            columns.put(crd.getSpec().getNames().getPlural(), crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns());
        }
    }

    /** A response for discovery or a table request, or null to let the store answer. */
    MockResponse answer(RecordedRequest r, Function<RecordedRequest, MockResponse> store) {
        if (!"GET".equals(r.getMethod()) || r.getPath() == null) return null;
        String path = r.getPath().contains("?") ? r.getPath().substring(0, r.getPath().indexOf('?')) : r.getPath();
        String body = switch (path) {
            case "/api" -> """
                    {"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}""";
            case "/apis" -> groups();
            case "/api/v1" -> resources("v1", List.of(
                    res("pods", "Pod", true, "po"), res("pods/status", "Pod", true, null), res("nodes", "Node", false, "no"),
                    res("events", "Event", true, "ev"), res("namespaces", "Namespace", false, "ns")));
            case "/apis/plimsoll.io/v1alpha1" -> resources("plimsoll.io/v1alpha1", List.of(
                    res("aiworkloads", "AIWorkload", true, "aiw"), res("aiworkloads/status", "AIWorkload", true, null),
                    res("acceleratorpools", "AcceleratorPool", false, "apool"), res("acceleratorpools/status", "AcceleratorPool", false, null),
                    res("placementpolicies", "PlacementPolicy", false, "ppol"), res("placementpolicies/status", "PlacementPolicy", false, null)));
            case "/apis/coordination.k8s.io/v1" -> resources("coordination.k8s.io/v1", List.of(res("leases", "Lease", true, null)));
            case "/apis/apiextensions.k8s.io/v1" -> resources("apiextensions.k8s.io/v1",
                    List.of(res("customresourcedefinitions", "CustomResourceDefinition", false, "crd")));
            default -> null;
        };
        if (body != null) return json(body);
        Matcher m = CR_LIST.matcher(path);
        String accept = r.getHeader("Accept");
        if (m.matches() && accept != null && accept.contains("as=Table") && !r.getPath().contains("watch=true")) {
            MockResponse list = store.apply(r);
            try {
                return json(table(columns.get(m.group(1)), JSON.readTree(list.getBody().readUtf8())));
            } catch (Exception e) {
                return list;
            }
        }
        return null;
    }

    private static String groups() {
        StringBuilder sb = new StringBuilder("{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[");
        String[][] gv = {{"plimsoll.io", "v1alpha1"}, {"coordination.k8s.io", "v1"}, {"apiextensions.k8s.io", "v1"}};
        for (int i = 0; i < gv.length; i++) {
            String v = gv[i][0] + "/" + gv[i][1];
            sb.append(i > 0 ? "," : "").append("{\"name\":\"").append(gv[i][0]).append("\",\"versions\":[{\"groupVersion\":\"")
                    .append(v).append("\",\"version\":\"").append(gv[i][1]).append("\"}],\"preferredVersion\":{\"groupVersion\":\"")
                    .append(v).append("\",\"version\":\"").append(gv[i][1]).append("\"}}");
        }
        return sb.append("]}").toString();
    }

    private static ObjectNode res(String name, String kind, boolean namespaced, String shortName) {
        ObjectNode n = JSON.createObjectNode().put("name", name).put("singularName", "").put("namespaced", namespaced).put("kind", kind);
        ArrayNode verbs = n.putArray("verbs");
        for (String v : name.contains("/") ? List.of("get", "patch", "update") : List.of("create", "delete", "get", "list", "patch", "update", "watch")) {
            verbs.add(v);
        }
        if (shortName != null) n.putArray("shortNames").add(shortName);
        return n;
    }

    private static String resources(String groupVersion, List<ObjectNode> resources) {
        ObjectNode n = JSON.createObjectNode().put("kind", "APIResourceList").put("apiVersion", "v1").put("groupVersion", groupVersion);
        n.putArray("resources").addAll(resources);
        return n.toString();
    }

    /** A meta.k8s.io/v1 Table of a list, with the CRD's printer columns after Name. */
    static String table(List<CustomResourceColumnDefinition> cols, JsonNode list) {
        ObjectNode t = JSON.createObjectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
        t.putObject("metadata").put("resourceVersion", list.path("metadata").path("resourceVersion").asText(""));
        ArrayNode defs = t.putArray("columnDefinitions");
        defs.addObject().put("name", "Name").put("type", "string").put("format", "name").put("priority", 0);
        for (CustomResourceColumnDefinition c : cols) {
            defs.addObject().put("name", c.getName()).put("type", c.getType()).put("format", c.getFormat() == null ? "" : c.getFormat())
                    .put("priority", c.getPriority() == null ? 0 : c.getPriority());
        }
        ArrayNode rows = t.putArray("rows");
        for (JsonNode item : list.path("items")) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            cells.add(item.path("metadata").path("name").asText());
            for (CustomResourceColumnDefinition c : cols) {
                JsonNode v = at(item, c.getJsonPath());
                if (v == null || v.isMissingNode() || v.isNull()) cells.addNull();
                else if ("date".equals(c.getType())) cells.add(age(v.asText()));
                else cells.add(v);
            }
            ObjectNode obj = row.putObject("object");
            obj.put("kind", "PartialObjectMetadata").put("apiVersion", "meta.k8s.io/v1");
            obj.set("metadata", item.path("metadata"));
        }
        return t.toString();
    }

    /** Dates print as ages, as the API server does for printer columns: 45s, 12m, 3h, 2d. */
    static String age(String timestamp) {
        try {
            long s = java.time.Duration.between(java.time.Instant.parse(timestamp), java.time.Instant.now()).getSeconds();
            if (s < 120) return Math.max(0, s) + "s";
            if (s < 7200) return s / 60 + "m";
            if (s < 172800) return s / 3600 + "h";
            return s / 86400 + "d";
        } catch (RuntimeException e) {
            return timestamp;
        }
    }

    /** The simple JSONPath forms printer columns use: .a.b.c and .a.list[?(@.key=="value")].field. */
    static JsonNode at(JsonNode node, String jsonPath) {
        JsonNode cur = node;
        for (String seg : jsonPath.replaceFirst("^\\.", "").split("\\.(?![^\\[]*\\])")) {
            if (cur == null) return null;
            Matcher f = FILTER.matcher(seg);
            if (f.matches()) {
                JsonNode match = null;
                for (JsonNode e : cur.path(f.group(1))) {
                    if (f.group(3).equals(e.path(f.group(2)).asText())) {
                        match = e;
                        break;
                    }
                }
                cur = match;
            } else {
                cur = cur.get(seg);
            }
        }
        return cur;
    }

    private static MockResponse json(String body) {
        return new MockResponse().setResponseCode(200).addHeader("Content-Type", "application/json").setBody(body);
    }
}
