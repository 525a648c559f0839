package io.plimsoll.sandbox;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.util.List;
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
 *   <li>API discovery and server-side tables, so kubectl works against the sandbox.</li>
 * </ul>
 */
public final class EmbeddedApiDispatcher extends KubernetesCrudDispatcher {
    private static final String RULES_REVIEW = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";

    private final List<Consumer<RecordedRequest>> observers = new CopyOnWriteArrayList<>();
    private final List<Function<RecordedRequest, MockResponse>> interceptors = new CopyOnWriteArrayList<>();
    private volatile KubectlSupport kubectl;

    public EmbeddedApiDispatcher() {
        super(List.of());
    }

    public void observe(Consumer<RecordedRequest> observer) {
        observers.add(observer);
    }

    /** Adds an interceptor; it returns a response to send instead of the store's, or null to let the request through. */
    public Runnable intercept(Function<RecordedRequest, MockResponse> interceptor) {
        interceptors.add(interceptor);
        return () -> interceptors.remove(interceptor);
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
        if (kubectl == null) kubectl = new KubectlSupport();
        MockResponse forKubectl = kubectl.answer(request, super::dispatch);
        return forKubectl != null ? forKubectl : super.dispatch(request);
    }
}
