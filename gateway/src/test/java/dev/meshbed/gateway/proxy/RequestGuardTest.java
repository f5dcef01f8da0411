package dev.meshbed.gateway.proxy;

import static dev.meshbed.gateway.proxy.DownstreamHandlerTest.CONFIG;
import static dev.meshbed.gateway.proxy.DownstreamHandlerTest.FIRST;
import static dev.meshbed.gateway.proxy.DownstreamHandlerTest.OK;
import static dev.meshbed.gateway.proxy.EmbeddedProxy.reply;
import static dev.meshbed.gateway.proxy.EmbeddedProxy.sentOn;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * HTTP/1.1 strictness and path normalisation on EmbeddedChannels: what the client gets, whether
 * the connection stays, and what (if anything) reaches the upstream.
 */
class RequestGuardTest {

    private static final String HOST = "Host: app.example.com\r\n";

    /** Sends one request that must be refused: returns what the client got; asserts nothing went upstream. */
    private static String refused(EmbeddedProxy p, String raw) {
        p.send(raw);
        String got = p.received();
        assertThat(p.connector.addresses).as("upstream connections for %s", raw).isEmpty();
        return got;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "lower-case method   | get /hello HTTP/1.1\\r\\n                         | 400 | method: get",
        "unknown method      | BREW /hello HTTP/1.1\\r\\n                        | 400 | method: BREW",
        "HTTP/1.2            | GET /hello HTTP/1.2\\r\\n                         | 400 | version: HTTP/1.2",
        "HTTP/2.0            | GET /hello HTTP/2.0\\r\\n                         | 400 | version: HTTP/2.0",
        "fragment            | GET /hello#top HTTP/1.1\\r\\n                     | 400 | request target: '#'",
        "control byte        | GET /he\u0001llo HTTP/1.1\\r\\n                   | 400 | request target: control byte 0x01",
        "non-ASCII byte      | GET /h\u00e9llo HTTP/1.1\\r\\n                    | 400 | request target: non-ASCII byte 0xe9",
        "authority form      | GET app.example.com:80 HTTP/1.1\\r\\n             | 400 | request target: app.example.com:80",
        "two Host headers    | GET /hello HTTP/1.1\\r\\nHost: other.example\\r\\n  | 400 | host: 2 Host headers",
        "TE gzip             | POST /hello HTTP/1.1\\r\\nTransfer-Encoding: gzip\\r\\n          | 501 | transfer-encoding: gzip (expected: chunked)",
        "TE gzip, chunked    | POST /hello HTTP/1.1\\r\\nTransfer-Encoding: gzip, chunked\\r\\n | 501 | transfer-encoding: gzip, chunked",
        "TE twice            | POST /hello HTTP/1.1\\r\\nTransfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked\\r\\n | 501 | transfer-encoding: chunked, chunked",
    })
    void protocolErrorsAreAnsweredAndTheConnectionCloses(String what, String head, int status, String problem) {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            String got = refused(p, head.replace("\\r\\n", "\r\n") + HOST + "\r\n0\r\n\r\n");
            assertThat(got).as(what).startsWith("HTTP/1.1 " + status + " ").containsIgnoringCase("connection: close")
                    .contains(problem);
            assertThat(p.client.isOpen()).as("connection open after: %s", what).isFalse();
        }
    }

    @Test
    void hostWithASpaceIs400() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            String got = refused(p, "GET /hello HTTP/1.1\r\nHost: app.example.com evil\r\n\r\n");
            assertThat(got).startsWith("HTTP/1.1 400 ").contains("host: \"app.example.com evil\" (expected: host[:port])");
            assertThat(p.client.isOpen()).isFalse();
        }
    }

    @Test
    void connectIs404AndTheTunnelBytesAreNeverReadAsARequest() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            String got = refused(p, "CONNECT app.example.com:443 HTTP/1.1\r\n" + HOST + "\r\n" + GET_SMUGGLED);
            assertThat(got).startsWith("HTTP/1.1 404 Not Found\r\n").containsIgnoringCase("connection: close")
                    .containsIgnoringCase("content-length: 0");
            assertThat(got.split("HTTP/1.1 ", -1)).as("responses in %s", got).hasSize(2);
            assertThat(p.client.isOpen()).isFalse();
        }
    }

    private static final String GET_SMUGGLED = "GET /smuggled HTTP/1.1\r\n" + HOST + "\r\n";

    @Test
    void aRefusedRequestGetsNo100Continue() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            String got = refused(p, "PUT /x HTTP/1.1\r\n" + HOST + "Transfer-Encoding: gzip\r\nExpect: 100-continue\r\n\r\n");
            assertThat(got).startsWith("HTTP/1.1 501 ").doesNotContain("100 Continue");
        }
    }

    @Test
    void theNormalisedPathIsWhatTheUpstreamReceives() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET /public/%2e%2e/./hello?a=/../b HTTP/1.1\r\n" + HOST + "\r\n");
            assertThat(sentOn(p.upstream(0))).startsWith("GET /hello?a=/../b HTTP/1.1\r\n");
            reply(p.upstream(0), OK);
            assertThat(p.received()).startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void theNormalisedPathIsWhatRoutesMatch() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            // /public/../nobody matches the prefix /nobody only once normalised: the subset without endpoints
            p.send("GET /public/../nobody HTTP/1.1\r\n" + HOST + "\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 503 ").endsWith("no healthy upstream");
        }
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST, new RequestPolicy(PathNormalization.NONE, false))) {
            p.send("GET /public/../nobody HTTP/1.1\r\n" + HOST + "\r\n");
            assertThat(sentOn(p.upstream(0))).as("with NONE, the raw path goes up")
                    .startsWith("GET /public/../nobody HTTP/1.1\r\n");
        }
    }

    @Test
    void anAbsoluteFormTargetIsNormalisedToo() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("GET http://app.example.com/a/../hello HTTP/1.1\r\n" + HOST + "\r\n");
            assertThat(sentOn(p.upstream(0))).startsWith("GET /hello HTTP/1.1\r\n");
        }
    }

    @Test
    void aPathThatCannotBeNormalisedIs400AndTheConnectionStays() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            String got = refused(p, "GET /a%00b HTTP/1.1\r\n" + HOST + "\r\n");
            assertThat(got).startsWith("HTTP/1.1 400 ").doesNotContainIgnoringCase("connection: close")
                    .endsWith("bad request: path: %00 is not allowed\n");
            assertThat(p.client.isOpen()).isTrue();
            p.send(DownstreamHandlerTest.GET);
            assertThat(sentOn(p.upstream(0))).startsWith("GET /hello HTTP/1.1\r\n");
        }
    }

    @Test
    void mergeSlashesIsHonoured() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST,
                new RequestPolicy(PathNormalization.MERGE_SLASHES, false))) {
            // normalised first (.. removes the empty segment before it), then merged, as in Envoy
            p.send("GET //a//..//hello HTTP/1.1\r\n" + HOST + "\r\n");
            assertThat(sentOn(p.upstream(0))).startsWith("GET /a/hello HTTP/1.1\r\n");
        }
    }

    private static final String CHUNKED_WITH_TRAILER = "POST /upload HTTP/1.1\r\n" + HOST
            + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n";

    @Test
    void requestTrailersAreDroppedByDefault() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send(CHUNKED_WITH_TRAILER);
            String up = sentOn(p.upstream(0));
            assertThat(up).contains("hello").endsWith("0\r\n\r\n").doesNotContainIgnoringCase("x-checksum");
        }
    }

    @Test
    void requestTrailersAreForwardedWhenEnabled() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST, new RequestPolicy(PathNormalization.BASE, true))) {
            p.send(CHUNKED_WITH_TRAILER);
            assertThat(sentOn(p.upstream(0))).endsWith("0\r\nx-checksum: abc\r\n\r\n");
        }
    }

    @Test
    void aMalformedChunkIsAnswered400BeforeTheClose() {
        try (EmbeddedProxy p = new EmbeddedProxy(CONFIG, FIRST)) {
            p.send("POST /upload HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            assertThat(sentOn(p.upstream(0))).startsWith("POST /upload HTTP/1.1");
            p.send("zz\r\nhello\r\n");
            assertThat(p.received()).startsWith("HTTP/1.1 400 Bad Request\r\n").containsIgnoringCase("connection: close")
                    .contains("bad request: ");
            assertThat(p.client.isOpen()).isFalse();
            assertThat(p.upstream(0).isOpen()).as("the upstream connection that got half a body").isFalse();
        }
    }
}
