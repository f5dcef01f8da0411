package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.net.InetSocketAddress;
import java.util.function.DoubleSupplier;

/** Sets up one accepted connection: HTTP/1.1 codec, streamed writes, and the sample handler. */
final class SampleChannelInitializer extends ChannelInitializer<Channel> {

    private final SampleConfig config;
    private final DoubleSupplier random;
    private final Runnable onAccept;

    /**
     * @param random   draws in [0, 1) for the error rate
     * @param onAccept told of each accepted connection
     */
    SampleChannelInitializer(SampleConfig config, DoubleSupplier random, Runnable onAccept) {
        this.config = requireNonNull(config, "config");
        this.random = requireNonNull(random, "random");
        this.onAccept = requireNonNull(onAccept, "onAccept");
    }

    @Override
    protected void initChannel(Channel channel) {
        onAccept.run();
        AppIdentity identity = new AppIdentity(config.version(), config.instanceFor(boundPort(channel)));
        channel.pipeline().addLast(
                new HttpServerCodec(),
                // Responses stream through here, and everything written after them queues behind,
                // which keeps pipelined responses in order.
                new ChunkedWriteHandler(),
                // curl and others wait a second for "100 Continue" before sending a large body.
                new HttpServerExpectContinueHandler(),
                new SampleHandler(identity, config.latency(), config.errorRate(), random));
    }

    // An accepted connection's local port is the server's, also when it was asked for port 0.
    private int boundPort(Channel channel) {
        return channel.localAddress() instanceof InetSocketAddress address ? address.getPort() : config.port();
    }
}
