package dev.meshbed.gateway.admin;

import dev.meshbed.gateway.proxy.ProxyMetrics;
import dev.meshbed.gateway.proxy.ResponseFlag;
import dev.meshbed.gateway.routing.ClusterStats;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The gateway's metrics, named as Envoy names them in Istio ({@code envoy_cluster_upstream_rq_xx},
 * {@code envoy_cluster_upstream_rq_time}, ...), exposed in Prometheus' text format by the
 * Prometheus Java client. Data points are looked up once per cluster, when a table is built, so
 * a request only increments.
 */
public final class GatewayMetrics implements ProxyMetrics, ClusterStats.Factory {

    /** Envoy's default histogram buckets, in milliseconds. */
    private static final double[] TIME_BUCKETS_MS = {0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
        30000, 60000, 300000, 600000, 1800000, 3600000};
    private static final String[] CLASSES = {"1", "1", "2", "3", "4", "5"};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter clusterRequests;
    private final Histogram clusterTime;
    private final Counter clusterConnectFailures;
    private final Counter clusterTimeouts;
    private final Counter clusterRetries;
    private final Counter clusterRetrySuccesses;
    private final Counter clusterRetryLimitExceeded;
    private final Counter clusterPerTryTimeouts;
    private final Counter pendingOverflow;
    private final Counter connectionOverflow;
    private final Counter ejectionsDetected;
    private final Counter ejectionsEnforced;
    private final Counter ejectionsEnforcedTotal;
    private final Counter ejectionsOverflow;
    private final Gauge ejectionsActive;
    private final CounterDataPoint[] downstreamByClass = new CounterDataPoint[6];
    private final CounterDataPoint[] byFlag = new CounterDataPoint[ResponseFlag.values().length];
    private final Counter configReloads;
    private final Counter edgeEvents;
    private final LongAdder downstreamActive = new LongAdder();
    private final LongAdder upstreamActive = new LongAdder();
    private final ConcurrentMap<String, Stats> clusters = new ConcurrentHashMap<>();

    public GatewayMetrics() {
        clusterRequests = Counter.builder().name("envoy_cluster_upstream_rq_xx")
                .help("Responses for requests routed to a cluster, by status class")
                .labelNames("envoy_cluster_name", "envoy_response_code_class").withoutExemplars().register(registry);
        clusterTime = Histogram.builder().name("envoy_cluster_upstream_rq_time")
                .help("Time from request start to the last response byte, in milliseconds")
                .labelNames("envoy_cluster_name").classicOnly().classicUpperBounds(TIME_BUCKETS_MS)
                .withoutExemplars().register(registry);
        clusterConnectFailures = Counter.builder().name("envoy_cluster_upstream_cx_connect_fail")
                .help("Upstream connections that could not be made").labelNames("envoy_cluster_name")
                .withoutExemplars().register(registry);
        clusterTimeouts = Counter.builder().name("envoy_cluster_upstream_rq_timeout")
                .help("Requests that hit the route timeout").labelNames("envoy_cluster_name")
                .withoutExemplars().register(registry);
        clusterRetries = Counter.builder().name("envoy_cluster_upstream_rq_retry")
                .help("Retries started").labelNames("envoy_cluster_name").withoutExemplars().register(registry);
        clusterRetrySuccesses = Counter.builder().name("envoy_cluster_upstream_rq_retry_success")
                .help("Retried requests whose last try was not retried again").labelNames("envoy_cluster_name")
                .withoutExemplars().register(registry);
        clusterRetryLimitExceeded = Counter.builder().name("envoy_cluster_upstream_rq_retry_limit_exceeded")
                .help("Retries called for when none were left (URX)").labelNames("envoy_cluster_name")
                .withoutExemplars().register(registry);
        clusterPerTryTimeouts = Counter.builder().name("envoy_cluster_upstream_rq_per_try_timeout")
                .help("Tries that hit the per-try timeout").labelNames("envoy_cluster_name")
                .withoutExemplars().register(registry);
        pendingOverflow = clusterCounter("envoy_cluster_upstream_rq_pending_overflow",
                "Requests refused 503 UO: http1MaxPendingRequests were waiting for a connection");
        connectionOverflow = clusterCounter("envoy_cluster_upstream_cx_overflow",
                "Connections not opened because maxConnections were open");
        ejectionsEnforcedTotal = clusterCounter("envoy_cluster_outlier_detection_ejections_enforced",
                "Endpoints ejected by outlier detection, all kinds");
        ejectionsOverflow = clusterCounter("envoy_cluster_outlier_detection_ejections_overflow",
                "Ejections not made because maxEjectionPercent were ejected");
        ejectionsDetected = Counter.builder().name("envoy_cluster_outlier_detection_ejections_detected")
                .help("Outlier conditions met, by kind (consecutive_5xx, consecutive_gateway_failure)")
                .labelNames("envoy_cluster_name", "kind").withoutExemplars().register(registry);
        ejectionsEnforced = Counter.builder().name("envoy_cluster_outlier_detection_ejections_enforced_by_kind")
                .help("Endpoints ejected, by kind (consecutive_5xx, consecutive_gateway_failure)")
                .labelNames("envoy_cluster_name", "kind").withoutExemplars().register(registry);
        ejectionsActive = Gauge.builder().name("envoy_cluster_outlier_detection_ejections_active")
                .help("Endpoints ejected now").labelNames("envoy_cluster_name").withoutExemplars().register(registry);
        Counter downstream = Counter.builder().name("envoy_http_downstream_rq_xx")
                .help("Responses sent to clients, by status class (local replies included)")
                .labelNames("envoy_http_conn_manager_prefix", "envoy_response_code_class").withoutExemplars()
                .register(registry);
        for (int i = 1; i < 6; i++) {
            downstreamByClass[i] = downstream.labelValues("ingress_http", CLASSES[i]);
        }
        downstreamByClass[0] = downstreamByClass[1];
        Counter flags = Counter.builder().name("meshbed_response_flags")
                .help("Responses by Envoy response flag (- for none)").labelNames("response_flag")
                .withoutExemplars().register(registry);
        for (ResponseFlag f : ResponseFlag.values()) {
            byFlag[f.ordinal()] = flags.labelValues(f.code());
        }
        edgeEvents = Counter.builder().name("meshbed_edge_events")
                .help("Timeouts and refusals at the edge, by Envoy's stat name (downstream_rq_header_timeout, "
                        + "downstream_cx_idle_timeout, downstream_rq_idle_timeout, downstream_cx_overflow, "
                        + "downstream_cx_accept_error; shadow_rq_dropped, shadow_rq_body_too_large for mirrors)")
                .labelNames("event").withoutExemplars().register(registry);
        configReloads = Counter.builder().name("meshbed_config_reloads")
                .help("Routing tables installed").withoutExemplars().register(registry);
        gauge("envoy_http_downstream_cx_active", "Open client connections", downstreamActive::sum);
        gauge("envoy_cluster_upstream_cx_active", "Open upstream connections, all clusters", upstreamActive::sum);
    }

    private Counter clusterCounter(String name, String help) {
        return Counter.builder().name(name).help(help).labelNames("envoy_cluster_name").withoutExemplars()
                .register(registry);
    }

    /** Registers a gauge read when scraped. */
    public void gauge(String name, String help, LongSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong())).register(registry);
    }

    public void configReloaded() {
        configReloads.inc();
    }

    @Override
    public ClusterStats forCluster(String clusterName) {
        return clusters.computeIfAbsent(clusterName, Stats::new);
    }

    @Override
    public void downstreamConnectionOpened() {
        downstreamActive.increment();
    }

    @Override
    public void downstreamConnectionClosed() {
        downstreamActive.decrement();
    }

    @Override
    public void upstreamConnectionOpened() {
        upstreamActive.increment();
    }

    @Override
    public void upstreamConnectionClosed() {
        upstreamActive.decrement();
    }

    @Override
    public void downstreamResponse(int status, ResponseFlag flag) {
        int c = statusClass(status);
        if (c > 0) {
            downstreamByClass[c].inc();
        }
        byFlag[flag.ordinal()].inc();
    }

    @Override
    public void edgeEvent(String name) {
        edgeEvents.labelValues(name).inc();
    }

    public long activeDownstreamConnections() {
        return downstreamActive.sum();
    }

    /** Writes every metric in Prometheus' text format (version 0.0.4). */
    public void writeText(OutputStream out) throws IOException {
        new PrometheusTextFormatWriter(false).write(out, registry.scrape(), null);
    }

    public String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    private static int statusClass(int status) {
        int c = status / 100;
        return c >= 1 && c <= 5 ? c : 0;
    }

    private final class Stats implements ClusterStats {
        private final CounterDataPoint[] byClass = new CounterDataPoint[6];
        private final DistributionDataPoint time;
        private final CounterDataPoint connectFailures;
        private final CounterDataPoint timeouts;
        private final CounterDataPoint retries;
        private final CounterDataPoint retrySuccesses;
        private final CounterDataPoint retryLimitExceeded;
        private final CounterDataPoint perTryTimeouts;
        private final String cluster;

        Stats(String cluster) {
            this.cluster = cluster;
            for (int i = 1; i < 6; i++) {
                byClass[i] = clusterRequests.labelValues(cluster, CLASSES[i]);
            }
            time = clusterTime.labelValues(cluster);
            connectFailures = clusterConnectFailures.labelValues(cluster);
            timeouts = clusterTimeouts.labelValues(cluster);
            retries = clusterRetries.labelValues(cluster);
            retrySuccesses = clusterRetrySuccesses.labelValues(cluster);
            retryLimitExceeded = clusterRetryLimitExceeded.labelValues(cluster);
            perTryTimeouts = clusterPerTryTimeouts.labelValues(cluster);
        }

        @Override
        public void response(int status, long durationNanos) {
            int c = statusClass(status);
            if (c > 0) {
                byClass[c].inc();
            }
            time.observe(durationNanos / 1e6);
        }

        @Override
        public void connectFailure() {
            connectFailures.inc();
        }

        @Override
        public void timeout() {
            timeouts.inc();
        }

        @Override
        public void retry() {
            retries.inc();
        }

        @Override
        public void retrySuccess() {
            retrySuccesses.inc();
        }

        @Override
        public void retryLimitExceeded() {
            retryLimitExceeded.inc();
        }

        @Override
        public void perTryTimeout() {
            perTryTimeouts.inc();
        }

        // rare events: looked up by label when they happen

        @Override
        public void outlierEjectionDetected(String type) {
            ejectionsDetected.labelValues(cluster, type).inc();
        }

        @Override
        public void outlierEjectionEnforced(String type) {
            ejectionsEnforced.labelValues(cluster, type).inc();
            ejectionsEnforcedTotal.labelValues(cluster).inc();
        }

        @Override
        public void outlierEjectionOverflow() {
            ejectionsOverflow.labelValues(cluster).inc();
        }

        @Override
        public void outlierEjectionsActive(int active) {
            ejectionsActive.labelValues(cluster).set(active);
        }

        @Override
        public void pendingOverflow() {
            pendingOverflow.labelValues(cluster).inc();
        }

        @Override
        public void connectionOverflow() {
            connectionOverflow.labelValues(cluster).inc();
        }
    }
}
