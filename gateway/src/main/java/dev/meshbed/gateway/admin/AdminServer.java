package dev.meshbed.gateway.admin;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.routing.RoutingTableHolder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The admin port (Istio's status port, 15021): readiness, the config dump and Prometheus
 * metrics. It has a thread of its own, so a scrape never competes with traffic for an event loop.
 */
public final class AdminServer implements AutoCloseable {

    private static final String INDEX = """
            meshbed gateway admin
              /healthz/ready      200 once a routing table is installed
              /config_dump        the installed table, its resources and what was rejected (JSON)
              /stats/prometheus   metrics in Prometheus' text format
            """;

    private final EventLoopGroup group;
    private final Channel channel;

    private AdminServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    public static AdminServer start(String bindAddress, int port, RoutingTableHolder tables, GatewayMetrics metrics,
            Supplier<Map<String, Object>> gatewayInfo) throws InterruptedException {
        requireNonNull(tables, "tables");
        requireNonNull(metrics, "metrics");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("meshbed-admin", true),
                NioIoHandler.newFactory());
        try {
            Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                    new Handler(tables, metrics, gatewayInfo));
                        }
                    })
                    .bind(new InetSocketAddress(bindAddress, port)).sync().channel();
            return new AdminServer(group, ch);
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly(3000);
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final RoutingTableHolder tables;
        private final GatewayMetrics metrics;
        private final Supplier<Map<String, Object>> gatewayInfo;

        Handler(RoutingTableHolder tables, GatewayMetrics metrics, Supplier<Map<String, Object>> gatewayInfo) {
            this.tables = tables;
            this.metrics = metrics;
            this.gatewayInfo = gatewayInfo;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws IOException {
            String path = new QueryStringDecoder(req.uri()).path();
            FullHttpResponse res;
            switch (path) {
                case "/healthz/ready" -> res = tables.installed()
                        ? text(HttpResponseStatus.OK, "ready\n")
                        : text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: no routing table installed yet\n");
                case "/config_dump" -> {
                    res = text(HttpResponseStatus.OK, ConfigDump.render(tables.current(), gatewayInfo.get()));
                    res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                }
                case "/stats/prometheus" -> {
                    ByteBuf buf = ctx.alloc().buffer();
                    try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
                        metrics.writeText(out);
                    }
                    res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, buf);
                    res.headers().set(HttpHeaderNames.CONTENT_TYPE, metrics.contentType());
                }
                case "/" -> res = text(HttpResponseStatus.OK, INDEX);
                default -> res = text(HttpResponseStatus.NOT_FOUND, "no such admin endpoint: " + path + "\n" + INDEX);
            }
            HttpUtil.setContentLength(res, res.content().readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(res, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(res);
            } else {
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static FullHttpResponse text(HttpResponseStatus status, String body) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            return res;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
