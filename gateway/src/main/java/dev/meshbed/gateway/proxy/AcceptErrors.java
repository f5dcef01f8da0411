package dev.meshbed.gateway.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a listening channel, ahead of Netty's acceptor: when accepting fails (most often "too many
 * open files"), stops accepting for a while, doubling the pause from 10 ms up to 1 s while the
 * errors go on, logs one line per 10 s with the count rather than a stack trace per attempt, and
 * marks the listener short of descriptors so that the connections it does get in that time are
 * refused with a 503 (see {@link #shortOfDescriptors()}). Accepting resumes by itself.
 */
final class AcceptErrors extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(AcceptErrors.class);
    static final long FIRST_PAUSE_MILLIS = 10;
    static final long MAX_PAUSE_MILLIS = 1000;
    static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final ProxyMetrics metrics;
    private final String listener;
    private final DescriptorReserve reserve;
    private long pauseMillis;
    private long lastErrorNanos;
    private long lastLogNanos;
    private long unlogged;
    private volatile long shortUntilNanos;
    private boolean paused;

    AcceptErrors(ProxyMetrics metrics, String listener, DescriptorReserve reserve) {
        this.metrics = metrics;
        this.listener = listener;
        this.reserve = reserve;
    }

    /** True for a second after the last failed accept. */
    boolean shortOfDescriptors() {
        return System.nanoTime() - shortUntilNanos < 0;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        pauseMillis = 0; // an accept succeeded
        ctx.fireChannelRead(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        long now = System.nanoTime();
        lastErrorNanos = now;
        shortUntilNanos = now + TimeUnit.SECONDS.toNanos(1);
        metrics.edgeEvent("downstream_cx_accept_error");
        reserve.release(); // one waiting client can now be accepted, and refused
        unlogged++;
        if (lastLogNanos == 0 || now - lastLogNanos >= LOG_EVERY_NANOS) {
            log.warn("listener {}: cannot accept connections: {} ({} time(s) since the last report); pausing accepts "
                    + "up to {} ms at a time", listener, cause.toString(), unlogged, MAX_PAUSE_MILLIS);
            lastLogNanos = now;
            unlogged = 0;
        }
        if (paused) {
            return;
        }
        pauseMillis = pauseMillis == 0 ? FIRST_PAUSE_MILLIS : Math.min(MAX_PAUSE_MILLIS, pauseMillis * 2);
        paused = true;
        ctx.channel().config().setAutoRead(false);
        ctx.executor().schedule(() -> {
            paused = false;
            if (ctx.channel().isOpen()) {
                ctx.channel().config().setAutoRead(true);
            }
        }, pauseMillis, TimeUnit.MILLISECONDS);
        // not passed on: Netty's acceptor would pause for a fixed second and log nothing useful
    }

    long lastErrorNanos() {
        return lastErrorNanos;
    }
}
