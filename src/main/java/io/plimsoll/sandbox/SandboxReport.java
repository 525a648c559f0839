package io.plimsoll.sandbox;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.PoolRejection;
import io.plimsoll.api.ReplicaPlacement;
import io.plimsoll.api.WorkloadState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The human table the sandbox prints: what went where, at what cost, and why the rest waits. */
public final class SandboxReport {
    private SandboxReport() {}

    /** True when every workload is in a state that will not change without new input. */
    public static boolean settled(List<AIWorkload> workloads) {
        return !workloads.isEmpty() && workloads.stream().allMatch(w -> w.getStatus() != null && w.getStatus().getState() != null
                && (w.getStatus().getState() != WorkloadState.Placed)
                && w.getStatus().getObservedGeneration() != null
                && w.getStatus().getObservedGeneration().equals(w.getMetadata().getGeneration()));
    }

    public static String render(KubernetesClient client) {
        List<AIWorkload> wls = new ArrayList<>(client.resources(AIWorkload.class).inAnyNamespace().list().getItems());
        wls.sort(Comparator.comparing(w -> w.getMetadata().getName()));
        StringBuilder sb = new StringBuilder();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"WORKLOAD", "PHASE", "STATE", "POOL", "DEVICES", "NODES", "COST/H"});
        double total = 0;
        for (AIWorkload w : wls) {
            var s = w.getStatus();
            String pool = "-", nodes = "-", cost = "-";
            if (s != null && s.getPlacement() != null) {
                pool = s.getPlacement().getPool() == null ? "-" : s.getPlacement().getPool();
                nodes = s.getPlacement().getReplicas().stream().map(SandboxReport::where).collect(Collectors.joining(" "));
                if (s.getPlacement().getCostPerHour() != null) {
                    total += s.getPlacement().getCostPerHour();
                    cost = String.format(Locale.ROOT, "$%.2f", s.getPlacement().getCostPerHour());
                }
            }
            rows.add(new String[]{w.getMetadata().getName(), String.valueOf(w.getSpec().getPhase()),
                    s == null || s.getState() == null ? "-" : s.getState().name(), pool,
                    s == null || s.getDevices() == null ? "-" : s.getDevices(), nodes, cost});
        }
        sb.append(table(rows));
        sb.append(String.format(Locale.ROOT, "Total placed cost: $%.2f/h%n", total));
        for (AIWorkload w : wls) {
            var s = w.getStatus();
            if (s != null && s.getState() == WorkloadState.Pending) {
                sb.append('\n').append(w.getMetadata().getName()).append(" is Pending:\n");
                for (PoolRejection r : s.getUnplaceable()) sb.append("  ").append(r.getPool()).append(": ").append(r.getReason()).append('\n');
            } else if (s != null && s.getState() == WorkloadState.Failed) {
                sb.append('\n').append(w.getMetadata().getName()).append(" failed: ").append(s.getMessage()).append('\n');
            }
        }
        List<AcceleratorPool> pools = new ArrayList<>(client.resources(AcceleratorPool.class).list().getItems());
        pools.sort(Comparator.comparing(p -> p.getMetadata().getName()));
        List<String[]> prow = new ArrayList<>();
        prow.add(new String[]{"POOL", "TYPE", "MODEL", "NODES", "DEVICES", "ALLOCATED", "UTIL%", "FRAG%", "COST/H", "IDLE/H"});
        for (AcceleratorPool p : pools) {
            var s = p.getStatus();
            var a = p.getSpec().getAccelerator();
            prow.add(new String[]{p.getMetadata().getName(), a == null ? "None" : String.valueOf(a.getType()),
                    a == null || a.getModel() == null ? "-" : a.getModel(),
                    s == null ? "-" : String.valueOf(s.getNodeCount()), s == null ? "-" : String.valueOf(s.getDevicesTotal()),
                    s == null ? "-" : fmt(s.getDevicesAllocated()), s == null ? "-" : fmt(s.getUtilizationPercent()),
                    s == null ? "-" : fmt(s.getFragmentationPercent()),
                    s == null ? "-" : money(s.getCostPerHour()), s == null ? "-" : money(s.getIdleCostPerHour())});
        }
        sb.append('\n').append(table(prow));
        return sb.toString();
    }

    private static String where(ReplicaPlacement r) {
        String d = r.getMigProfile() != null ? "mig:" + r.getMigProfile()
                : r.getDevices() == null || r.getDevices().isEmpty() ? ""
                : "dev" + r.getDevices().stream().map(String::valueOf).collect(Collectors.joining(","))
                + (r.getFraction() != null ? "@" + r.getFraction() : "");
        return r.getNode() + (d.isEmpty() ? "" : "[" + d + "]");
    }

    private static String fmt(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.1f", d);
    }

    private static String money(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "$%.2f", d);
    }

    static String table(List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                sb.append(i == r.length - 1 ? r[i] : String.format("%-" + (w[i] + 2) + "s", r[i]));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
