package io.plimsoll.sandbox;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The embedded API's request handling: the Fabric8 CRUD dispatcher, plus
 * <ul>
 *   <li>an answer to SelfSubjectRulesReview (everything allowed), which the mock server cannot store but leader
 *   election asks before it takes a Lease;</li>
 *   <li>observers of every request (tests derive the operator's RBAC from them);</li>
 *   <li>interceptors that may answer a request instead of the store (tests inject conflicts, 5xx, dropped watches);</li>
 *   <li>API discovery and server-side tables, so kubectl works against the sandbox;</li>
 *   <li>the /scale subresource of custom resources and pod eviction, which the mock server lacks.</li>
 * </ul>
 * Its store is indexed ({@link IndexedObjectStore}): a request looks only at the objects of its name, or of its kind
 * and namespace, instead of every object the mock server holds.
 */
public final class EmbeddedApiDispatcher extends KubernetesCrudDispatcher {
    private static final String RULES_REVIEW = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";

    private final List<Consumer<RecordedRequest>> observers = new CopyOnWriteArrayList<>();
    private final List<Function<RecordedRequest, MockResponse>> interceptors = new CopyOnWriteArrayList<>();
    private volatile KubectlSupport kubectl;
    private final IndexedObjectStore store = IndexedObjectStore.installIn(this);

    public EmbeddedApiDispatcher() {
        super(List.of());
    }

    // Fabric8 scans its whole store in these four places; each scan now sees only the bucket the request can match.

    @Override
    public MockResponse handleGet(String path) {
        return store.narrowedTo(getKey(path), () -> super.handleGet(path));
    }

    @Override
    public MockResponse handleDelete(String path) {
        return store.narrowedTo(getKey(path), () -> super.handleDelete(path));
    }

    @Override
    public Map.Entry<AttributeSet, String> findResource(AttributeSet attributes) {
        return store.narrowedTo(attributes, () -> super.findResource(attributes));
    }

    /** A watch sends the objects it matches when it opens: that scan too sees only the watched kind (or name). */
    @Override
    public MockResponse handleWatch(String path) {
        MockResponse response = super.handleWatch(path);
        WebSocketListener watch = response.getWebSocketListener();
        AttributeSet query = getKey(path);
        return watch == null ? response : response.withWebSocketUpgrade(new WebSocketListener() {
            @Override
            public void onBeforeAccept(WebSocket ws, Response r) {
                watch.onBeforeAccept(ws, r);
            }

            @Override
            public void onOpen(WebSocket ws, Response r) {
                store.narrowedTo(query, () -> {
                    watch.onOpen(ws, r);
                    return null;
                });
            }

            @Override
            public void onMessage(WebSocket ws, String text) {
                watch.onMessage(ws, text);
            }

            @Override
            public void onMessage(WebSocket ws, ByteString bytes) {
                watch.onMessage(ws, bytes);
            }

            @Override
            public void onMessage(WebSocket ws, byte[] bytes) {
                watch.onMessage(ws, bytes);
            }

            @Override
            public void onClosing(WebSocket ws, int code, String reason) {
                watch.onClosing(ws, code, reason);
            }

            @Override
            public void onClosed(WebSocket ws, int code, String reason) {
                watch.onClosed(ws, code, reason);
            }

            @Override
            public void onFailure(WebSocket ws, Throwable t, Response r) {
                watch.onFailure(ws, t, r);
            }
        });
    }

    public void observe(Consumer<RecordedRequest> observer) {
        observers.add(observer);
    }

    /** Adds an interceptor; it returns a response to send instead of the store's, or null to let the request through. */
    public Runnable intercept(Function<RecordedRequest, MockResponse> interceptor) {
        interceptors.add(interceptor);
        return () -> interceptors.remove(interceptor);
    }

    /** One mapper for every request (thread-safe once configured; making one per request cost more than the merge). */
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final java.util.regex.Pattern EVICTION = java.util.regex.Pattern.compile("^/api/v1/namespaces/[^/]+/pods/[^/]+/eviction(\\?.*)?$");
    private static final java.util.regex.Pattern SCALE = java.util.regex.Pattern.compile("^/apis/[^?]+/scale(\\?.*)?$");

    private static String withoutQuery(String path) {
        int q = path.indexOf('?');
        return q < 0 ? path : path.substring(0, q);
    }

    private MockResponse get(String path) {
        return super.dispatch(new RecordedRequest("HTTP/1.1", io.fabric8.mockwebserver.dsl.HttpMethod.GET,
                path, io.fabric8.mockwebserver.http.Headers.builder().build(), new io.fabric8.mockwebserver.http.Buffer()));
    }

    private MockResponse put(String path, String json) {
        return super.dispatch(new RecordedRequest("HTTP/1.1", io.fabric8.mockwebserver.dsl.HttpMethod.PUT, path,
                io.fabric8.mockwebserver.http.Headers.builder().add("Content-Type", "application/json").build(),
                new io.fabric8.mockwebserver.http.Buffer(json.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    }

    /**
     * The /scale subresource of custom resources (e.g. a Cluster API MachineDeployment), which the mock server does
     * not implement: replicas are the object's spec.replicas and status.replicas, the selector its status.selector, as a
     * CRD's scale subresource usually declares.
     */
    private MockResponse scaleSubresource(RecordedRequest request) {
        String path = withoutQuery(request.getPath());
        String objectPath = path.substring(0, path.length() - "/scale".length());
        MockResponse current = get(objectPath);
        if (current.code() != 200) return current;
        try {
            var json = JSON;
            var obj = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(current.getBody().readUtf8());
            if ("PUT".equals(request.getMethod())) {
                int replicas = json.readTree(request.getUtf8Body()).path("spec").path("replicas").asInt();
                obj.with("spec").put("replicas", replicas);
                MockResponse put = put(objectPath, obj.toString());
                if (put.code() >= 300) return put;
            } else if (!"GET".equals(request.getMethod())) {
                return null;
            }
            var scale = json.createObjectNode().put("apiVersion", "autoscaling/v1").put("kind", "Scale");
            scale.set("metadata", obj.path("metadata"));
            scale.putObject("spec").put("replicas", obj.path("spec").path("replicas").asInt());
            var scaleStatus = scale.putObject("status").put("replicas", obj.path("status").path("replicas").asInt(obj.path("spec").path("replicas").asInt()));
            if (obj.path("status").path("selector").isTextual()) scaleStatus.put("selector", obj.path("status").path("selector").asText());
            return new MockResponse().setResponseCode(200).setBody(scale.toString());
        } catch (Exception e) {
            return new MockResponse().setResponseCode(500).setBody("{\"kind\":\"Status\",\"message\":\"" + e.getMessage() + "\"}");
        }
    }

    /**
     * JSON merge patch as RFC 7386 and the API server apply it (arrays replaced, nulls remove); the mock server's own
     * merge appends to arrays. A patch of {@code /status} changes only the status, as on a real server.
     */
    private MockResponse mergePatch(RecordedRequest request) {
        String path = withoutQuery(request.getPath());
        boolean status = path.endsWith("/status");
        String objectPath = status ? path.substring(0, path.length() - "/status".length()) : path;
        MockResponse current = get(objectPath);
        if (current.code() != 200) return current;
        try {
            var json = JSON;
            var obj = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(current.getBody().readUtf8());
            var patch = json.readTree(request.getUtf8Body());
            if (!patch.isObject()) return null;
            if (status) {
                var merged = merge(obj.get("status"), patch.get("status"));
                if (merged == null) obj.remove("status");
                else obj.set("status", merged);
            } else {
                obj = (com.fasterxml.jackson.databind.node.ObjectNode) merge(obj, patch);
            }
            if (obj.path("metadata").isObject()) ((com.fasterxml.jackson.databind.node.ObjectNode) obj.get("metadata")).remove("resourceVersion");
            return put(path, obj.toString());
        } catch (Exception e) {
            return new MockResponse().setResponseCode(500).setBody("{\"kind\":\"Status\",\"message\":\"" + e.getMessage() + "\"}");
        }
    }

    /** RFC 7386: objects merge key by key, null removes, anything else replaces. */
    static com.fasterxml.jackson.databind.JsonNode merge(com.fasterxml.jackson.databind.JsonNode target, com.fasterxml.jackson.databind.JsonNode patch) {
        if (patch == null) return target;
        if (!patch.isObject()) return patch.isNull() ? null : patch;
        var out = target != null && target.isObject() ? ((com.fasterxml.jackson.databind.node.ObjectNode) target).deepCopy()
                : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        patch.fields().forEachRemaining(e -> {
            var merged = merge(out.get(e.getKey()), e.getValue());
            if (merged == null) out.remove(e.getKey());
            else out.set(e.getKey(), merged);
        });
        return out;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        for (Consumer<RecordedRequest> o : observers) o.accept(request);
        for (Function<RecordedRequest, MockResponse> i : interceptors) {
            MockResponse r = i.apply(request);
            if (r != null) return r;
        }
        if ("POST".equals(request.getMethod()) && request.getPath() != null && request.getPath().startsWith(RULES_REVIEW)) {
            return new MockResponse().setResponseCode(201).setBody("""
                    {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","metadata":{},
                     "spec":{},"status":{"incomplete":false,"nonResourceRules":[],
                     "resourceRules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]}}""");
        }
        if ("POST".equals(request.getMethod()) && request.getPath() != null
                && EVICTION.matcher(request.getPath()).matches()) {
            // The Eviction subresource: the mock server has none; an eviction deletes the pod (budgets are not checked here).
            String podPath = request.getPath().replaceFirst("/eviction(\\?.*)?$", "");
            MockResponse deleted = super.dispatch(new RecordedRequest("HTTP/1.1", io.fabric8.mockwebserver.dsl.HttpMethod.DELETE,
                    podPath, io.fabric8.mockwebserver.http.Headers.builder().build(), new io.fabric8.mockwebserver.http.Buffer()));
            if (deleted.code() >= 300) return deleted;
            return new MockResponse().setResponseCode(201).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\"}");
        }
        if ("PATCH".equals(request.getMethod()) && request.getHeader("Content-Type") != null
                && request.getHeader("Content-Type").startsWith("application/merge-patch+json")) {
            MockResponse merged = mergePatch(request);
            if (merged != null) return merged;
        }
        if (request.getPath() != null && SCALE.matcher(request.getPath()).matches()) {
            MockResponse scale = scaleSubresource(request);
            if (scale != null) return scale;
        }
        if (kubectl == null) kubectl = new KubectlSupport();
        MockResponse forKubectl = kubectl.answer(request, super::dispatch);
        return forKubectl != null ? forKubectl : super.dispatch(request);
    }
}
