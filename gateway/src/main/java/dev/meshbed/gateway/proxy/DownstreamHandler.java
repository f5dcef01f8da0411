package dev.meshbed.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: runs its requests one at a time, in order. Requests that a client
 * pipelines behind the current one wait here, already decoded, until it is answered (HTTP/1.1
 * answers must keep the order of the requests). The connection reads with AUTO_READ off: only
 * when idle, or when the current request's body may flow on.
 *
 * <p>Its timers: the connection idle timeout runs while no request is in progress; the request
 * headers timeout from the first byte of a request (seen by {@link FirstBytes}, ahead of the
 * codec) to its decoded head. A connection over the connection limit is answered 503 at once
 * and closed.
 */
final class DownstreamHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(DownstreamHandler.class);

    private final ProxyContext proxy;
    private final int listenerIndex;
    private ChannelHandlerContext ctx;
    private String remoteIp = "";
    private ProxyExchange current;
    private ArrayDeque<Object> pipelined;
    private boolean reading;
    private boolean closing;
    private boolean closeWhenIdle;
    private boolean lingering;
    /** How long a refused connection's further input is read and dropped before the close. */
    static final long LINGER_MILLIS = 1000;
    private final Refusal refusal;
    private ScheduledFuture<?> idleTimer;
    private ScheduledFuture<?> headersTimer;

    DownstreamHandler(ProxyContext proxy, int listenerIndex) {
        this(proxy, listenerIndex, null);
    }

    /** @param refusal when not null, why this connection is answered 503 at once */
    DownstreamHandler(ProxyContext proxy, int listenerIndex, Refusal refusal) {
        this.proxy = proxy;
        this.listenerIndex = listenerIndex;
        this.refusal = refusal;
    }

    /** Sits ahead of the codec and tells the handler when a request's first bytes arrive. */
    static final class FirstBytes extends ChannelInboundHandlerAdapter {
        private final DownstreamHandler downstream;

        FirstBytes(DownstreamHandler downstream) {
            this.downstream = downstream;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf && buf.isReadable()) {
                downstream.onBytes();
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** Bytes arrived: when no request is in progress, they begin one, whose headers are now timed. */
    void onBytes() {
        long timeout = proxy.limits().requestHeadersTimeoutMillis();
        if (current == null && headersTimer == null && timeout > 0 && !closing) {
            headersTimer = ctx.executor().schedule(this::onHeadersTimeout, timeout, TimeUnit.MILLISECONDS);
        }
    }

    private void onHeadersTimeout() {
        headersTimer = null;
        if (current != null || closing || !ctx.channel().isActive()) {
            return;
        }
        proxy.metrics().edgeEvent("downstream_rq_header_timeout");
        rejectWithoutRequest(HttpResponseStatus.REQUEST_TIMEOUT, "request header timeout\n", ResponseFlag.NONE);
    }

    private void armIdleTimer() {
        long timeout = proxy.limits().connectionIdleTimeoutMillis();
        if (timeout > 0 && idleTimer == null && !closing) {
            idleTimer = ctx.executor().schedule(this::onIdleTimeout, timeout, TimeUnit.MILLISECONDS);
        }
    }

    private void onIdleTimeout() {
        idleTimer = null;
        if (current == null && !closing) {
            proxy.metrics().edgeEvent("downstream_cx_idle_timeout");
            closing = true;
            ctx.close();
        }
    }

    private void cancelTimers() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        if (headersTimer != null) {
            headersTimer.cancel(false);
            headersTimer = null;
        }
    }

    /** Answers with no request to go by (Envoy logs such as "- - -"), and closes. */
    private void rejectWithoutRequest(HttpResponseStatus status, String body, ResponseFlag flag) {
        HttpRequest none = new DefaultHttpRequest(HttpVersion.HTTP_1_1, NO_METHOD, "-");
        none.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION, "close");
        current = new ProxyExchange(this, ctx, proxy, none, remoteIp);
        current.reject(status, body, flag);
    }

    private static final HttpMethod NO_METHOD = HttpMethod.valueOf("-");

    /** After a refusal: shuts the output, drops input for {@link #LINGER_MILLIS}, then closes. */
    void lingerAndClose() {
        closing = true;
        releasePipelined();
        if (!ctx.channel().isActive()) {
            return;
        }
        lingering = true;
        if (ctx.channel() instanceof io.netty.channel.socket.DuplexChannel duplex) {
            duplex.shutdownOutput();
        }
        ctx.executor().schedule(() -> {
            ctx.close();
        }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
        ctx.read();
    }

    /**
     * The listeners have closed: the connection ends after the request in progress (its response may
     * have promised keep-alive), or, with none, after {@link #IDLE_GRACE_MILLIS} if none comes.
     */
    void closeWhenIdle() {
        closeWhenIdle = true;
        if (current == null && !closing) {
            // not at once: a client between two requests would send its next into the close
            ctx.executor().schedule(() -> {
                if (current == null && !closing) {
                    closing = true;
                    releasePipelined();
                    ctx.close();
                }
            }, IDLE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** After the listeners close, how long a connection with no request in progress is left before it is closed. */
    static final long IDLE_GRACE_MILLIS = 1000;

    int listenerIndex() {
        return listenerIndex;
    }

    /** True while the channel delivers a read batch (its channelReadComplete will follow). */
    boolean reading() {
        return reading;
    }

    void readMore() {
        ctx.read();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        SocketAddress remote = ctx.channel().remoteAddress();
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            remoteIp = inet.getAddress().getHostAddress();
        }
        proxy.metrics().downstreamConnectionOpened();
        ctx.fireChannelActive();
        if (refusal != null) {
            // answered before anything is read: the descriptor it holds is given back within a second
            HttpRequest none = new DefaultHttpRequest(HttpVersion.HTTP_1_1, NO_METHOD, "-");
            none.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION, "close");
            current = new ProxyExchange(this, ctx, proxy, none, remoteIp);
            if (refusal.linger()) {
                current.refuse(HttpResponseStatus.SERVICE_UNAVAILABLE, refusal.body(), ResponseFlag.OM);
            } else { // the descriptor is needed at once (to refuse the next client in the backlog, say)
                current.reject(HttpResponseStatus.SERVICE_UNAVAILABLE, refusal.body(), ResponseFlag.OM);
            }
            return;
        }
        armIdleTimer();
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if (current != null && (current.requestComplete() || !(msg instanceof HttpContent))) {
            if (pipelined == null) {
                pipelined = new ArrayDeque<>(4);
            }
            pipelined.add(msg);
        } else {
            dispatch(msg);
        }
    }

    private void dispatch(Object msg) {
        if (msg instanceof HttpRequest request) {
            cancelTimers();
            current = new ProxyExchange(this, ctx, proxy, request, remoteIp);
            if (request.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                if (request.decoderResult().cause() instanceof RequestRejection rejection) {
                    current.reject(rejection);
                } else {
                    badRequest(current, request.decoderResult().cause());
                }
                return;
            }
            int headers = request.headers().size();
            if (headers > proxy.limits().maxHeadersCount()) {
                current.rejectMalformed(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "bad request: " + headers
                        + " headers (expected: <= " + proxy.limits().maxHeadersCount() + ")\n");
                return;
            }
            current.start();
        } else if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                content.release();
                if (current != null) {
                    current.onDownstreamProtocolError(content.decoderResult().cause());
                } else {
                    ctx.close();
                }
            } else if (current != null) {
                current.onRequestContent(content);
            } else {
                content.release();
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void badRequest(ProxyExchange exchange, Throwable cause) {
        HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : HttpResponseStatus.BAD_REQUEST;
        String reason = cause == null || cause.getMessage() == null ? "malformed request" : cause.getMessage();
        if (cause instanceof TooLongFrameException) {
            reason = reason.split("\\.")[0];
        }
        exchange.rejectMalformed(status, "bad request: " + reason + "\n");
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        if (lingering) {
            ctx.read();
        } else if (current != null) {
            current.onDownstreamReadComplete();
        } else if (!closing && (pipelined == null || pipelined.isEmpty())) {
            ctx.read();
        }
    }

    /** The current exchange is over; the next one may start. */
    void exchangeFinished(ProxyExchange exchange, boolean keepAlive) {
        if (exchange != current) {
            return;
        }
        current = null;
        if (!keepAlive || closeWhenIdle) {
            if (keepAlive) { // the close follows the response on its way out
                ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                        .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            }
            closing = true;
            releasePipelined();
            return;
        }
        armIdleTimer();
        if (pipelined != null && !pipelined.isEmpty()) {
            // Not from inside the upstream's read: the next request may borrow that very connection.
            ctx.executor().execute(this::runPipelined);
        } else if (!reading) {
            ctx.read();
        }
    }

    private void runPipelined() {
        while (!closing && pipelined != null && !pipelined.isEmpty()
                && (current == null || !current.requestComplete())) {
            Object msg = pipelined.poll();
            if (current != null && !(msg instanceof HttpContent)) {
                pipelined.addFirst(msg);
                break;
            }
            dispatch(msg);
        }
        if (closing) {
            return;
        }
        if (current == null) {
            ctx.read();
        } else {
            current.onDownstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null) {
            current.onDownstreamWritabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        cancelTimers();
        releasePipelined();
        ProxyExchange e = current;
        current = null;
        if (e != null) {
            e.onDownstreamClosed();
        }
        proxy.metrics().downstreamConnectionClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("downstream connection {} failed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    private void releasePipelined() {
        if (pipelined != null) {
            pipelined.forEach(ReferenceCountUtil::release);
            pipelined.clear();
        }
    }
}
