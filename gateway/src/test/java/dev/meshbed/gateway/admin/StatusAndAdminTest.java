package dev.meshbed.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.routing.ListenerSpec;
import dev.meshbed.gateway.routing.RoutingTable;
import dev.meshbed.gateway.routing.RoutingTableHolder;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the status port and the admin listener answer, on EmbeddedChannels: readiness alone on the
 * status port (nothing diagnostic, no index), the config dump and metrics on the admin listener,
 * GET and HEAD only on both.
 */
class StatusAndAdminTest {

    private final RoutingTableHolder tables = new RoutingTableHolder(RoutingTable.empty(List.of(new ListenerSpec(0, 0))));
    private final GatewayMetrics metrics = new GatewayMetrics();

    /** The answer's status, headers and body, its buffer released. */
    private record Answer(int status, Map<String, String> headers, String body) {
    }

    private Answer status(HttpMethod method, String uri) {
        return send(new EmbeddedChannel(StatusListener.dispatcher(tables)), method, uri);
    }

    private Answer admin(HttpMethod method, String uri) {
        return send(new EmbeddedChannel(AdminListener.dispatcher(tables, metrics, () -> Map.of("labels", Map.of()))),
                method, uri);
    }

    private static Answer send(EmbeddedChannel ch, HttpMethod method, String uri) {
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri));
        FullHttpResponse res = ch.readOutbound();
        try {
            assertThat(res).as("%s %s answered", method, uri).isNotNull();
            Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            res.headers().forEach(e -> headers.put(e.getKey(), e.getValue()));
            return new Answer(res.status().code(), headers, res.content().toString(StandardCharsets.UTF_8));
        } finally {
            res.release();
            ch.finishAndReleaseAll();
        }
    }

    // ---- the status port ------------------------------------------------------------------------

    @Test
    void statusPortAnswersReadinessOnceATableIsInstalled() {
        assertThat(status(HttpMethod.GET, "/healthz/ready").status()).isEqualTo(503);
        tables.install(RoutingTable.empty(List.of(new ListenerSpec(0, 0))));
        Answer ready = status(HttpMethod.GET, "/healthz/ready");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/config_dump", "/stats/prometheus", "/", "/ready", "/config_dump?format=json",
            "/healthz/ready/", "//config_dump", "/nothing"})
    void statusPortServesNothingDiagnosticAndNoIndex(String uri) {
        tables.install(RoutingTable.empty(List.of(new ListenerSpec(0, 0))));
        Answer a = status(HttpMethod.GET, uri);
        assertThat(a.status()).as("GET %s on the status port", uri).isEqualTo(404);
        assertThat(a.body()).as("the 404's body").isEqualTo("not found\n")
                .doesNotContain("config_dump").doesNotContain("prometheus").doesNotContain("admin");
    }

    // ---- the admin listener ----------------------------------------------------------------------

    @Test
    void adminServesTheConfigDumpMetricsReadinessAndItsIndex() {
        Answer dump = admin(HttpMethod.GET, "/config_dump");
        assertThat(dump.status()).isEqualTo(200);
        assertThat(dump.headers()).containsEntry("content-type", "application/json");
        assertThat(dump.body()).contains("\"listeners\"");

        Answer stats = admin(HttpMethod.GET, "/stats/prometheus");
        assertThat(stats.status()).isEqualTo(200);
        assertThat(stats.headers().get("content-type")).startsWith("text/plain");
        assertThat(stats.body()).contains("meshbed_config_reloads_total").isNotEmpty();

        assertThat(admin(HttpMethod.GET, "/ready").status()).isEqualTo(503);
        tables.install(RoutingTable.empty(List.of(new ListenerSpec(0, 0))));
        assertThat(admin(HttpMethod.GET, "/ready").status()).isEqualTo(200);

        assertThat(admin(HttpMethod.GET, "/").body()).contains("/config_dump", "/stats/prometheus", "/ready");
        Answer unknown = admin(HttpMethod.GET, "/clusters");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body()).startsWith("no such admin endpoint: /clusters\n").contains("/config_dump");
    }

    // ---- methods, on both ------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"})
    void onlyGetAndHeadAreAllowed(String name) {
        HttpMethod method = HttpMethod.valueOf(name);
        for (String uri : List.of("/config_dump", "/stats/prometheus", "/", "/nothing")) {
            Answer a = admin(method, uri);
            assertThat(a.status()).as("%s %s on the admin listener", name, uri).isEqualTo(405);
            assertThat(a.headers()).as("%s %s on the admin listener", name, uri).containsEntry("allow", "GET, HEAD");
        }
        for (String uri : List.of("/healthz/ready", "/config_dump", "/nothing")) {
            Answer a = status(method, uri);
            assertThat(a.status()).as("%s %s on the status port", name, uri).isEqualTo(405);
            assertThat(a.headers()).as("%s %s on the status port", name, uri).containsEntry("allow", "GET, HEAD");
            assertThat(a.body()).doesNotContain("config_dump");
        }
    }

    @Test
    void headIsGetWithoutTheBody() {
        Answer get = admin(HttpMethod.GET, "/");
        Answer head = admin(HttpMethod.HEAD, "/");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().get(HttpHeaderNames.CONTENT_LENGTH.toString()))
                .isEqualTo(String.valueOf(get.body().getBytes(StandardCharsets.UTF_8).length));
        assertThat(status(HttpMethod.HEAD, "/healthz/ready").status()).isEqualTo(503);
        assertThat(status(HttpMethod.HEAD, "/config_dump").status()).isEqualTo(404);
    }
}
