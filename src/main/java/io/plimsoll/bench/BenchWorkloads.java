package io.plimsoll.bench;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.plimsoll.api.AIWorkload;
import io.plimsoll.api.AIWorkloadSpec;
import io.plimsoll.api.AcceleratorRequest;
import io.plimsoll.api.ReplicaResources;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.WorkloadPhase;
import io.plimsoll.engine.packing.TaskShape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * AIWorkloads shaped like the pods of an openb pod list. The list is shuffled with the seed (and again for every
 * further pass when more workloads than rows are wanted); each row becomes one workload:
 * <ul>
 *   <li>a share of one GPU ({@code gpu_milli < 1000}): Inference with that fraction;</li>
 *   <li>whole GPUs: Training with {@code num_gpu} devices; {@value #GANG_PERCENT} % of them (drawn with the seed)
 *   are gangs of 2 to 4 replicas of that shape, placed all or nothing;</li>
 *   <li>no GPU: Optimization, CPU and memory only.</li>
 * </ul>
 * CPU and memory per replica are the row's {@code cpu_milli} and {@code memory_mib}; {@code gpu_spec} model
 * constraints become the accelerator's {@code models}; idleTimeout is Never, so nothing scales down while it runs.
 */
public final class BenchWorkloads {
    static final int GANG_PERCENT = 5;
    static final String IMAGE = "registry.example/plimsoll-bench:1";

    private BenchWorkloads() {}

    /** What was made: the workloads and the count per kind. */
    public record Batch(List<AIWorkload> workloads, Mix mix) {}

    /** How many of each kind, and the pods (replicas) they ask for in all. */
    public record Mix(int inference, int training, int gangs, int optimization, int pods) {
        public Map<String, Integer> asMap() {
            Map<String, Integer> m = new java.util.LinkedHashMap<>();
            m.put("Inference", inference);
            m.put("Training", training);
            m.put("TrainingGangs", gangs);
            m.put("Optimization", optimization);
            m.put("pods", pods);
            return m;
        }

        public String describe() {
            return String.format(Locale.ROOT, "%,d Inference (GPU share), %,d Training (whole GPUs, %,d of them gangs of 2-4), "
                    + "%,d Optimization (CPU only); %,d pods", inference, training, gangs, optimization, pods);
        }
    }

    public static Batch make(List<TaskShape> pods, int count, long seed, String namespace) {
        return make(pods, count, seed, i -> namespace);
    }

    /** @param namespaceOf the namespace of the i-th workload */
    public static Batch make(List<TaskShape> pods, int count, long seed, java.util.function.IntFunction<String> namespaceOf) {
        Random rnd = new Random(seed);
        List<TaskShape> order = new ArrayList<>();
        List<AIWorkload> out = new ArrayList<>(count);
        int inference = 0, training = 0, gangs = 0, optimization = 0, replicasTotal = 0;
        for (int i = 0; i < count; i++) {
            if (order.isEmpty()) {
                order.addAll(pods);
                Collections.shuffle(order, rnd);
            }
            TaskShape t = order.remove(order.size() - 1);
            AIWorkloadSpec spec = new AIWorkloadSpec();
            ReplicaResources res = new ReplicaResources();
            res.setCpu(cpu(t.cpuMilli()));
            res.setMemory(t.memMib() + "Mi");
            AcceleratorRequest acc = new AcceleratorRequest();
            int replicas = 1;
            if (t.numGpu() == 0) {
                spec.setPhase(WorkloadPhase.Optimization);
                optimization++;
            } else {
                acc.setType(AcceleratorType.GPU);
                if (!t.allowedModels().isEmpty()) acc.setModels(new ArrayList<>(t.allowedModels()));
                if (t.numGpu() == 1 && t.gpuMilli() < 1000) {
                    spec.setPhase(WorkloadPhase.Inference);
                    spec.setIdleTimeout("Never");
                    acc.setFraction(t.gpuMilli() / 1000.0);
                    inference++;
                } else {
                    spec.setPhase(WorkloadPhase.Training);
                    acc.setCount(t.numGpu());
                    training++;
                    if (rnd.nextInt(100) < GANG_PERCENT) {
                        replicas = 2 + rnd.nextInt(3);
                        gangs++;
                    }
                }
            }
            res.setAccelerator(acc);
            spec.setResources(res);
            spec.setReplicas(replicas);
            spec.setTemplate(new PodTemplateSpecBuilder().withNewSpec().addNewContainer().withName("main").withImage(IMAGE)
                    .endContainer().endSpec().build());
            AIWorkload w = new AIWorkload();
            w.setMetadata(new ObjectMetaBuilder().withNamespace(namespaceOf.apply(i))
                    .withName(name(i, t.name()))
                    .withAnnotations(Map.of("plimsoll.io/bench-trace-pod", t.name())).build());
            w.setSpec(spec);
            out.add(w);
            replicasTotal += replicas;
        }
        return new Batch(out, new Mix(inference, training, gangs, optimization, replicasTotal));
    }

    /** w00042-openb-pod-1234: a DNS label short enough for the operator's pod names (name-replica-suffix). */
    static String name(int index, String traceName) {
        String base = traceName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
        String name = String.format(Locale.ROOT, "w%05d", index) + (base.isEmpty() ? "" : "-" + base);
        return name.length() <= 50 ? name : name.substring(0, 50).replaceAll("-+$", "");
    }

    private static String cpu(int milli) {
        return milli % 1000 == 0 ? String.valueOf(milli / 1000) : milli + "m";
    }
}
