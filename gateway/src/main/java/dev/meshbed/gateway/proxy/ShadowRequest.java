package dev.meshbed.gateway.proxy;

import dev.meshbed.gateway.routing.Cluster;
import dev.meshbed.gateway.routing.Endpoint;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A mirrored copy of a request (Envoy's shadow request): fire and forget on a connection of its
 * own, its answer read and dropped. It never touches the exchange it copies, so it can neither
 * delay nor fail it. Bounded: at most {@link #MAX_IN_FLIGHT_PER_LOOP} per event loop (one more
 * is dropped and counted as {@code shadow_rq_dropped}), each for at most its timeout.
 */
final class ShadowRequest implements UpstreamConnector.Callback, UpstreamHandler.Listener {

    /** Mirrors in flight per event loop: Envoy's default cluster circuit breaker {@code max_requests}, 1024. */
    static final int MAX_IN_FLIGHT_PER_LOOP = 1024;
    /** A mirror waits for its answer the route timeout, else Envoy's own default route timeout, 15 s. */
    static final long DEFAULT_TIMEOUT_MILLIS = 15_000;

    private static final FastThreadLocal<int[]> IN_FLIGHT = new FastThreadLocal<>() {
        @Override
        protected int[] initialValue() {
            return new int[1];
        }
    };

    private final ProxyContext proxy;
    private final EventLoop loop;
    private final Cluster cluster;
    private final Endpoint endpoint;
    private final long startNanos = System.nanoTime();
    private FullHttpRequest request;
    private Channel channel;
    private UpstreamHandler handler;
    private ScheduledFuture<?> timer;
    private boolean informational;
    private boolean keepAlive = true;
    private int status;
    private boolean done;

    private ShadowRequest(ProxyContext proxy, EventLoop loop, Cluster cluster, Endpoint endpoint,
            FullHttpRequest request) {
        this.proxy = proxy;
        this.loop = loop;
        this.cluster = cluster;
        this.endpoint = endpoint;
        this.request = request;
    }

    /** Sends {@code request} (taking ownership) to {@code endpoint}, unless this loop has too many in flight. */
    static void send(ProxyContext proxy, EventLoop loop, Cluster cluster, Endpoint endpoint, FullHttpRequest request,
            long timeoutMillis) {
        int[] inFlight = IN_FLIGHT.get();
        if (inFlight[0] >= MAX_IN_FLIGHT_PER_LOOP) {
            request.release();
            proxy.metrics().edgeEvent("shadow_rq_dropped");
            return;
        }
        inFlight[0]++;
        new ShadowRequest(proxy, loop, cluster, endpoint, request).start(timeoutMillis);
    }

    /** Mirrors in flight on the calling event loop (for tests). */
    static int inFlight() {
        return IN_FLIGHT.get()[0];
    }

    private void start(long timeoutMillis) {
        endpoint.requestStarted();
        timer = loop.schedule(this::onTimeout, timeoutMillis, TimeUnit.MILLISECONDS);
        // the mirror cluster's own pool limits and TLS settings apply, as they do to its main traffic
        proxy.connector().acquire(loop, cluster, endpoint, false, this);
    }

    @Override
    public boolean abandoned() {
        return done;
    }

    @Override
    public void upstreamReady(Channel ch, boolean reused) {
        if (done) {
            proxy.connector().release(ch);
            return;
        }
        channel = ch;
        handler = (UpstreamHandler) ch.pipeline().last();
        handler.attach(this);
        FullHttpRequest r = request;
        request = null;
        ch.writeAndFlush(r, ch.voidPromise());
        ch.read();
    }

    @Override
    public void upstreamFailed(Throwable cause) {
        if (!done) {
            cluster.stats().connectFailure();
            end(503, false);
        }
    }

    @Override
    public void onMessage(Object msg) {
        try {
            if (done) {
                return;
            }
            if (msg instanceof HttpResponse response) {
                informational = response.status().code() < 200;
                if (!informational) {
                    status = response.status().code();
                    keepAlive = HttpUtil.isKeepAlive(response) && (HttpUtil.isContentLengthSet(response)
                            || HttpUtil.isTransferEncodingChunked(response));
                }
            }
            if (msg instanceof LastHttpContent) {
                if (informational) {
                    informational = false;
                } else {
                    end(status, keepAlive);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void onReadComplete() {
        if (!done && channel != null) {
            channel.read();
        }
    }

    @Override
    public void onWritabilityChanged() {
        // the whole request was written at once; nothing waits for writability
    }

    @Override
    public void onClosed(Channel ch) {
        if (done || ch != channel) {
            return;
        }
        channel = null;
        handler = null;
        end(status == 0 ? 503 : status, false);
    }

    private void onTimeout() {
        timer = null;
        if (!done) {
            cluster.stats().timeout();
            end(504, false);
        }
    }

    private void end(int finalStatus, boolean reusable) {
        done = true;
        IN_FLIGHT.get()[0]--;
        endpoint.requestEnded();
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (request != null) {
            request.release();
            request = null;
        }
        if (handler != null) {
            handler.detach();
            handler = null;
        }
        Channel ch = channel;
        channel = null;
        if (ch != null) {
            if (reusable) {
                proxy.connector().release(ch);
            } else {
                ch.close();
            }
        }
        cluster.stats().response(finalStatus, System.nanoTime() - startNanos);
    }
}
