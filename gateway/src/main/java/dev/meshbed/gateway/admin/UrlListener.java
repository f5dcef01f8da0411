package dev.meshbed.gateway.admin;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A bound status or admin listener: HTTP/1.1 on a thread of its own, so that a probe or a scrape
 * never competes with traffic for an event loop. {@link StatusListener} and {@link AdminListener}
 * say what it serves.
 */
public final class UrlListener implements AutoCloseable {

    /** Requests to these listeners are small; anything bigger is refused (413) before it is buffered. */
    private static final int MAX_REQUEST_BYTES = 8 * 1024;
    /**
     * A connection silent this long is closed: probes and scrapes send at once (kubelet's probe
     * timeout is 1 s by default); the data plane's request headers timeout is the same 10 s.
     */
    static final int IDLE_SECONDS = 10;
    /** Connections open at once; more are closed as they come (the status port is public). */
    static final int MAX_CONNECTIONS = 128;

    private final String name;
    private final EventLoopGroup group;
    private final Channel channel;

    private UrlListener(String name, EventLoopGroup group, Channel channel) {
        this.name = name;
        this.group = group;
        this.channel = channel;
    }

    /**
     * Binds {@code address}; {@code dispatcher} gives each connection its handler.
     *
     * @param name for the thread and for messages: "status", "admin"
     */
    static UrlListener start(String name, InetSocketAddress address, Supplier<UrlDispatcher> dispatcher)
            throws InterruptedException {
        requireNonNull(name, "name");
        requireNonNull(address, "address");
        requireNonNull(dispatcher, "dispatcher");
        java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("meshbed-" + name, true),
                NioIoHandler.newFactory());
        try {
            Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            if (open.incrementAndGet() > MAX_CONNECTIONS) {
                                open.decrementAndGet();
                                c.close();
                                return;
                            }
                            c.closeFuture().addListener(f -> open.decrementAndGet());
                            c.pipeline().addLast(new ReadTimeoutHandler(IDLE_SECONDS), new HttpServerCodec(),
                                    new HttpObjectAggregator(MAX_REQUEST_BYTES), dispatcher.get());
                        }
                    })
                    .bind(address).sync().channel();
            return new UrlListener(name, group, ch);
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public String name() {
        return name;
    }

    /** Where it listens: the bound address and port (the real port when 0 was asked for). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    public int port() {
        return localAddress().getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3000);
    }
}
