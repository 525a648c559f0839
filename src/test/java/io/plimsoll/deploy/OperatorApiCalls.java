package io.plimsoll.deploy;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every API call the operator makes, as "verb group/resource" ("verb resource" for the core group), by the chart
 * value that must be on for it. {@link RbacCoverageTest} checks that the calls it records on the embedded API are
 * all listed here; the real-API RBAC test asks a real API server (SubjectAccessReview) that the chart's
 * ServiceAccount may make each of them. A new call in the code: add it here and to the chart's roles.
 */
public final class OperatorApiCalls {
    private OperatorApiCalls() {}

    /** Namespace of the leader-election Lease (the release namespace); every other call is cluster-wide. */
    public static final String LEASE_NAMESPACE = "plimsoll-system";

    /** With the default values. */
    public static final Set<String> DEFAULT = Set.of(
            "get nodes", "list nodes", "watch nodes",
            "get pods", "list pods", "watch pods", "create pods", "patch pods", "delete pods",
            // a pod preempted for another workload is marked DisruptionTarget first (TenantPreemption)
            "patch pods/status",
            "create events",
            "get plimsoll.io/aiworkloads", "list plimsoll.io/aiworkloads", "watch plimsoll.io/aiworkloads",
            // only to remove the finalizer earlier builds added (WorkloadFinalizers)
            "patch plimsoll.io/aiworkloads",
            "get plimsoll.io/acceleratorpools", "list plimsoll.io/acceleratorpools", "watch plimsoll.io/acceleratorpools",
            "get plimsoll.io/placementpolicies", "list plimsoll.io/placementpolicies", "watch plimsoll.io/placementpolicies",
            "get plimsoll.io/tenants", "list plimsoll.io/tenants", "watch plimsoll.io/tenants",
            "patch plimsoll.io/aiworkloads/status", "patch plimsoll.io/acceleratorpools/status",
            "patch plimsoll.io/placementpolicies/status", "patch plimsoll.io/tenants/status",
            // tenancy: namespace labels (TenantDirectory) and PriorityClasses (PriorityResolver)
            "list namespaces", "watch namespaces",
            "list scheduling.k8s.io/priorityclasses", "watch scheduling.k8s.io/priorityclasses",
            // leader election: get, create and patch by Fabric8's lease lock; update only in JOSDK's start-up check
            "get coordination.k8s.io/leases", "create coordination.k8s.io/leases", "update coordination.k8s.io/leases",
            "patch coordination.k8s.io/leases",
            // JOSDK's lease permission check (every authenticated user may, through system:basic-user)
            "create authorization.k8s.io/selfsubjectrulesreviews");

    /**
     * Granted by the roles but not sent in {@link RbacCoverageTest}'s scenario: updating a Lease (JOSDK checks it at
     * start-up instead), and patching a pod's status, which only tenant preemption does (TenantPreemptionOnRealApiTest
     * runs one as the chart's ServiceAccount and fails on any forbidden request).
     */
    public static final Set<String> REQUIRED_NOT_CALLED = Set.of("update coordination.k8s.io/leases", "patch pods/status");

    /** scaling.nodes (and implied by consolidation and clusterApi): pools with spec.scaling. */
    public static final Set<String> SCALING_NODES = Set.of("patch nodes");

    /** scaling.consolidation. */
    public static final Set<String> CONSOLIDATION = Set.of("list policy/poddisruptionbudgets", "create pods/eviction", "patch nodes");

    /** scaling.clusterApi. */
    public static final Set<String> CLUSTER_API = Set.of("get cluster.x-k8s.io/machinedeployments/scale",
            "update cluster.x-k8s.io/machinedeployments/scale", "get cluster.x-k8s.io/machines",
            "patch cluster.x-k8s.io/machines", "patch nodes");

    /** Writes and reads the chart must never grant, whatever the values. */
    public static final List<String> NEVER = List.of(
            "delete nodes", "create nodes", "update nodes", "patch nodes/status", "update pods", "update pods/status",
            "get secrets", "list secrets", "update secrets", "create secrets",
            "delete plimsoll.io/aiworkloads", "update plimsoll.io/aiworkloads", "create plimsoll.io/aiworkloads",
            "delete plimsoll.io/acceleratorpools", "patch plimsoll.io/acceleratorpools",
            "create plimsoll.io/tenants", "patch plimsoll.io/tenants", "delete plimsoll.io/tenants",
            "patch namespaces", "update namespaces", "create scheduling.k8s.io/priorityclasses",
            "create rbac.authorization.k8s.io/clusterrolebindings", "escalate rbac.authorization.k8s.io/clusterroles",
            "impersonate users", "create serviceaccounts/token", "delete namespaces",
            "delete apiextensions.k8s.io/customresourcedefinitions", "update apiextensions.k8s.io/customresourcedefinitions");

    /** The calls for a chart rendered with these scaling values. */
    public static Set<String> with(boolean nodes, boolean consolidation, boolean clusterApi) {
        Set<String> out = new TreeSet<>(DEFAULT);
        if (nodes) out.addAll(SCALING_NODES);
        if (consolidation) out.addAll(CONSOLIDATION);
        if (clusterApi) out.addAll(CLUSTER_API);
        return out;
    }

    /** Splits "verb group/resource[/sub]" into verb, group ("" for core) and resource[/sub]. */
    public static String[] parse(String key) {
        String[] vr = key.split(" ", 2);
        String path = vr[1];
        int slash = path.indexOf('/');
        String first = slash > 0 ? path.substring(0, slash) : "";
        if (first.contains(".") || Set.of("policy", "apps", "batch", "autoscaling").contains(first)) {
            return new String[] {vr[0], path.substring(0, slash), path.substring(slash + 1)};
        }
        return new String[] {vr[0], "", path};
    }
}
