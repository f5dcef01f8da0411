package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.routing.ListenerSpec;
import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.routing.RoutingTableHolder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The data plane: one event loop group serves every listener and every upstream connection
 * (upstreams are opened on the downstream connection's own loop). Bodies are bounded in memory by
 * the write-buffer water marks below.
 */
public final class GatewayServer implements AutoCloseable {

    /** Settings of the data plane. */
    public record Settings(String bindAddress, List<ListenerSpec> listeners, Transport transport, int eventLoops,
            long upstreamIdleTimeoutMillis, RequestPolicy requestPolicy) {

        public Settings {
            requireNonNull(bindAddress, "bindAddress");
            listeners = List.copyOf(requireNonNull(listeners, "listeners"));
            requireNonNull(transport, "transport");
            if (eventLoops < 1) {
                throw new IllegalArgumentException("eventLoops: " + eventLoops + " (expected: >= 1)");
            }
            requireNonNull(requestPolicy, "requestPolicy");
        }

        /** With Istio's and Envoy's defaults for what is done to requests ({@link RequestPolicy#DEFAULT}). */
        public Settings(String bindAddress, List<ListenerSpec> listeners, Transport transport, int eventLoops,
                long upstreamIdleTimeoutMillis) {
            this(bindAddress, listeners, transport, eventLoops, upstreamIdleTimeoutMillis, RequestPolicy.DEFAULT);
        }
    }

    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);

    private final Settings settings;
    private final EventLoopGroup group;
    private final ProxyContext context;
    private final List<Channel> serverChannels = new ArrayList<>();

    private GatewayServer(Settings settings, EventLoopGroup group, ProxyContext context) {
        this.settings = settings;
        this.group = group;
        this.context = context;
    }

    /** Binds every listener; fails (and releases what it started) if one cannot be bound. */
    public static GatewayServer start(Settings settings, RoutingTableHolder tables, ProxyMetrics metrics,
            AccessLog accessLog, RandomSource random) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(settings.eventLoops(),
                new DefaultThreadFactory("meshbed-io", true), settings.transport().ioHandlerFactory());
        UpstreamPools pools = new UpstreamPools(settings.transport(), metrics, settings.upstreamIdleTimeoutMillis());
        ProxyContext context = new ProxyContext(tables, pools, metrics, accessLog, random);
        GatewayServer server = new GatewayServer(settings, group, context);
        try {
            for (int i = 0; i < settings.listeners().size(); i++) {
                server.bind(i);
            }
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void bind(int index) throws InterruptedException {
        ListenerSpec spec = settings.listeners().get(index);
        RequestGuard guard = new RequestGuard(settings.requestPolicy());
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(settings.transport().serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(16 * 1024)
                                .setMaxHeaderSize(64 * 1024)
                                .setMaxChunkSize(64 * 1024)));
                        ch.pipeline().addLast(guard); // before 100 Continue: a refused request gets none
                        ch.pipeline().addLast(new HttpServerExpectContinueHandler());
                        ch.pipeline().addLast(new DownstreamHandler(context, index));
                    }
                });
        Channel channel = b.bind(new InetSocketAddress(settings.bindAddress(), spec.listenPort())).sync().channel();
        serverChannels.add(channel);
    }

    /** The port listener {@code index} is bound to (useful with port 0). */
    public int boundPort(int index) {
        return ((InetSocketAddress) serverChannels.get(index).localAddress()).getPort();
    }

    public Transport transport() {
        return settings.transport();
    }

    /**
     * Stops accepting, gives requests in flight up to {@code drainMillis}, then stops the loops
     * (after each has handed its access-log lines to the writer).
     */
    public void stop(long drainMillis) {
        for (Channel ch : serverChannels) {
            ch.close().awaitUninterruptibly();
        }
        for (EventExecutor loop : group) {
            loop.execute(context.accessLog()::flushCurrentThread);
        }
        group.shutdownGracefully(Math.min(drainMillis, 200), drainMillis, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(drainMillis + 2000);
    }

    @Override
    public void close() {
        stop(1000);
    }
}
