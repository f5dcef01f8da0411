package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.net.InetSocketAddress;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;

/** Sets up one accepted connection: HTTP/1.1 codec, streamed writes, and the sample handler. */
final class SampleChannelInitializer extends ChannelInitializer<Channel> {

    private final SampleConfig config;
    private final DoubleSupplier random;
    private final Runnable onAccept;
    private final BooleanSupplier draining;
    private final io.netty.channel.group.ChannelGroup clients; // null: not tracked

    /**
     * @param random   draws in [0, 1) for the error rate
     * @param onAccept told of each accepted connection
     */
    SampleChannelInitializer(SampleConfig config, DoubleSupplier random, Runnable onAccept) {
        this(config, random, onAccept, () -> false, null);
    }

    /**
     * @param draining true once the server drains: every response then ends its connection
     * @param clients  where open connections are tracked, for the drain to wait on; null for none
     */
    SampleChannelInitializer(SampleConfig config, DoubleSupplier random, Runnable onAccept, BooleanSupplier draining,
            io.netty.channel.group.ChannelGroup clients) {
        this.draining = requireNonNull(draining, "draining");
        this.clients = clients;
        this.config = requireNonNull(config, "config");
        this.random = requireNonNull(random, "random");
        this.onAccept = requireNonNull(onAccept, "onAccept");
    }

    @Override
    protected void initChannel(Channel channel) {
        onAccept.run();
        if (clients != null) {
            clients.add(channel);
        }
        AppIdentity identity = new AppIdentity(config.version(), config.instanceFor(boundPort(channel)));
        channel.pipeline().addLast(
                new HttpServerCodec(),
                // Responses stream through here, and everything written after them queues behind,
                // which keeps pipelined responses in order.
                new ChunkedWriteHandler(),
                // curl and others wait a second for "100 Continue" before sending a large body.
                new HttpServerExpectContinueHandler(),
                new SampleHandler(identity, config.latency(), config.errorRate(), random, draining));
    }

    // An accepted connection's local port is the server's, also when it was asked for port 0.
    private int boundPort(Channel channel) {
        return channel.localAddress() instanceof InetSocketAddress address ? address.getPort() : config.port();
    }
}
