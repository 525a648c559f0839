package io.plimsoll.bench;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.plimsoll.api.AcceleratorPool;
import io.plimsoll.api.AcceleratorPoolSpec;
import io.plimsoll.api.PoolAccelerator;
import io.plimsoll.engine.AcceleratorType;
import io.plimsoll.engine.SharingMode;
import io.plimsoll.sandbox.DemoCluster;
import io.plimsoll.simulate.TraceLoader.NodeSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bench's cluster from an openb node list: one Node object per row (the list repeated to reach the wanted
 * count), one Fractional {@link AcceleratorPool} per GPU model and a CPU pool for GPU-less nodes.
 *
 * <p>Costs are made up (the trace has none): a GPU model's per-device hourly price from {@link #GPU_HOUR} times the
 * pool's devicesPerNode, and {@value #CPU_CORE_HOUR} dollars per core-hour for a CPU node of 32 cores.
 */
public final class BenchCluster {
    /** Made-up dollars per GPU-hour by openb model (unknown models: {@value #OTHER_GPU_HOUR}). */
    static final Map<String, Double> GPU_HOUR = Map.of("P100", 1.46, "T4", 0.35, "V100M16", 2.48, "V100M32", 2.95,
            "A10", 1.10, "G2", 1.80, "G3", 2.40);
    static final double OTHER_GPU_HOUR = 2.0;
    /** Made-up device memory (GiB) by openb model; G2/G3 are anonymised in the trace (unknown models: 16). */
    static final Map<String, Integer> GPU_MEMORY_GIB = Map.of("P100", 16, "T4", 16, "V100M16", 16, "V100M32", 32,
            "A10", 24, "G2", 24, "G3", 40);
    static final double CPU_CORE_HOUR = 0.04;
    static final String CPU_POOL = "cpu";

    private final List<NodeSpec> nodes;
    private final List<AcceleratorPool> pools;

    private BenchCluster(List<NodeSpec> nodes, List<AcceleratorPool> pools) {
        this.nodes = nodes;
        this.pools = pools;
    }

    /**
     * The node list repeated (copies after the first get a suffix {@code -rK}) until {@code count} nodes, the last
     * copy cut short; {@code count <= 0} means the list as it is.
     */
    public static BenchCluster of(List<NodeSpec> list, int count) {
        int n = count <= 0 ? list.size() : count;
        List<NodeSpec> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            NodeSpec s = list.get(i % list.size());
            int copy = i / list.size();
            out.add(copy == 0 ? s : new NodeSpec(s.name() + "-r" + copy, s.cpuMilli(), s.memMib(), s.gpus(), s.model()));
        }
        return new BenchCluster(out, pools(out));
    }

    /** A GPU model's pool name: the model in lower case (a DNS label). */
    static String poolName(String model) {
        return model.isEmpty() ? CPU_POOL : model.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    }

    private static List<AcceleratorPool> pools(List<NodeSpec> nodes) {
        Map<String, Integer> devicesPerNode = new TreeMap<>();
        for (NodeSpec n : nodes) {
            String model = n.gpus() == 0 ? "" : n.model();
            devicesPerNode.merge(model, n.gpus(), Math::max);
        }
        List<AcceleratorPool> out = new ArrayList<>();
        devicesPerNode.forEach((model, devices) -> {
            AcceleratorPoolSpec spec = new AcceleratorPoolSpec();
            spec.setNodeSelector(Map.of(DemoCluster.POOL_LABEL, poolName(model)));
            PoolAccelerator a = new PoolAccelerator();
            if (model.isEmpty()) {
                a.setType(AcceleratorType.None);
                spec.setCostPerNodeHour(32 * CPU_CORE_HOUR);
            } else {
                a.setType(AcceleratorType.GPU);
                a.setModel(model);
                a.setMemoryGiB(GPU_MEMORY_GIB.getOrDefault(model, 16));
                // A model's nodes may have fewer devices than its largest node: they advertise what they have.
                a.setDevicesPerNode(devices);
                a.setResourceName("nvidia.com/gpu");
                a.setSharing(SharingMode.Fractional);
                spec.setCostPerNodeHour(Math.round(GPU_HOUR.getOrDefault(model, OTHER_GPU_HOUR) * devices * 100) / 100.0);
            }
            spec.setAccelerator(a);
            AcceleratorPool pool = new AcceleratorPool();
            pool.setMetadata(new ObjectMetaBuilder().withName(poolName(model)).build());
            pool.setSpec(spec);
            out.add(pool);
        });
        return out;
    }

    public List<NodeSpec> nodeSpecs() {
        return nodes;
    }

    public List<AcceleratorPool> pools() {
        return pools;
    }

    /** How many nodes have no GPU (they form the CPU pool, where CPU-only work goes). */
    public long cpuNodes() {
        return nodes.stream().filter(n -> n.gpus() == 0).count();
    }

    /** The Node object of a row: allocatable CPU, memory, pods (110) and nvidia.com/gpu, Ready, labelled for its pool. */
    public static Node node(NodeSpec s) {
        String pool = poolName(s.gpus() == 0 ? "" : s.model());
        Map<String, String> gpus = s.gpus() == 0 ? Map.of() : Map.of("nvidia.com/gpu", String.valueOf(s.gpus()));
        return DemoCluster.node(s.name(), pool, new Quantity(s.cpuMilli() + "m"), new Quantity(s.memMib() + "Mi"), gpus);
    }

    /** One line per pool: name, nodes, devices per node and cost, for the output. */
    public String describePools() {
        StringBuilder sb = new StringBuilder();
        for (AcceleratorPool p : pools) {
            String name = p.getMetadata().getName();
            long members = nodes.stream().filter(n -> poolName(n.gpus() == 0 ? "" : n.model()).equals(name)).count();
            PoolAccelerator a = p.getSpec().getAccelerator();
            sb.append(String.format(Locale.ROOT, "  %-8s %5d nodes  %s  $%.2f/node-h%n", name, members,
                    a.getType() == AcceleratorType.None ? "CPU only          " : String.format(Locale.ROOT, "%-8s <=%d GPUs/node",
                            a.getModel(), a.getDevicesPerNode()), p.getSpec().getCostPerNodeHour()));
        }
        return sb.toString();
    }

    /** GPUs in all. */
    public int gpus() {
        return nodes.stream().mapToInt(NodeSpec::gpus).sum();
    }
}
