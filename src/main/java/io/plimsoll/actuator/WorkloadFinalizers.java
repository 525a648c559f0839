package io.plimsoll.actuator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.plimsoll.api.AIWorkload;

/**
 * Removes a finalizer from a workload: the one that earlier builds of Plimsoll added to every workload
 * ({@link io.plimsoll.api.Annotations#FINALIZER}). Workloads no longer carry one, so deleting a workload never waits
 * on the operator (nor hangs once it is uninstalled); without this, a workload made by an earlier version could not
 * be deleted any more.
 */
@jakarta.enterprise.context.ApplicationScoped
public class WorkloadFinalizers {
    private final KubernetesClient client;

    @jakarta.inject.Inject
    public WorkloadFinalizers(KubernetesClient client) {
        this.client = client;
    }

    /**
     * Removes {@code finalizer} with a JSON Patch that first tests it is still at the index seen, so a concurrent change
     * to the list (another controller's finalizer) is never overwritten: the patch then fails with 422 and the next
     * update event tries again. Returns false when there was nothing to remove or the list had changed.
     */
    public boolean remove(AIWorkload w, String finalizer) {
        var list = w.getMetadata().getFinalizers();
        int i = list == null ? -1 : list.indexOf(finalizer);
        if (i < 0) return false;
        String path = "/metadata/finalizers/" + i;
        String patch = "[{\"op\":\"test\",\"path\":\"" + path + "\",\"value\":\"" + finalizer + "\"},"
                + "{\"op\":\"remove\",\"path\":\"" + path + "\"}]";
        try {
            client.resources(AIWorkload.class).inNamespace(w.getMetadata().getNamespace()).withName(w.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON), patch);
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404 || e.getCode() == 422 || e.getCode() == 409) return false;
            throw e;
        }
    }
}
