package dev.meshbed.gateway.proxy;

import dev.meshbed.gateway.routing.Cluster;
import dev.meshbed.gateway.routing.Endpoint;
import dev.meshbed.gateway.routing.OutlierDetector;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One attempt of a request at one endpoint, as Envoy's router has an upstream request per try:
 * borrows a connection, writes the request head and body to it, reads the response and reports
 * to its {@link ProxyExchange}: ready for the body, response head, body parts, end, or failed
 * before the response head (with a {@link Failure}). Owns its per-try timer. Lives on the
 * downstream connection's event loop.
 */
final class UpstreamRequest implements UpstreamConnector.Callback, UpstreamHandler.Listener {

    /** Why an attempt ended before a response head arrived. */
    enum Failure {
        /** The connection could not be made. */
        CONNECT_FAILURE,
        /** The connection closed (or was reset) before the response head. */
        RESET,
        /** The attempt's per-try timeout fired before the response head. */
        PER_TRY_TIMEOUT,
        /** The upstream's response broke HTTP before its head was complete. */
        PROTOCOL_ERROR,
        /** The cluster's circuit breaker refused a connection or a place in its pending queue (503 UO; never retried, as in Envoy). */
        OVERFLOW
    }

    private final ProxyExchange exchange;
    private final ProxyContext proxy;
    private final EventLoop loop;
    private final Cluster cluster;
    private final Endpoint endpoint;
    private final int attemptNumber;

    private Channel channel;
    private UpstreamHandler handler;
    private boolean reused;
    private boolean lastSent;
    private boolean keepAlive = true;
    private boolean headersReceived;
    private boolean complete;
    private boolean skipInformationalEnd;
    private boolean waitingWritable;
    private boolean ended;
    private ScheduledFuture<?> perTryTimer;
    private String failureBody;

    UpstreamRequest(ProxyExchange exchange, ProxyContext proxy, EventLoop loop, Cluster cluster, Endpoint endpoint,
            int attemptNumber) {
        this.exchange = exchange;
        this.proxy = proxy;
        this.loop = loop;
        this.cluster = cluster;
        this.endpoint = endpoint;
        this.attemptNumber = attemptNumber;
    }

    /**
     * Asks for a connection under the cluster's pool limits and TLS settings; {@code fresh} skips
     * pooled ones. May call back at once.
     */
    void start(boolean fresh) {
        endpoint.requestStarted();
        proxy.connector().acquire(loop, cluster, endpoint, fresh, this);
    }

    /** Envoy's local reply body for a refusal (TLS failure, overflow), or null for the plain one. */
    String failureBody() {
        return failureBody;
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /** 1 for the first try, 2 for the first retry, ... ({@code x-envoy-attempt-count}). */
    int attemptNumber() {
        return attemptNumber;
    }

    boolean connected() {
        return channel != null;
    }

    /** True when the connection served a request before this one. */
    boolean reused() {
        return reused;
    }

    // ---- connection ---------------------------------------------------------------------------

    @Override
    public void upstreamReady(Channel ch, boolean reusedConnection) {
        if (ended) {
            proxy.connector().release(ch); // given up meanwhile (timeout): the connection is clean
            return;
        }
        channel = ch;
        reused = reusedConnection;
        handler = (UpstreamHandler) ch.pipeline().last();
        handler.attach(this);
        exchange.onAttemptReady(this);
    }

    @Override
    public void upstreamFailed(Throwable cause) {
        if (ended) {
            return;
        }
        if (cause instanceof UpstreamRefusal refusal) {
            failureBody = refusal.body();
            if (refusal.flag() == ResponseFlag.UO) {
                fail(Failure.OVERFLOW);
                return;
            }
        }
        fail(Failure.CONNECT_FAILURE); // a TLS handshake failure is a connect failure to Envoy
    }

    /** True once the attempt no longer wants a connection: a pool drops it from its pending queue. */
    @Override
    public boolean abandoned() {
        return ended;
    }

    /** The connection closed while this attempt was using it. */
    @Override
    public void onClosed(Channel ch) {
        if (ended || ch != channel) {
            return;
        }
        channel = null;
        handler = null;
        if (headersReceived) {
            end();
            exchange.onAttemptResetAfterHeaders(this);
        } else {
            fail(Failure.RESET);
        }
    }

    private void fail(Failure failure) {
        reset();
        switch (failure) { // outlier detection counts local origin errors as Envoy does without split_external_local_origin_errors
            case CONNECT_FAILURE -> cluster.reportAttempt(endpoint, OutlierDetector.LOCAL_CONNECT_FAILURE);
            case RESET -> cluster.reportAttempt(endpoint, OutlierDetector.LOCAL_RESET);
            case PER_TRY_TIMEOUT -> cluster.reportAttempt(endpoint, OutlierDetector.LOCAL_TIMEOUT);
            default -> { }
        }
        exchange.onAttemptFailed(this, failure);
    }

    /** The route timeout ended this attempt before its response head: a timeout for outlier detection. */
    void reportRouteTimeout() {
        if (!headersReceived && !ended) {
            cluster.reportAttempt(endpoint, OutlierDetector.LOCAL_TIMEOUT);
        }
    }

    // ---- request ------------------------------------------------------------------------------

    /** Writes the request head; a request without a body goes as one message with its (empty) end. */
    void writeHead(HttpRequest request, boolean bodyless) {
        if (bodyless) {
            // head and (empty) end as one message: one pass through the pipeline, one buffer
            channel.write(new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                    Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE), channel.voidPromise());
            lastSent = true;
        } else {
            channel.write(request, channel.voidPromise());
        }
    }

    /** Writes a body part (not flushed). Takes ownership of {@code content}. */
    void write(HttpContent content) {
        if (lastSent || channel == null) {
            content.release(); // the empty end of a bodyless request, already sent
            return;
        }
        lastSent = content instanceof LastHttpContent;
        channel.write(content, channel.voidPromise());
    }

    /** Ends the request if the body's end has not gone out yet. */
    void writeEndIfMissing() {
        if (!lastSent && channel != null) {
            channel.write(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
            lastSent = true;
        }
    }

    void flush() {
        if (channel != null) {
            channel.flush();
        }
    }

    /**
     * Whether the client may be read on: true when this connection takes more now; otherwise
     * the client is read again once it drains ({@link #onWritabilityChanged}).
     */
    boolean acceptsMore() {
        if (channel != null && channel.isWritable()) {
            return true;
        }
        waitingWritable = channel != null;
        return false;
    }

    @Override
    public void onWritabilityChanged() {
        if (waitingWritable && channel != null && channel.isWritable()) {
            waitingWritable = false;
            exchange.onAttemptWritable();
        }
    }

    void read() {
        if (channel != null) {
            channel.read();
        }
    }

    // ---- per-try timeout ----------------------------------------------------------------------

    /** Starts the per-try timer, once. */
    void startPerTryTimer(long timeoutMillis) {
        if (timeoutMillis > 0 && perTryTimer == null && !ended) {
            perTryTimer = loop.schedule(this::onPerTryTimeout, timeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void onPerTryTimeout() {
        perTryTimer = null;
        if (ended) {
            return;
        }
        if (headersReceived) {
            // Envoy's per-try timeout covers the whole response: one that started is cut off (UT)
            reset();
            exchange.onAttemptTimeoutAfterHeaders(this);
            return;
        }
        fail(Failure.PER_TRY_TIMEOUT);
    }

    // ---- response -----------------------------------------------------------------------------

    @Override
    public void onMessage(Object msg) {
        if (ended) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                protocolError();
                return;
            }
            if (response.status().code() < 200) {
                // 1xx: not forwarded (we answer 100-continue ourselves); its empty end follows
                skipInformationalEnd = true;
                ReferenceCountUtil.release(msg);
                return;
            }
            skipInformationalEnd = false;
            headersReceived = true;
            keepAlive = HttpUtil.isKeepAlive(response);
            cluster.reportAttempt(endpoint, response.status().code());
            exchange.onAttemptHeaders(this, response);
            if (ended) {
                ReferenceCountUtil.release(msg); // a body part with the head: the exchange moved on
                return;
            }
        }
        if (msg instanceof HttpContent content) {
            if (skipInformationalEnd) {
                skipInformationalEnd = !(content instanceof LastHttpContent);
                content.release();
                return;
            }
            if (content.decoderResult().isFailure()) {
                content.release();
                protocolError();
                return;
            }
            if (content instanceof LastHttpContent) {
                complete = true;
                cancelPerTryTimer();
            }
            exchange.onAttemptBody(this, content);
        }
    }

    /** A response with a body delimited by the close: the connection cannot be reused. */
    void closeDelimited() {
        keepAlive = false;
    }

    @Override
    public void onReadComplete() {
        if (!ended && channel != null) {
            exchange.onAttemptReadComplete(this);
        }
    }

    private void protocolError() {
        if (headersReceived) {
            reset();
            exchange.onAttemptProtocolErrorAfterHeaders(this);
        } else {
            Channel ch = channel;
            end();
            if (ch != null) {
                ch.close();
            }
            exchange.onAttemptFailed(this, Failure.PROTOCOL_ERROR);
        }
    }

    // ---- ending -------------------------------------------------------------------------------

    /** Abandons the attempt: its connection, if any, is closed (Envoy resets the upstream stream). */
    void reset() {
        Channel ch = channel;
        end();
        if (ch != null) {
            ch.close();
        }
    }

    /**
     * The exchange is done with this attempt: the connection goes back to the pool when both
     * messages completed cleanly and the upstream keeps it alive, else it is closed.
     */
    void finish(boolean requestComplete) {
        Channel ch = channel;
        boolean reusable = complete && requestComplete && keepAlive && lastSent;
        end();
        if (ch != null) {
            if (reusable) {
                proxy.connector().release(ch);
            } else {
                ch.close();
            }
        }
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        cancelPerTryTimer();
        endpoint.requestEnded();
        if (handler != null) {
            handler.detach();
        }
        handler = null;
        channel = null;
    }

    private void cancelPerTryTimer() {
        if (perTryTimer != null) {
            perTryTimer.cancel(false);
            perTryTimer = null;
        }
    }
}
