package io.plimsoll.realapi;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.plimsoll.reconciler.TestOperator;
import io.plimsoll.sandbox.EmbeddedKubernetes;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real kube-apiserver + etcd (Fabric8 kube-api-test) with Plimsoll's CRDs from crds/ and the Helm chart's RBAC
 * as rendered: the namespace {@value #NAMESPACE} (Pod Security level restricted), the ServiceAccount, ClusterRole,
 * ClusterRoleBinding, Role and RoleBinding. {@link #operatorClient()} acts as that ServiceAccount with a
 * TokenRequest token, so what the operator may do is what the chart grants.
 *
 * <p>No kubelet, scheduler or controller manager runs: see {@link FakeNodes} for nodes and the sandbox's
 * {@link io.plimsoll.sandbox.SimulatedKubelet} (works here with {@link #adminClient()}) to mark bound pods Running.
 *
 * <p>Binaries: offline from {@code $KUBE_API_TEST_DIR/k8s/1.32.13-linux-amd64} (default dir {@code ~/.kubeapitest},
 * laid out by {@code ../shared/k8s/install.sh}), else kube-api-test downloads them; when neither works
 * {@link #start} aborts the test (JUnit skip) with {@link #SKIP_MESSAGE} and {@link RealApi} classes are
 * skipped with it, decided once per JVM ({@link #unavailableReason()}).
 */
public final class RealApiServer implements AutoCloseable {
    public static final String VERSION = "1.32.13";
    public static final String NAMESPACE = "plimsoll-system";
    public static final String RELEASE = "plimsoll";
    public static final Path CHART = Path.of("helm/plimsoll");
    public static final Path CRDS = Path.of("crds");
    public static final String SKIP_MESSAGE = "real API server suite skipped: no kube-apiserver binaries in "
            + binaryDir() + " and download failed (run ../shared/k8s/install.sh)";
    private static final List<String> RBAC_KINDS = List.of("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");

    /** Null until the first start; then "" when servers start, or why they cannot. */
    private static String unavailable;

    private final KubeAPIServer server;
    private final KubernetesClient admin;
    private final Config adminConfig;
    private final List<HasMetadata> chart;
    private final String serviceAccount;
    private final String leaseName;
    private final List<KubernetesClient> clients = new ArrayList<>();
    private KubernetesClient operator;

    private RealApiServer(KubeAPIServer server, Map<String, Object> values) {
        this.server = server;
        this.adminConfig = Config.fromKubeconfig(server.getKubeConfigYaml());
        this.admin = new KubernetesClientBuilder().withConfig(adminConfig).build();
        this.chart = render(values);
        this.serviceAccount = rendered(ServiceAccount.class).get(0).getMetadata().getName();
        this.leaseName = rendered(Deployment.class).get(0).getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()
                .stream().filter(e -> e.getName().equals("PLIMSOLL_LEADER_ELECTION_LEASE_NAME")).map(EnvVar::getValue)
                .findFirst().orElse("plimsoll-leader");
    }

    /** A server with the chart rendered with default values. */
    public static RealApiServer start() {
        return start(Map.of());
    }

    /**
     * Starts a server, installs the CRDs and the chart's RBAC rendered with these {@code --set} values
     * (e.g. {@code Map.of("scaling.nodes", true)}). Aborts the calling test (skip) when no server can run here.
     */
    public static RealApiServer start(Map<String, Object> helmValues) {
        KubeAPIServer server = launch();
        RealApiServer s;
        try {
            s = new RealApiServer(server, helmValues);
            long t0 = System.nanoTime();
            s.installCrds();
            s.installChartRbac();
            System.err.printf("real API server: CRDs and chart RBAC installed in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        } catch (RuntimeException e) {
            server.stop();
            throw e;
        }
        return s;
    }

    /**
     * Why no server can run on this machine, or empty when one can; decided once per JVM. With the binaries in
     * {@link #binaryDir()} that is immediate; without, one server is started (kube-api-test downloads) and stopped.
     */
    public static synchronized String unavailableReason() {
        if (unavailable == null) {
            if (binariesPresent()) {
                unavailable = "";
            } else {
                try {
                    launch().stop();
                } catch (TestAbortedException e) {
                    // recorded in unavailable
                }
            }
        }
        return unavailable;
    }

    private static final int START_ATTEMPTS = 3;

    /** What a failed start may be down to: memory, temp disk, and kube-apiserver/etcd processes still running. */
    static String machineState() {
        String mem = "?";
        try {
            mem = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemAvailable"))
                    .findFirst().orElse("?").replaceAll("\\s+", " ");
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        long tmpFreeMiB = Path.of(System.getProperty("java.io.tmpdir")).toFile().getUsableSpace() >> 20;
        long etcd = ProcessHandle.allProcesses().filter(p -> p.info().command().orElse("").endsWith("/etcd")).count();
        long apiservers = ProcessHandle.allProcesses().filter(p -> p.info().command().orElse("").endsWith("/kube-apiserver")).count();
        return mem + ", temp dir free " + tmpFreeMiB + " MiB, running etcd " + etcd + ", kube-apiserver " + apiservers;
    }

    /** A bare server (no CRDs, no RBAC), as every server of the suite is started; for {@link StandaloneApiServer}. */
    static synchronized KubeAPIServer launch() {
        if (unavailable != null && !unavailable.isEmpty()) {
            throw new TestAbortedException(unavailable);
        }
        boolean offline = binariesPresent();
        long t0 = System.nanoTime();
        KubeAPIServer server = null;
        // Offline, a failure to start is retried on fresh ports: kube-api-test picks etcd's ports by probing
        // 49152-65535, which overlaps Linux's ephemeral range, so another socket can take one in between (one CI run
        // saw "etcd did not start properly" for four classes in a row). Each failure prints what the machine had.
        for (int attempt = 1; server == null; attempt++) {
            KubeAPIServer candidate = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                    .withOfflineMode(offline).withApiServerVersion(VERSION).withUpdateKubeConfig(false)
                    // set explicitly: kube-api-test 7.4.0 reads the Boolean/Integer KUBE_API_TEST_* variables with a ClassCastException
                    .withWaitForEtcdHealthCheckOnStartup(true).withStartupTimeout(60_000)
                    .build());
            try {
                candidate.start();
                server = candidate;
            } catch (RuntimeException e) {
                try {
                    candidate.stop();
                } catch (RuntimeException ignored) {
                    // nothing started
                }
                if (offline) {
                    System.err.printf("real API server: attempt %d failed: %s; %s%n", attempt, e, machineState());
                    if (attempt < START_ATTEMPTS) continue;
                    throw e; // binaries are there: failing to start is a real failure
                }
                unavailable = SKIP_MESSAGE + " [" + e + "]";
                System.err.println(unavailable);
                throw new TestAbortedException(unavailable, e);
            }
        }
        unavailable = "";
        System.err.printf("real API server: kube-apiserver %s + etcd started in %d ms (%s)%n", VERSION,
                (System.nanoTime() - t0) / 1_000_000, offline ? "offline, " + binaryDir() : "downloaded binaries");
        return server;
    }

    /** $KUBE_API_TEST_DIR (default ~/.kubeapitest)/k8s/1.32.13-linux-amd64. */
    public static Path binaryDir() {
        String dir = System.getenv("KUBE_API_TEST_DIR");
        Path base = dir == null || dir.isBlank() ? Path.of(System.getProperty("user.home"), ".kubeapitest") : Path.of(dir);
        return base.resolve("k8s").resolve(VERSION + "-linux-amd64");
    }

    static boolean binariesPresent() {
        Path d = binaryDir();
        return Stream.of("kube-apiserver", "etcd", "kubectl").allMatch(b -> Files.isExecutable(d.resolve(b)));
    }

    // ---- clients -------------------------------------------------------------------------------------------

    /** Cluster admin (system:masters), from the server's kubeconfig. Closed with the server. */
    public KubernetesClient adminClient() {
        return admin;
    }

    /** Acts as the chart's ServiceAccount (token from a TokenRequest). One shared client, closed with the server. */
    public synchronized KubernetesClient operatorClient() {
        if (operator == null) operator = serviceAccountClient(NAMESPACE, serviceAccount);
        return operator;
    }

    /** A new client acting as the given ServiceAccount, with a TokenRequest token (1 h). Closed with the server. */
    public synchronized KubernetesClient serviceAccountClient(String namespace, String name) {
        var token = admin.serviceAccounts().inNamespace(namespace).withName(name).tokenRequest(new TokenRequestBuilder()
                .withNewSpec().withExpirationSeconds(3600L).endSpec().build()).getStatus().getToken();
        Config c = Config.empty();
        c.setMasterUrl(adminConfig.getMasterUrl());
        c.setCaCertData(adminConfig.getCaCertData());
        c.setCaCertFile(adminConfig.getCaCertFile());
        c.setTrustCerts(adminConfig.isTrustCerts());
        c.setOauthToken(token);
        c.setRequestTimeout(adminConfig.getRequestTimeout());
        KubernetesClient client = new KubernetesClientBuilder().withConfig(c)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("plimsoll-failures", new FailureRecorder(name)))
                .build();
        clients.add(client);
        return client;
    }

    /**
     * A request a ServiceAccount client made that the API server refused (4xx/5xx): what was sent and the answer.
     *
     * @param account     the ServiceAccount's name
     * @param requestBody the body sent (e.g. a status patch), or null
     * @param response    the API server's answer (a Status, usually naming the field for 422)
     */
    public record Failure(String account, String method, String uri, int code, String requestBody, String response) {
        @Override
        public String toString() {
            return code + " " + method + " " + uri + " as " + account + "\n  sent: " + requestBody + "\n  answer: " + response;
        }
    }

    private final List<Failure> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Every refused request of the ServiceAccount clients so far (404s on reads and 409 conflicts included). */
    public List<Failure> failures() {
        return List.copyOf(failures);
    }

    /**
     * Refused requests except 404, 409 (conflicts are normal with optimistic locking) and 429 (the API server sheds
     * load while it starts; the client retries), e.g. 403 and 422.
     */
    public List<Failure> unexpectedFailures() {
        return failures.stream().filter(f -> !ordinary(f.code())).toList();
    }

    /** Requests the API server refused for lack of RBAC (403): none when the chart grants what the operator needs. */
    public List<Failure> forbidden() {
        return failures.stream().filter(f -> f.code() == 403).toList();
    }

    private static boolean ordinary(int code) {
        return code == 404 || code == 409 || code == 429;
    }

    private final class FailureRecorder implements io.fabric8.kubernetes.client.http.Interceptor {
        private final String account;

        FailureRecorder(String account) {
            this.account = account;
        }

        @Override
        public java.util.concurrent.CompletableFuture<Boolean> afterFailure(io.fabric8.kubernetes.client.http.BasicBuilder builder,
                io.fabric8.kubernetes.client.http.HttpResponse<?> response, RequestTags tags) {
            String answer;
            try {
                Object body = response.body();
                // the body is still a stream here; the Status the API server sent is in the client's exception
                answer = body instanceof byte[] bytes ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
                        : body instanceof String str ? str : response.message();
            } catch (RuntimeException e) {
                answer = "(unreadable: " + e + ")";
            }
            var request = response.request();
            Failure f = new Failure(account, request.method(), request.uri().toString(), response.code(), request.bodyString(), answer);
            failures.add(f);
            if (f.code() == 422 && "PATCH".equals(f.method())) {
                // A JSON Patch refused with no cause: show what the server held, to see which path was missing.
                java.util.concurrent.CompletableFuture.runAsync(() -> {
                    String held;
                    try {
                        held = admin.raw(java.net.URI.create(f.uri()).getRawPath());
                    } catch (RuntimeException e) {
                        held = "(could not read: " + e + ")";
                    }
                    System.err.println("real API server refused: " + f + "\n  server held (read just after): " + held);
                });
            } else if (!ordinary(f.code())) {
                System.err.println("real API server refused: " + f);
            }
            return java.util.concurrent.CompletableFuture.completedFuture(false);
        }
    }

    /** The kubeconfig of the admin user, e.g. to write to a file for kubectl. */
    public String kubeconfigYaml() {
        return server.getKubeConfigYaml();
    }

    // ---- the chart -----------------------------------------------------------------------------------------

    /** The chart's name for the operator's ServiceAccount. */
    public String serviceAccountName() {
        return serviceAccount;
    }

    /** system:serviceaccount:plimsoll-system:NAME, the user RBAC sees for {@link #operatorClient()}. */
    public String serviceAccountUser() {
        return "system:serviceaccount:" + NAMESPACE + ":" + serviceAccount;
    }

    /** The Lease the chart's Deployment tells the operator to use (in {@value #NAMESPACE}). */
    public String leaseName() {
        return leaseName;
    }

    /** Every object the chart rendered (with the values this server was started with). */
    public List<HasMetadata> chart() {
        return chart;
    }

    public <T extends HasMetadata> List<T> rendered(Class<T> type) {
        return chart.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** helm template (helm-java, no binary) with release {@value #RELEASE} in namespace {@value #NAMESPACE}. */
    public static List<HasMetadata> render(Map<String, Object> values) {
        return render(RELEASE, values);
    }

    /** helm template as release {@code release} in namespace {@value #NAMESPACE}. */
    public static List<HasMetadata> render(String release, Map<String, Object> values) {
        TemplateCommand t = new Helm(CHART).template().withName(release).withNamespace(NAMESPACE).withKubeVersion(VERSION);
        values.forEach(t::set);
        return EmbeddedKubernetes.parseYaml(t.call());
    }

    private void installCrds() {
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(CRDS)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yml")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(f)) {
                    CustomResourceDefinition crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
                    admin.apiextensions().v1().customResourceDefinitions().resource(crd).create();
                    names.add(crd.getMetadata().getName());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (names.isEmpty()) throw new IllegalStateException("no CRDs in " + CRDS.toAbsolutePath());
        for (String n : names) {
            admin.apiextensions().v1().customResourceDefinitions().withName(n).waitUntilCondition(c -> c != null
                    && c.getStatus() != null && c.getStatus().getConditions() != null && c.getStatus().getConditions().stream()
                    .anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())), 30, TimeUnit.SECONDS);
        }
    }

    /** The release namespace, labelled for Pod Security restricted (as the chart README says to), and the RBAC. */
    private void installChartRbac() {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE)
                .withLabels(Map.of("pod-security.kubernetes.io/enforce", "restricted")).endMetadata().build()).create();
        for (String kind : RBAC_KINDS) {
            for (HasMetadata o : chart) {
                if (o.getKind().equals(kind)) admin.resource(o).create();
            }
        }
    }

    /** The rendered RBAC objects (ServiceAccount, roles and bindings), e.g. to copy with changes for another account. */
    public List<HasMetadata> chartRbac() {
        List<HasMetadata> out = new ArrayList<>();
        for (String kind : RBAC_KINDS) chart.stream().filter(o -> o.getKind().equals(kind)).forEach(out::add);
        return out;
    }

    /**
     * Installs the chart's ServiceAccount and RBAC once more, rendered as another release (so every name differs) with
     * these values, beside the server's own; returns that ServiceAccount's user name for {@link #may}.
     */
    public String installRelease(String release, Map<String, Object> values) {
        List<HasMetadata> objects = render(release, values);
        String sa = null;
        for (String kind : RBAC_KINDS) {
            for (HasMetadata o : objects) {
                if (!o.getKind().equals(kind)) continue;
                admin.resource(o).create();
                if (o instanceof ServiceAccount) sa = o.getMetadata().getName();
            }
        }
        if (sa == null) throw new IllegalStateException("release " + release + " rendered no ServiceAccount");
        return "system:serviceaccount:" + NAMESPACE + ":" + sa;
    }

    // ---- helpers for tests ---------------------------------------------------------------------------------

    /** Creates a namespace with a fresh name (prefix + random suffix) and returns its name. */
    public String createNamespace(String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        return name;
    }

    /** SubjectAccessReview, as the admin: may the chart's ServiceAccount do this? {@code namespace} null = cluster-wide. */
    public boolean operatorMay(String verb, String group, String resource, String namespace) {
        return may(serviceAccountUser(), verb, group, resource, namespace);
    }

    /** SubjectAccessReview for a user (with the groups every ServiceAccount of its namespace has); resource may be "res/sub". */
    public boolean may(String user, String verb, String group, String resource, String namespace) {
        String[] r = resource.split("/", 2);
        List<String> groups = new ArrayList<>(List.of("system:authenticated"));
        if (user.startsWith("system:serviceaccount:")) {
            groups.add("system:serviceaccounts");
            groups.add("system:serviceaccounts:" + user.split(":")[2]);
        }
        SubjectAccessReview review = new SubjectAccessReviewBuilder().withNewSpec().withUser(user).withGroups(groups)
                .withNewResourceAttributes().withVerb(verb).withGroup(group).withResource(r[0])
                .withSubresource(r.length > 1 ? r[1] : null).withNamespace(namespace).endResourceAttributes()
                .endSpec().build();
        return Boolean.TRUE.equals(admin.authorization().v1().subjectAccessReview().create(review).getStatus().getAllowed());
    }

    /** Leader election as the chart configures it (its Lease in {@value #NAMESPACE}), with short test timings. */
    public LeaderElectionConfiguration leaderElection(String identity) {
        return new LeaderElectionConfiguration(leaseName, NAMESPACE, Duration.ofSeconds(6), Duration.ofSeconds(4),
                Duration.ofMillis(500), identity, null, false);
    }

    /** The operator in-process, as the chart's ServiceAccount, with leader election on. Close it before the server. */
    public TestOperator startOperator(String identity) {
        return new TestOperator(operatorClient(), leaderElection(identity));
    }

    /** Labels on the rendered chart objects, e.g. for selecting the operator pods. */
    public Map<String, String> selectorLabels() {
        return new LinkedHashMap<>(rendered(Deployment.class).get(0).getSpec().getSelector().getMatchLabels());
    }

    @Override
    public void close() {
        for (KubernetesClient c : clients) c.close();
        admin.close();
        long t0 = System.nanoTime();
        server.stop();
        System.err.printf("real API server: stopped in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }
}
