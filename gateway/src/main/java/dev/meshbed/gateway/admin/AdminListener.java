package dev.meshbed.gateway.admin;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.routing.RoutingTableHolder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The admin listener (Envoy's admin, 127.0.0.1:15000 in Istio's proxies): the config dump, the
 * Prometheus metrics and readiness, read-only. It shows every resource, endpoint address and
 * label, so it listens on loopback unless told otherwise ({@link AdminAddress}).
 */
public final class AdminListener {

    static final String INDEX = """
            meshbed gateway admin
              /config_dump        the installed table, its resources and what was rejected (JSON)
              /stats/prometheus   metrics in Prometheus' text format
              /ready              200 once a routing table is installed
            """;

    private AdminListener() {
    }

    public static UrlListener start(AdminAddress address, RoutingTableHolder tables, GatewayMetrics metrics,
            Supplier<Map<String, Object>> gatewayInfo) throws InterruptedException {
        requireNonNull(address, "address");
        requireNonNull(tables, "tables");
        requireNonNull(metrics, "metrics");
        requireNonNull(gatewayInfo, "gatewayInfo");
        return UrlListener.start("admin", address.socketAddress(), () -> dispatcher(tables, metrics, gatewayInfo));
    }

    static UrlDispatcher dispatcher(RoutingTableHolder tables, GatewayMetrics metrics,
            Supplier<Map<String, Object>> gatewayInfo) {
        return new UrlDispatcher(Map.of(
                "/", alloc -> UrlDispatcher.text(HttpResponseStatus.OK, INDEX),
                "/config_dump", alloc -> {
                    FullHttpResponse res = UrlDispatcher.text(HttpResponseStatus.OK,
                            ConfigDump.render(tables.current(), gatewayInfo.get()));
                    res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                    return res;
                },
                "/stats/prometheus", alloc -> {
                    ByteBuf buf = alloc.buffer();
                    try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
                        metrics.writeText(out);
                    } catch (java.io.IOException | RuntimeException e) {
                        buf.release();
                        throw e;
                    }
                    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, buf);
                    res.headers().set(HttpHeaderNames.CONTENT_TYPE, metrics.contentType());
                    return res;
                },
                "/ready", StatusListener.readiness(tables, () -> false)),
                path -> "no such admin endpoint: " + path + "\n" + INDEX);
    }
}
