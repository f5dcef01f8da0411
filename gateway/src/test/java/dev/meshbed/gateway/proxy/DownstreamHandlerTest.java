package dev.meshbed.gateway.proxy;

import static dev.meshbed.gateway.proxy.EmbeddedProxy.reply;
import static dev.meshbed.gateway.proxy.EmbeddedProxy.sentOn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.routing.RandomSource;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The data plane on EmbeddedChannels: what goes up, what comes down, and every local answer. */
class DownstreamHandlerTest {

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
              - match: [{uri: {prefix: /slow}}]
                timeout: 2s
                route: [{destination: {host: app, subset: v1}}]
              - match: [{uri: {prefix: /nobody}}]
                route: [{destination: {host: app, subset: nobody}}]
              - match: [{uri: {prefix: /missing}}]
                route: [{destination: {host: app, subset: v9}}]
              - match: [{uri: {prefix: /moved}}]
                redirect: {uri: /new, authority: other.example.com}
              - route:
                - destination: {host: app, subset: v1}
                  weight: 80
                - destination: {host: app, subset: v2}
                  weight: 20
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: app, namespace: default}
            spec:
              host: app
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
              - {name: nobody, labels: {version: v3}}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: app, namespace: default}
            spec:
              hosts: [app.default.svc.cluster.local]
              resolution: STATIC
              ports: [{number: 80, name: http, protocol: HTTP}]
              endpoints:
              - {address: 10.0.0.1, ports: {http: 8001}, labels: {version: v1}}
              - {address: 10.0.0.2, ports: {http: 8002}, labels: {version: v2}}
            """;

    static final RandomSource FIRST = bound -> 0; // every weighted pick takes the first destination
    static final String GET = "GET /hello HTTP/1.1\r\nHost: app.example.com\r\n\r\n";
    static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nx-version: v1\r\n\r\nhi";

    @Test
    void forwardsTheRequestAndRelaysTheResponse() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET /hello?x=1 HTTP/1.1\r\nHost: app.example.com\r\nConnection: keep-alive, x-drop\r\n"
                    + "x-drop: 1\r\nKeep-Alive: timeout=5\r\nx-forwarded-for: 1.2.3.4\r\n\r\n");
            assertThat(p.connector.addresses).hasSize(1);
            assertThat(p.connector.addresses.get(0).getPort()).isEqualTo(8001);
            EmbeddedChannel up = p.upstream(0);
            String sent = sentOn(up);
            assertThat(sent).startsWith("GET /hello?x=1 HTTP/1.1\r\n")
                    .containsIgnoringCase("host: app.example.com\r\n")
                    .containsIgnoringCase("x-forwarded-for: 1.2.3.4, ")
                    .containsIgnoringCase("x-forwarded-proto: http\r\n")
                    .containsPattern("(?i)x-request-id: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
                    .doesNotContainIgnoringCase("x-drop")
                    .doesNotContainIgnoringCase("keep-alive")
                    .doesNotContainIgnoringCase("connection:");

            reply(up, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nx-version: v1\r\nConnection: keep-alive\r\n\r\nhi");
            String got = p.received();
            assertThat(got).startsWith("HTTP/1.1 200 OK\r\n").containsIgnoringCase("x-version: v1")
                    .doesNotContainIgnoringCase("connection:").endsWith("\r\n\r\nhi");
            assertThat(p.connector.released).containsExactly(up);
            assertThat(p.client.isOpen()).isTrue();
        }
    }

    @Test
    void reusesTheUpstreamConnectionForTheNextRequest() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send(GET);
            reply(p.upstream(0), OK);
            p.send(GET);
            assertThat(p.connector.created).hasSize(1);
            assertThat(sentOn(p.upstream(0))).contains("GET /hello").hasSizeGreaterThan(0);
            reply(p.upstream(0), OK);
            assertThat(p.received().split("HTTP/1.1 200 OK", -1)).hasSize(3);
        }
    }

    @Test
    void unknownHostIs404NoRouteAndKeepsTheConnection() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET / HTTP/1.1\r\nHost: nobody.example.com\r\n\r\n");
            String got = p.received();
            assertThat(got).startsWith("HTTP/1.1 404 Not Found\r\n").containsIgnoringCase("content-length: 0")
                    .doesNotContainIgnoringCase("connection: close");
            assertThat(p.connector.addresses).isEmpty();
            p.send("GET / HTTP/1.1\r\nHost: nobody.example.com\r\n\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 404");
            assertThat(p.client.isOpen()).isTrue();
        }
    }

    @Test
    void portInHostIsIgnored() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET / HTTP/1.1\r\nHost: APP.example.com:31380\r\n\r\n");
            assertThat(p.connector.created).hasSize(1);
        }
    }

    @Test
    void subsetWithoutEndpointsIs503NoHealthyUpstream() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET /nobody HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 503 Service Unavailable\r\n").endsWith("no healthy upstream");
        }
    }

    @Test
    void undefinedSubsetIs503NoCluster() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET /missing HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 503 Service Unavailable\r\n");
            assertThat(p.connector.addresses).isEmpty();
        }
    }

    @Test
    void connectFailureIs503UpstreamFailure() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.connector.mode = EmbeddedProxy.Connect.FAIL;
            p.send(GET);
            assertThat(p.received()).startsWith("HTTP/1.1 503 Service Unavailable\r\n")
                    .endsWith("upstream connect error or disconnect/reset before headers. reset reason: connection failure");
            assertThat(p.client.isOpen()).isTrue();
        }
    }

    @Test
    void upstreamResetBeforeHeadersIs503UpstreamFailure() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send(GET);
            p.upstream(0).close();
            assertThat(p.received()).startsWith("HTTP/1.1 503")
                    .endsWith("reset reason: connection termination");
        }
    }

    @Test
    void aReusedConnectionThatTheUpstreamClosedIsRetriedOnceOnAFreshOne() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send(GET);
            reply(p.upstream(0), OK);
            p.received();
            p.send(GET);
            sentOn(p.upstream(0));
            p.upstream(0).close(); // the peer had closed the idle connection
            assertThat(p.connector.created).hasSize(2);
            assertThat(sentOn(p.upstream(1))).startsWith("GET /hello HTTP/1.1");
            reply(p.upstream(1), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void routeTimeoutIs504AndTheUpstreamConnectionIsClosed() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET /slow HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            EmbeddedChannel up = p.upstream(0);
            p.client.advanceTimeBy(1900, TimeUnit.MILLISECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(p.received()).isEmpty();
            p.client.advanceTimeBy(200, TimeUnit.MILLISECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(p.received()).startsWith("HTTP/1.1 504 Gateway Timeout\r\n").endsWith("upstream request timeout");
            assertThat(up.isOpen()).isFalse();
            assertThat(p.connector.released).isEmpty();
        }
    }

    @Test
    void timeoutWhileConnectingAnswers504AndReturnsTheLateConnection() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.connector.mode = EmbeddedProxy.Connect.HOLD;
            p.send("GET /slow HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            p.client.advanceTimeBy(2, TimeUnit.SECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(p.received()).startsWith("HTTP/1.1 504");
            EmbeddedChannel late = p.connector.newChannel();
            p.connector.held.upstreamReady(late, false);
            assertThat(p.connector.released).containsExactly(late);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET /a HTTP/1.1\r\nHost: app.example.com\r\n\r\n"
                    + "GET /b HTTP/1.1\r\nHost: nobody.example.com\r\n\r\n"
                    + "GET /c HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            assertThat(sentOn(p.upstream(0))).contains("GET /a ").doesNotContain("GET /c");
            assertThat(p.received()).isEmpty(); // /b waits for /a
            reply(p.upstream(0), "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA");
            p.client.runPendingTasks();
            assertThat(sentOn(p.upstream(0))).contains("GET /c ");
            reply(p.upstream(0), "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nC");
            String got = p.received();
            assertThat(got.indexOf("\r\n\r\nA")).isLessThan(got.indexOf("404 Not Found"));
            assertThat(got.indexOf("404 Not Found")).isLessThan(got.indexOf("\r\n\r\nC"));
        }
    }

    @Test
    void chunkedRequestBodyStreamsUpstream() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("POST /upload HTTP/1.1\r\nHost: app.example.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            String first = sentOn(p.upstream(0));
            assertThat(first).startsWith("POST /upload HTTP/1.1").containsIgnoringCase("transfer-encoding: chunked")
                    .endsWith("5\r\nhello\r\n");
            p.send("6\r\n world\r\n0\r\n\r\n");
            assertThat(sentOn(p.upstream(0))).isEqualTo("6\r\n world\r\n0\r\n\r\n");
            reply(p.upstream(0), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void closeDelimitedResponseIsChunkedToTheClient() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send(GET);
            EmbeddedChannel up = p.upstream(0);
            reply(up, "HTTP/1.0 200 OK\r\nx-version: v1\r\n\r\nsome body");
            up.close(); // ends the body
            String got = p.received();
            assertThat(got).startsWith("HTTP/1.1 200 OK\r\n").containsIgnoringCase("transfer-encoding: chunked")
                    .contains("9\r\nsome body\r\n").endsWith("0\r\n\r\n");
            assertThat(p.connector.released).isEmpty();
            assertThat(p.client.isOpen()).isTrue();
        }
    }

    @Test
    void upstreamDyingMidResponseResetsTheClient() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send(GET);
            reply(p.upstream(0), "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
            p.upstream(0).close();
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK").endsWith("half");
            assertThat(p.client.isOpen()).isFalse();
        }
    }

    @Test
    void clientLeavingMidRequestClosesTheUpstream() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send(GET);
            EmbeddedChannel up = p.upstream(0);
            p.client.close();
            assertThat(up.isOpen()).isFalse();
            assertThat(p.connector.released).isEmpty();
        }
    }

    @Test
    void malformedRequestIs400AndTheConnectionCloses() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET / HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: abc\r\n\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("bad request: ")
                    .containsIgnoringCase("connection: close");
            assertThat(p.client.isOpen()).isFalse();
            assertThat(p.connector.addresses).isEmpty();
        }
    }

    @Test
    void oversizedHeadersAre431() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET / HTTP/1.1\r\nHost: app.example.com\r\nx-big: " + "a".repeat(70_000) + "\r\n\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 431 ");
            assertThat(p.client.isOpen()).isFalse();
        }
    }

    @Test
    void expectContinueIsAnsweredByTheGateway() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("PUT /x HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
            assertThat(p.received()).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
            assertThat(sentOn(p.upstream(0))).doesNotContainIgnoringCase("expect");
            p.send("abc");
            assertThat(sentOn(p.upstream(0))).isEqualTo("abc");
        }
    }

    @Test
    void headResponseHasNoBody() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("HEAD /x HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            reply(p.upstream(0), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK").containsIgnoringCase("content-length: 5")
                    .endsWith("\r\n\r\n");
            assertThat(p.connector.released).hasSize(1);
        }
    }

    @Test
    void http10ClientWithoutKeepAliveIsClosedAfterTheResponse() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET /x HTTP/1.0\r\nHost: app.example.com\r\n\r\n");
            assertThat(sentOn(p.upstream(0))).startsWith("GET /x HTTP/1.1\r\n");
            reply(p.upstream(0), OK);
            assertThat(p.received()).containsIgnoringCase("connection: close");
            assertThat(p.client.isOpen()).isFalse();
            assertThat(p.connector.released).hasSize(1); // the upstream connection is still good
        }
    }

    @Test
    void redirectRoute() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET /moved HTTP/1.1\r\nHost: app.example.com:31380\r\n\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 301 Moved Permanently\r\n")
                    .containsIgnoringCase("location: http://other.example.com/new\r\n");
        }
    }

    @Test
    void weightedPickUsesTheInjectedRandomness() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, bound -> bound - 1)) { // last interval: v2
            p.send(GET);
            assertThat(p.connector.addresses.get(0).getPort()).isEqualTo(8002);
        }
    }
}
