package dev.meshbed.gateway;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.admin.AdminAddress;
import dev.meshbed.gateway.admin.AdminListener;
import dev.meshbed.gateway.admin.GatewayMetrics;
import dev.meshbed.gateway.admin.StatusListener;
import dev.meshbed.gateway.admin.UrlListener;
import dev.meshbed.gateway.proxy.AccessLog;
import dev.meshbed.gateway.proxy.EdgeLimits;
import dev.meshbed.gateway.proxy.GatewayServer;
import dev.meshbed.gateway.proxy.RequestPolicy;
import dev.meshbed.gateway.proxy.Transport;
import dev.meshbed.gateway.routing.ListenerSpec;
import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.routing.RoutingTable;
import dev.meshbed.gateway.routing.RoutingTableHolder;
import dev.meshbed.gateway.routing.TableCompiler;
import dev.meshbed.gateway.source.ConfigPipeline;
import dev.meshbed.gateway.source.ConfigSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A running gateway: the data plane, the status and admin listeners and the config pipeline, wired together.
 * {@link GatewayMain} starts one from the command line; tests start them in-process.
 */
public final class Gateway implements AutoCloseable {

    /**
     * Everything a gateway is started with.
     *
     * @param bindAddress where the listeners and the status port listen
     * @param statusPort readiness only (Istio's status-port), on {@code bindAddress}
     * @param admin where the admin listener (config dump, metrics) listens: loopback unless exposed
     */
    public record Settings(ConfigSource source, List<ListenerSpec> listeners, String bindAddress, int statusPort,
            AdminAddress admin,
            Map<String, String> labels, Transport transport, int eventLoops, long connectTimeoutMillis,
            AccessLog accessLog, RandomSource random, EdgeLimits limits, RequestPolicy requestPolicy) {

        /** With Envoy's and Istio's defaults ({@link EdgeLimits#DEFAULTS}, {@link RequestPolicy#DEFAULT}). */
        public Settings(ConfigSource source, List<ListenerSpec> listeners, String bindAddress, int statusPort,
                AdminAddress admin, Map<String, String> labels, Transport transport, int eventLoops,
                long connectTimeoutMillis, AccessLog accessLog, RandomSource random) {
            this(source, listeners, bindAddress, statusPort, admin, labels, transport, eventLoops,
                    connectTimeoutMillis, accessLog, random, EdgeLimits.DEFAULTS, RequestPolicy.DEFAULT);
        }

        public Settings {
            requireNonNull(limits, "limits");
            requireNonNull(source, "source");
            listeners = List.copyOf(requireNonNull(listeners, "listeners"));
            requireNonNull(bindAddress, "bindAddress");
            if (statusPort < 0 || statusPort > 65535) {
                throw new IllegalArgumentException("--status-port: " + statusPort + " (expected: 0-65535)");
            }
            requireNonNull(admin, "admin");
            labels = Map.copyOf(requireNonNull(labels, "labels"));
            requireNonNull(transport, "transport");
            requireNonNull(accessLog, "accessLog");
            requireNonNull(random, "random");
            requireNonNull(requestPolicy, "requestPolicy");
        }
    }

    /** How long idle upstream connections are kept: under the 60 s many servers close them after. */
    static final long UPSTREAM_IDLE_TIMEOUT_MILLIS = 55_000;
    /** Debounce of config changes: long enough to catch a burst of writes, short enough to feel instant. */
    static final long CONFIG_DEBOUNCE_MILLIS = 100;

    private final GatewayServer server;
    private final UrlListener status;
    private final UrlListener admin;
    private final ConfigPipeline pipeline;
    private final RoutingTableHolder tables;
    private final GatewayMetrics metrics;
    private final AccessLog accessLog;

    private Gateway(GatewayServer server, UrlListener status, UrlListener admin, ConfigPipeline pipeline,
            RoutingTableHolder tables, GatewayMetrics metrics, AccessLog accessLog) {
        this.server = server;
        this.status = status;
        this.admin = admin;
        this.pipeline = pipeline;
        this.tables = tables;
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    /**
     * Binds the listeners, the status port and the admin listener, then starts reading configuration (the first table
     * is compiled in the background; {@link #awaitFirstTable()} waits for it).
     *
     * @throws IOException when a port cannot be bound or the source cannot start; the message says which
     */
    public static Gateway start(Settings s) throws IOException, InterruptedException {
        GatewayMetrics metrics = new GatewayMetrics();
        RoutingTableHolder tables = new RoutingTableHolder(RoutingTable.empty(s.listeners()));
        TableCompiler compiler = new TableCompiler(
                new TableCompiler.Options(s.labels(), s.listeners(), metrics, s.connectTimeoutMillis()));
        metrics.gauge("meshbed_access_log_dropped_lines", "Access log lines dropped (writer too slow)",
                s.accessLog()::dropped);

        GatewayServer server;
        try {
            server = GatewayServer.start(new GatewayServer.Settings(s.bindAddress(), s.listeners(), s.transport(),
                    s.eventLoops(), UPSTREAM_IDLE_TIMEOUT_MILLIS, s.limits(), s.requestPolicy()), tables, metrics,
                    s.accessLog(), s.random());
        } catch (Exception e) {
            throw new IOException("cannot listen on " + s.bindAddress() + " " + s.listeners() + ": " + e.getMessage(), e);
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("labels", s.labels());
        info.put("config", s.source().describe());
        info.put("transport", s.transport().displayName());
        info.put("event_loops", s.eventLoops());
        info.put("limits", limitsInfo(s.limits(), server.maxConnections()));
        info.put("path_normalization", s.requestPolicy().pathNormalization().name());
        info.put("forward_trailers", s.requestPolicy().forwardTrailers());
        UrlListener status;
        try {
            status = StatusListener.start(new InetSocketAddress(s.bindAddress(), s.statusPort()), tables, server::draining);
        } catch (Exception e) {
            server.stop(0);
            throw new IOException("cannot listen on " + s.bindAddress() + ":" + s.statusPort() + " (status port): "
                    + e.getMessage(), e);
        }
        UrlListener admin;
        try {
            admin = AdminListener.start(s.admin(), tables, metrics, () -> info);
        } catch (Exception e) {
            status.close();
            server.stop(0);
            throw new IOException("cannot listen on " + s.admin() + " (admin): " + e.getMessage(), e);
        }
        ConfigPipeline pipeline = new ConfigPipeline(s.source(), compiler, tables,
                (table, nanos) -> metrics.configReloaded(), CONFIG_DEBOUNCE_MILLIS);
        try {
            pipeline.start();
        } catch (IOException e) {
            admin.close();
            status.close();
            server.stop(0);
            throw e;
        }
        return new Gateway(server, status, admin, pipeline, tables, metrics, s.accessLog());
    }

    /** Waits until the first routing table is installed (readiness). */
    public RoutingTable awaitFirstTable() throws InterruptedException {
        try {
            return pipeline.firstInstall().get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The local port of listener {@code index} (in the order of {@link Settings#listeners()}). */
    public int port(int index) {
        return server.boundPort(index);
    }

    /** The status port's local port (readiness). */
    public int statusPort() {
        return status.port();
    }

    /** Where the admin listener is bound (config dump, metrics). */
    public InetSocketAddress adminAddress() {
        return admin.localAddress();
    }

    public int adminPort() {
        return admin.port();
    }

    public Transport transport() {
        return server.transport();
    }

    public RoutingTable table() {
        return tables.current();
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    private static Map<String, Object> limitsInfo(EdgeLimits l, int maxConnections) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("request_headers_timeout_ms", l.requestHeadersTimeoutMillis());
        m.put("stream_idle_timeout_ms", l.streamIdleTimeoutMillis());
        m.put("idle_timeout_ms", l.connectionIdleTimeoutMillis());
        m.put("max_connections", maxConnections);
        m.put("max_headers_count", l.maxHeadersCount());
        return m;
    }

    /** Client connections allowed open at once (the limit, or less if file descriptors are fewer). */
    public int maxConnections() {
        return server.maxConnections();
    }

    /** True once a drain has begun: readiness fails from then on. */
    public boolean draining() {
        return server.draining();
    }

    /**
     * Shuts down the way Istio's proxy does on SIGTERM: readiness fails at once, the listeners serve
     * on for {@code drainMillis} with {@code connection: close} on every response, then close; requests
     * in flight get {@code inFlightMillis} more; then everything stops.
     */
    public void drainAndStop(long drainMillis, long inFlightMillis) {
        server.drain(drainMillis, inFlightMillis);
        pipeline.close();
        admin.close();
        status.close();
        accessLog.close();
    }

    /** Stops reading config, drains requests in flight for up to {@code drainMillis}, closes everything. */
    public void stop(long drainMillis) {
        pipeline.close();
        server.stop(drainMillis);
        admin.close();
        status.close();
        accessLog.close();
    }

    @Override
    public void close() {
        stop(1000);
    }
}
