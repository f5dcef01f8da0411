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
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * The data plane: one event loop group serves every listener and every upstream connection
 * (upstreams are opened on the downstream connection's own loop). Bodies are bounded in memory by
 * the write-buffer water marks below.
 */
public final class GatewayServer implements AutoCloseable {

    /** Settings of the data plane. */
    public record Settings(String bindAddress, List<ListenerSpec> listeners, Transport transport, int eventLoops,
            long upstreamIdleTimeoutMillis, EdgeLimits limits, RequestPolicy requestPolicy) {

        public Settings {
            requireNonNull(bindAddress, "bindAddress");
            requireNonNull(limits, "limits");
            listeners = List.copyOf(requireNonNull(listeners, "listeners"));
            requireNonNull(transport, "transport");
            if (eventLoops < 1) {
                throw new IllegalArgumentException("eventLoops: " + eventLoops + " (expected: >= 1)");
            }
            requireNonNull(requestPolicy, "requestPolicy");
        }

        /** With Istio's and Envoy's defaults ({@link EdgeLimits#DEFAULTS}, {@link RequestPolicy#DEFAULT}). */
        public Settings(String bindAddress, List<ListenerSpec> listeners, Transport transport, int eventLoops,
                long upstreamIdleTimeoutMillis) {
            this(bindAddress, listeners, transport, eventLoops, upstreamIdleTimeoutMillis, EdgeLimits.DEFAULTS,
                    RequestPolicy.DEFAULT);
        }
    }

    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);

    private final Settings settings;
    private final EventLoopGroup group;
    private final ProxyContext context;
    private final List<Channel> serverChannels = new ArrayList<>();
    private final ChannelGroup clients;
    private final AtomicInteger open = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
    private final int maxConnections;
    private final DescriptorReserve reserve = new DescriptorReserve();
    private final List<AcceptErrors> acceptErrors = new ArrayList<>();

    private GatewayServer(Settings settings, EventLoopGroup group, ProxyContext context, int maxConnections) {
        this.settings = settings;
        this.group = group;
        this.context = context;
        this.maxConnections = maxConnections;
        this.clients = new DefaultChannelGroup("meshbed-clients", group.next());
    }

    /** Binds every listener; fails (and releases what it started) if one cannot be bound. */
    public static GatewayServer start(Settings settings, RoutingTableHolder tables, ProxyMetrics metrics,
            AccessLog accessLog, RandomSource random) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(settings.eventLoops(),
                new DefaultThreadFactory("meshbed-io", true), settings.transport().ioHandlerFactory());
        UpstreamPools pools = new UpstreamPools(settings.transport(), metrics, settings.upstreamIdleTimeoutMillis());
        ProxyContext context = new ProxyContext(tables, pools, metrics, accessLog, random, settings.limits(),
                new DrainState());
        int max = settings.limits().maxConnectionsWithin(FileDescriptors.limit());
        GatewayServer server = new GatewayServer(settings, group, context, max);
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
        AcceptErrors errors = new AcceptErrors(context.metrics(), settings.bindAddress() + ":" + spec.listenPort(),
                reserve);
        acceptErrors.add(errors);
        RequestGuard guard = new RequestGuard(settings.requestPolicy());
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(settings.transport().serverChannel())
                .handler(errors)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        DownstreamHandler downstream = new DownstreamHandler(context, index, refusal(errors));
                        clients.add(ch);
                        ch.closeFuture().addListener(f -> {
                            open.decrementAndGet();
                            if (!errors.shortOfDescriptors()) {
                                reserve.restore(); // while short, each freed descriptor admits the next refusal
                            }
                        });
                        ch.pipeline().addLast(new DownstreamHandler.FirstBytes(downstream));
                        ch.pipeline().addLast(new HttpServerCodec(new HttpDecoderConfig()
                                .setMaxInitialLineLength(16 * 1024)
                                .setMaxHeaderSize(64 * 1024)
                                .setMaxChunkSize(64 * 1024)));
                        ch.pipeline().addLast(guard); // before 100 Continue: a refused request gets none
                        ch.pipeline().addLast(new HttpServerExpectContinueHandler());
                        ch.pipeline().addLast(downstream);
                    }
                });
        Channel channel = b.bind(new InetSocketAddress(settings.bindAddress(), spec.listenPort())).sync().channel();
        serverChannels.add(channel);
    }

    /** Counts the new connection; says why it is refused, or null when it may be served. */
    private Refusal refusal(AcceptErrors errors) {
        int now = open.incrementAndGet();
        if (errors.shortOfDescriptors()) {
            context.metrics().edgeEvent("downstream_cx_overflow");
            return Refusal.NO_DESCRIPTORS;
        }
        if (now > maxConnections) {
            context.metrics().edgeEvent("downstream_cx_overflow");
            return Refusal.connectionLimit(maxConnections, now - maxConnections);
        }
        return null;
    }

    /** Client connections allowed open at once: the configured limit, or less if file descriptors are fewer. */
    public int maxConnections() {
        return maxConnections;
    }

    /**
     * Istio's drain: from now on every response says {@code connection: close} while the listeners
     * go on serving for {@code drainMillis} (readiness, which reads {@link #draining()}, fails at
     * once); then the listeners close, idle connections are closed, and requests in flight get up
     * to {@code inFlightMillis} to finish before the loops stop. Blocks; call it from the shutdown hook.
     */
    public void drain(long drainMillis, long inFlightMillis) {
        DrainState state = context.drain();
        state.start();
        long settle = Math.min(QUIET_BEFORE_CLOSE_MILLIS, drainMillis / 4);
        sleep(drainMillis - settle);
        // for a moment, no client is told to reconnect: the accept queue empties before the close
        state.holdConnections(true);
        sleep(settle);
        for (Channel ch : serverChannels) {
            ch.close().awaitUninterruptibly();
        }
        state.holdConnections(false);
        for (Channel ch : clients) {
            DownstreamHandler h = ch.pipeline().get(DownstreamHandler.class);
            if (h != null) {
                ch.eventLoop().execute(h::closeWhenIdle);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(inFlightMillis);
        while (!clients.isEmpty() && System.nanoTime() - deadline < 0) {
            sleep(20);
        }
        if (!clients.isEmpty()) {
            LoggerFactory.getLogger(GatewayServer.class).warn("drain: {} connection(s) still busy after {} ms; closing them",
                    clients.size(), inFlightMillis);
        }
        stop(1000);
    }

    /** How long before the listeners close responses stop ending connections (at most a quarter of the drain). */
    static final long QUIET_BEFORE_CLOSE_MILLIS = 250;

    public boolean draining() {
        return context.drain().draining();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        for (Channel ch : serverChannels) {
            ch.close().awaitUninterruptibly();
        }
        for (EventExecutor loop : group) {
            loop.execute(context.accessLog()::flushCurrentThread);
        }
        group.shutdownGracefully(Math.min(drainMillis, 200), drainMillis, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(drainMillis + 2000);
        reserve.close();
    }

    @Override
    public void close() {
        stop(1000);
    }
}
