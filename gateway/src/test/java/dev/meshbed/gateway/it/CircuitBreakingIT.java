package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meshbed.sample.SampleConfig;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Istio's circuit-breaking task (tasks/traffic-management/circuit-breaking): maxConnections 1,
 * http1MaxPendingRequests 1, maxRequestsPerConnection 1, and a fortio-like load of three clients
 * on their own connections. Part of the requests are answered 503 UO with Envoy's overflow body,
 * the rest by the app, and the overflow is counted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CircuitBreakingIT {

    static final String CLUSTER = "outbound|80|cb|app.default.svc.cluster.local";
    static final String OVERFLOW_BODY = "upstream connect error or disconnect/reset before headers. reset reason: overflow";

    static final String RULE = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: app, namespace: default}
            spec:
              host: app
              trafficPolicy:
                connectionPool:
                  tcp: {maxConnections: 1}
                  http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
              - {name: cb, labels: {version: cb}}
            """;

    static final String WORKLOAD = """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: app-cb, namespace: default}
            spec:
              address: 127.0.0.1
              ports: {http: ${cb.port}}
              labels: {app: app, version: cb}
            """;

    static final String ROUTES = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: app, namespace: default}
            spec:
              hosts: ["*"]
              gateways: [meshbed-gateway]
              http:
              - route:
                - destination: {host: app, subset: cb}
            """;

    @TempDir
    static Path work;

    private LocalTestbed bed;

    @BeforeAll
    void start() throws Exception {
        // httpbin answers at once; 20 ms make the three clients overlap on a 2-core machine too
        bed = LocalTestbed.builder(work)
                .server("cb", SampleConfig.local("cb").withLatency(Duration.ofMillis(20)))
                .file("cb-workload.yaml", WORKLOAD)
                .file("destination-rule.yaml", RULE)
                .file("virtual-service.yaml", ROUTES)
                .start();
        JsonNode dump = bed.awaitDump("the circuit breakers",
                d -> d.toString().contains("maxConnections: 1, http1MaxPendingRequests: 1"));
        assertThat(dump.path("rejected")).as("rejected resources").isEmpty();
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void threeConcurrentClientsOverflowThePendingQueue() throws Exception {
        assertThat(bed.get("/one").statusCode()).as("a single request").isEqualTo(200);
        Prometheus before = bed.metrics();
        int clients = 3;
        int perClient = 30;
        ConcurrentMap<String, AtomicInteger> tally = new ConcurrentHashMap<>();
        ConcurrentMap<String, String> bodies = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                done.add(pool.submit(() -> {
                    HttpClient client = LocalTestbed.newClient(); // its own connection, as fortio's -c
                    for (int i = 0; i < perClient; i++) {
                        HttpResponse<String> r = client.send(HttpRequest.newBuilder(bed.uri("/cb"))
                                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                        String key = String.valueOf(r.statusCode());
                        tally.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                        bodies.putIfAbsent(key, r.body());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(50, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        int ok = tally.getOrDefault("200", new AtomicInteger()).get();
        int overflow = tally.getOrDefault("503", new AtomicInteger()).get();
        System.out.printf("circuit breaking, 3 clients x %d: 200=%d 503=%d (%s)%n", perClient, ok, overflow, tally);
        assertThat(ok + overflow).as("answers %s", tally).isEqualTo(clients * perClient);
        assertThat(ok).as("served by the app: %s", tally).isPositive();
        assertThat(overflow).as("503 UO: %s", tally).isPositive();
        assertThat(bodies.get("503")).isEqualTo(OVERFLOW_BODY);
        assertThat(bed.accessLog()).filteredOn(l -> l.uri().equals("/cb") && l.status() == 503)
                .isNotEmpty().allMatch(l -> l.flag().equals("UO"));
        Prometheus after = bed.metrics();
        double counted = after.value("envoy_cluster_upstream_rq_pending_overflow_total", "envoy_cluster_name", CLUSTER)
                - before.value("envoy_cluster_upstream_rq_pending_overflow_total", "envoy_cluster_name", CLUSTER);
        assertThat(counted).as("upstream_rq_pending_overflow").isEqualTo(overflow);
        assertThat(after.value("envoy_cluster_upstream_cx_overflow_total", "envoy_cluster_name", CLUSTER)
                - before.value("envoy_cluster_upstream_cx_overflow_total", "envoy_cluster_name", CLUSTER))
                .as("upstream_cx_overflow: requests that waited for the one connection").isPositive();
        assertThat(after.value("meshbed_response_flags_total", "response_flag", "UO")
                - before.value("meshbed_response_flags_total", "response_flag", "UO")).isEqualTo(overflow);
    }
}
