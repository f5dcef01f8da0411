package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
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
 * Fault injection, header operations, rewrites and CORS through the real gateway: what the
 * upstream (a {@link RecordingUpstream}, or the v1 sample app) received, what the client got, the
 * response flag in the access log line of that very request, and the counters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RouteFiltersIT {

    private static final String CONFIG = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: app, namespace: default}
            spec:
              hosts: ["127.0.0.1"]
              gateways: [meshbed-gateway]
              http:
              - name: abort
                match: [{uri: {prefix: /abort/}}]
                fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
                route: [{destination: {host: recorder.local}}]
              - name: abort-quarter
                match: [{uri: {prefix: /quarter/}}]
                fault: {abort: {httpStatus: 503, percentage: {value: 25}}}
                route: [{destination: {host: recorder.local}}]
              - name: delay
                match: [{uri: {prefix: /delay/}}]
                timeout: 200ms
                fault: {delay: {fixedDelay: 400ms, percentage: {value: 100}}}
                route: [{destination: {host: recorder.local}}]
              - name: rewrite
                match: [{uri: {prefix: /old/}}]
                rewrite: {uri: /new/, authority: inner.example}
                route: [{destination: {host: recorder.local}}]
              - name: regex-rewrite
                match: [{uri: {prefix: /item/}}]
                rewrite:
                  uriRegexRewrite: {match: "^/item/([0-9]+)/(.*)$", rewrite: "/items/\\\\2?id=\\\\1"}
                route: [{destination: {host: recorder.local}}]
              - name: headers
                match: [{uri: {prefix: /headers/}}]
                headers:
                  request: {set: {x-route: r}, add: {x-multi: route}, remove: [x-secret]}
                  response: {set: {x-answered-by: meshbed}, remove: [content-type]}
                route:
                - destination: {host: recorder.local}
                  headers:
                    request: {set: {x-destination: d}}
                    response: {add: {x-destination: d}}
              - name: cors
                match: [{uri: {prefix: /cors/}}]
                corsPolicy:
                  allowOrigins: [{exact: "https://ok.example"}, {regex: "https://[a-z]+\\\\.trusted\\\\.example"}]
                  allowMethods: [GET, PUT]
                  allowHeaders: [x-token]
                  exposeHeaders: [x-version]
                  maxAge: 1h
                route: [{destination: {host: app, subset: v1}}]
              - name: recorder
                route: [{destination: {host: recorder.local}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: recorder, namespace: default}
            spec:
              hosts: [recorder.local]
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints:
              - {address: 127.0.0.1, ports: {http: PORT}}
            """;

    @TempDir
    static Path work;

    private RecordingUpstream upstream;
    private LocalTestbed bed;

    @BeforeAll
    void start() throws Exception {
        upstream = new RecordingUpstream();
        bed = LocalTestbed.builder(work)
                .file("virtual-service.yaml", CONFIG.replace("PORT", String.valueOf(upstream.port())))
                .start();
        JsonNode dump = bed.awaitDump("the filter routes", d -> d.toString().contains("regex-rewrite"));
        assertThat(dump.path("rejected")).as("rejected resources").isEmpty();
        assertThat(dump.path("warnings").toString()).doesNotContain("not supported");
    }

    @AfterAll
    void stop() throws Exception {
        if (bed != null) {
            bed.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static String id() {
        return UUID.randomUUID().toString();
    }

    private static void assertDelta(Prometheus before, Prometheus after, double expected, String name,
            String... labels) {
        double delta = after.value(name, labels) - before.value(name, labels);
        assertThat(delta).as("change of %s%s", name, Arrays.toString(labels)).isEqualTo(expected);
    }

    // ---- fault -----------------------------------------------------------------------------------

    @Test
    void abortAnswersWithEnvoysBodyFlagFiAndNeverReachesTheUpstream() throws Exception {
        Prometheus before = bed.metrics();
        String uri = "/abort/" + id();
        HttpResponse<String> r = bed.get(uri);
        assertThat(r.statusCode()).isEqualTo(418);
        assertThat(r.body()).isEqualTo("fault filter abort");
        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("FI");
        assertThat(line.status()).as("status in %s", line).isEqualTo(418);
        assertThat(line.route()).as("route in %s", line).isEqualTo("default/app/abort");
        assertThat(upstream.receivedWith(uri)).isEmpty();
        Prometheus after = bed.metrics();
        assertDelta(before, after, 1, "meshbed_response_flags_total", "response_flag", "FI");
        assertDelta(before, after, 1, "meshbed_edge_events_total", "event", "fault.aborts_injected");
    }

    /**
     * 25 % aborts: the number of aborted requests among n = 800 is Binomial(800, 0.25) (n p (1 - p)
     * = 150), checked with the normal approximation at 99.99 % two-sided ({@link Split#Z_9999}):
     * a correct gateway fails this with probability 0.01 %. A gateway that aborted 20 % or 30 % would
     * give |z| of 3.3 on average (caught about a third of the time), 15 % or 35 % about 6.5 (caught
     * nearly always). 800 requests take about 4 s here.
     */
    @Test
    void aQuarterOfRequestsAreAbortedAt9999PercentConfidence() throws Exception {
        Prometheus before = bed.metrics();
        String marker = id();
        int n = 800;
        int aborted = 0;
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = bed.get("/quarter/" + marker + "/" + i);
            if (r.statusCode() == 503) {
                assertThat(r.body()).isEqualTo("fault filter abort");
                aborted++;
            } else {
                assertThat(r.statusCode()).isEqualTo(200);
            }
        }
        double z = Split.z(aborted, n, 0.25);
        assertThat(Math.abs(z)).as("aborted %d of %d against 25 %%: z = %.2f", aborted, n, z).isLessThan(Split.Z_9999);
        assertThat(upstream.receivedWith(marker)).as("requests that reached the upstream").hasSize(n - aborted);
        Prometheus after = bed.metrics();
        assertDelta(before, after, aborted, "meshbed_response_flags_total", "response_flag", "FI");
        assertDelta(before, after, aborted, "meshbed_edge_events_total", "event", "fault.aborts_injected");
    }

    @Test
    void delayHoldsTheRequestLongerThanTheRouteTimeoutWhichStartsAfterIt() throws Exception {
        Prometheus before = bed.metrics();
        String uri = "/delay/" + id();
        long start = System.nanoTime();
        HttpResponse<String> r = bed.get(uri);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(r.statusCode()).as("a 400 ms delay does not use up the 200 ms route timeout").isEqualTo(200);
        assertThat(r.body()).isEqualTo("seen " + uri);
        assertThat(millis).as("round trip with a 400 ms delay").isGreaterThanOrEqualTo(400);
        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("DI");
        assertThat(line.durationMillis()).as("duration in %s", line).isGreaterThanOrEqualTo(400);
        assertThat(upstream.receivedWith(uri)).hasSize(1);
        Prometheus after = bed.metrics();
        assertDelta(before, after, 1, "meshbed_response_flags_total", "response_flag", "DI");
        assertDelta(before, after, 1, "meshbed_edge_events_total", "event", "fault.delays_injected");
    }

    // ---- rewrite and headers ---------------------------------------------------------------------

    @Test
    void rewriteSendsTheNewPathAndHostUpAndTheAccessLogKeepsTheOriginal() throws Exception {
        String id = id();
        String uri = "/old/" + id + "?q=1";
        HttpResponse<String> r = bed.get(uri);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("seen /new/" + id + "?q=1");
        RecordingUpstream.Received got = upstream.receivedWith(id).get(0);
        assertThat(got.headers().toLowerCase()).contains("host: inner.example\r\n")
                .contains("x-envoy-original-path: " + uri.toLowerCase() + "\r\n");
        AccessLogLine line = bed.awaitAccessLog(uri);
        // Istio's format: %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% and %REQ(:AUTHORITY)% after Envoy's in-place rewrite
        assertThat(line.uri()).as("path in %s", line).isEqualTo(uri);
        assertThat(line.authority()).as("authority in %s", line).isEqualTo("inner.example");
    }

    @Test
    void uriRegexRewriteSubstitutesGroupsAndKeepsTheQuery() throws Exception {
        String id = id();
        HttpResponse<String> r = bed.get("/item/42/" + id + "?x=y");
        assertThat(r.body()).isEqualTo("seen /items/" + id + "?id=42?x=y");
    }

    @Test
    void headerOperationsReachTheUpstreamAndTheClient() throws Exception {
        String id = id();
        HttpResponse<String> r = bed.get("/headers/" + id, "x-secret", "s", "x-multi", "client", "x-route", "client");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-answered-by")).hasValue("meshbed");
        assertThat(r.headers().firstValue("x-destination")).hasValue("d");
        assertThat(r.headers().firstValue("content-type")).as("removed from the response").isEmpty();
        String sent = upstream.receivedWith(id).get(0).headers().toLowerCase();
        assertThat(sent).contains("x-route: r\r\n").doesNotContain("x-route: client").doesNotContain("x-secret")
                .contains("x-destination: d\r\n");
        assertThat(sent.indexOf("x-multi: client")).isLessThan(sent.indexOf("x-multi: route")).isPositive();
    }

    // ---- CORS ------------------------------------------------------------------------------------

    @Test
    void aPreflightIsAnsweredAtTheEdge() throws Exception {
        String uri = "/cors/" + id();
        HttpResponse<String> r = bed.client().send(bed.request(uri).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.trusted.example").header("Access-Control-Request-Method", "PUT")
                .build(), BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("access-control-allow-origin")).hasValue("https://app.trusted.example");
        assertThat(r.headers().firstValue("access-control-allow-methods")).hasValue("GET,PUT");
        assertThat(r.headers().firstValue("access-control-allow-headers")).hasValue("x-token");
        assertThat(r.headers().firstValue("access-control-max-age")).hasValue("3600");
        assertThat(r.headers().firstValue("x-version")).as("no upstream answered").isEmpty();
        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.flag()).as("flag in %s", line).isEqualTo("-");
        assertThat(line.upstreamHost()).as("upstream in %s", line).isEqualTo("-");
    }

    @Test
    void aSimpleRequestFromAnAllowedOriginGetsTheCorsHeadersAndAnotherOriginNone() throws Exception {
        HttpResponse<String> ok = bed.get("/cors/" + id(), "Origin", "https://ok.example");
        assertThat(ok.headers().firstValue("x-version")).hasValue("v1");
        assertThat(ok.headers().firstValue("access-control-allow-origin")).hasValue("https://ok.example");
        assertThat(ok.headers().firstValue("access-control-expose-headers")).hasValue("x-version");
        HttpResponse<String> other = bed.get("/cors/" + id(), "Origin", "https://evil.example");
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(other.headers().map().keySet()).noneMatch(k -> k.startsWith("access-control-"));
    }

    @Test
    void theConfigDumpShowsTheCompiledFilters() throws Exception {
        JsonNode dump = bed.configDump();
        List<JsonNode> routes = dump.findValues("routes").stream().flatMap(a -> {
            List<JsonNode> l = new java.util.ArrayList<>();
            a.forEach(l::add);
            return l.stream();
        }).toList();
        JsonNode rewrite = routes.stream().filter(r -> r.path("name").asText().equals("default/app/rewrite")).findFirst().orElseThrow();
        assertThat(rewrite.path("filters").path("prefix_rewrite").asText()).isEqualTo("/new/");
        assertThat(rewrite.path("filters").path("host_rewrite_literal").asText()).isEqualTo("inner.example");
        JsonNode quarter = routes.stream().filter(r -> r.path("name").asText().equals("default/app/abort-quarter")).findFirst()
                .orElseThrow();
        assertThat(quarter.path("filters").path("fault").path("abort").path("percentage").asDouble()).isEqualTo(25.0);
        JsonNode headers = routes.stream().filter(r -> r.path("name").asText().equals("default/app/headers")).findFirst().orElseThrow();
        assertThat(headers.path("action").path("weighted_clusters").get(0).path("headers").path("request")
                .path("set").path("x-destination").asText()).isEqualTo("d");
    }
}
