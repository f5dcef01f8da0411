package dev.meshbed.gateway;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.admin.AdminServer;
import dev.meshbed.gateway.admin.GatewayMetrics;
import dev.meshbed.gateway.proxy.AccessLog;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A running gateway: the data plane, the admin port and the config pipeline, wired together.
 * {@link GatewayMain} starts one from the command line; tests start them in-process.
 */
public final class Gateway implements AutoCloseable {

    /** Everything a gateway is started with. */
    public record Settings(ConfigSource source, List<ListenerSpec> listeners, String bindAddress, int adminPort,
            Map<String, String> labels, Transport transport, int eventLoops, long connectTimeoutMillis,
            AccessLog accessLog, RandomSource random, RequestPolicy requestPolicy) {

        public Settings {
            requireNonNull(source, "source");
            listeners = List.copyOf(requireNonNull(listeners, "listeners"));
            requireNonNull(bindAddress, "bindAddress");
            labels = Map.copyOf(requireNonNull(labels, "labels"));
            requireNonNull(transport, "transport");
            requireNonNull(accessLog, "accessLog");
            requireNonNull(random, "random");
            requireNonNull(requestPolicy, "requestPolicy");
        }

        /** With Istio's and Envoy's defaults for what is done to requests ({@link RequestPolicy#DEFAULT}). */
        public Settings(ConfigSource source, List<ListenerSpec> listeners, String bindAddress, int adminPort,
                Map<String, String> labels, Transport transport, int eventLoops, long connectTimeoutMillis,
                AccessLog accessLog, RandomSource random) {
            this(source, listeners, bindAddress, adminPort, labels, transport, eventLoops, connectTimeoutMillis,
                    accessLog, random, RequestPolicy.DEFAULT);
        }
    }

    /** How long idle upstream connections are kept: under the 60 s many servers close them after. */
    static final long UPSTREAM_IDLE_TIMEOUT_MILLIS = 55_000;
    /** Debounce of config changes: long enough to catch a burst of writes, short enough to feel instant. */
    static final long CONFIG_DEBOUNCE_MILLIS = 100;

    private final GatewayServer server;
    private final AdminServer admin;
    private final ConfigPipeline pipeline;
    private final RoutingTableHolder tables;
    private final GatewayMetrics metrics;
    private final AccessLog accessLog;

    private Gateway(GatewayServer server, AdminServer admin, ConfigPipeline pipeline, RoutingTableHolder tables,
            GatewayMetrics metrics, AccessLog accessLog) {
        this.server = server;
        this.admin = admin;
        this.pipeline = pipeline;
        this.tables = tables;
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    /**
     * Binds the listeners and the admin port, then starts reading configuration (the first table
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
                    s.eventLoops(), UPSTREAM_IDLE_TIMEOUT_MILLIS, s.requestPolicy()), tables, metrics, s.accessLog(), s.random());
        } catch (Exception e) {
            throw new IOException("cannot listen on " + s.bindAddress() + " " + s.listeners() + ": " + e.getMessage(), e);
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("labels", s.labels());
        info.put("config", s.source().describe());
        info.put("transport", s.transport().displayName());
        info.put("event_loops", s.eventLoops());
        info.put("path_normalization", s.requestPolicy().pathNormalization().name());
        info.put("forward_trailers", s.requestPolicy().forwardTrailers());
        AdminServer admin;
        try {
            admin = AdminServer.start(s.bindAddress(), s.adminPort(), tables, metrics, () -> info);
        } catch (Exception e) {
            server.stop(0);
            throw new IOException("cannot listen on " + s.bindAddress() + ":" + s.adminPort() + " (admin port): "
                    + e.getMessage(), e);
        }
        ConfigPipeline pipeline = new ConfigPipeline(s.source(), compiler, tables,
                (table, nanos) -> metrics.configReloaded(), CONFIG_DEBOUNCE_MILLIS);
        try {
            pipeline.start();
        } catch (IOException e) {
            admin.close();
            server.stop(0);
            throw e;
        }
        return new Gateway(server, admin, pipeline, tables, metrics, s.accessLog());
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

    /** Stops reading config, drains requests in flight for up to {@code drainMillis}, closes everything. */
    public void stop(long drainMillis) {
        pipeline.close();
        server.stop(drainMillis);
        admin.close();
        accessLog.close();
    }

    @Override
    public void close() {
        stop(1000);
    }
}
