package io.plimsoll.sandbox;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AIWorkloadSpec;
import io.plimsoll.api.AcceleratorRequest;
import io.plimsoll.api.Tenant;
import io.plimsoll.api.WorkloadState;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code sandbox --tenants}: the two sample tenants (deploy/samples/tenants) on the demo cluster's H100 pool (two nodes
 * of 8). team-a (guaranteed 8 GPU-eq, limit 16) bursts with fourteen 1-GPU jobs, 6 above its guarantee; team-b
 * (guaranteed 6) submits a 4-GPU job, within its guarantee, that does not fit: team-a's most recent borrowed jobs are
 * preempted (they wait in line again) and team-b's runs. Prints the tenants and the preemptions.
 */
final class SandboxTenants {
    private SandboxTenants() {}

    static final int BURST = 14;

    static String run(KubernetesClient client, long deadlineMillis) throws InterruptedException {
        for (String f : List.of("tenants/namespaces.yaml", "tenants/priorityclasses.yaml", "tenants/tenants.yaml")) {
            for (HasMetadata o : SampleLoader.load(f)) client.resource(o).createOr(x -> x.update());
        }
        StringBuilder out = new StringBuilder("\nTenants (deploy/samples/tenants) on the h100 pool, 16 devices:\n\n");
        for (int i = 0; i < BURST; i++) {
            String name = String.format(Locale.ROOT, "a-burst-%02d", i);
            client.resource(job("team-a", name, 1)).create();
            if (!await(client, "team-a", name, deadlineMillis)) return out.append("WARNING: ").append(name).append(" did not start in time: ")
                    .append(message(client, "team-a", name)).append('\n').toString();
        }
        Thread.sleep(2500); // tenants' usage is published every 2 s
        out.append("team-a bursts with ").append(BURST).append(" one-H100 jobs (ai-batch):\n").append(tenants(client));
        client.resource(job("team-b", "b-train", 4)).create();
        boolean ok = await(client, "team-b", "b-train", deadlineMillis);
        for (long until = System.currentTimeMillis() + 10_000; System.currentTimeMillis() < until; ) {
            Tenant b = client.resources(Tenant.class).withName("team-b").get(); // its status follows within a few seconds
            if (b != null && b.getStatus() != null && b.getStatus().getUsed() != null && b.getStatus().getUsed() >= 4.0) break;
            Thread.sleep(200);
        }
        out.append("\nteam-b submits a four-H100 job, within its guarantee; 2 devices are free:\n").append(tenants(client));
        out.append("\nEvents:\n");
        for (String ns : List.of("team-b", "team-a")) {
            client.v1().events().inNamespace(ns).list().getItems().stream()
                    .filter(e -> "Preempting".equals(e.getReason()) || "Preempted".equals(e.getReason()) || "WaitingForQuota".equals(e.getReason()))
                    .sorted(Comparator.comparing(e -> e.getInvolvedObject().getName()))
                    .forEach(e -> out.append("  ").append(ns).append('/').append(e.getInvolvedObject().getName()).append(' ')
                            .append(e.getReason()).append(": ").append(e.getMessage()).append('\n'));
        }
        List<String> preempted = new ArrayList<>();
        for (long until = System.currentTimeMillis() + 5_000; preempted.size() < 2 && System.currentTimeMillis() < until; ) {
            // each victim's condition comes with its own next reconcile, a moment after its pods went (two are expected)
            preempted.clear();
            for (AIWorkload w : client.resources(AIWorkload.class).inNamespace("team-a").list().getItems()) {
                Condition c = w.getStatus() == null ? null : io.plimsoll.reconciler.Conditions.get(w.getStatus().getConditions(), "Preempted");
                if (c != null && "True".equals(c.getStatus())) preempted.add(w.getMetadata().getName());
            }
            if (preempted.size() < 2) Thread.sleep(200);
        }
        preempted.sort(null);
        out.append("\nPreempted (team-a's most recent borrowed jobs, back in line): ").append(preempted).append('\n');
        if (!ok) out.append("WARNING: team-b's job did not start in time: ").append(message(client, "team-b", "b-train")).append('\n');
        return out.toString();
    }

    static AIWorkload job(String ns, String name, int gpus) {
        AIWorkload w = new AIWorkload();
        w.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
        AIWorkloadSpec spec = new AIWorkloadSpec();
        spec.setPhase(WorkloadPhase.Training);
        spec.setPriorityClassName("ai-batch");
        spec.setTemplate(new io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder().withNewSpec().addNewContainer().withName("train")
                .withImage("example.org/train:1").endContainer().endSpec().build());
        io.plimsoll.api.ReplicaResources r = new io.plimsoll.api.ReplicaResources();
        r.setCpu("8");
        r.setMemory("64Gi");
        AcceleratorRequest a = new AcceleratorRequest();
        a.setType(AcceleratorType.GPU);
        a.setCount(gpus);
        a.setModels(List.of("H100"));
        r.setAccelerator(a);
        spec.setResources(r);
        w.setSpec(spec);
        return w;
    }

    private static boolean await(KubernetesClient client, String ns, String name, long deadline) throws InterruptedException {
        while (System.currentTimeMillis() < deadline) {
            AIWorkload w = client.resources(AIWorkload.class).inNamespace(ns).withName(name).get();
            if (w != null && w.getStatus() != null && w.getStatus().getState() == WorkloadState.Running) return true;
            Thread.sleep(200);
        }
        return false;
    }

    private static String message(KubernetesClient client, String ns, String name) {
        AIWorkload w = client.resources(AIWorkload.class).inNamespace(ns).withName(name).get();
        return w == null || w.getStatus() == null ? "no status yet" : w.getStatus().getState() + ": " + w.getStatus().getMessage();
    }

    static String tenants(KubernetesClient client) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"TENANT", "GUARANTEED", "LIMIT", "USED", "BORROWED", "LENT", "PENDING"});
        List<Tenant> ts = new ArrayList<>(client.resources(Tenant.class).list().getItems());
        ts.sort(Comparator.comparing(t -> t.getMetadata().getName()));
        for (Tenant t : ts) {
            var s = t.getStatus();
            var limit = t.getSpec().getLimit() == null ? null : t.getSpec().getLimit().getGpuEquivalents();
            rows.add(new String[]{t.getMetadata().getName(), f(s == null ? null : s.getGuaranteed()), f(limit),
                    f(s == null ? null : s.getUsed()), f(s == null ? null : s.getBorrowed()), f(s == null ? null : s.getLent()),
                    f(s == null ? null : s.getPending())});
        }
        return SandboxReport.table(rows);
    }

    private static String f(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.1f", d);
    }
}
