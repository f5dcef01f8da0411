package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshbed.gateway.proxy.EdgeLimits;
import dev.meshbed.sample.SampleConfig;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * Envoy's client-side bounds on the real gateway, each shortened so that the test takes seconds:
 * the request headers timeout, the stream idle timeout on a hung upstream (no route timeout), the
 * connection idle timeout, the headers count and the connection limit. Each test asserts the answer
 * on the wire, the connection's fate, the access log line and the counter.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EdgeLimitsIT {

    private static final long HEADERS_TIMEOUT = 400;
    private static final long STREAM_IDLE = 1200;
    private static final long CONNECTION_IDLE = 3000;
    private static final int MAX_CONNECTIONS = 24;
    private static final int MAX_HEADERS = 100;

    @TempDir
    static Path work;

    private LocalTestbed bed;

    @BeforeAll
    void start() throws Exception {
        bed = LocalTestbed.builder(work)
                .limits(new EdgeLimits(HEADERS_TIMEOUT, STREAM_IDLE, CONNECTION_IDLE, MAX_CONNECTIONS, MAX_HEADERS))
                .server("slow", SampleConfig.local("slow").withLatency(Duration.ofSeconds(10)))
                .file("destination-rule.yaml", LocalTestbed.resource("failures-destination-rule.yaml"))
                .file("failures-workloads.yaml", LocalTestbed.resource("failures-workloads.yaml"))
                .file("virtual-service.yaml", LocalTestbed.resource("limits-virtual-service.yaml"))
                .start();
        bed.awaitDump("the hang route", d -> d.toString().contains("default/app/hang"));
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    private double event(Prometheus p, String name) {
        return p.value("meshbed_edge_events_total", "event", name);
    }

    @Test
    void aPartialHeaderBlockIsAnswered408AndClosedAfterTheRequestHeadersTimeout() throws Exception {
        Prometheus before = bed.metrics();
        try (RawHttp raw = new RawHttp(bed.port(), 5000)) {
            long t0 = System.nanoTime();
            raw.send("GET /partial HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
            RawHttp.Response r = raw.read();
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.body()).isEqualTo("request header timeout\n");
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(raw.closedByPeer()).as("closed after the 408").isTrue();
            assertThat(took).as("answered after the %d ms timeout", HEADERS_TIMEOUT).isBetween(HEADERS_TIMEOUT - 50, 4000L);
        }
        AccessLogLine line = bed.awaitAccessLog("-");
        assertThat(line.status()).isEqualTo(408);
        assertThat(line.method()).as("no request line was read").isEqualTo("-");
        assertThat(line.flag()).isEqualTo("-"); // Envoy: response code details request_header_timeout, no flag
        assertThat(event(bed.metrics(), "downstream_rq_header_timeout") - event(before, "downstream_rq_header_timeout"))
                .isEqualTo(1);
    }

    @Test
    void aHungUpstreamWithoutRouteTimeoutIsEndedByTheStreamIdleTimeout() throws Exception {
        String uri = "/hang/" + UUID.randomUUID();
        Prometheus before = bed.metrics();
        try (RawHttp raw = new RawHttp(bed.port(), 8000)) {
            long t0 = System.nanoTime();
            RawHttp.Response r = raw.exchange(RawHttp.get(uri, "127.0.0.1"));
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(r.status()).isEqualTo(408);
            assertThat(r.body()).isEqualTo("stream timeout");
            assertThat(took).as("after the %d ms stream idle timeout, long before the upstream's 10 s", STREAM_IDLE)
                    .isBetween(STREAM_IDLE - 50, 6000L);
            assertThat(raw.closedByPeer()).as("the connection is closed").isTrue();
        }
        AccessLogLine line = bed.awaitAccessLog(uri);
        assertThat(line.status()).isEqualTo(408);
        assertThat(line.flag()).isEqualTo("SI");
        assertThat(line.cluster()).as("the request had reached its cluster").isEqualTo("outbound|80|slow|app.default.svc.cluster.local");
        assertThat(line.upstreamHost()).as("and an upstream host").isNotEqualTo("-");
        Prometheus after = bed.metrics();
        assertThat(event(after, "downstream_rq_idle_timeout") - event(before, "downstream_rq_idle_timeout")).isEqualTo(1);
    }

    @Test
    void aBodyThatKeepsFlowingIsNotIdle() throws Exception {
        String uri = "/trickle/" + UUID.randomUUID();
        try (RawHttp raw = new RawHttp(bed.port(), 8000)) {
            raw.send("POST " + uri + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STREAM_IDLE * 2);
            while (System.nanoTime() - until < 0) {
                raw.send("1\r\nx\r\n");
                Thread.sleep(STREAM_IDLE / 4);
            }
            raw.send("0\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).as("a request active for twice the stream idle timeout").isEqualTo(200);
            assertThat(r.header("x-version")).isEqualTo("v1");
        }
        assertThat(bed.awaitAccessLog(uri).flag()).isEqualTo("-");
    }

    @Test
    void aSilentConnectionAndAnIdleKeepAliveConnectionAreClosedAfterTheIdleTimeout() throws Exception {
        Prometheus before = bed.metrics();
        try (RawHttp silent = new RawHttp(bed.port(), 8000); RawHttp kept = new RawHttp(bed.port(), 8000)) {
            RawHttp.Response r = kept.exchange(RawHttp.get("/kept/" + UUID.randomUUID(), "127.0.0.1"));
            assertThat(r.status()).isEqualTo(200);
            long t0 = System.nanoTime();
            assertThat(silent.closedByPeer()).as("a connection that never sent a byte").isTrue();
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(took).isBetween(CONNECTION_IDLE - 300, 6000L);
            assertThat(kept.closedByPeer()).as("a keep-alive connection after its response").isTrue();
        }
        assertThat(event(bed.metrics(), "downstream_cx_idle_timeout") - event(before, "downstream_cx_idle_timeout"))
                .isEqualTo(2);
    }

    @Test
    void headersOverTheCountAre431AndTheCountItselfIsServed() throws Exception {
        String ok = "/headers-ok/" + UUID.randomUUID();
        String over = "/headers-over/" + UUID.randomUUID();
        try (RawHttp raw = new RawHttp(bed.port(), 5000)) {
            // Host plus 99 others: exactly the limit
            RawHttp.Response r = raw.exchange(RawHttp.get(ok, "127.0.0.1", headers(MAX_HEADERS - 1)));
            assertThat(r.status()).isEqualTo(200);
            r = raw.exchange(RawHttp.get(over, "127.0.0.1", headers(MAX_HEADERS)));
            assertThat(r.status()).isEqualTo(431);
            assertThat(r.body()).isEqualTo("bad request: 101 headers (expected: <= 100)\n");
            assertThat(raw.closedByPeer()).isTrue();
        }
        AccessLogLine line = bed.awaitAccessLog(over);
        assertThat(line.status()).isEqualTo(431);
        assertThat(line.flag()).isEqualTo("DPE");
        assertThat(line.cluster()).as("never routed").isEqualTo("-");
    }

    private static String[] headers(int n) {
        String[] h = new String[n];
        for (int i = 0; i < n; i++) {
            h[i] = "x-h" + i + ": " + i;
        }
        return h;
    }

    @Test
    void overTheConnectionLimitAClientIsAnswered503AndOthersAreServed() throws Exception {
        assertThat(bed.gateway().maxConnections()).isEqualTo(MAX_CONNECTIONS);
        Prometheus before = bed.metrics();
        List<RawHttp> held = new ArrayList<>();
        try {
            // within the idle timeout: fill the gateway up to its limit
            await().atMost(Duration.ofSeconds(10)).until(() -> bed.gateway().metrics().activeDownstreamConnections() == 0);
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                held.add(new RawHttp(bed.port(), 5000));
            }
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(5))
                    .until(() -> bed.gateway().metrics().activeDownstreamConnections() == MAX_CONNECTIONS);
            String refused = "/refused/" + UUID.randomUUID();
            int logged = bed.accessLog().size();
            try (RawHttp extra = new RawHttp(bed.port(), 5000)) {
                Thread.sleep(100); // the answer comes first; the request, sent after it, is read and dropped
                RawHttp.Response r = extra.exchange(RawHttp.get(refused, "127.0.0.1"));
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.body()).isEqualTo("connection limit reached (" + MAX_CONNECTIONS + " open): try again later\n");
                assertThat(extra.closedByPeer()).isTrue();
            }
            List<AccessLogLine> lines = await().atMost(Duration.ofSeconds(5))
                    .until(() -> bed.accessLog().subList(logged, bed.accessLog().size()), l -> !l.isEmpty());
            assertThat(lines).as("one line, for a refusal before any request was read").hasSize(1);
            AccessLogLine line = lines.get(0);
            assertThat(line.uri()).isEqualTo("-");
            assertThat(line.flag()).isEqualTo("OM");
            assertThat(line.status()).isEqualTo(503);
            // the connections under the limit are served as ever
            RawHttp first = held.get(held.size() - 1);
            RawHttp.Response r = first.exchange(RawHttp.get("/held/" + UUID.randomUUID(), "127.0.0.1"));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("x-version")).isEqualTo("v1");
        } finally {
            for (RawHttp c : held) {
                c.close();
            }
        }
        // and room again once they have gone
        await().atMost(Duration.ofSeconds(5)).until(() -> bed.gateway().metrics().activeDownstreamConnections() == 0);
        try (RawHttp again = new RawHttp(bed.port(), 5000)) {
            assertThat(again.exchange(RawHttp.get("/again", "127.0.0.1")).status()).isEqualTo(200);
        }
        assertThat(event(bed.metrics(), "downstream_cx_overflow") - event(before, "downstream_cx_overflow")).isEqualTo(1);
    }

    static boolean timedOut(RawHttp raw) throws IOException {
        try {
            raw.closedByPeer();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }
}
