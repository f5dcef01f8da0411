package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * A running sample app. Other modules' tests can start v1 and v2 in their own JVM:
 * <pre>{@code
 * try (SampleServer v1 = SampleServer.start(SampleConfig.local("v1"))) {
 *     URI uri = URI.create("http://127.0.0.1:" + v1.port() + "/hello");
 * }
 * }</pre>
 */
public final class SampleServer implements AutoCloseable {

    // Long enough for in-flight responses to go out, short enough for a quick pod stop.
    private static final long QUIET_PERIOD_MILLIS = 100;
    private static final long SHUTDOWN_TIMEOUT_MILLIS = 3_000;

    private final SampleConfig config;
    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final LongAdder acceptedConnections;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean draining;
    private final ChannelGroup clients;

    private SampleServer(SampleConfig config, EventLoopGroup group, Channel serverChannel,
            LongAdder acceptedConnections, AtomicBoolean draining, ChannelGroup clients) {
        this.draining = draining;
        this.clients = clients;
        this.config = config;
        this.group = group;
        this.serverChannel = serverChannel;
        this.acceptedConnections = acceptedConnections;
    }

    /**
     * Listens as {@code config} says and serves until {@link #close()}.
     *
     * @throws IOException if the address cannot be listened on (in use, not local, unresolvable)
     */
    public static SampleServer start(SampleConfig config) throws IOException {
        requireNonNull(config, "config");
        IoTransport transport = IoTransport.best();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(
                0, new DefaultThreadFactory("sample-" + config.version()), transport.ioHandlerFactory());
        LongAdder acceptedConnections = new LongAdder();
        AtomicBoolean draining = new AtomicBoolean();
        ChannelGroup clients = new DefaultChannelGroup("sample-clients", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannelClass())
                .childHandler(new SampleChannelInitializer(
                        config, () -> ThreadLocalRandom.current().nextDouble(), acceptedConnections::increment,
                        draining::get, clients));
        ChannelFuture bound = bootstrap.bind(config.bind(), config.port()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly();
            Throwable cause = bound.cause();
            throw new IOException(
                    "cannot listen on " + config.bind() + ":" + config.port() + ": " + cause.getMessage(), cause);
        }
        return new SampleServer(config, group, bound.channel(), acceptedConnections, draining, clients);
    }

    public SampleConfig config() {
        return config;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** The bound port, the real one when the configuration asked for 0. */
    public int port() {
        return address().getPort();
    }

    /** The instance name this server reports. */
    public String instance() {
        return config.instanceFor(port());
    }

    /** Connections accepted so far: lets a test see whether a client (or the gateway) reuses them. */
    public long acceptedConnections() {
        return acceptedConnections.sum();
    }

    /** Blocks until the server has been closed and its threads have stopped. */
    public void awaitTermination() {
        group.terminationFuture().awaitUninterruptibly();
    }

    /**
     * Drains, then closes: for {@code period} every response says {@code connection: close} while the
     * port still accepts (a client that reconnects meanwhile is served), so that the gateway's
     * pooled connections end cleanly after their response rather than being cut; then the port
     * closes, and the connections still open (each ends after its response) get up to
     * {@link #SHUTDOWN_TIMEOUT_MILLIS} before {@link #close()}.
     */
    public void drain(java.time.Duration period) {
        draining.set(true);
        sleep(period.toMillis());
        serverChannel.close().awaitUninterruptibly();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_TIMEOUT_MILLIS);
        while (!clients.isEmpty() && System.nanoTime() - deadline < 0) {
            sleep(20);
        }
        close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True once {@link #drain} has begun. */
    public boolean draining() {
        return draining.get();
    }

    /** Stops listening, lets in-flight responses finish briefly, then closes every connection; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            serverChannel.close().awaitUninterruptibly();
            // Bounded: should the event loops die instead of terminating, a SIGTERM must still end the JVM.
            group.shutdownGracefully(QUIET_PERIOD_MILLIS, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                    .awaitUninterruptibly(SHUTDOWN_TIMEOUT_MILLIS + QUIET_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}
