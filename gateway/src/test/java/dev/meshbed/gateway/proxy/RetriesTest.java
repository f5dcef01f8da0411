package dev.meshbed.gateway.proxy;

import static dev.meshbed.gateway.proxy.EmbeddedProxy.reply;
import static dev.meshbed.gateway.proxy.EmbeddedProxy.sentOn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.routing.RandomSource;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Envoy's retries on EmbeddedChannels: what is retried, where, after how long, and what the client sees. */
class RetriesTest {

    static final String CONFIG = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["*"]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: app, namespace: default}
            spec:
              hosts: [app.example.com]
              gateways: [gw]
              http:
              - match: [{uri: {prefix: /none}}]
                retries: {attempts: 0}
                route: [{destination: {host: app}}]
              - match: [{uri: {prefix: /five}}]
                retries: {attempts: 2, retryOn: 5xx, perTryTimeout: 1s}
                route: [{destination: {host: app}}]
              - match: [{uri: {prefix: /bounded}}]
                timeout: 1s
                retries: {attempts: 5, retryOn: 5xx, perTryTimeout: 400ms}
                route: [{destination: {host: app}}]
              - route: [{destination: {host: app}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: app, namespace: default}
            spec:
              host: app
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: app, namespace: default}
            spec:
              hosts: [app.default.svc.cluster.local]
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints:
              - {address: 10.0.0.1, ports: {http: 8001}}
              - {address: 10.0.0.2, ports: {http: 8002}}
            """;

    static final RandomSource NO_WAIT = bound -> 0; // every back-off is 0 ms
    static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    static final String UNAVAILABLE = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy";
    static final String BAD_GATEWAY = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad";

    /** Records what the client was answered, with which flag. */
    static class Answers implements ProxyMetrics {
        final List<String> answers = new ArrayList<>();

        @Override
        public void downstreamConnectionOpened() {
        }

        @Override
        public void downstreamConnectionClosed() {
        }

        @Override
        public void upstreamConnectionOpened() {
        }

        @Override
        public void upstreamConnectionClosed() {
        }

        @Override
        public void downstreamResponse(int status, ResponseFlag flag) {
            answers.add(status + " " + flag.code());
        }
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: app.example.com\r\n\r\n";
    }

    /** Runs the client loop's due timers (a back-off of 0 ms is due at once). */
    private static void runTimers(EmbeddedProxy p) {
        p.client.runScheduledPendingTasks();
    }

    @Test
    void a503IsRetriedOnTheOtherHostWithTheAttemptCount() {
        Answers m = new Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, NO_WAIT, m)) {
            p.send(get("/"));
            assertThat(sentOn(p.upstream(0))).contains("x-envoy-attempt-count: 1\r\n");
            reply(p.upstream(0), UNAVAILABLE);
            runTimers(p);
            assertThat(p.upstream(0).isOpen()).as("the try answered 503 is reset").isFalse();
            assertThat(p.connector.created).hasSize(2);
            assertThat(p.connector.addresses).extracting(InetSocketAddress::getPort).containsExactly(8001, 8002);
            assertThat(sentOn(p.upstream(1))).startsWith("GET / HTTP/1.1").contains("x-envoy-attempt-count: 2\r\n");
            reply(p.upstream(1), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK").endsWith("hi");
            assertThat(m.answers).containsExactly("200 -");
            assertThat(p.client.isOpen()).isTrue();
        }
    }

    @Test
    void theDefaultPolicyDoesNotRetryA502() {
        Answers m = new Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, NO_WAIT, m)) {
            p.send(get("/"));
            reply(p.upstream(0), BAD_GATEWAY);
            runTimers(p);
            assertThat(p.received()).startsWith("HTTP/1.1 502").endsWith("bad");
            assertThat(p.connector.created).hasSize(1);
            assertThat(m.answers).containsExactly("502 -");
        }
    }

    @Test
    void whenRetriesRunOutTheLast503GoesToTheClientFlaggedURX() {
        Answers m = new Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, NO_WAIT, m)) {
            p.send(get("/"));
            for (int i = 0; i < 3; i++) {
                assertThat(sentOn(p.upstream(i))).contains("x-envoy-attempt-count: " + (i + 1) + "\r\n");
                reply(p.upstream(i), UNAVAILABLE.replace("busy", "bus" + i));
                runTimers(p);
            }
            assertThat(p.connector.created).hasSize(3);
            assertThat(p.received()).startsWith("HTTP/1.1 503 Service Unavailable").endsWith("bus2");
            assertThat(m.answers).containsExactly("503 URX");
        }
    }

    @Test
    void connectFailuresAreRetriedThenAnswered503UF() {
        Answers m = new Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, NO_WAIT, m)) {
            p.connector.mode = EmbeddedProxy.Connect.FAIL;
            p.send(get("/"));
            runTimers(p);
            runTimers(p);
            assertThat(p.connector.addresses).hasSize(3);
            assertThat(p.received()).startsWith("HTTP/1.1 503")
                    .endsWith("reset reason: connection failure");
            assertThat(m.answers).containsExactly("503 UF"); // logged UF,URX
        }
    }

    @Test
    void aConnectFailureThenSuccessOnTheOtherHost() {
        Answers m = new Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, NO_WAIT, m)) {
            p.connector.mode = EmbeddedProxy.Connect.HOLD;
            p.send(get("/"));
            p.connector.mode = EmbeddedProxy.Connect.OK;
            p.connector.held.upstreamFailed(new java.net.ConnectException("Connection refused"));
            runTimers(p);
            assertThat(p.connector.addresses).extracting(InetSocketAddress::getPort).containsExactly(8001, 8002);
            assertThat(sentOn(p.upstream(0))).contains("x-envoy-attempt-count: 2\r\n");
            reply(p.upstream(0), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
            assertThat(m.answers).containsExactly("200 -");
        }
    }

    @Test
    void attemptsZeroPassesTheFirstAnswer() {
        Answers m = new Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, NO_WAIT, m)) {
            p.send(get("/none"));
            reply(p.upstream(0), UNAVAILABLE);
            runTimers(p);
            assertThat(p.received()).startsWith("HTTP/1.1 503").endsWith("busy");
            assertThat(p.connector.created).hasSize(1);
            assertThat(m.answers).containsExactly("503 -");
        }
    }

    @Test
    void aPerTryTimeoutIsRetriedOnTheOtherHost() {
        Answers m = new Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, NO_WAIT, m)) {
            p.client.freezeTime(); // only advanceTimeBy moves the clock
            p.send(get("/five"));
            EmbeddedChannel first = p.upstream(0);
            p.client.advanceTimeBy(999, TimeUnit.MILLISECONDS);
            runTimers(p);
            assertThat(p.connector.created).hasSize(1);
            p.client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
            runTimers(p);
            runTimers(p);
            assertThat(first.isOpen()).isFalse();
            assertThat(p.connector.created).hasSize(2);
            assertThat(p.connector.addresses).extracting(InetSocketAddress::getPort).containsExactly(8001, 8002);
            reply(p.upstream(1), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
            assertThat(m.answers).containsExactly("200 -");
        }
    }

    @Test
    void theRouteTimeoutBoundsAllTries() {
        Answers m = new Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, NO_WAIT, m)) {
            p.client.freezeTime(); // only advanceTimeBy moves the clock
            p.send(get("/bounded"));
            for (int i = 0; i < 2; i++) {
                p.client.advanceTimeBy(400, TimeUnit.MILLISECONDS);
                runTimers(p);
                runTimers(p);
            }
            assertThat(p.connector.created).hasSize(3);
            p.client.advanceTimeBy(199, TimeUnit.MILLISECONDS);
            runTimers(p);
            assertThat(p.received()).isEmpty();
            p.client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
            runTimers(p);
            assertThat(p.received()).startsWith("HTTP/1.1 504").endsWith("upstream request timeout");
            assertThat(p.connector.created).hasSize(3).allMatch(ch -> !ch.isOpen());
            assertThat(m.answers).containsExactly("504 UT");
        }
    }

    @Test
    void theBackOffIsJitteredUnderEnvoysCeiling() {
        Answers m = new Answers();
        RandomSource longest = bound -> bound - 1;
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, longest, m)) {
            p.client.freezeTime(); // only advanceTimeBy moves the clock
            p.send(get("/"));
            reply(p.upstream(0), UNAVAILABLE);
            p.client.advanceTimeBy(23, TimeUnit.MILLISECONDS);
            runTimers(p);
            assertThat(p.connector.created).as("first retry waits up to 24 ms").hasSize(1);
            p.client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
            runTimers(p);
            assertThat(p.connector.created).hasSize(2);
            reply(p.upstream(1), UNAVAILABLE);
            p.client.advanceTimeBy(73, TimeUnit.MILLISECONDS);
            runTimers(p);
            assertThat(p.connector.created).as("second retry waits up to 74 ms").hasSize(2);
            p.client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
            runTimers(p);
            assertThat(p.connector.created).hasSize(3);
            reply(p.upstream(2), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void aBodyHeldInTheRetryBufferIsSentAgain() {
        Answers m = new Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, NO_WAIT, m)) {
            p.send("POST /five HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 5\r\n\r\nhel");
            p.send("lo");
            assertThat(sentOn(p.upstream(0))).endsWith("\r\n\r\nhello");
            reply(p.upstream(0), BAD_GATEWAY);
            runTimers(p);
            assertThat(sentOn(p.upstream(1))).startsWith("POST /five HTTP/1.1")
                    .contains("x-envoy-attempt-count: 2\r\n").endsWith("\r\n\r\nhello");
            reply(p.upstream(1), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
            assertThat(m.answers).containsExactly("200 -");
        }
    }

    @Test
    void aBodyLongerThanTheRetryBufferStreamsAndIsNotRetried() {
        Answers m = new Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, NO_WAIT, m)) {
            String chunk = "x".repeat(20 * 1024);
            p.send("POST /five HTTP/1.1\r\nHost: app.example.com\r\nTransfer-Encoding: chunked\r\n\r\n");
            p.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
            p.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
            p.send("0\r\n\r\n");
            String sent = sentOn(p.upstream(0));
            assertThat(sent.substring(sent.indexOf("\r\n\r\n")).chars().filter(c -> c == 'x').count()).isEqualTo(2 * chunk.length());
            reply(p.upstream(0), BAD_GATEWAY);
            runTimers(p);
            assertThat(p.connector.created).hasSize(1);
            assertThat(p.received()).startsWith("HTTP/1.1 502").endsWith("bad");
            assertThat(m.answers).as("no retry was possible: not URX").containsExactly("502 -");
        }
    }

    @Test
    void aBodyOutgrowingTheRetryBufferDuringTheBackOffIs507() {
        Answers m = new Answers();
        RandomSource longest = bound -> bound - 1;
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, longest, m)) {
            p.client.freezeTime();
            String chunk = "y".repeat(8 * 1024);
            p.send("POST /five HTTP/1.1\r\nHost: app.example.com\r\nTransfer-Encoding: chunked\r\n\r\n");
            p.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
            reply(p.upstream(0), BAD_GATEWAY); // answered early: retried after up to 24 ms
            for (int i = 0; i < 4; i++) {
                p.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
            }
            assertThat(p.received()).startsWith("HTTP/1.1 507 Insufficient Storage")
                    .endsWith("exceeded request buffer limit while retrying upstream");
            assertThat(p.client.isOpen()).as("the rest of the body is not read").isFalse();
            p.client.advanceTimeBy(1, TimeUnit.SECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(p.connector.created).as("no retry after the 507").hasSize(1);
            assertThat(m.answers).containsExactly("507 -");
        }
    }
}
