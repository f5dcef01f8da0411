package dev.meshbed.gateway;

import dev.meshbed.gateway.admin.AdminAddress;
import dev.meshbed.gateway.config.Durations;
import dev.meshbed.gateway.proxy.AccessLog;
import dev.meshbed.gateway.proxy.EdgeLimits;
import dev.meshbed.gateway.proxy.FileDescriptors;
import dev.meshbed.gateway.proxy.PathNormalization;
import dev.meshbed.gateway.proxy.RequestPolicy;
import dev.meshbed.gateway.proxy.Transport;
import dev.meshbed.gateway.routing.ListenerSpec;
import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.source.ConfigSource;
import dev.meshbed.gateway.source.DirectorySource;
import dev.meshbed.gateway.source.KubernetesSource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code java -jar gateway.jar --config DIR --port P [--status-port S] [--admin-port A]}: an Istio ingress gateway
 * for the Gateway, VirtualService, DestinationRule, ServiceEntry and WorkloadEntry resources in
 * DIR, watched for changes.
 */
@Command(name = "gateway", mixinStandardHelpOptions = true, versionProvider = GatewayMain.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "meshbed's Istio-compatible HTTP ingress gateway.%n"
                + "Serves the plain-HTTP servers of the Gateways whose selector matches its labels, from a "
                + "directory of Istio YAML (--config) or from the Kubernetes API (--kubernetes).")
public final class GatewayMain implements Callable<Integer> {

    /** Where configuration comes from: exactly one of the two. */
    static final class Source {
        @Option(names = "--config", paramLabel = "DIR", required = true,
                description = "Directory of Istio YAML (Gateway, VirtualService, DestinationRule, ServiceEntry, "
                        + "WorkloadEntry; v1, v1beta1, v1alpha3), watched for changes.")
        Path config;

        @Option(names = "--kubernetes", required = true,
                description = "Read Istio resources, Services, EndpointSlices and Pods from the Kubernetes API "
                        + "(in-cluster config in a pod, KUBECONFIG otherwise).")
        boolean kubernetes;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--namespaces", paramLabel = "NS", split = ",",
            description = "With --kubernetes: the namespaces to watch (default: all).")
    List<String> namespaces = new ArrayList<>();

    @Option(names = "--port", paramLabel = "P",
            description = "Listen port for the one HTTP server port the Gateways define (default: 8080 "
                    + "unless --port-map is given).")
    Integer port;

    @Option(names = "--port-map", paramLabel = "GW=LISTEN", split = ",",
            description = "Serve Gateway server port GW on local port LISTEN; repeat or comma-separate for "
                    + "several, e.g. 80=8080,8081=18081.")
    List<String> portMap = new ArrayList<>();

    @Option(names = "--status-port", paramLabel = "S", defaultValue = "15021",
            description = "Status port, on --bind: /healthz/ready only (default: ${DEFAULT-VALUE}).")
    int statusPort;

    @Option(names = "--admin-port", paramLabel = "A", defaultValue = "" + AdminAddress.DEFAULT_PORT,
            description = "Admin port, on --admin-bind: /config_dump, /stats/prometheus, /ready "
                    + "(default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--admin-bind", paramLabel = "ADDR", defaultValue = AdminAddress.DEFAULT_HOST,
            description = "Address of the admin listener; a loopback address unless --expose-admin "
                    + "(default: ${DEFAULT-VALUE}).")
    String adminBind;

    @Option(names = "--expose-admin",
            description = "Allow an --admin-bind that is not a loopback address. The admin listener shows every "
                    + "resource, endpoint address and label, to whoever reaches it.")
    boolean exposeAdmin;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "0.0.0.0",
            description = "Address of the listeners and the status port (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--labels", paramLabel = "K=V", split = ",",
            description = "This gateway's own labels, matched by Gateway selectors (default: those in "
                    + "--labels-file if it exists, else the POD_LABELS environment variable (k=v,...), else "
                    + "istio=ingressgateway).")
    Map<String, String> labels;

    @Option(names = "--labels-file", paramLabel = "FILE", defaultValue = PodLabels.DOWNWARD_API_FILE,
            description = "A downward API labels file (key=\"value\" lines) with this gateway's own pod labels "
                    + "(default: ${DEFAULT-VALUE}, read if it exists).")
    Path labelsFile;

    @Option(names = "--access-log", paramLabel = "stdout|off|FILE", defaultValue = "stdout",
            description = "Where access log lines go (default: ${DEFAULT-VALUE}).")
    String accessLog;

    @Option(names = "--transport", paramLabel = "auto|io_uring|epoll|nio", defaultValue = "auto",
            description = "I/O transport (default: ${DEFAULT-VALUE}: io_uring, else epoll, else NIO).")
    String transport;

    @Option(names = "--event-loops", paramLabel = "N",
            description = "Event loop threads (default: the number of CPUs).")
    Integer eventLoops;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "Upstream connect timeout unless a DestinationRule sets one (default: ${DEFAULT-VALUE}).")
    String connectTimeout;

    @Option(names = "--request-headers-timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "From a request's first byte to its last header; then 408 and close; 0 disables "
                    + "(default: ${DEFAULT-VALUE}, Envoy's edge best practice).")
    String requestHeadersTimeout;

    @Option(names = "--stream-idle-timeout", paramLabel = "DURATION", defaultValue = "5m",
            description = "A request with no byte either way for this long is ended: 408, or a reset once the "
                    + "response started (flag SI); 0 disables (default: ${DEFAULT-VALUE}, as Envoy).")
    String streamIdleTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "1h",
            description = "A client connection with no request for this long is closed; 0 disables "
                    + "(default: ${DEFAULT-VALUE}, as Envoy).")
    String idleTimeout;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Client connections open at once; more are answered 503 and closed (flag OM). Default: "
                    + "50,000 (Envoy's edge example), lowered to half the file descriptors left when the open-file "
                    + "limit is smaller; a value given here is taken as it is (with a warning if descriptors "
                    + "cannot hold it).")
    Integer maxConnections;

    @Option(names = "--max-headers-count", paramLabel = "N", defaultValue = "100",
            description = "Request headers allowed; more are answered 431 (default: ${DEFAULT-VALUE}, as Envoy).")
    int maxHeadersCount;

    @Option(names = "--drain-duration", paramLabel = "DURATION", defaultValue = "5s",
            description = "On SIGTERM: readiness fails at once and the listeners serve on for this long, every "
                    + "response with 'connection: close' (default: ${DEFAULT-VALUE}, Istio's "
                    + "terminationDrainDuration).")
    String drainDuration;

    @Option(names = "--drain-in-flight-limit", paramLabel = "DURATION", defaultValue = "20s",
            description = "After the drain, how long requests still in flight may take before the process exits "
                    + "(default: ${DEFAULT-VALUE}; drain plus this stays under Kubernetes' 30 s grace period).")
    String drainInFlightLimit;

    @Option(names = "--path-normalization", paramLabel = "NONE|BASE|MERGE_SLASHES|DECODE_AND_MERGE_SLASHES",
            defaultValue = "BASE",
            description = "How request paths are normalised before routing and forwarding, as Istio's "
                    + "meshConfig.pathNormalization (default: ${DEFAULT-VALUE}: RFC 3986 dot segments, escapes of "
                    + "unreserved characters decoded, %00 and malformed escapes answered 400).")
    String pathNormalization;

    @Option(names = "--forward-trailers",
            description = "Forward request trailers upstream (default: dropped, as Envoy's HTTP/1 enable_trailers "
                    + "is off).")
    boolean forwardTrailers;

    @Option(names = "--shutdown-timeout", paramLabel = "DURATION", defaultValue = "30s",
            description = "After SIGTERM, halt if stopping (draining included) has not finished by then "
                    + "(default: ${DEFAULT-VALUE}: the drain and the in-flight limit, 25 s by default, and a margin; "
                    + "Kubernetes kills the pod after its 30 s grace period anyway).")
    String shutdownTimeout;

    @Mixin
    ConfigLimitOptions configLimits = new ConfigLimitOptions();

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "trace, debug, info, warn or error (default: ${DEFAULT-VALUE}).")
    String logLevel;

    public static void main(String[] args) {
        // Leak detection samples buffers and records access points: worth it in tests (PARANOID
        // there), not on an edge proxy's hot path. An explicit -Dio.netty.leakDetection.level wins.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        CommandLine cmd = new CommandLine(new GatewayMain());
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("gateway: " + e.getMessage());
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        System.exit(cmd.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", logLevel);
        long connectTimeoutMillis = Durations.parse(connectTimeout).toMillis();
        if (connectTimeoutMillis <= 0) {
            throw new IllegalArgumentException("--connect-timeout: " + connectTimeout + " (expected: > 0)");
        }
        long shutdownTimeoutMillis = Durations.parse(shutdownTimeout).toMillis();
        if (shutdownTimeoutMillis <= 0) {
            throw new IllegalArgumentException("--shutdown-timeout: " + shutdownTimeout + " (expected: > 0)");
        }
        int loops = eventLoops != null ? eventLoops : Runtime.getRuntime().availableProcessors();
        if (loops < 1) {
            throw new IllegalArgumentException("--event-loops: " + loops + " (expected: >= 1)");
        }
        EdgeLimits limits = new EdgeLimits(millis("--request-headers-timeout", requestHeadersTimeout),
                millis("--stream-idle-timeout", streamIdleTimeout), millis("--idle-timeout", idleTimeout),
                maxConnections == null ? EdgeLimits.MAX_CONNECTIONS : positive("--max-connections", maxConnections),
                positive("--max-headers-count", maxHeadersCount), maxConnections == null);
        long fdLimit = FileDescriptors.limit();
        if (maxConnections != null && maxConnections > EdgeLimits.connectionsAllowedBy(fdLimit)) {
            System.err.printf("gateway: WARNING: --max-connections %d is more than an open-file limit of %d can hold "
                    + "(about %d, with an upstream connection each): a flood will meet 'too many open files' "
                    + "before the limit%n", maxConnections, fdLimit, EdgeLimits.connectionsAllowedBy(fdLimit));
        }
        long drainMillis = millis("--drain-duration", drainDuration);
        long inFlightMillis = millis("--drain-in-flight-limit", drainInFlightLimit);
        AdminAddress admin = AdminAddress.of(adminBind, adminPort, exposeAdmin);
        if (admin.reachableFromOtherHosts()) {
            System.err.printf("gateway: WARNING: --expose-admin: the admin listener on %s shows every resource, "
                    + "endpoint address and label to whoever reaches it%n", admin);
        }
        RequestPolicy requestPolicy = new RequestPolicy(
                PathNormalization.parse("--path-normalization", pathNormalization), forwardTrailers);
        ConfigSource configSource;
        KubernetesClient client = null;
        if (source.kubernetes) {
            // Informers retry for ever on their own; fabric8's per-request retries (10 by default)
            // would only hide an unreachable API server from the log for a long while.
            client = new KubernetesClientBuilder()
                    .withConfig(new ConfigBuilder(Config.autoConfigure(null)).withRequestRetryBackoffLimit(2).build())
                    .build();
            configSource = new KubernetesSource(client, namespaces, PodLabels.instanceName());
        } else {
            if (!Files.isDirectory(source.config)) {
                throw new IllegalArgumentException("--config: " + source.config + " is not a directory");
            }
            if (!namespaces.isEmpty()) {
                throw new IllegalArgumentException("--namespaces: only with --kubernetes");
            }
            configSource = new DirectorySource(source.config, configLimits.limits());
        }
        Map<String, String> ownLabels = labels != null ? labels : PodLabels.resolve(labelsFile, System.getenv());
        Gateway.Settings settings = new Gateway.Settings(configSource, listeners(), bind, statusPort, admin,
                ownLabels, Transport.select(transport), loops, connectTimeoutMillis, accessLog(),
                RandomSource.threadLocal(), limits, requestPolicy);
        Gateway gateway = Gateway.start(settings);

        String why = gateway.transport() == Transport.IO_URING ? ""
                : " (io_uring: " + Transport.ioUringUnavailableReason() + ")";
        PrintStream out = System.out;
        out.printf("meshbed gateway %s: %s; labels %s; listening on %s %s via %s%s, %d event loops; "
                + "path normalization %s, request trailers %s; status on %s:%d; admin on %s%n",
                Version.text(), configSource.describe(), ownLabels, bind, settings.listeners(),
                gateway.transport().displayName(), why, loops, requestPolicy.pathNormalization(),
                requestPolicy.forwardTrailers() ? "forwarded" : "dropped", bind, gateway.statusPort(),
                hostPort(gateway.adminAddress()));
        out.printf("limits: %d connections%s, %d headers, request headers timeout %s, stream idle timeout %s, "
                + "idle timeout %s; on SIGTERM drain %s, then %s for requests in flight%n", gateway.maxConnections(),
                gateway.maxConnections() < limits.maxConnections() ? " (open-file limit)" : "", maxHeadersCount,
                requestHeadersTimeout, streamIdleTimeout, idleTimeout, drainDuration, drainInFlightLimit);
        out.flush();

        CountDownLatch stopped = new CountDownLatch(1);
        KubernetesClient ownedClient = client;
        ShutdownWatchdog watchdog = new ShutdownWatchdog(shutdownTimeoutMillis);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            watchdog.arm();
            gateway.drainAndStop(drainMillis, inFlightMillis);
            if (ownedClient != null) {
                ownedClient.close();
            }
            stopped.countDown();
        }, "meshbed-shutdown"));
        stopped.await();
        return 0;
    }

    private static long millis(String option, String text) {
        try {
            long ms = Durations.parse(text).toMillis();
            if (ms >= 0) {
                return ms;
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
        throw new IllegalArgumentException(option + ": " + text + " (expected: a duration >= 0, e.g. 10s)");
    }

    private static int positive(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + ": " + value + " (expected: >= 1)");
        }
        return value;
    }

    private List<ListenerSpec> listeners() {
        List<ListenerSpec> out = new ArrayList<>();
        for (String entry : portMap) {
            String[] parts = entry.split("=", 2);
            if (parts.length != 2) {
                throw new IllegalArgumentException("--port-map: " + entry + " (expected: GATEWAY_PORT=LISTEN_PORT)");
            }
            out.add(new ListenerSpec(parsePort("--port-map", parts[1]), parsePort("--port-map", parts[0])));
        }
        if (port != null) {
            out.add(new ListenerSpec(parsePort("--port", String.valueOf(port)), 0));
        }
        if (out.isEmpty()) {
            out.add(new ListenerSpec(8080, 0));
        }
        return out;
    }

    /** 127.0.0.1:15000, [::1]:15000 */
    private static String hostPort(java.net.InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static int parsePort(String option, String text) {
        try {
            int p = Integer.parseInt(text.trim());
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + ": " + text + " (expected: a port number 0-65535)");
    }

    private AccessLog accessLog() throws IOException {
        return switch (accessLog) {
            case "off" -> AccessLog.off();
            case "stdout" -> AccessLog.to(new FileOutputStream(java.io.FileDescriptor.out));
            default -> {
                OutputStream file = new FileOutputStream(accessLog, true);
                yield AccessLog.to(file);
            }
        };
    }

    /** The project version, from a resource the build fills in. */
    static final class Version implements CommandLine.IVersionProvider {
        static String text() {
            try (var in = GatewayMain.class.getResourceAsStream("/meshbed-version.properties")) {
                if (in != null) {
                    java.util.Properties p = new java.util.Properties();
                    p.load(in);
                    String v = p.getProperty("version");
                    if (v != null && !v.startsWith("$")) {
                        return v;
                    }
                }
            } catch (IOException e) {
                // fall through
            }
            return "dev";
        }

        @Override
        public String[] getVersion() {
            return new String[] {"meshbed gateway " + text()};
        }
    }
}
