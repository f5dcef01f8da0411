package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meshbed.sample.SampleConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connection handling and what travels on the wire, seen on a raw socket so that the test knows
 * exactly which requests share a client connection and which bytes are sent: upstream keep-alive
 * reuse, HTTP/1.1 pipelining, the headers a proxy adds and removes, and the RFC 9112 rules for
 * the Host of a request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConnectionsIT {

    private static final Duration SLOW = Duration.ofMillis(300);

    @TempDir
    static Path work;

    private LocalTestbed bed;

    @BeforeAll
    void start() throws Exception {
        bed = LocalTestbed.builder(work)
                .server("slow", SampleConfig.local("slow").withLatency(SLOW))
                .file("destination-rule.yaml", LocalTestbed.resource("failures-destination-rule.yaml"))
                .file("failures-workloads.yaml", LocalTestbed.resource("failures-workloads.yaml"))
                .file("virtual-service.yaml", LocalTestbed.resource("connections-virtual-service.yaml"))
                .start();
        JsonNode dump = bed.awaitDump("the connections VirtualService", d -> d.toString().contains("default/app/slow"));
        assertThat(dump.path("rejected")).as("rejected resources").isEmpty();
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    /**
     * 200 requests one after the other on one client connection. That connection lives on one
     * event loop, and upstream connections are pooled per event loop and endpoint, so each app
     * needs one upstream connection, kept alive; the brief's bound is one per event loop.
     */
    @Test
    void sequentialRequestsOnOneConnectionReuseUpstreamConnections() throws Exception {
        long v1Before = bed.server("v1").acceptedConnections();
        long v2Before = bed.server("v2").acceptedConnections();
        // Upstream connections of other tests may be pooled already (idle timeout 55 s).
        double upstreamActiveBefore = bed.metrics().value("envoy_cluster_upstream_cx_active");
        Map<String, Integer> versions = new TreeMap<>();
        double maxUpstreamActive = 0;
        double maxDownstreamActive = 0;
        try (RawHttp raw = new RawHttp(bed.port(), 5000)) {
            for (int i = 0; i < 200; i++) {
                RawHttp.Response r = raw.exchange(RawHttp.get("/keepalive/" + i, "127.0.0.1"));
                assertThat(r.status()).as("request %d on the kept-alive connection: %s", i, r.body()).isEqualTo(200);
                assertThat(r.header("connection")).as("Connection header of response %d", i).isNotEqualTo("close");
                versions.merge(r.header("x-version"), 1, Integer::sum);
                if (i % 20 == 19) {
                    Prometheus m = bed.metrics();
                    maxUpstreamActive = Math.max(maxUpstreamActive, m.value("envoy_cluster_upstream_cx_active"));
                    maxDownstreamActive = Math.max(maxDownstreamActive, m.value("envoy_http_downstream_cx_active"));
                }
            }
        }
        long v1Accepted = bed.server("v1").acceptedConnections() - v1Before;
        long v2Accepted = bed.server("v2").acceptedConnections() - v2Before;
        System.out.printf("keep-alive: %s; upstream connections accepted: v1 %d, v2 %d; upstream_cx_active %.0f before,"
                + " at most %.0f during%n", versions, v1Accepted, v2Accepted, upstreamActiveBefore, maxUpstreamActive);

        // 80/20 over 200 requests: P(no v2 at all) = 0.8^200, about 4e-20.
        assertThat(versions.keySet()).as("versions that answered").containsExactly("v1", "v2");
        assertThat(maxDownstreamActive).as("envoy_http_downstream_cx_active (the test's one connection)")
                .isEqualTo(1);
        assertThat(v1Accepted).as("connections v1 accepted for 200 requests (event loops: %d)",
                LocalTestbed.EVENT_LOOPS).isLessThanOrEqualTo(LocalTestbed.EVENT_LOOPS);
        assertThat(v2Accepted).as("connections v2 accepted for 200 requests (event loops: %d)",
                LocalTestbed.EVENT_LOOPS).isLessThanOrEqualTo(LocalTestbed.EVENT_LOOPS);
        // At most one new upstream connection per app for one client connection.
        assertThat(maxUpstreamActive - upstreamActiveBefore)
                .as("growth of envoy_cluster_upstream_cx_active during the 200 requests (%.0f before)",
                        upstreamActiveBefore)
                .isLessThanOrEqualTo(2.0);
        assertThat(maxUpstreamActive).as("envoy_cluster_upstream_cx_active during the 200 requests").isPositive();
    }

    /**
     * Three requests in one write: a slow one (300 ms upstream latency), one the gateway answers
     * itself (404 NR, unknown Host), a plain one. The answers must come back in request order,
     * and the connection must stay usable afterwards.
     */
    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttp raw = new RawHttp(bed.port(), 5000)) {
            raw.send(RawHttp.get("/slow/first", "127.0.0.1")
                    + RawHttp.get("/second", "unknown.example")
                    + RawHttp.get("/third", "127.0.0.1"));

            RawHttp.Response first = raw.read();
            assertThat(first.status()).as("1st pipelined answer: %s", first.body()).isEqualTo(200);
            assertThat(first.header("x-version")).as("1st answer comes from the slow app").isEqualTo("slow");
            assertThat(LocalTestbed.JSON.readTree(first.body()).path("path").asText()).isEqualTo("/slow/first");

            RawHttp.Response second = raw.read();
            assertThat(second.status()).as("2nd pipelined answer (unknown Host): %s", second.body()).isEqualTo(404);
            assertThat(second.body()).isEmpty();

            RawHttp.Response third = raw.read();
            assertThat(third.status()).as("3rd pipelined answer: %s", third.body()).isEqualTo(200);
            assertThat(third.header("x-version")).isIn("v1", "v2");
            assertThat(LocalTestbed.JSON.readTree(third.body()).path("path").asText()).isEqualTo("/third");

            RawHttp.Response after = raw.exchange(RawHttp.get("/after", "127.0.0.1"));
            assertThat(after.status()).as("a request after the pipelined ones, same connection").isEqualTo(200);
            assertThat(LocalTestbed.JSON.readTree(after.body()).path("path").asText()).isEqualTo("/after");
        }
    }

    /**
     * What the upstream receives: hop-by-hop headers (Connection, what it names, Keep-Alive, TE)
     * removed, x-forwarded-for appended to, x-forwarded-proto set, the client's x-request-id kept,
     * Host unchanged; and the connection stays open for the next request.
     */
    @Test
    void forwardedRequestHeadersFollowTheProxyRules() throws Exception {
        try (RawHttp raw = new RawHttp(bed.port(), 5000)) {
            RawHttp.Response r = raw.exchange("GET /headers HTTP/1.1\r\nHost: 127.0.0.1:9999\r\n"
                    + "Connection: keep-alive, x-hop\r\nx-hop: secret\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
                    + "x-request-id: req-42\r\nx-forwarded-for: 10.0.0.1\r\nx-end-to-end: kept\r\n\r\n");
            assertThat(r.status()).as("GET /headers: %s", r.body()).isEqualTo(200);
            JsonNode headers = LocalTestbed.JSON.readTree(r.body()).path("headers");
            assertThat(headers.path("host").asText()).as("Host upstream").isEqualTo("127.0.0.1:9999");
            assertThat(headers.path("x-request-id").asText()).as("x-request-id upstream").isEqualTo("req-42");
            assertThat(headers.path("x-forwarded-for").asText()).as("x-forwarded-for upstream")
                    .isEqualTo("10.0.0.1, 127.0.0.1");
            assertThat(headers.path("x-forwarded-proto").asText()).as("x-forwarded-proto upstream").isEqualTo("http");
            assertThat(headers.path("x-end-to-end").asText()).as("an end-to-end header upstream").isEqualTo("kept");
            assertThat(headers.has("x-hop")).as("a header the Connection header names reached the upstream: %s",
                    headers).isFalse();
            assertThat(headers.has("keep-alive")).as("Keep-Alive reached the upstream: %s", headers).isFalse();
            assertThat(headers.has("te")).as("TE reached the upstream: %s", headers).isFalse();
            assertThat(headers.has("connection")).as("Connection reached the upstream: %s", headers).isFalse();

            RawHttp.Response head = raw.exchange("HEAD /bytes/1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", true);
            assertThat(head.status()).as("HEAD /bytes/1000").isEqualTo(200);
            assertThat(head.header("content-length")).as("Content-Length of HEAD /bytes/1000").isEqualTo("1000");

            RawHttp.Response next = raw.exchange(RawHttp.get("/next", "127.0.0.1"));
            assertThat(next.status()).as("the next request on the connection (a HEAD answer must not carry a "
                    + "body)").isEqualTo(200);
            assertThat(LocalTestbed.JSON.readTree(next.body()).path("path").asText()).isEqualTo("/next");
        }
    }

    /**
     * RFC 9112, section 3.2.2: a request in absolute form ({@code GET http://host/path}) names its
     * host in the target; the Host header is to be ignored, and a proxy forwards the target's host.
     * Envoy does the same. Here the target names 127.0.0.1, which this VirtualService serves, and
     * the Host header names a host it does not serve.
     */
    @Test
    void absoluteFormTargetDecidesTheHostNotTheHostHeader() throws Exception {
        try (RawHttp raw = new RawHttp(bed.port(), 5000)) {
            RawHttp.Response r = raw.exchange("GET http://127.0.0.1/absolute?q=1 HTTP/1.1\r\n"
                    + "Host: unknown.example\r\n\r\n");
            assertThat(r.status()).as("GET http://127.0.0.1/absolute with Host: unknown.example (routed by the "
                    + "target's host 127.0.0.1, which the VirtualService serves): %s", r.body()).isEqualTo(200);
            JsonNode echo = LocalTestbed.JSON.readTree(r.body());
            assertThat(echo.path("path").asText()).as("path upstream (origin form)").isEqualTo("/absolute?q=1");
            assertThat(echo.path("headers").path("host").asText()).as("Host upstream").isEqualTo("127.0.0.1");
        }
    }

    /**
     * RFC 9112, section 3.2: "A server MUST respond with a 400 (Bad Request) status code to any
     * HTTP/1.1 request message that lacks a Host header field". Envoy answers 400 too
     * (response code detail missing_host_header).
     */
    @Test
    void http11RequestWithoutHostIsABadRequest() throws Exception {
        try (RawHttp raw = new RawHttp(bed.port(), 5000)) {
            RawHttp.Response r = raw.exchange("GET /no-host HTTP/1.1\r\nx-probe: 1\r\n\r\n");
            assertThat(r.status()).as("HTTP/1.1 request without Host: %s %s", r.headers(), r.body()).isEqualTo(400);
        }
    }
}
