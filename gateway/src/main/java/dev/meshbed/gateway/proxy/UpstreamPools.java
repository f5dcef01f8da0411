package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive upstream connections, pooled per event loop and per endpoint address (Zuul 2's
 * layout): a downstream connection's requests go out on connections of its own event loop, so
 * no connection ever crosses threads and the pool needs no lock. Idle connections keep a read
 * pending so that a peer's close is noticed, and are closed after {@code idleTimeoutMillis}.
 */
final class UpstreamPools implements UpstreamConnector {

    static final int MAX_IDLE_PER_ENDPOINT = 256;

    private final Transport transport;
    private final ProxyMetrics metrics;
    private final long idleTimeoutMillis;
    private final FastThreadLocal<Pool> pools = new FastThreadLocal<>();

    UpstreamPools(Transport transport, ProxyMetrics metrics, long idleTimeoutMillis) {
        this.transport = requireNonNull(transport, "transport");
        this.metrics = requireNonNull(metrics, "metrics");
        this.idleTimeoutMillis = idleTimeoutMillis;
    }

    @Override
    public void acquire(EventLoop loop, InetSocketAddress address, long connectTimeoutMillis, boolean fresh,
            Callback callback) {
        pool(loop).acquire(address, connectTimeoutMillis, fresh, callback);
    }

    @Override
    public void release(Channel channel) {
        pool(channel.eventLoop()).release(channel);
    }

    private Pool pool(EventLoop loop) {
        assert loop.inEventLoop();
        Pool p = pools.getIfExists();
        if (p == null) {
            p = new Pool(loop);
            pools.set(p);
        }
        return p;
    }

    private final class Pool implements UpstreamHandler.IdleListener {
        private final Map<InetSocketAddress, ArrayDeque<Channel>> idle = new HashMap<>();
        private final Bootstrap bootstrap;

        Pool(EventLoop loop) {
            bootstrap = new Bootstrap()
                    .group(loop)
                    .channel(transport.socketChannel())
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(new HttpDecoderConfig()
                                    .setMaxInitialLineLength(8192)
                                    .setMaxHeaderSize(64 * 1024)
                                    .setMaxChunkSize(64 * 1024), false, false));
                            ch.pipeline().addLast(new UpstreamHandler(Pool.this, metrics));
                        }
                    });
            long sweep = Math.max(1000, idleTimeoutMillis / 2);
            loop.scheduleWithFixedDelay(this::closeExpired, sweep, sweep, TimeUnit.MILLISECONDS);
        }

        void acquire(InetSocketAddress address, long connectTimeoutMillis, boolean fresh, Callback callback) {
            if (!fresh) {
                ArrayDeque<Channel> q = idle.get(address);
                while (q != null && !q.isEmpty()) {
                    Channel ch = q.pollLast(); // most recently used: warmest, least likely to be closed by the peer
                    if (ch.isActive()) {
                        callback.upstreamReady(ch, true);
                        return;
                    }
                }
            }
            ChannelFuture f = bootstrap.clone()
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis))
                    .connect(address);
            f.addListener(done -> {
                if (done.isSuccess()) {
                    f.channel().pipeline().get(UpstreamHandler.class).poolKey(address);
                    callback.upstreamReady(f.channel(), false);
                } else {
                    callback.upstreamFailed(done.cause());
                }
            });
        }

        void release(Channel ch) {
            if (!ch.isActive()) {
                return;
            }
            UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
            ArrayDeque<Channel> q = idle.computeIfAbsent(h.poolKey(), a -> new ArrayDeque<>());
            if (q.size() >= MAX_IDLE_PER_ENDPOINT) {
                ch.close();
                return;
            }
            q.addLast(ch);
            ch.read(); // notice the peer closing it while it waits
        }

        @Override
        public void idleClosed(Channel ch) {
            ArrayDeque<Channel> q = idle.get(ch.pipeline().get(UpstreamHandler.class).poolKey());
            if (q != null) {
                q.remove(ch);
            }
        }

        private void closeExpired() {
            long now = System.nanoTime();
            long limit = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMillis);
            for (ArrayDeque<Channel> q : idle.values()) {
                for (Iterator<Channel> it = q.iterator(); it.hasNext(); ) {
                    Channel ch = it.next();
                    UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
                    if (h == null || now - h.idleSinceNanos() > limit) {
                        it.remove();
                        ch.close();
                    }
                }
            }
        }
    }
}
