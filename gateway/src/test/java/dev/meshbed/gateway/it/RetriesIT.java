package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meshbed.sample.SampleConfig;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's retries through the real gateway, against sample apps on 127.0.0.1: a 503 retried on
 * the other host (the attempt count seen on the wire), URX when retries run out, a per-try
 * timeout followed by success elsewhere, the route timeout over all tries, and a body too long
 * for the retry buffer that is not retried.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetriesIT {

    private static final String APP = "|app.default.svc.cluster.local";

    @TempDir
    static Path work;

    private RecordingUpstream recorder;
    private LocalTestbed bed;

    @BeforeAll
    void start() throws Exception {
        recorder = new RecordingUpstream();
        bed = LocalTestbed.builder(work)
                .server("flaky", SampleConfig.local("flaky").withErrorRate(1.0))
                .server("slow", SampleConfig.local("slow").withLatency(Duration.ofSeconds(2)))
                .server("fine", SampleConfig.local("fine"))
                .file("retries-workloads.yaml", workloads(recorder.port()))
                .file("destination-rule.yaml", DESTINATION_RULE)
                .file("virtual-service.yaml", VIRTUAL_SERVICE)
                .start();
        JsonNode dump = bed.awaitDump("the retry routes", d -> d.toString().contains("default/app/bounded"));
        assertThat(dump.path("rejected")).as("rejected resources").isEmpty();
    }

    @AfterAll
    void stop() throws Exception {
        if (bed != null) {
            bed.close();
        }
        if (recorder != null) {
            recorder.close();
        }
    }

    private static String workload(String name, String port, String group) {
        return """
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: %s, namespace: default}
                spec:
                  address: 127.0.0.1
                  ports: {http: %s}
                  labels: {app: app, %s: "yes"}
                """.formatted(name, port, group);
    }

    private static String workloads(int recorderPort) {
        return String.join("---\n",
                workload("flaky-in-pair", "${flaky.port}", "pair"),
                workload("recorder-in-pair", String.valueOf(recorderPort), "pair"),
                workload("flaky-alone", "${flaky.port}", "flaky"),
                workload("slow-in-slowpair", "${slow.port}", "slowpair"),
                workload("fine-in-slowpair", "${fine.port}", "slowpair"),
                workload("slow-alone", "${slow.port}", "slowonly"));
    }

    private static final String DESTINATION_RULE = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: app, namespace: default}
            spec:
              host: app
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN}
              subsets:
              - {name: pair, labels: {pair: "yes"}}
              - {name: bigpair, labels: {pair: "yes"}}
              - {name: flaky, labels: {flaky: "yes"}}
              - {name: slowpair, labels: {slowpair: "yes"}}
              - {name: slowonly, labels: {slowonly: "yes"}}
            """;

    private static final String VIRTUAL_SERVICE = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: app, namespace: default}
            spec:
              hosts: ["*"]
              gateways: [meshbed-gateway]
              http:
              - name: pair
                match: [{uri: {prefix: /pair/}}]
                route: [{destination: {host: app, subset: pair}}]
              - name: bigpair
                match: [{uri: {prefix: /bigpair/}}]
                retries: {attempts: 2, retryOn: 5xx}
                route: [{destination: {host: app, subset: bigpair}}]
              - name: flaky
                match: [{uri: {prefix: /flaky/}}]
                route: [{destination: {host: app, subset: flaky}}]
              - name: pertry
                match: [{uri: {prefix: /pertry/}}]
                retries: {attempts: 2, retryOn: 5xx, perTryTimeout: 300ms}
                route: [{destination: {host: app, subset: slowpair}}]
              - name: bounded
                match: [{uri: {prefix: /bounded/}}]
                timeout: 1s
                retries: {attempts: 5, retryOn: 5xx, perTryTimeout: 300ms}
                route: [{destination: {host: app, subset: slowonly}}]
            """;

    private static long attemptHeaders(List<RecordingUpstream.Received> received, int count) {
        return received.stream().filter(r -> r.headers().toLowerCase().contains("x-envoy-attempt-count: " + count))
                .count();
    }

    @Test
    void a503IsRetriedOnTheOtherHostAndTheAttemptCountTravelsUpstream() throws Exception {
        String cluster = "outbound|80|pair" + APP;
        Prometheus before = bed.metrics();
        String marker = "/pair/" + UUID.randomUUID() + "/";
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = bed.get(marker + i);
            assertThat(r.statusCode()).as("GET %s%d (the flaky host always answers 503): %s", marker, i, r.body())
                    .isEqualTo(200);
            assertThat(r.body()).startsWith("seen " + marker);
        }
        List<RecordingUpstream.Received> got = recorder.receivedWith(marker);
        assertThat(got).hasSize(20);
        long retried = attemptHeaders(got, 2);
        System.out.printf("20 requests over {always-503, recorder}: %d first tries answered, %d retried on the"
                + " other host%n", attemptHeaders(got, 1), retried);
        // round robin and the previous-hosts predicate: the retry of a 503 goes to the host not tried
        // (and moves the round robin on, so the next first try meets the flaky host again)
        assertThat(retried).as("requests whose first try met the always-503 host").isGreaterThanOrEqualTo(10);
        assertThat(attemptHeaders(got, 1) + retried).isEqualTo(20);

        AccessLogLine line = bed.awaitAccessLog(marker + "19");
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("-");
        Prometheus after = bed.metrics();
        assertDelta(before, after, retried, "envoy_cluster_upstream_rq_retry_total", "envoy_cluster_name", cluster);
        assertDelta(before, after, retried, "envoy_cluster_upstream_rq_retry_success_total",
                "envoy_cluster_name", cluster);
    }

    @Test
    void whenRetriesRunOutTheLast503IsPassedOnFlaggedURX() throws Exception {
        String cluster = "outbound|80|flaky" + APP;
        Prometheus before = bed.metrics();
        String uri = "/flaky/" + UUID.randomUUID();
        HttpResponse<String> r = bed.get(uri);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("x-version")).as("the upstream's own 503").hasValue("flaky");

        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.status()).isEqualTo(503);
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("URX");
        Prometheus after = bed.metrics();
        assertDelta(before, after, 2, "envoy_cluster_upstream_rq_retry_total", "envoy_cluster_name", cluster);
        assertDelta(before, after, 1, "envoy_cluster_upstream_rq_retry_limit_exceeded_total",
                "envoy_cluster_name", cluster);
        assertDelta(before, after, 0, "envoy_cluster_upstream_rq_retry_success_total", "envoy_cluster_name", cluster);
        assertDelta(before, after, 1, "meshbed_response_flags_total", "response_flag", "URX");
    }

    @Test
    void aPerTryTimeoutIsFollowedBySuccessOnTheOtherHost() throws Exception {
        String cluster = "outbound|80|slowpair" + APP;
        Prometheus before = bed.metrics();
        int slowFirst = 0;
        for (int i = 0; i < 6; i++) {
            String uri = "/pertry/" + UUID.randomUUID();
            long start = System.nanoTime();
            HttpResponse<String> r = bed.get(uri);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(r.statusCode()).as("GET %s: %s", uri, r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-version")).as("answered by").hasValue("fine");
            assertThat(millis).as("a slow first try is cut at 300 ms, not waited out (2 s)").isLessThan(1500);
            if (millis >= 290) {
                slowFirst++;
            }
        }
        Prometheus after = bed.metrics();
        double perTry = after.value("envoy_cluster_upstream_rq_per_try_timeout_total", "envoy_cluster_name", cluster)
                - before.value("envoy_cluster_upstream_rq_per_try_timeout_total", "envoy_cluster_name", cluster);
        System.out.printf("6 requests over {2 s latency, fine}: %d per-try timeouts, %d answers took >= 290 ms%n",
                (long) perTry, slowFirst);
        assertThat(perTry).as("first tries that met the slow host").isGreaterThanOrEqualTo(3).isEqualTo(slowFirst);
        assertDelta(before, after, perTry, "envoy_cluster_upstream_rq_retry_total", "envoy_cluster_name", cluster);
    }

    @Test
    void theRouteTimeoutBoundsAllTries() throws Exception {
        String uri = "/bounded/" + UUID.randomUUID();
        long start = System.nanoTime();
        HttpResponse<String> r = bed.get(uri);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.body()).isEqualTo("upstream request timeout");
        // 6 tries of 300 ms would take 1.8 s and more; the route timeout (1 s) ends them all
        assertThat(millis).as("time to the 504").isBetween(950L, 1700L);
        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("UT");
    }

    @Test
    void aBodyLongerThanTheRetryBufferIsNotRetried() throws Exception {
        String cluster = "outbound|80|bigpair" + APP;
        byte[] big = new byte[64 * 1024];
        Arrays.fill(big, (byte) 'b');
        byte[] small = new byte[1024];
        Arrays.fill(small, (byte) 's');
        String marker = "/bigpair/" + UUID.randomUUID() + "/";

        Prometheus before = bed.metrics();
        List<Integer> bigStatuses = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            bigStatuses.add(post(marker + "big" + i, big).statusCode());
        }
        Prometheus afterBig = bed.metrics();
        List<Integer> smallStatuses = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            smallStatuses.add(post(marker + "small" + i, small).statusCode());
        }
        Prometheus afterSmall = bed.metrics();
        System.out.printf("POST 64 KiB x 6: %s; POST 1 KiB x 6: %s%n", bigStatuses, smallStatuses);

        // round robin: 3 of 6 first tries reach the always-503 host; over 32 KiB they are not retried
        assertThat(bigStatuses).containsOnly(200, 503).filteredOn(s -> s == 503).hasSize(3);
        assertDelta(before, afterBig, 0, "envoy_cluster_upstream_rq_retry_total", "envoy_cluster_name", cluster);
        List<RecordingUpstream.Received> bigReceived = recorder.receivedWith(marker + "big");
        assertThat(bigReceived).hasSize(3).allMatch(r -> r.body().length() == big.length);
        assertThat(attemptHeaders(bigReceived, 1)).isEqualTo(3);

        // 1 KiB fits the retry buffer: every 503 is retried with the whole body on the other host
        assertThat(smallStatuses).containsOnly(200);
        List<RecordingUpstream.Received> smallReceived = recorder.receivedWith(marker + "small");
        assertThat(smallReceived).hasSize(6).allMatch(r -> r.body().equals(new String(small)));
        long smallRetried = attemptHeaders(smallReceived, 2);
        assertThat(smallRetried).isGreaterThanOrEqualTo(3);
        assertDelta(afterBig, afterSmall, smallRetried, "envoy_cluster_upstream_rq_retry_total",
                "envoy_cluster_name", cluster);
    }

    private HttpResponse<String> post(String uri, byte[] body) throws Exception {
        return bed.client().send(bed.request(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                BodyHandlers.ofString());
    }

    @Test
    void theEffectiveRetryPolicyIsInTheConfigDump() throws Exception {
        JsonNode dump = bed.configDump();
        String text = dump.toString();
        assertThat(text).contains("\"name\":\"default/app/pertry\"");
        JsonNode pertry = findRoute(dump, "default/app/pertry").path("retry_policy");
        assertThat(pertry.path("num_retries").asInt()).isEqualTo(2);
        assertThat(pertry.path("retry_on").asText()).isEqualTo("5xx");
        assertThat(pertry.path("per_try_timeout_ms").asLong()).isEqualTo(300);
        JsonNode pair = findRoute(dump, "default/app/pair").path("retry_policy");
        assertThat(pair.path("retry_on").asText()).isEqualTo("connect-failure,retriable-status-codes");
        assertThat(pair.path("retriable_status_codes").toString()).isEqualTo("[503]");
        assertThat(pair.path("retry_host_predicate").asText()).isEqualTo("previous_hosts");
        assertThat(pair.path("retry_back_off").path("base_interval_ms").asLong()).isEqualTo(25);
    }

    private static JsonNode findRoute(JsonNode node, String name) {
        if (node.isObject() && name.equals(node.path("name").asText()) && node.has("action")) {
            return node;
        }
        for (JsonNode child : node) {
            JsonNode found = findRoute(child, name);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static void assertDelta(Prometheus before, Prometheus after, double expected, String name,
            String... labels) {
        assertThat(after.has(name)).as("metric %s is exposed", name).isTrue();
        double delta = after.value(name, labels) - before.value(name, labels);
        assertThat(delta).as("change of %s%s", name, Arrays.toString(labels)).isEqualTo(expected);
    }
}
