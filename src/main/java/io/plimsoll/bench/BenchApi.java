package io.plimsoll.bench;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.sandbox.EmbeddedKubernetes;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The API server the bench runs against, and its clients: an admin client (seeding, the simulated kubelet, watching
 * the workloads) and the operator's own client, whose requests are counted. Embedded: the in-process API, counted at
 * the server by User-Agent. Kubeconfig: {@code $KUBECONFIG} or {@code ~/.kube/config}, counted by a client
 * interceptor; the CRDs are created if missing, and the cluster must have no nodes (the bench makes fake ones).
 */
public final class BenchApi implements AutoCloseable {
    static final String OPERATOR_AGENT = "plimsoll-bench-operator";

    private final String mode;
    private final EmbeddedKubernetes embedded;
    private final KubernetesClient admin;
    private final KubernetesClient operator;
    private final Requests requests;
    /** The bench's own requests (applying workloads, the simulated kubelet, watching), to the same API server. */
    private final Requests harness;

    private BenchApi(String mode, EmbeddedKubernetes embedded, KubernetesClient admin, KubernetesClient operator, Requests requests,
                     Requests harness) {
        this.mode = mode;
        this.embedded = embedded;
        this.admin = admin;
        this.operator = operator;
        this.requests = requests;
        this.harness = harness;
    }

    /** One client's requests (the operator's, or the bench's own) by HTTP method and resource, counted while {@link #counting} is on. */
    public static final class Requests {
        private final Map<String, LongAdder> byMethod = new ConcurrentHashMap<>();
        private final Map<String, LongAdder> byResource = new ConcurrentHashMap<>();
        private final AtomicLong total = new AtomicLong();
        private volatile boolean counting;

        void count(String method, String path) {
            if (!counting) return;
            total.incrementAndGet();
            byMethod.computeIfAbsent(method, m -> new LongAdder()).increment();
            byResource.computeIfAbsent(method + " " + resource(path), m -> new LongAdder()).increment();
        }

        /** The resource (and subresource) a request path names: pods, aiworkloads/status, leases... */
        static String resource(String path) {
            if (path == null) return "?";
            String[] seg = path.replaceFirst("\\?.*$", "").replaceFirst("^/+", "").split("/");
            int i = seg.length > 0 && seg[0].equals("api") ? 2 : seg.length > 0 && seg[0].equals("apis") ? 3 : seg.length;
            if (i + 1 < seg.length && seg[i].equals("namespaces") && i + 2 < seg.length) i += 2;
            if (i >= seg.length) return seg.length > 2 ? seg[seg.length - 1] : path;
            return i + 2 < seg.length ? seg[i] + "/" + seg[i + 2] : seg[i];
        }

        /** Requests by method and resource, e.g. "PATCH aiworkloads/status". */
        public Map<String, Long> byResource() {
            Map<String, Long> out = new TreeMap<>();
            byResource.forEach((k, v) -> out.put(k, v.sum()));
            return out;
        }

        public void counting(boolean on) {
            counting = on;
        }

        public long total() {
            return total.get();
        }

        public Map<String, Long> byMethod() {
            Map<String, Long> out = new TreeMap<>();
            byMethod.forEach((k, v) -> out.put(k, v.sum()));
            return out;
        }
    }

    public static BenchApi embedded() {
        EmbeddedKubernetes k8s = new EmbeddedKubernetes();
        Requests requests = new Requests();
        Requests harness = new Requests();
        k8s.dispatcher().observe(r -> {
            (OPERATOR_AGENT.equals(r.getHeader("User-Agent")) ? requests : harness).count(r.getMethod(), r.getPath());
        });
        return new BenchApi("embedded", k8s, k8s.client(), k8s.newClient(OPERATOR_AGENT), requests, harness);
    }

    public static BenchApi kubeconfig() {
        Config config = Config.autoConfigure(null);
        if (config.getMasterUrl() == null || config.getMasterUrl().isBlank()) {
            throw new IllegalStateException("no API server in $KUBECONFIG or ~/.kube/config");
        }
        Requests requests = new Requests();
        Requests harness = new Requests();
        KubernetesClient admin = new KubernetesClientBuilder().withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("plimsoll-bench-requests", counter(harness))).build();
        KubernetesClient operator = new KubernetesClientBuilder().withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("plimsoll-bench-requests", counter(requests))).build();
        BenchApi api = new BenchApi("kubeconfig", null, admin, operator, requests, harness);
        try {
            int nodes = admin.nodes().list().getItems().size();
            if (nodes > 0) {
                throw new IllegalStateException("the API server at " + config.getMasterUrl() + " already has " + nodes
                        + " node(s): the bench creates fake nodes and workloads, so it needs an empty API server"
                        + " (e.g. scripts/bench-real-api.sh starts one)");
            }
            api.installCrds();
        } catch (RuntimeException e) {
            api.close();
            throw e;
        }
        return api;
    }

    /** Creates Plimsoll's CRDs (the copies bundled in the jar, from crds/) that are missing, and waits until established. */
    private void installCrds() {
        for (String file : EmbeddedKubernetes.CRD_FILES) {
            CustomResourceDefinition crd = EmbeddedKubernetes.loadCrd(file);
            String name = crd.getMetadata().getName();
            if (admin.apiextensions().v1().customResourceDefinitions().withName(name).get() == null) {
                admin.apiextensions().v1().customResourceDefinitions().resource(crd).create();
            }
            admin.apiextensions().v1().customResourceDefinitions().withName(name).waitUntilCondition(c -> c != null
                    && c.getStatus() != null && c.getStatus().getConditions() != null && c.getStatus().getConditions().stream()
                    .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 60, TimeUnit.SECONDS);
        }
    }

    /** Creates the namespace if missing; refuses one that already holds AIWorkloads (the counts would be wrong). */
    public void prepareNamespace(String namespace) {
        if (embedded == null && admin.namespaces().withName(namespace).get() == null) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        }
        int existing = admin.resources(AIWorkload.class).inNamespace(namespace).list().getItems().size();
        if (existing > 0) {
            throw new IllegalStateException("namespace " + namespace + " already has " + existing + " AIWorkload(s): use a fresh API server");
        }
    }

    /** Creates the namespace with the labels (or sets them on it), in either mode; refuses one that holds AIWorkloads. */
    public void prepareNamespace(String namespace, java.util.Map<String, String> labels) {
        var existing = admin.namespaces().withName(namespace).get();
        if (existing == null) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).withLabels(labels).endMetadata().build()).create();
        } else {
            admin.namespaces().withName(namespace).edit(n -> new NamespaceBuilder(n).editMetadata().addToLabels(labels).endMetadata().build());
        }
        prepareNamespace(namespace);
    }

    public String mode() {
        return mode;
    }

    /** True when the server drops a Node's status on create (a real API server): status goes through nodes/status. */
    public boolean nodeStatusViaSubresource() {
        return embedded == null;
    }

    public KubernetesClient admin() {
        return admin;
    }

    public KubernetesClient operatorClient() {
        return operator;
    }

    public Requests requests() {
        return requests;
    }

    /** The bench's own requests: applying workloads, the simulated kubelet, the watches. */
    public Requests harnessRequests() {
        return harness;
    }

    private static Interceptor counter(Requests into) {
        return new Interceptor() {
            @Override
            public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                into.count(request.method(), request.uri().getRawPath());
            }
        };
    }

    public String url() {
        return admin.getConfiguration().getMasterUrl();
    }

    @Override
    public void close() {
        operator.close();
        if (embedded != null) {
            embedded.close();
        } else {
            admin.close();
        }
    }
}
