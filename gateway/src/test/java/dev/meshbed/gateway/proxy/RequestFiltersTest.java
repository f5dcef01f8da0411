package dev.meshbed.gateway.proxy;

import static dev.meshbed.gateway.proxy.EmbeddedProxy.reply;
import static dev.meshbed.gateway.proxy.EmbeddedProxy.sentOn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.routing.RandomSource;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Fault injection, header operations, rewrites and CORS on EmbeddedChannels: what goes up and what comes down. */
class RequestFiltersTest {

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
              - name: abort
                match: [{uri: {prefix: /abort}}]
                fault: {abort: {httpStatus: 418, percentage: {value: 50}}}
                headers: {response: {set: {x-resp: abort-route}}}
                route: [{destination: {host: app, subset: v1}}]
              - name: delay
                match: [{uri: {prefix: /delay}}]
                timeout: 500ms
                fault: {delay: {fixedDelay: 1s, percentage: {value: 100}}}
                route: [{destination: {host: app, subset: v1}}]
              - name: both
                match: [{uri: {prefix: /both}}]
                fault:
                  delay: {fixedDelay: 1s, percent: 100}
                  abort: {httpStatus: 503, percentage: {value: 100}}
                route: [{destination: {host: app, subset: v1}}]
              - name: headers
                match: [{uri: {prefix: /headers}}]
                headers:
                  request: {set: {x-route: r, x-both: route}, add: {x-multi: route}, remove: [x-secret]}
                  response: {set: {x-resp: route}, remove: [server]}
                route:
                - destination: {host: app, subset: v1}
                  headers:
                    request: {set: {x-both: destination, host: dest.example}, add: {x-multi: destination}}
                    response: {add: {x-resp: destination}}
              - name: weighted
                match: [{uri: {prefix: /weighted}}]
                headers:
                  request: {set: {x-both: route, host: route.example}}
                route:
                - destination: {host: app, subset: v1}
                  weight: 50
                  headers:
                    request: {set: {x-both: destination, host: v1.example}}
                - destination: {host: app, subset: v2}
                  weight: 50
              - name: rewrite
                match: [{uri: {prefix: /old}}]
                rewrite: {uri: /new, authority: inner.example}
                route: [{destination: {host: app, subset: v1}}]
              - name: cors-forward
                match: [{uri: {prefix: /cors-forward}}]
                corsPolicy:
                  allowOrigins: [{exact: "https://ok.example"}]
                route: [{destination: {host: app, subset: v1}}]
              - name: cors-ignore
                match: [{uri: {prefix: /cors-ignore}}]
                corsPolicy:
                  allowOrigins: [{exact: "https://ok.example"}]
                  allowMethods: [GET]
                  unmatchedPreflights: IGNORE
                route: [{destination: {host: app, subset: v1}}]
              - name: cors
                match: [{uri: {prefix: /cors}}]
                corsPolicy:
                  allowOrigins: [{exact: "https://ok.example"}]
                  allowMethods: [GET, PUT]
                  allowHeaders: [x-token]
                  exposeHeaders: [x-version]
                  maxAge: 10m
                  allowCredentials: true
                fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
                route: [{destination: {host: app, subset: v1}}]
            ---
            """ + EmbeddedProxy.APP_SUBSETS_AND_ENDPOINTS;

    static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: up\r\nx-version: v1\r\n\r\nhi";
    static final int MILLION = 1_000_000;

    /** Fault draws (bound one million) return {@code faultDraw}; every other draw 0. */
    static RandomSource faultDraws(int faultDraw) {
        return bound -> bound == MILLION ? faultDraw : 0;
    }

    static String get(String path, String... headerLines) {
        StringBuilder sb = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: app.example.com\r\n");
        for (String h : headerLines) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    /** What the test's metrics saw. */
    static final class Recorded implements ProxyMetrics {
        final List<ResponseFlag> flags = new ArrayList<>();
        final List<String> events = new ArrayList<>();

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
            flags.add(flag);
        }

        @Override
        public void edgeEvent(String name) {
            events.add(name);
        }
    }

    // ---------------------------------------------------------------- fault

    @Test
    void abortAnswersLocallyWithEnvoysBodyAndFlagFiBeforeAnyUpstreamWork() {
        Recorded m = new Recorded();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(499_999), m)) {
            p.send(get("/abort"));
            assertThat(p.received()).startsWith("HTTP/1.1 418 ").contains("content-length: 18")
                    .endsWith("\r\n\r\nfault filter abort");
            assertThat(p.connector.addresses).as("no upstream work").isEmpty();
            assertThat(m.flags).containsExactly(ResponseFlag.FI);
            assertThat(m.events).containsExactly("fault.aborts_injected");
            assertThat(p.client.isOpen()).isTrue();
        }
    }

    @Test
    void abortNotDrawnForwardsAsUsual() {
        Recorded m = new Recorded();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(500_000), m)) {
            p.send(get("/abort"));
            EmbeddedChannel up = p.upstream(0);
            assertThat(sentOn(up)).startsWith("GET /abort HTTP/1.1");
            reply(up, OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
            assertThat(m.flags).containsExactly(ResponseFlag.NONE);
            assertThat(m.events).isEmpty();
        }
    }

    @Test
    void delayHoldsTheRequestOnATimerAndTheRouteTimeoutStartsAfterIt() {
        Recorded m = new Recorded();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0), m)) {
            p.client.freezeTime();
            p.send(get("/delay"));
            assertThat(p.connector.addresses).isEmpty();
            p.client.advanceTimeBy(999, TimeUnit.MILLISECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(p.connector.addresses).as("still delayed").isEmpty();
            assertThat(p.received()).isEmpty();
            p.client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(p.connector.addresses).hasSize(1);
            EmbeddedChannel up = p.upstream(0);
            assertThat(sentOn(up)).startsWith("GET /delay HTTP/1.1");
            // 1 s of delay did not use up the 500 ms route timeout: it starts now
            p.client.advanceTimeBy(400, TimeUnit.MILLISECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(p.received()).isEmpty();
            reply(up, OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
            assertThat(m.flags).containsExactly(ResponseFlag.DI);
            assertThat(m.events).containsExactly("fault.delays_injected");
        }
    }

    @Test
    void aBodyThatArrivesDuringTheDelayIsHeldAndSentAfterIt() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.client.freezeTime();
            p.send("POST /delay HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 10\r\n\r\nhello");
            p.send("world");
            assertThat(p.connector.addresses).isEmpty();
            p.client.advanceTimeBy(1, TimeUnit.SECONDS);
            p.client.runScheduledPendingTasks();
            EmbeddedChannel up = p.upstream(0);
            assertThat(sentOn(up)).startsWith("POST /delay HTTP/1.1").endsWith("\r\n\r\nhelloworld");
            reply(up, OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void anAbortToHeadHasNoBody() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.send("HEAD /abort HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 418 ").endsWith("\r\n\r\n");
        }
    }

    @Test
    void theRouteTimeoutStillAppliesAfterTheDelay() {
        Recorded m = new Recorded();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0), m)) {
            p.client.freezeTime();
            p.send(get("/delay"));
            p.client.advanceTimeBy(1000, TimeUnit.MILLISECONDS);
            p.client.runScheduledPendingTasks();
            p.client.advanceTimeBy(500, TimeUnit.MILLISECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(p.received()).startsWith("HTTP/1.1 504 Gateway Timeout");
            assertThat(m.flags).as("Envoy would log DI,UT; one flag is kept").containsExactly(ResponseFlag.UT);
        }
    }

    @Test
    void delayThenAbortIsFlaggedDiFi() {
        Recorded m = new Recorded();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0), m)) {
            p.client.freezeTime();
            p.send(get("/both"));
            assertThat(p.received()).isEmpty();
            p.client.advanceTimeBy(1, TimeUnit.SECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(p.received()).startsWith("HTTP/1.1 503 Service Unavailable").endsWith("fault filter abort");
            assertThat(p.connector.addresses).isEmpty();
            assertThat(m.flags).containsExactly(ResponseFlag.DI_FI);
            assertThat(m.events).containsExactly("fault.delays_injected", "fault.aborts_injected");
        }
    }

    @Test
    void aClientThatLeavesDuringTheDelayCancelsIt() {
        Recorded m = new Recorded();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0), m)) {
            p.send(get("/delay"));
            p.client.close();
            p.client.advanceTimeBy(2, TimeUnit.SECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(p.connector.addresses).isEmpty();
            assertThat(m.flags).containsExactly(ResponseFlag.DC);
        }
    }

    // ---------------------------------------------------------------- headers and rewrites

    @Test
    void aLoneDestinationsHeaderOperationsComeAfterTheRoutes() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.send(get("/headers", "x-secret: s", "x-multi: client"));
            EmbeddedChannel up = p.upstream(0);
            String sent = sentOn(up);
            assertThat(sent).contains("x-route: r\r\n").contains("x-both: destination\r\n")
                    .doesNotContain("x-both: route").doesNotContain("x-secret")
                    .contains("host: dest.example\r\n").doesNotContain("app.example.com");
            assertThat(sent.indexOf("x-multi: client")).isLessThan(sent.indexOf("x-multi: route"));
            assertThat(sent.indexOf("x-multi: route")).isLessThan(sent.indexOf("x-multi: destination"));
            reply(up, OK);
            String got = p.received();
            assertThat(got).contains("x-resp: route\r\n").contains("x-resp: destination\r\n")
                    .doesNotContainIgnoringCase("server: up");
        }
    }

    @Test
    void aWeightedDestinationsOperationsComeFirstSoTheRouteSetWinsButItsHostRewriteWins() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.send(get("/weighted"));
            String sent = sentOn(p.upstream(0));
            assertThat(sent).contains("x-both: route\r\n").doesNotContain("x-both: destination")
                    .contains("host: v1.example\r\n");
        }
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, bound -> bound == 100 ? 99 : 0)) {
            p.send(get("/weighted"));
            assertThat(p.connector.addresses.get(0).getPort()).isEqualTo(8002);
            assertThat(sentOn(p.upstream(0))).contains("host: route.example\r\n");
        }
    }

    @Test
    void rewriteSendsTheNewPathAndAuthorityUpstreamWithTheOriginalPath() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.send(get("/old/page?a=1"));
            String sent = sentOn(p.upstream(0));
            assertThat(sent).startsWith("GET /new/page?a=1 HTTP/1.1\r\n").contains("host: inner.example\r\n")
                    .contains("x-envoy-original-path: /old/page?a=1\r\n");
        }
    }

    @Test
    void theRoutersOwnAnswersGetTheResponseOperationsTheFaultsAbortDoesNot() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.connector.mode = EmbeddedProxy.Connect.FAIL;
            p.send(get("/headers"));
            assertThat(p.received()).startsWith("HTTP/1.1 503").contains("x-resp: route\r\n")
                    .contains("x-resp: destination\r\n");
        }
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.send(get("/abort"));
            assertThat(p.received()).startsWith("HTTP/1.1 418").doesNotContain("x-resp");
        }
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(999_999))) {
            p.send(get("/abort"));
            EmbeddedChannel up = p.upstream(0);
            sentOn(up);
            reply(up, OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200").contains("x-resp: abort-route\r\n");
        }
    }

    // ---------------------------------------------------------------- CORS

    static String preflight(String path, String origin) {
        return "OPTIONS " + path + " HTTP/1.1\r\nHost: app.example.com\r\nOrigin: " + origin
                + "\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: x-token\r\n\r\n";
    }

    @Test
    void aPreflightIsAnsweredAtTheEdgeBeforeTheFault() {
        Recorded m = new Recorded();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0), m)) {
            p.send(preflight("/cors", "https://ok.example"));
            String got = p.received();
            assertThat(got).startsWith("HTTP/1.1 200 OK\r\n")
                    .contains("access-control-allow-origin: https://ok.example\r\n")
                    .contains("access-control-allow-credentials: true\r\n")
                    .contains("access-control-allow-methods: GET,PUT\r\n")
                    .contains("access-control-allow-headers: x-token\r\n")
                    .contains("access-control-max-age: 600\r\n")
                    .contains("content-length: 0\r\n")
                    .doesNotContain("access-control-expose-headers");
            assertThat(p.connector.addresses).isEmpty();
            assertThat(m.flags).containsExactly(ResponseFlag.NONE);
            assertThat(m.events).containsExactly("cors.origin_valid");
        }
    }

    @Test
    void anAbortToAnAllowedOriginCarriesTheCorsHeaders() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.send(get("/cors", "Origin: https://ok.example"));
            assertThat(p.received()).startsWith("HTTP/1.1 503").contains("access-control-allow-origin: https://ok.example\r\n")
                    .contains("access-control-expose-headers: x-version\r\n");
        }
    }

    @Test
    void aSimpleRequestGetsTheCorsHeadersOnTheUpstreamsResponse() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.send(get("/cors-forward", "Origin: https://ok.example"));
            EmbeddedChannel up = p.upstream(0);
            assertThat(sentOn(up)).as("the request goes up as it came").contains("Origin: https://ok.example");
            reply(up, OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK")
                    .contains("access-control-allow-origin: https://ok.example\r\n");
        }
    }

    @Test
    void anOriginThatDoesNotMatchGetsNoCorsHeadersAndItsPreflightIsForwarded() {
        Recorded m = new Recorded();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0), m)) {
            p.send(preflight("/cors-forward", "https://evil.example"));
            EmbeddedChannel up = p.upstream(0);
            assertThat(sentOn(up)).startsWith("OPTIONS /cors-forward HTTP/1.1");
            reply(up, "HTTP/1.1 204 No Content\r\n\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 204").doesNotContain("access-control-");
            assertThat(m.events).containsExactly("cors.origin_invalid");
        }
    }

    @Test
    void withUnmatchedPreflightsIgnoreTheEdgeAnswersWithoutAllowOrigin() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.send(preflight("/cors-ignore", "https://evil.example"));
            String got = p.received();
            assertThat(got).startsWith("HTTP/1.1 200 OK").doesNotContain("access-control-allow-origin")
                    .contains("access-control-allow-methods: GET\r\n");
            assertThat(p.connector.addresses).isEmpty();
        }
    }

    @Test
    void aRequestWithoutOriginIsNotCors() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, faultDraws(0))) {
            p.send("OPTIONS /cors-forward HTTP/1.1\r\nHost: app.example.com\r\nAccess-Control-Request-Method: PUT\r\n\r\n");
            EmbeddedChannel up = p.upstream(0);
            sentOn(up);
            reply(up, OK);
            assertThat(p.received()).doesNotContain("access-control-");
        }
    }
}
