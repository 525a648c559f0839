package io.plimsoll.sandbox;

import io.quarkus.runtime.Quarkus;

import java.nio.file.Path;

/**
 * {@code sandbox}: starts an embedded Kubernetes API seeded with the demo cluster and the samples, runs the
 * real operator against it, and prints what went where at what cost.
 */
public final class SandboxCommand {
    private SandboxCommand() {}

    static final String USAGE = """
            usage: plimsoll sandbox [--tenants] [--keep-running] [--kubeconfig FILE] [--timeout SECONDS]
              --tenants          then two tenants: team-a borrows, team-b takes its guarantee back (preemption)
              --keep-running     keep the sandbox up after the report; writes a kubeconfig for kubectl
              --kubeconfig FILE  where to write it (default ./sandbox-kubeconfig)
              --timeout SECONDS  how long to wait for placements to settle (default 60)
            """;

    /** Options shared with the Quarkus application that runs the report. */
    public record Options(boolean keepRunning, Path kubeconfig, int timeoutSeconds, boolean tenants) {}

    static volatile Options options;
    static volatile EmbeddedKubernetes cluster;

    public static void main(String[] args) {
        boolean keep = false;
        boolean tenants = false;
        Path kubeconfig = Path.of("sandbox-kubeconfig");
        int timeout = 60;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--keep-running" -> keep = true;
                case "--tenants" -> tenants = true;
                case "--kubeconfig" -> kubeconfig = Path.of(value(args, ++i, "--kubeconfig"));
                case "--timeout" -> {
                    String v = value(args, ++i, "--timeout");
                    try {
                        timeout = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        fail("--timeout '" + v + "' is not a whole number of seconds");
                    }
                }
                case "-h", "--help" -> {
                    System.out.print(USAGE);
                    System.exit(0);
                }
                default -> fail("unknown option '" + args[i] + "'");
            }
        }
        options = new Options(keep, kubeconfig, timeout, tenants);
        cluster = start();
        System.setProperty("quarkus.kubernetes-client.api-server-url", cluster.url());
        System.setProperty("quarkus.kubernetes-client.trust-certs", "true");
        System.setProperty("quarkus.kubernetes-client.namespace", "default");
        System.setProperty("quarkus.http.port", System.getProperty("quarkus.http.port", "0"));
        Quarkus.run(SandboxApplication.class, (code, error) -> {
            if (error != null) error.printStackTrace();
            cluster.close();
            System.exit(code);
        });
    }

    /** The embedded API with the demo nodes and every sample applied. */
    public static EmbeddedKubernetes start() {
        EmbeddedKubernetes k8s = new EmbeddedKubernetes();
        DemoCluster.seed(k8s.client());
        SampleLoader.apply(k8s.client());
        return k8s;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) fail(flag + " needs a value");
        return args[i];
    }

    private static void fail(String msg) {
        System.err.println("plimsoll sandbox: " + msg);
        System.err.print(USAGE);
        System.exit(2);
    }
}
