package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meshbed.sample.SampleConfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every local answer of the gateway (Envoy's, as Istio users know them): status and body on the
 * wire, the response flag in the access log line of that very request (found by a unique path),
 * and the Prometheus counters, which must move by exactly one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FailureAnswersIT {

    private static final String CLUSTER_PREFIX = "outbound|80|";
    private static final String APP = "|app.default.svc.cluster.local";
    private static final String UF_BODY =
            "upstream connect error or disconnect/reset before headers. reset reason: connection failure";

    @TempDir
    static Path work;

    private LocalTestbed bed;

    @BeforeAll
    void start() throws Exception {
        bed = LocalTestbed.builder(work)
                .server("slow", SampleConfig.local("slow").withLatency(Duration.ofSeconds(2)))
                .file("destination-rule.yaml", LocalTestbed.resource("failures-destination-rule.yaml"))
                .file("failures-workloads.yaml", LocalTestbed.resource("failures-workloads.yaml"))
                .file("virtual-service.yaml", LocalTestbed.resource("failures-virtual-service.yaml"))
                .start();
        JsonNode dump = bed.awaitDump("the failure routes", d -> d.toString().contains("default/app/nc"));
        assertThat(dump.path("rejected")).as("rejected resources").isEmpty();
        // The sanity check that the other routes would work: a plain request is answered by v1.
        HttpResponse<String> ok = bed.get("/fine");
        assertThat(ok.statusCode()).as("GET /fine: %s", ok.body()).isEqualTo(200);
        assertThat(ok.headers().firstValue("x-version")).hasValue("v1");
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void unknownHostIs404NR() throws Exception {
        Prometheus before = bed.metrics();
        String uri = "/nr/" + UUID.randomUUID();
        RawHttp.Response r;
        try (RawHttp raw = new RawHttp(bed.port(), 5000)) {
            r = raw.exchange(RawHttp.get(uri, "unknown.example:8080", "Connection: close"));
        }
        assertThat(r.status()).as("status for an unknown Host").isEqualTo(404);
        assertThat(r.body()).as("body of 404 NR").isEmpty();

        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.status()).as("status in %s", line).isEqualTo(404);
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("NR");
        assertThat(line.authority()).as("authority in %s", line).isEqualTo("unknown.example:8080");
        assertThat(line.cluster()).as("cluster in %s", line).isEqualTo("-");

        Prometheus after = bed.metrics();
        assertDelta(before, after, 1, "meshbed_response_flags_total", "response_flag", "NR");
        assertDelta(before, after, 1, "envoy_http_downstream_rq_xx_total",
                "envoy_http_conn_manager_prefix", "ingress_http", "envoy_response_code_class", "4");
    }

    @Test
    void subsetWithoutEndpointsIs503UH() throws Exception {
        String cluster = CLUSTER_PREFIX + "empty" + APP;
        Prometheus before = bed.metrics();
        String uri = "/uh/" + UUID.randomUUID();
        HttpResponse<String> r = bed.get(uri);
        assertThat(r.statusCode()).as("status for a subset without endpoints").isEqualTo(503);
        assertThat(r.body()).isEqualTo("no healthy upstream");

        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.status()).as("status in %s", line).isEqualTo(503);
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("UH");
        assertThat(line.cluster()).as("cluster in %s", line).isEqualTo(cluster);
        assertThat(line.upstreamHost()).as("upstream host in %s", line).isEqualTo("-");

        Prometheus after = bed.metrics();
        assertDelta(before, after, 1, "meshbed_response_flags_total", "response_flag", "UH");
        assertDelta(before, after, 1, "envoy_cluster_upstream_rq_xx_total",
                "envoy_cluster_name", cluster, "envoy_response_code_class", "5");
        assertDelta(before, after, 1, "envoy_http_downstream_rq_xx_total",
                "envoy_http_conn_manager_prefix", "ingress_http", "envoy_response_code_class", "5");
    }

    /** Istio's default retry policy retries connect failures twice, then the answer is 503 UF,URX. */
    @Test
    void connectionRefusedIs503UF() throws Exception {
        String cluster = CLUSTER_PREFIX + "dead" + APP;
        Prometheus before = bed.metrics();
        String uri = "/uf/" + UUID.randomUUID();
        HttpResponse<String> r = bed.get(uri);
        assertThat(r.statusCode()).as("status when nothing listens on the endpoint").isEqualTo(503);
        assertThat(r.body()).isEqualTo(UF_BODY);

        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.status()).as("status in %s", line).isEqualTo(503);
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("UF,URX");
        assertThat(line.cluster()).as("cluster in %s", line).isEqualTo(cluster);
        assertThat(line.upstreamHost()).as("upstream host in %s", line).isEqualTo("127.0.0.1:" + bed.deadPort());

        Prometheus after = bed.metrics();
        assertDelta(before, after, 1, "meshbed_response_flags_total", "response_flag", "UF");
        assertDelta(before, after, 3, "envoy_cluster_upstream_cx_connect_fail_total", "envoy_cluster_name", cluster);
        assertDelta(before, after, 2, "envoy_cluster_upstream_rq_retry_total", "envoy_cluster_name", cluster);
        assertDelta(before, after, 1, "envoy_cluster_upstream_rq_retry_limit_exceeded_total",
                "envoy_cluster_name", cluster);
        assertDelta(before, after, 1, "envoy_cluster_upstream_rq_xx_total",
                "envoy_cluster_name", cluster, "envoy_response_code_class", "5");
    }

    @Test
    void routeTimeoutIs504UTLongBeforeTheUpstreamAnswers() throws Exception {
        String cluster = CLUSTER_PREFIX + "slow" + APP;
        Prometheus before = bed.metrics();
        String uri = "/ut/" + UUID.randomUUID();
        long start = System.nanoTime();
        HttpResponse<String> r = bed.get(uri);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(r.statusCode()).as("status when the route timeout (300ms) strikes").isEqualTo(504);
        assertThat(r.body()).isEqualTo("upstream request timeout");
        assertThat(millis).as("time to the 504 (route timeout 300 ms, upstream latency 2 s)")
                .isGreaterThanOrEqualTo(290).isLessThan(1200);

        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.status()).as("status in %s", line).isEqualTo(504);
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("UT");
        assertThat(line.cluster()).as("cluster in %s", line).isEqualTo(cluster);
        assertThat(line.durationMillis()).as("duration in %s", line).isBetween(290L, 1200L);

        Prometheus after = bed.metrics();
        assertDelta(before, after, 1, "meshbed_response_flags_total", "response_flag", "UT");
        assertDelta(before, after, 1, "envoy_cluster_upstream_rq_timeout_total", "envoy_cluster_name", cluster);
        assertDelta(before, after, 1, "envoy_cluster_upstream_rq_xx_total",
                "envoy_cluster_name", cluster, "envoy_response_code_class", "5");
    }

    @Test
    void clusterThatCannotExistIs503NC() throws Exception {
        Prometheus before = bed.metrics();
        String uri = "/nc/" + UUID.randomUUID();
        HttpResponse<String> r = bed.get(uri);
        assertThat(r.statusCode()).as("status for a route to a host no ServiceEntry defines").isEqualTo(503);
        assertThat(r.body()).as("body of 503 NC").isEmpty();

        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.status()).as("status in %s", line).isEqualTo(503);
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("NC");
        assertThat(line.cluster()).as("cluster in %s", line).isEqualTo("outbound|0||nowhere.default.svc.cluster.local");

        JsonNode dump = bed.configDump();
        assertThat(dump.path("warnings").toString()).as("/config_dump warnings")
                .contains("nowhere.default.svc.cluster.local");

        Prometheus after = bed.metrics();
        assertDelta(before, after, 1, "meshbed_response_flags_total", "response_flag", "NC");
        assertDelta(before, after, 1, "envoy_cluster_upstream_rq_xx_total",
                "envoy_cluster_name", line.cluster(), "envoy_response_code_class", "5");
    }

    private static void assertDelta(Prometheus before, Prometheus after, double expected, String name,
            String... labels) {
        assertThat(after.has(name)).as("metric %s is exposed", name).isTrue();
        double delta = after.value(name, labels) - before.value(name, labels);
        assertThat(delta).as("change of %s%s", name, Arrays.toString(labels)).isEqualTo(expected);
    }
}
