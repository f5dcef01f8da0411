package dev.meshbed.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar gateway.jar --kubernetes} as a pod runs it, against the mock API server through
 * a kubeconfig file (KUBECONFIG), with the gateway's labels from a downward API labels file
 * ({@code --labels-file}) and its pod name from POD_NAME: the canary split through the process,
 * the rejection Event reported by that pod, and a clean exit on SIGTERM.
 *
 * <p>The split check is a two-sided binomial z-test at 99.99 % over 1000 requests (see {@link Binomial}).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KubernetesCommandLineIT {

    /** Failsafe runs in the gateway module's directory. */
    static final Path GATEWAY_JAR = Path.of("target", "gateway.jar");
    static final String POD_NAME = "istio-ingressgateway-7d4f9-xk2p8";

    @TempDir
    Path work;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() throws InterruptedException {
        for (Process p : processes) {
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void jarWithKubernetesFlagServesTheClusterThroughKubeconfig() throws Exception {
        if (!Files.isRegularFile(GATEWAY_JAR)) {
            fail(GATEWAY_JAR.toAbsolutePath().normalize() + " is missing: it is built by the package phase, which runs "
                    + "before verify; run the ITs with 'mvn verify', not 'mvn failsafe:integration-test'");
        }
        try (Canary c = Canary.create()) {
            Path kubeconfig = work.resolve("kubeconfig");
            Files.writeString(kubeconfig, MockCluster.resource("kubeconfig.yaml", "server", c.cluster.url()));
            Path labels = work.resolve("labels");
            Files.writeString(labels, "app=\"istio-ingressgateway\"\nistio=\"ingressgateway\"\n"
                    + "pod-template-hash=\"7d4f9\"\n");
            int port = freePort();
            int statusPort = freePort();
            int adminPort = freePort();

            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", GATEWAY_JAR.toString(),
                    "--kubernetes", "--namespaces", "default", "--port-map", "80=" + port,
                    "--status-port", String.valueOf(statusPort), "--admin-port", String.valueOf(adminPort),
                    "--bind", "127.0.0.1", "--labels-file", labels.toString(),
                    "--access-log", "off", "--event-loops", "1")
                    .redirectOutput(work.resolve("gateway.out").toFile())
                    .redirectError(work.resolve("gateway.err").toFile());
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.equals("POD_LABELS"));
            env.put("KUBECONFIG", kubeconfig.toString());
            env.put("HOME", work.toString()); // no ~/.kube of the machine
            env.put("POD_NAME", POD_NAME);
            Process gateway = pb.start();
            processes.add(gateway);

            awaitReady(gateway, statusPort);
            assertThat(log()).as("the gateway's start line")
                    .contains("Kubernetes API, namespaces [default]")
                    .contains("istio=ingressgateway")
                    .contains("listening on 127.0.0.1");

            KubeGateway.JSON.readTree(admin(adminPort, "/config_dump"));
            List<String> outcomes = new ArrayList<>();
            try (Http1 h = new Http1(port, 10_000)) {
                for (int i = 0; i < 1000; i++) {
                    outcomes.add(h.get("/cli/" + i, Canary.HOST).outcome());
                }
            }
            long v1 = outcomes.stream().filter("v1"::equals).count();
            long v2 = outcomes.stream().filter("v2"::equals).count();
            System.out.printf("gateway.jar --kubernetes: v1 %d, v2 %d of %d%n", v1, v2, outcomes.size());
            assertThat(v1 + v2).as("requests answered by v1 or v2 (others: %s)",
                    outcomes.stream().filter(o -> !o.equals("v1") && !o.equals("v2")).limit(5).toList())
                    .isEqualTo(outcomes.size());
            Binomial.assertShare("v1's share of 1000 requests through gateway.jar --kubernetes", v1, outcomes.size(), 0.8);

            // a rejection is reported as an Event by this pod
            String rv = c.cluster.apply(MockCluster.resource("vs-weight-abc.yaml")).getMetadata().getResourceVersion();
            Event e = await("the Rejected Event from the gateway process").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> c.cluster.events(MockCluster.NS, "Rejected").stream()
                            .filter(x -> rv.equals(x.getInvolvedObject().getResourceVersion())).findFirst().orElse(null),
                            x -> x != null);
            assertThat(e.getReportingInstance()).as("reportingInstance of %s", e).isEqualTo(POD_NAME);
            assertThat(e.getSource().getHost()).as("source.host").isEqualTo(POD_NAME);
            assertThat(e.getMessage()).contains("spec.http[0].route[0].weight");

            long start = System.nanoTime();
            gateway.destroy(); // SIGTERM
            boolean exited = gateway.waitFor(10, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(exited).as("gateway exited within 10 s of SIGTERM; log:%n%s", log()).isTrue();
            assertThat(gateway.exitValue()).as("exit code after SIGTERM").isIn(0, 143);
            System.out.printf("gateway.jar --kubernetes: exited %d ms after SIGTERM%n", millis);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String admin(int adminPort, String path) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(5)).build(), BodyHandlers.ofString()).body();
    }

    private void awaitReady(Process process, int statusPort) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + "/healthz/ready"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("the gateway exited with " + process.exitValue() + " before it was ready:\n" + log());
            }
            try {
                int status = client.send(request, BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    return;
                }
                last = "status " + status;
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100);
        }
        fail("the gateway was not ready after 30 s (" + last + "):\n" + log());
    }

    private String log() throws IOException {
        Path out = work.resolve("gateway.out");
        Path err = work.resolve("gateway.err");
        return (Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "")
                + (Files.exists(err) ? Files.readString(err, StandardCharsets.UTF_8) : "");
    }
}
