package dev.meshbed.gateway.proxy;

import static dev.meshbed.gateway.proxy.EmbeddedProxy.reply;
import static dev.meshbed.gateway.proxy.EmbeddedProxy.sentOn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.routing.RandomSource;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Traffic mirroring: a copy to the mirror cluster, Host suffixed -shadow, its answer dropped, the request untouched. */
class MirrorTest {

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
              - match: [{uri: {prefix: /half}}]
                route: [{destination: {host: app, subset: v1}}]
                mirror: {host: app, subset: v2}
                mirrorPercentage: {value: 50}
              - route: [{destination: {host: app, subset: v1}}]
                mirror: {host: app, subset: v2}
            ---
            """ + EmbeddedProxy.APP_SUBSETS_AND_ENDPOINTS;

    static final RandomSource LOW = bound -> 0;
    static final RandomSource HIGH = bound -> bound - 1;
    static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";

    /** Counts edge events besides the answers. */
    static final class Events extends RetriesTest.Answers {
        int dropped;

        @Override
        public void edgeEvent(String name) {
            if (name.equals("shadow_rq_dropped")) {
                dropped++;
            }
        }
    }

    @Test
    void aGetIsMirroredWithTheShadowAuthorityAndItsAnswerDropped() {
        RetriesTest.Answers m = new RetriesTest.Answers();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, LOW, m)) {
            p.send("GET /x HTTP/1.1\r\nHost: app.example.com:8080\r\n\r\n");
            assertThat(p.connector.addresses).extracting(InetSocketAddress::getPort).containsExactly(8001, 8002);
            EmbeddedChannel shadow = p.upstream(1);
            assertThat(sentOn(shadow)).startsWith("GET /x HTTP/1.1\r\n")
                    .containsIgnoringCase("host: app.example.com-shadow:8080\r\n").doesNotContain("x-envoy-attempt-count");
            assertThat(sentOn(p.upstream(0))).contains("Host: app.example.com:8080\r\n");
            reply(shadow, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops");
            assertThat(p.received()).as("the mirror's answer goes nowhere").isEmpty();
            assertThat(p.connector.released).as("the mirror's connection is pooled again").containsExactly(shadow);
            reply(p.upstream(0), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK").endsWith("hi");
            assertThat(m.answers).containsExactly("200 -");
        }
    }

    @Test
    void aSilentMirrorNeitherDelaysTheAnswerNorLivesPastItsTimeout() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, LOW)) {
            p.client.freezeTime();
            p.send("GET /x HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            reply(p.upstream(0), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
            EmbeddedChannel shadow = p.upstream(1);
            assertThat(shadow.isOpen()).isTrue();
            p.client.advanceTimeBy(15, TimeUnit.SECONDS);
            p.client.runScheduledPendingTasks();
            assertThat(shadow.isOpen()).as("closed at Envoy's default route timeout, 15 s").isFalse();
        }
    }

    @Test
    void aBodyIsMirroredFromTheRetryBuffer() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, LOW)) {
            p.send("POST /x HTTP/1.1\r\nHost: app.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n");
            String mirrored = sentOn(p.upstream(1));
            assertThat(mirrored).contains("content-length: 5\r\n").doesNotContainIgnoringCase("transfer-encoding")
                    .endsWith("\r\n\r\nhello");
            assertThat(sentOn(p.upstream(0))).contains("hel").contains("lo");
            reply(p.upstream(0), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void mirrorPercentageIsDrawnPerRequest() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, HIGH)) {
            p.send("GET /half HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            assertThat(p.connector.created).as("draw 999,999 of 1,000,000 is over 50 %").hasSize(1);
            reply(p.upstream(0), OK);
        }
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, LOW)) {
            p.send("GET /half HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
            assertThat(p.connector.created).as("draw 0 is under 50 %").hasSize(2);
            reply(p.upstream(0), OK);
        }
    }

    @Test
    void mirrorsInFlightPerEventLoopAreBoundedAndTheExcessCounted() {
        Events m = new Events();
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, LOW, m)) {
            int before = ShadowRequest.inFlight();
            for (int i = 0; i < ShadowRequest.MAX_IN_FLIGHT_PER_LOOP - before + 1; i++) {
                p.send("GET /x HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
                reply(p.upstream(0), OK); // the main connection, pooled and reused; each mirror has its own

                p.received();
            }
            assertThat(ShadowRequest.inFlight()).isEqualTo(ShadowRequest.MAX_IN_FLIGHT_PER_LOOP);
            assertThat(m.dropped).isEqualTo(1);
            assertThat(m.answers).hasSize(ShadowRequest.MAX_IN_FLIGHT_PER_LOOP - before + 1).containsOnly("200 -");
        }
        assertThat(ShadowRequest.inFlight()).as("closing the silent mirrors ends them").isZero();
    }

    @Test
    void shadowHostGoesBeforeThePort() {
        assertThat(ProxyExchange.shadowHost("app.example.com")).isEqualTo("app.example.com-shadow");
        assertThat(ProxyExchange.shadowHost("app.example.com:8080")).isEqualTo("app.example.com-shadow:8080");
        assertThat(ProxyExchange.shadowHost("[::1]:80")).isEqualTo("[::1]-shadow:80");
        assertThat(ProxyExchange.shadowHost("[::1]")).isEqualTo("[::1]-shadow");
    }
}
