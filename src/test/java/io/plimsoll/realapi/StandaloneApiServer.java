package io.plimsoll.realapi;

import io.fabric8.kubeapitest.KubeAPIServer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real kube-apiserver v1.32 + etcd (kube-api-test, offline from ~/.kubeapitest as the suite starts them), kept up
 * for another process: writes DIR/kubeconfig (cluster admin), then DIR/ready, and stops the server when DIR/stop
 * appears (or this JVM is stopped). For {@code scripts/bench-real-api.sh}; runs with the test classpath:
 * {@code ./mvnw -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.plimsoll.realapi.StandaloneApiServer -Dexec.args=DIR}.
 */
public final class StandaloneApiServer {
    private StandaloneApiServer() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/real-api");
        Files.createDirectories(dir);
        Path kubeconfig = dir.resolve("kubeconfig"), ready = dir.resolve("ready"), stop = dir.resolve("stop");
        Files.deleteIfExists(ready);
        Files.deleteIfExists(stop);
        KubeAPIServer server = RealApiServer.launch();
        Thread hook = new Thread(server::stop, "stop-kube-apiserver");
        Runtime.getRuntime().addShutdownHook(hook);
        Files.writeString(kubeconfig, server.getKubeConfigYaml());
        Files.writeString(ready, "kube-apiserver " + RealApiServer.VERSION + "\n");
        System.err.println("real API server up; kubeconfig " + kubeconfig.toAbsolutePath() + "; create " + stop.toAbsolutePath() + " to stop it");
        while (!Files.exists(stop)) Thread.sleep(200);
        Runtime.getRuntime().removeShutdownHook(hook);
        server.stop();
        Files.deleteIfExists(ready);
    }
}
