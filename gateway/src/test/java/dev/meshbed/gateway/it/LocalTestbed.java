package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meshbed.gateway.Gateway;
import dev.meshbed.gateway.admin.AdminAddress;
import dev.meshbed.gateway.config.ConfigLimits;
import dev.meshbed.gateway.proxy.AccessLog;
import dev.meshbed.gateway.proxy.RequestPolicy;
import dev.meshbed.gateway.proxy.Transport;
import dev.meshbed.gateway.routing.ListenerSpec;
import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.source.DirectorySource;
import dev.meshbed.sample.SampleConfig;
import dev.meshbed.sample.SampleServer;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local mode in one JVM: v1 and v2 of the sample app (plus any extra instances a test asks
 * for) on ephemeral ports of 127.0.0.1, a config directory written from the shipped
 * {@code manifests/local} with the real ports, and the gateway started in-process on an ephemeral
 * port with its access log in a file. {@link #close()} stops all of it.
 *
 * <p>YAML given to the builder or to {@link #writeConfig} may use placeholders: {@code ${NAME.port}}
 * for the port of a started sample server ({@code v1}, {@code v2} or an extra one), and
 * {@code ${dead.port}} for a port where nothing listens.
 */
final class LocalTestbed implements AutoCloseable {

    /** The shipped local-mode config, relative to the gateway module (failsafe's working directory). */
    static final Path MANIFESTS = Path.of("..", "manifests", "local");
    static final int EVENT_LOOPS = 2;
    static final String GATEWAY_LABELS_KEY = "istio";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_-]+)\\.port}");

    private final Path configDir;
    private final Path accessLogFile;
    private final Map<String, SampleServer> servers;
    private final int deadPort;
    private final Gateway gateway;
    private final HttpClient client;

    private LocalTestbed(Path configDir, Path accessLogFile, Map<String, SampleServer> servers, int deadPort,
            Gateway gateway) {
        this.configDir = configDir;
        this.accessLogFile = accessLogFile;
        this.servers = servers;
        this.deadPort = deadPort;
        this.gateway = gateway;
        this.client = newClient();
    }

    static Builder builder(Path workDir) {
        return new Builder(workDir);
    }

    static HttpClient newClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** What to start, and which config files to write instead of (or next to) the shipped ones. */
    static final class Builder {
        private final Path workDir;
        private final Map<String, SampleConfig> extraServers = new LinkedHashMap<>();
        private final Map<String, String> files = new LinkedHashMap<>();
        private boolean shippedConfig = true;
        private dev.meshbed.gateway.proxy.EdgeLimits limits = dev.meshbed.gateway.proxy.EdgeLimits.DEFAULTS;
        private RequestPolicy requestPolicy = RequestPolicy.DEFAULT;
        private DirectorySource.Lister lister = DirectorySource::listFiles;

        private Builder(Path workDir) {
            this.workDir = workDir;
        }

        /** Another sample app instance, reachable in YAML as {@code ${name.port}}. */
        Builder server(String name, SampleConfig config) {
            extraServers.put(name, config);
            return this;
        }

        /** Writes {@code fileName} (placeholders substituted), replacing a shipped file of that name. */
        Builder file(String fileName, String yaml) {
            files.put(fileName, yaml);
            return this;
        }

        /** The gateway's edge limits (Envoy's defaults unless given). */
        Builder limits(dev.meshbed.gateway.proxy.EdgeLimits limits) {
            this.limits = limits;
            return this;
        }

        /** What the gateway does to requests (path normalisation, trailers); Istio's defaults otherwise. */
        Builder requestPolicy(RequestPolicy policy) {
            requestPolicy = policy;
            return this;
        }

        /** Lists the config directory another way (one that fails on demand, say). */
        Builder lister(DirectorySource.Lister lister) {
            this.lister = lister;
            return this;
        }

        /** Starts from an empty config directory instead of the shipped manifests. */
        Builder withoutShippedConfig() {
            shippedConfig = false;
            return this;
        }

        LocalTestbed start() throws Exception {
            Path configDir = Files.createDirectories(workDir.resolve("config"));
            Path accessLog = workDir.resolve("access.log");
            Map<String, SampleServer> servers = new LinkedHashMap<>();
            Gateway gateway = null;
            try {
                servers.put("v1", SampleServer.start(SampleConfig.local("v1")));
                servers.put("v2", SampleServer.start(SampleConfig.local("v2")));
                for (Map.Entry<String, SampleConfig> e : extraServers.entrySet()) {
                    servers.put(e.getKey(), SampleServer.start(e.getValue()));
                }
                int deadPort = freePort();
                if (shippedConfig) {
                    writeShippedConfig(configDir, servers.get("v1").port(), servers.get("v2").port());
                }
                for (Map.Entry<String, String> f : files.entrySet()) {
                    Files.writeString(configDir.resolve(f.getKey()), substitute(f.getValue(), servers, deadPort));
                }
                gateway = Gateway.start(new Gateway.Settings(
                        new DirectorySource(configDir, ConfigLimits.defaults(), lister),
                        List.of(new ListenerSpec(0, 0)), "127.0.0.1", 0, AdminAddress.loopback(0),
                        Map.of(GATEWAY_LABELS_KEY, "ingressgateway"),
                        Transport.select("auto"), EVENT_LOOPS, 2000,
                        AccessLog.to(new FileOutputStream(accessLog.toFile())), RandomSource.threadLocal(),
                        limits, requestPolicy));
                LocalTestbed bed = new LocalTestbed(configDir, accessLog, servers, deadPort, gateway);
                bed.awaitReady();
                return bed;
            } catch (Exception | Error e) {
                if (gateway != null) {
                    gateway.stop(0);
                }
                servers.values().forEach(SampleServer::close);
                throw e;
            }
        }
    }

    /** Copies manifests/local, pointing its WorkloadEntries (18081, 18082) at the real v1 and v2 ports. */
    static void writeShippedConfig(Path configDir, int v1Port, int v2Port) throws IOException {
        assertThat(MANIFESTS.resolve("workload-entries.yaml"))
                .as("the shipped local-mode config (working directory %s)", Path.of("").toAbsolutePath())
                .isRegularFile();
        try (var files = Files.list(MANIFESTS)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                String text = Files.readString(f);
                if (f.getFileName().toString().equals("workload-entries.yaml")) {
                    text = replaceOnce(text, "http: 18081", "http: " + v1Port);
                    text = replaceOnce(text, "http: 18082", "http: " + v2Port);
                }
                Files.writeString(configDir.resolve(f.getFileName()), text);
            }
        }
    }

    private static String replaceOnce(String text, String from, String to) {
        assertThat(text.split(Pattern.quote(from), -1)).as("occurrences of '%s' in workload-entries.yaml", from)
                .hasSize(2);
        return text.replace(from, to);
    }

    static String substitute(String yaml, Map<String, SampleServer> servers, int deadPort) {
        Matcher m = PLACEHOLDER.matcher(yaml);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            int port;
            if (name.equals("dead")) {
                port = deadPort;
            } else {
                SampleServer s = servers.get(name);
                if (s == null) {
                    throw new IllegalArgumentException("no sample server named " + name + " for " + m.group());
                }
                port = s.port();
            }
            m.appendReplacement(sb, String.valueOf(port));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** A port where nothing listens (it was free a moment ago). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Reads a YAML (or other) template from src/test/resources/it/, with {@code ${key}} values replaced. */
    static String resource(String name, String... keyValues) {
        try (InputStream in = LocalTestbed.class.getResourceAsStream("/it/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource it/" + name);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (int i = 0; i < keyValues.length; i += 2) {
                text = text.replace("${" + keyValues[i] + "}", keyValues[i + 1]);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The canary VirtualService (default/app, as shipped) with other weights. */
    static String weights(int v1, int v2) {
        return resource("vs-weights.yaml", "w1", String.valueOf(v1), "w2", String.valueOf(v2));
    }

    // ---- what tests use ------------------------------------------------------------------------

    int port() {
        return gateway.port(0);
    }

    int statusPort() {
        return gateway.statusPort();
    }

    int adminPort() {
        return gateway.adminPort();
    }

    Gateway gateway() {
        return gateway;
    }

    SampleServer server(String name) {
        return servers.get(name);
    }

    int deadPort() {
        return deadPort;
    }

    Path configDir() {
        return configDir;
    }

    HttpClient client() {
        return client;
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(10));
    }

    /** GET through the gateway; {@code headers} are name, value, name, value, ... */
    HttpResponse<String> get(String pathAndQuery, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(pathAndQuery);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), BodyHandlers.ofString());
    }

    /** GET on the admin listener (config dump, metrics). */
    HttpResponse<String> admin(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
    }

    /** GET on the status port (readiness). */
    HttpResponse<String> status(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
    }

    JsonNode configDump() throws IOException, InterruptedException {
        HttpResponse<String> r = admin("/config_dump");
        assertThat(r.statusCode()).as("/config_dump status").isEqualTo(200);
        return JSON.readTree(r.body());
    }

    Prometheus metrics() throws IOException, InterruptedException {
        HttpResponse<String> r = admin("/stats/prometheus");
        assertThat(r.statusCode()).as("/stats/prometheus status").isEqualTo(200);
        return Prometheus.parse(r.body());
    }

    void awaitReady() {
        await("gateway /healthz/ready").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .ignoreExceptions().until(() -> status("/healthz/ready").statusCode() == 200);
    }

    /** Waits until /config_dump satisfies {@code condition} (a new table is installed), and returns it. */
    JsonNode awaitDump(String what, Predicate<JsonNode> condition) {
        return await(what).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .ignoreExceptions().until(this::configDump, condition);
    }

    /**
     * Replaces (or creates) a config file the way a careful tool does: the new text goes to a
     * temporary file in the same directory, which is then moved over the old one atomically.
     */
    void writeConfig(String fileName, String yaml) throws IOException {
        Path tmp = configDir.resolve("." + fileName + ".tmp");
        Files.writeString(tmp, substitute(yaml, servers, deadPort));
        Files.move(tmp, configDir.resolve(fileName), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
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

    /** The names of all routes in the dump, in order, e.g. [default/app/canary]. */
    static List<String> routeNames(JsonNode dump) {
        List<String> out = new ArrayList<>();
        for (JsonNode listener : dump.path("listeners")) {
            for (JsonNode vh : listener.path("virtual_hosts")) {
                for (JsonNode route : vh.path("routes")) {
                    out.add(route.path("name").asText());
                }
            }
        }
        return out;
    }

    /** The access log lines written so far (the writer flushes every 100 ms). */
    List<AccessLogLine> accessLog() throws IOException {
        List<AccessLogLine> out = new ArrayList<>();
        if (!Files.exists(accessLogFile)) {
            return out;
        }
        for (String line : Files.readAllLines(accessLogFile, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(AccessLogLine.parse(line));
            }
        }
        return out;
    }

    /** Waits for the access log line of the request whose URI is {@code uri}. */
    AccessLogLine awaitAccessLog(String uri) {
        return await("access log line for " + uri).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(25))
                .until(() -> accessLog().stream().filter(l -> l.uri().equals(uri)).findFirst().orElse(null),
                        l -> l != null);
    }

    @Override
    public void close() {
        try {
            gateway.stop(500);
        } finally {
            servers.values().forEach(SampleServer::close);
        }
    }
}
