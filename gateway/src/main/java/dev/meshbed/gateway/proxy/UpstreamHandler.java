package dev.meshbed.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;

/**
 * Last handler of an upstream connection: passes what the connection does to the
 * {@link Listener} that is using it. An idle pooled connection has none; anything it reads is unexpected, so
 * the connection is closed, and its closing takes it out of the pool.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {

    /** What uses the connection for one request: a try ({@link UpstreamRequest}) or a mirror ({@link ShadowRequest}). */
    interface Listener {
        void onMessage(Object msg);

        void onReadComplete();

        void onWritabilityChanged();

        void onClosed(Channel channel);
    }

    /** Told when a connection closes: an idle one leaves the pool, every one leaves the circuit breaker's count. */
    interface IdleListener {
        void idleClosed(Channel channel);

        /** Any close, idle or in use, after {@link #idleClosed} where that applies. */
        default void closed(Channel channel) {
        }
    }

    private final IdleListener pool;
    private final ProxyMetrics metrics;
    private Listener attempt;
    private long idleSinceNanos;
    private InetSocketAddress poolKey;
    private Object slot;
    private int requests;
    private long idleTimeoutNanos;

    UpstreamHandler(IdleListener pool, ProxyMetrics metrics) {
        this.pool = pool;
        this.metrics = metrics;
    }

    void attach(Listener a) {
        attempt = a;
    }

    void detach() {
        attempt = null;
        idleSinceNanos = System.nanoTime();
    }

    long idleSinceNanos() {
        return idleSinceNanos;
    }

    /** The endpoint address this connection was made for (its key in the pool). */
    InetSocketAddress poolKey() {
        return poolKey;
    }

    void poolKey(InetSocketAddress key) {
        poolKey = key;
    }

    /** The pool's record of where this connection belongs (cluster, endpoint, TLS), or null. */
    Object slot() {
        return slot;
    }

    void slot(Object s) {
        slot = s;
    }

    /** Counts one more request on this connection and returns the count. */
    int requestStarted() {
        return ++requests;
    }

    int requests() {
        return requests;
    }

    /** How long this connection may stay idle in the pool; 0 = the pool's default. */
    long idleTimeoutNanos() {
        return idleTimeoutNanos;
    }

    void idleTimeoutNanos(long nanos) {
        idleTimeoutNanos = nanos;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        metrics.upstreamConnectionOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Listener e = attempt;
        if (e != null) {
            e.onMessage(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Listener e = attempt;
        if (e != null) {
            e.onReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Listener e = attempt;
        if (e != null) {
            e.onWritabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        metrics.upstreamConnectionClosed();
        Listener e = attempt;
        attempt = null;
        if (e != null) {
            e.onClosed(ctx.channel());
        } else if (pool != null) {
            pool.idleClosed(ctx.channel());
        }
        if (pool != null) {
            pool.closed(ctx.channel());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The close that follows reports the failure to the attempt (channelInactive).
        ctx.close();
    }
}
