package dev.meshbed.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;

/**
 * Last handler of an upstream connection: passes what the connection does to the exchange that
 * is using it. An idle pooled connection has no exchange; anything it reads is unexpected, so
 * the connection is closed, and its closing takes it out of the pool.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {

    /** Told when an idle connection closes. */
    interface IdleListener {
        void idleClosed(Channel channel);
    }

    private final IdleListener pool;
    private final ProxyMetrics metrics;
    private ProxyExchange exchange;
    private long idleSinceNanos;
    private InetSocketAddress poolKey;

    UpstreamHandler(IdleListener pool, ProxyMetrics metrics) {
        this.pool = pool;
        this.metrics = metrics;
    }

    void attach(ProxyExchange e) {
        exchange = e;
    }

    void detach() {
        exchange = null;
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

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        metrics.upstreamConnectionOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ProxyExchange e = exchange;
        if (e != null) {
            e.onUpstreamMessage(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ProxyExchange e = exchange;
        if (e != null) {
            e.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ProxyExchange e = exchange;
        if (e != null) {
            e.onUpstreamWritabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        metrics.upstreamConnectionClosed();
        ProxyExchange e = exchange;
        exchange = null;
        if (e != null) {
            e.onUpstreamClosed(ctx.channel());
        } else if (pool != null) {
            pool.idleClosed(ctx.channel());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The close that follows reports the failure to the exchange (channelInactive).
        ctx.close();
    }
}
