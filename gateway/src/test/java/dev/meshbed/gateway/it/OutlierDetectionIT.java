package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meshbed.sample.SampleConfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outlier detection against real sample apps: a pool of v1 and an instance that answers every
 * request 503 ({@code --error-rate 1}); after three 503s in a row the bad one is ejected, all
 * traffic goes to v1, the dump and the metrics say so, and the bad one is back after its
 * ejection time (and ejected again).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OutlierDetectionIT {

    static final String CLUSTER = "outbound|80|pool|app.default.svc.cluster.local";

    static final String WORKLOADS = """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: app-pool-good, namespace: default}
            spec:
              address: 127.0.0.1
              ports: {http: ${v1.port}}
              labels: {app: app, role: pool}
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: app-pool-bad, namespace: default}
            spec:
              address: 127.0.0.1
              ports: {http: ${bad.port}}
              labels: {app: app, role: pool}
            """;

    static final String RULE = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: app, namespace: default}
            spec:
              host: app
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
              - name: pool
                labels: {role: pool}
                trafficPolicy:
                  loadBalancer: {simple: ROUND_ROBIN}
                  outlierDetection:
                    consecutive5xxErrors: 3
                    interval: 200ms
                    baseEjectionTime: 5s
                    maxEjectionPercent: 100
            """;

    static final String ROUTES = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: app, namespace: default}
            spec:
              hosts: ["*"]
              gateways: [meshbed-gateway]
              http:
              - name: pool
                retries: {attempts: 0}   # every 503 reaches the client: outlier detection alone is seen
                route:
                - destination: {host: app, subset: pool}
            """;

    @TempDir
    static Path work;

    private LocalTestbed bed;

    @BeforeAll
    void start() throws Exception {
        bed = LocalTestbed.builder(work)
                .server("bad", SampleConfig.local("bad").withErrorRate(1.0))
                .file("destination-rule.yaml", RULE)
                .file("pool-workloads.yaml", WORKLOADS)
                .file("virtual-service.yaml", ROUTES)
                .start();
        JsonNode dump = bed.awaitDump("the pool cluster", d -> d.toString().contains(CLUSTER));
        assertThat(dump.path("rejected")).as("rejected resources").isEmpty();
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    private List<String> versions(int requests) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> r = bed.get("/pool");
            out.add(r.statusCode() + " " + r.headers().firstValue("x-version").orElse("-"));
        }
        return out;
    }

    private JsonNode badEndpoint(JsonNode dump) {
        int badPort = bed.server("bad").port();
        for (JsonNode c : dump.path("clusters")) {
            if (c.path("name").asText().equals(CLUSTER)) {
                for (JsonNode e : c.path("endpoints")) {
                    if (e.path("address").asText().endsWith(":" + badPort)) {
                        return e;
                    }
                }
            }
        }
        throw new AssertionError("no endpoint for port " + badPort + " in " + CLUSTER);
    }

    @Test
    void aFailingEndpointIsEjectedTrafficMovesToTheOtherAndItReturnsAfterItsTime() throws Exception {
        // round robin over two: the bad one has had its third 503 in a row by the sixth request
        List<String> first = versions(6);
        assertThat(first).as("first six answers").filteredOn(s -> s.equals("503 bad")).hasSize(3);
        Instant ejectedAround = Instant.now();

        List<String> next = versions(20);
        assertThat(next).as("answers while the bad endpoint is ejected").containsOnly("200 v1");

        JsonNode bad = badEndpoint(bed.configDump());
        assertThat(bad.path("outlier").path("ejected").asBoolean()).as("dump: %s", bad).isTrue();
        Instant since = Instant.parse(bad.path("outlier").path("ejected_since").asText());
        Instant until = Instant.parse(bad.path("outlier").path("ejected_until").asText());
        assertThat(Duration.between(since, until)).isEqualTo(Duration.ofSeconds(5));
        assertThat(since).isBefore(ejectedAround.plusMillis(1));
        Prometheus m = bed.metrics();
        assertThat(m.value("envoy_cluster_outlier_detection_ejections_active", "envoy_cluster_name", CLUSTER))
                .isEqualTo(1.0);
        assertThat(m.value("envoy_cluster_outlier_detection_ejections_enforced_total", "envoy_cluster_name", CLUSTER))
                .isEqualTo(1.0);

        // back in service after 5 s (at the next 200 ms sweep): it answers 503 again ...
        await("the bad endpoint back in service").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> bed.get("/pool").statusCode() == 503);
        assertThat(Duration.between(since, Instant.now())).as("back no earlier than its ejection time")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(5));
        // ... until three in a row eject it again, now for 2 x 5 s
        versions(6);
        JsonNode again = badEndpoint(bed.configDump());
        assertThat(again.path("outlier").path("ejected").asBoolean()).as("dump: %s", again).isTrue();
        assertThat(again.path("outlier").path("ejections").asInt()).isEqualTo(2);
        Instant since2 = Instant.parse(again.path("outlier").path("ejected_since").asText());
        Instant until2 = Instant.parse(again.path("outlier").path("ejected_until").asText());
        assertThat(Duration.between(since2, until2)).isEqualTo(Duration.ofSeconds(10));
        assertThat(versions(10)).containsOnly("200 v1");
    }
}
