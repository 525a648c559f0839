package io.plimsoll.cli;

import io.plimsoll.bench.BenchCommand;
import io.plimsoll.sandbox.SandboxCommand;
import io.plimsoll.simulate.SimulateCommand;
import io.plimsoll.simulate.serving.ServingSimulateCommand;
import io.plimsoll.simulate.tenants.TenantsSimulateCommand;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

import java.util.Arrays;

/**
 * Entry point. No argument: run the operator against the current kubeconfig (or in-cluster config).
 * {@code sandbox}: run it against an embedded API with a demo cluster. {@code bench}: measure it on a trace-sized cluster.
 */
@QuarkusMain
public class Main {
    public static void main(String... args) {
        // Until Quarkus configures logging, libraries used before it starts (the embedded API) log at ALL.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        String mode = args.length == 0 ? "operator" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (mode) {
            case "operator" -> Quarkus.run(OperatorApplication.class, rest);
            case "sandbox" -> SandboxCommand.main(rest);
            // Offline: replays a trace through the packing engine; no Kubernetes, so Quarkus is not started.
            case "simulate" -> System.exit(rest.length > 0 && rest[0].equals("serving")
                    ? new ServingSimulateCommand().run(Arrays.copyOfRange(rest, 1, rest.length), System.out, System.err)
                    : rest.length > 0 && rest[0].equals("tenants")
                    ? new TenantsSimulateCommand().run(Arrays.copyOfRange(rest, 1, rest.length), System.out, System.err)
                    : SimulateCommand.run(rest, System.out, System.err));
            // The operator in-process on a plain JOSDK Operator, as the tests run it; Quarkus is not started.
            case "bench" -> System.exit(BenchCommand.run(rest, System.out, System.err));
            case "-h", "--help", "help" -> {
                System.out.println("""
                        usage: java -jar target/quarkus-app/quarkus-run.jar [operator|sandbox|simulate|bench] [options]
                          operator   run the operator against the current kubeconfig (default)
                          sandbox    run it against an embedded Kubernetes API with a demo cluster; --help for options
                          simulate   replay a GPU-cluster trace through the packing engine offline; --help for options
                          simulate serving   replay an inference request trace through the idle policies offline
                          simulate tenants   replay a multi-tenant load under no quotas, static quotas and Plimsoll's borrowing and reclaim
                          bench      measure the operator placing trace-shaped workloads on an openb-sized cluster; --help for options""");
            }
            default -> {
                System.err.println("plimsoll: unknown mode '" + mode + "': use operator, sandbox, simulate or bench (--help lists them)");
                System.exit(2);
            }
        }
    }
}
