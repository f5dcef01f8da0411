package dev.meshbed.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meshbed.gateway.Gateway;
import dev.meshbed.gateway.admin.AdminAddress;
import dev.meshbed.gateway.proxy.AccessLog;
import dev.meshbed.gateway.proxy.Transport;
import dev.meshbed.gateway.routing.ListenerSpec;
import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.source.KubernetesSource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway in cluster mode, in-process: a {@link KubernetesSource} on the mock API server, one
 * listener on an ephemeral port of 127.0.0.1 serving Gateway port 80 (as {@code --port-map 80=P}),
 * the admin port, and the access log in a file. Requests go through {@link Http1} so that tests
 * choose the Host.
 */
final class KubeGateway implements AutoCloseable {

    static final Map<String, String> INGRESS_LABELS = Map.of("istio", "ingressgateway");
    static final String REPORTING_INSTANCE = "test-gateway";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient ADMIN = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final Gateway gateway;
    private final Path accessLogFile;

    private KubeGateway(Gateway gateway, Path accessLogFile) {
        this.gateway = gateway;
        this.accessLogFile = accessLogFile;
    }

    /** Starts the gateway without waiting for readiness. */
    static KubeGateway start(KubernetesClient client, List<String> namespaces, Map<String, String> labels,
            Path workDir) throws Exception {
        Path accessLog = workDir.resolve("access-" + System.nanoTime() + ".log");
        Gateway g = Gateway.start(new Gateway.Settings(new KubernetesSource(client, namespaces, REPORTING_INSTANCE),
                List.of(new ListenerSpec(0, 80)), "127.0.0.1", 0, AdminAddress.loopback(0), labels, Transport.select("auto"), 2, 2000,
                AccessLog.to(new FileOutputStream(accessLog.toFile())), RandomSource.threadLocal()));
        return new KubeGateway(g, accessLog);
    }

    /** Starts the gateway (all namespaces, labels istio=ingressgateway) and waits until it is ready. */
    static KubeGateway startReady(KubernetesClient client, Path workDir) throws Exception {
        return startReady(client, List.of(), workDir);
    }

    static KubeGateway startReady(KubernetesClient client, List<String> namespaces, Path workDir) throws Exception {
        KubeGateway g = start(client, namespaces, INGRESS_LABELS, workDir);
        try {
            g.awaitReady();
            return g;
        } catch (Throwable t) {
            g.close();
            throw t;
        }
    }

    Gateway gateway() {
        return gateway;
    }

    int port() {
        return gateway.port(0);
    }

    int statusPort() {
        return gateway.statusPort();
    }

    int adminPort() {
        return gateway.adminPort();
    }

    /** A new keep-alive connection to the gateway's listener. */
    Http1 connect() {
        return new Http1(port(), 10_000);
    }

    /** One GET on a connection of its own. */
    Http1.Response get(String path, String host) throws IOException {
        try (Http1 c = connect()) {
            return c.get(path, host);
        }
    }

    /** GET on the admin listener (config dump, metrics). */
    HttpResponse<String> admin(String path) throws IOException, InterruptedException {
        return ADMIN.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
    }

    /** GET on the status port (readiness). */
    HttpResponse<String> status(String path) throws IOException, InterruptedException {
        return ADMIN.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
    }

    JsonNode configDump() throws IOException, InterruptedException {
        HttpResponse<String> r = admin("/config_dump");
        assertThat(r.statusCode()).as("/config_dump status").isEqualTo(200);
        return JSON.readTree(r.body());
    }

    void awaitReady() {
        await("gateway /healthz/ready").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .ignoreExceptions().until(() -> status("/healthz/ready").statusCode() == 200);
    }

    /** Waits until /config_dump satisfies {@code condition}, and returns it. */
    JsonNode awaitDump(String what, Predicate<JsonNode> condition) {
        return await(what).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .ignoreExceptions().until(this::configDump, condition);
    }

    /** The weights of the route named {@code routeName} in the dump, by subset, e.g. {v1=80, v2=20}. */
    static Map<String, Integer> weightsOf(JsonNode dump, String routeName) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (JsonNode listener : dump.path("listeners")) {
            for (JsonNode vh : listener.path("virtual_hosts")) {
                for (JsonNode route : vh.path("routes")) {
                    if (route.path("name").asText().equals(routeName)) {
                        for (JsonNode wc : route.path("action").path("weighted_clusters")) {
                            String[] parts = wc.path("cluster").asText().split("\\|", -1);
                            out.put(parts.length == 4 ? parts[2] : wc.path("cluster").asText(),
                                    wc.path("weight").asInt());
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The domains of the listener's virtual hosts in the dump. */
    static List<String> domains(JsonNode dump) {
        List<String> out = new ArrayList<>();
        for (JsonNode listener : dump.path("listeners")) {
            for (JsonNode vh : listener.path("virtual_hosts")) {
                out.add(vh.path("domain").asText());
            }
        }
        return out;
    }

    /** The endpoint addresses of cluster {@code name} in the dump (empty if it has none or is missing). */
    static List<String> endpointsOf(JsonNode dump, String clusterName) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : dump.path("clusters")) {
            if (c.path("name").asText().equals(clusterName)) {
                c.path("endpoints").forEach(e -> out.add(e.path("address").asText()));
            }
        }
        return out;
    }

    /** "Kind ns/name" of every resource in the dump. */
    static List<String> resources(JsonNode dump) {
        List<String> out = new ArrayList<>();
        for (JsonNode r : dump.path("resources")) {
            out.add(r.path("kind").asText() + " " + r.path("namespace").asText() + "/" + r.path("name").asText());
        }
        return out;
    }

    private static final Pattern LOG_URI = Pattern.compile("^\\[[^]]+] \"\\S+ (\\S+) \\S+\" (\\d{3}) (\\S+) ");

    /** Status and response flag of the access log line of the request whose URI is {@code uri}, e.g. "404 NR". */
    String awaitAccessLog(String uri) {
        return await("access log line for " + uri).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(25))
                .until(() -> {
                    if (!Files.exists(accessLogFile)) {
                        return null;
                    }
                    for (String line : Files.readAllLines(accessLogFile, StandardCharsets.UTF_8)) {
                        Matcher m = LOG_URI.matcher(line);
                        if (m.find() && m.group(1).equals(uri)) {
                            return m.group(2) + " " + m.group(3);
                        }
                    }
                    return null;
                }, l -> l != null);
    }

    @Override
    public void close() {
        gateway.stop(500);
    }
}
