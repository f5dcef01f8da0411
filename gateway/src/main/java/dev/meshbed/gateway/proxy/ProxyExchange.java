package dev.meshbed.gateway.proxy;

import dev.meshbed.gateway.routing.Cluster;
import dev.meshbed.gateway.routing.Endpoint;
import dev.meshbed.gateway.routing.LoadBalancer;
import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.routing.RequestView;
import dev.meshbed.gateway.routing.Route;
import dev.meshbed.gateway.routing.RouteAction;
import dev.meshbed.gateway.routing.RoutingTable;
import dev.meshbed.gateway.routing.VirtualHost;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request and its response, from routing to the last byte: picks the route, the cluster and
 * the endpoint, streams the request body up and the response body down, and answers locally
 * (404 NR, 503 UH/UF/NC, 504 UT) when it cannot. Lives on the downstream connection's event
 * loop, as does the upstream connection it borrows; nothing here blocks or locks.
 *
 * <p>Backpressure is by writability: a side is read again only while the other side's outbound
 * buffer is under its high-water mark, so a 100 MB body passes through a few buffers at a time.
 */
final class ProxyExchange implements UpstreamConnector.Callback, LoadBalancer.Context {

    static final String UF_CONNECT = "upstream connect error or disconnect/reset before headers. "
            + "reset reason: connection failure";
    static final String UF_RESET = "upstream connect error or disconnect/reset before headers. "
            + "reset reason: connection termination";

    private final DownstreamHandler downstream;
    private final ChannelHandlerContext ctx;
    private final ProxyContext proxy;
    private final HttpRequest request;
    private final String remoteIp;
    private final long startNanos = System.nanoTime();
    private final long startEpochMillis = System.currentTimeMillis();
    private final boolean clientKeepAlive;
    private final HttpVersion clientVersion;
    private final boolean head;
    private final String method;
    private final String uri;
    private final String authority;
    private final String userAgent;
    private CharSequence requestId;

    private Route route;
    private Cluster cluster;
    private Endpoint endpoint;
    private boolean endpointCounted;

    private boolean requestComplete;
    private final boolean requestHasBody;
    private ArrayDeque<HttpContent> buffered;
    private long requestBytes;
    private boolean waitingUpstreamWritable;

    private Channel upstream;
    private UpstreamHandler upstreamHandler;
    private boolean upstreamReused;
    private boolean upstreamKeepAlive = true;
    private boolean lastSentUpstream;
    private boolean retried;

    private boolean responseStarted;
    private boolean responseComplete;
    private boolean skipInformationalEnd;
    private HttpResponse pendingHead;
    private boolean waitingDownstreamWritable;
    private boolean downstreamReusable = true;
    private int status;
    private long responseBytes;
    private ResponseFlag flag = ResponseFlag.NONE;
    private List<String> cookies;
    private ScheduledFuture<?> timeout;
    private ScheduledFuture<?> idleTimer;
    private long lastActivityNanos = startNanos;
    private boolean lingerOnClose;
    private boolean finished;
    private long durationNanos;
    private LocalReply deferredReply;

    /** A local answer held back until the (bodyless) request's end has been read. */
    private record LocalReply(HttpResponseStatus status, String body, ResponseFlag flag, String location) {
    }

    ProxyExchange(DownstreamHandler downstream, ChannelHandlerContext ctx, ProxyContext proxy, HttpRequest request,
            String remoteIp) {
        this.downstream = downstream;
        this.ctx = ctx;
        this.proxy = proxy;
        this.request = request;
        this.remoteIp = remoteIp;
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        this.clientVersion = request.protocolVersion();
        this.head = HttpMethod.HEAD.equals(request.method());
        this.method = request.method().name();
        this.uri = request.uri();
        HttpHeaders h = request.headers();
        this.authority = h.get(HttpHeaderNames.HOST);
        this.userAgent = h.get(HttpHeaderNames.USER_AGENT);
        this.requestId = h.get(ProxyHeaders.X_REQUEST_ID);
        this.requestHasBody = hasBody(request);
    }

    private static boolean hasBody(HttpRequest request) {
        if (HttpUtil.isTransferEncodingChunked(request)) {
            return true;
        }
        try {
            return HttpUtil.getContentLength(request, 0L) > 0;
        } catch (NumberFormatException e) {
            return true; // malformed: the decoder has flagged it; assume the worst
        }
    }

    // ---- request side --------------------------------------------------------------------------

    /** Routes the request and starts forwarding it, or answers locally. */
    void start() {
        armStreamIdleTimer();
        if (!request.headers().contains(HttpHeaderNames.HOST) && request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
            rejectMalformed(HttpResponseStatus.BAD_REQUEST, "bad request: missing host header\n"); // RFC 9112 3.2
            return;
        }
        RoutingTable table = proxy.tables().current();
        RequestView view = new RequestView(request, remoteIp);
        VirtualHost vh = table.listener(downstream.listenerIndex()).virtualHosts().find(view.host());
        route = vh == null ? null : vh.route(view);
        if (route == null) {
            table.noRouteHint().report();
            localReply(HttpResponseStatus.NOT_FOUND, "", ResponseFlag.NR, null);
            return;
        }
        RouteAction action = route.action();
        if (action instanceof RouteAction.DirectResponse direct) {
            localReply(HttpResponseStatus.valueOf(direct.status()), direct.body(), ResponseFlag.NONE, null);
            return;
        }
        if (action instanceof RouteAction.Redirect redirect) {
            localReply(HttpResponseStatus.valueOf(redirect.status()), "", ResponseFlag.NONE, redirect.location(view));
            return;
        }
        cluster = ((RouteAction.Forward) action).clusters().pick(proxy.random());
        if (!cluster.defined()) {
            localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "", ResponseFlag.NC, null);
            return;
        }
        endpoint = cluster.pick(view, this);
        if (endpoint == null) {
            localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy upstream", ResponseFlag.UH, null);
            return;
        }
        requestId = ProxyHeaders.prepareForUpstream(request, view, remoteIp);
        endpoint.requestStarted();
        endpointCounted = true;
        proxy.connector().acquire(ctx.channel().eventLoop(), endpoint.address(), cluster.connectTimeoutMillis(),
                false, this);
    }

    boolean requestComplete() {
        return requestComplete;
    }

    /** A body chunk of this request from the client. Takes ownership of {@code content}. */
    void onRequestContent(HttpContent content) {
        lastActivityNanos = System.nanoTime();
        requestBytes += content.content().readableBytes();
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestComplete = true;
        }
        if (deferredReply != null) {
            content.release();
            if (last) {
                LocalReply r = deferredReply;
                deferredReply = null;
                sendLocalReply(r.status(), r.body(), r.flag(), r.location(), false);
            }
            return;
        }
        if (finished) {
            content.release(); // answered already; the body goes nowhere
            return;
        }
        if (upstream != null) {
            if (lastSentUpstream) {
                content.release(); // the empty end of a bodyless request, already sent
            } else {
                upstream.write(content, upstream.voidPromise());
                lastSentUpstream |= last;
            }
        } else {
            if (buffered == null) {
                buffered = new ArrayDeque<>(4);
            }
            buffered.add(content);
        }
        if (last) {
            startTimeout();
        }
    }

    /** The client's read batch is over: push what it gave us upstream and decide whether to read on. */
    void onDownstreamReadComplete() {
        if (finished) {
            return;
        }
        if (deferredReply != null) {
            downstream.readMore(); // the request's end is still to come
            return;
        }
        if (upstream != null) {
            upstream.flush();
            if (!requestComplete) {
                if (upstream.isWritable()) {
                    downstream.readMore();
                } else {
                    waitingUpstreamWritable = true;
                }
            }
        }
        // while connecting, reading resumes in upstreamReady
    }

    void onDownstreamWritabilityChanged() {
        if (waitingDownstreamWritable && upstream != null && ctx.channel().isWritable()) {
            waitingDownstreamWritable = false;
            upstream.read();
        }
    }

    /** The client went away before the response was complete. */
    void onDownstreamClosed() {
        if (finished) {
            return;
        }
        flag = ResponseFlag.DC;
        closeUpstream();
        finish(false);
    }

    /**
     * The request body broke HTTP (a bad chunk): nothing sensible can follow on this connection.
     * The client gets a 400 naming the problem before the close, unless a response has begun.
     */
    void onDownstreamProtocolError(Throwable cause) {
        if (finished) {
            return;
        }
        closeUpstream();
        if (!responseStarted) {
            String reason = cause == null || cause.getMessage() == null ? "malformed body" : cause.getMessage();
            sendLocalReply(HttpResponseStatus.BAD_REQUEST, "bad request: " + reason + "\n", ResponseFlag.DPE, null,
                    true);
            return;
        }
        flag = ResponseFlag.DPE;
        ctx.close();
        finish(false);
    }

    // ---- upstream connection -------------------------------------------------------------------

    @Override
    public void upstreamReady(Channel channel, boolean reused) {
        if (finished) {
            proxy.connector().release(channel); // answered meanwhile (timeout): the connection is clean
            return;
        }
        upstream = channel;
        upstreamReused = reused;
        upstreamHandler = (UpstreamHandler) channel.pipeline().last();
        upstreamHandler.attach(this);
        if (!requestHasBody) {
            // head and (empty) end as one message: one pass through the pipeline, one buffer
            channel.write(new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                    Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE), channel.voidPromise());
            lastSentUpstream = true;
        } else {
            channel.write(request, channel.voidPromise());
        }
        if (buffered != null) {
            HttpContent c;
            while ((c = buffered.poll()) != null) {
                if (lastSentUpstream) {
                    c.release(); // the empty end of a bodyless request, already sent
                    continue;
                }
                lastSentUpstream |= c instanceof LastHttpContent;
                channel.write(c, channel.voidPromise());
            }
        }
        if (requestComplete && !lastSentUpstream) {
            // a retry: the (empty) body went out on the connection that failed
            channel.write(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
            lastSentUpstream = true;
        }
        if (!downstream.reading()) {
            channel.flush(); // otherwise the client's read-complete flushes, once for everything
        }
        channel.read(); // an upstream may answer before the request body is complete
        if (!requestComplete) {
            if (channel.isWritable()) {
                downstream.readMore();
            } else {
                waitingUpstreamWritable = true;
            }
        }
    }

    @Override
    public void upstreamFailed(Throwable cause) {
        if (finished) {
            return;
        }
        cluster.stats().connectFailure();
        localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, UF_CONNECT, ResponseFlag.UF, null);
    }

    void onUpstreamWritabilityChanged() {
        if (waitingUpstreamWritable && upstream != null && upstream.isWritable()) {
            waitingUpstreamWritable = false;
            downstream.readMore();
        }
    }

    /** The upstream connection closed while this exchange was using it. */
    void onUpstreamClosed(Channel channel) {
        if (finished || channel != upstream) {
            return;
        }
        upstream = null;
        upstreamHandler = null;
        if (responseStarted) {
            flag = ResponseFlag.UC;
            downstreamReusable = false;
            ctx.close();
            finish(false);
            return;
        }
        if (upstreamReused && !retried && requestComplete && !requestHasBody) {
            // A kept-alive connection the upstream had just closed: the request never reached it.
            retried = true;
            lastSentUpstream = false;
            proxy.connector().acquire(ctx.channel().eventLoop(), endpoint.address(), cluster.connectTimeoutMillis(),
                    true, this);
            return;
        }
        localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, UF_RESET, ResponseFlag.UF, null);
    }

    // ---- response side -------------------------------------------------------------------------

    void onUpstreamMessage(Object msg) {
        if (finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        lastActivityNanos = System.nanoTime();
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                upstreamProtocolError();
                return;
            }
            int code = response.status().code();
            if (code < 200) {
                // 1xx: not forwarded (we answer 100-continue ourselves); its empty end follows
                skipInformationalEnd = true;
                ReferenceCountUtil.release(msg);
                return;
            }
            skipInformationalEnd = false;
            startResponse(response);
        }
        if (msg instanceof HttpContent content) {
            if (skipInformationalEnd) {
                skipInformationalEnd = !(content instanceof LastHttpContent);
                content.release();
                return;
            }
            if (content.decoderResult().isFailure()) {
                content.release();
                upstreamProtocolError();
                return;
            }
            responseBytes += content.content().readableBytes();
            if (content instanceof LastHttpContent last) {
                responseComplete = true;
                Object out = last;
                if (pendingHead != null) {
                    // the whole response arrived in one read: write it as one message
                    out = new DefaultFullHttpResponse(pendingHead.protocolVersion(), pendingHead.status(),
                            last.content(), pendingHead.headers(), last.trailingHeaders());
                    pendingHead = null;
                }
                boolean keepAlive = clientKeepAlive && requestComplete && downstreamReusable;
                if (keepAlive) {
                    ctx.writeAndFlush(out, ctx.voidPromise());
                    finish(true);
                } else {
                    ChannelFuture f = ctx.writeAndFlush(out);
                    finish(false);
                    // added after finish(): the close it may run at once must find this exchange done
                    f.addListener(ChannelFutureListener.CLOSE);
                }
            } else {
                writePendingHead();
                ctx.write(content, ctx.voidPromise());
            }
        }
    }

    private void startResponse(HttpResponse response) {
        status = response.status().code();
        responseStarted = true;
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        HttpHeaders h = response.headers();
        HopByHop.strip(h);
        boolean bodyless = head || status == 204 || status == 304;
        if (!bodyless && !HttpUtil.isContentLengthSet(response) && !HttpUtil.isTransferEncodingChunked(response)) {
            // close-delimited body: the upstream connection ends with it
            upstreamKeepAlive = false;
            if (clientVersion.equals(HttpVersion.HTTP_1_1)) {
                HttpUtil.setTransferEncodingChunked(response, true);
            } else {
                downstreamReusable = false; // an HTTP/1.0 client reads to the close
            }
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (proxy.drain().closeConnections()) {
            downstreamReusable = false; // draining: this response ends the connection
        }
        ProxyHeaders.connection(h, clientKeepAlive && downstreamReusable, clientVersion);
        if (cookies != null) {
            for (String c : cookies) {
                h.add(HttpHeaderNames.SET_COOKIE, c);
            }
        }
        pendingHead = response; // written with the first body part, or at the end of this read
    }

    private void writePendingHead() {
        if (pendingHead != null) {
            ctx.write(pendingHead, ctx.voidPromise());
            pendingHead = null;
        }
    }

    /** The upstream's read batch is over: flush it to the client, read on while the client keeps up. */
    void onUpstreamReadComplete() {
        if (finished || upstream == null) {
            return;
        }
        if (responseStarted) {
            writePendingHead();
            ctx.flush();
            if (ctx.channel().isWritable()) {
                upstream.read();
            } else {
                waitingDownstreamWritable = true;
            }
        } else {
            upstream.read();
        }
    }

    private void upstreamProtocolError() {
        closeUpstream();
        if (responseStarted) {
            flag = ResponseFlag.UPE;
            ctx.close();
            finish(false);
        } else {
            localReply(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "upstream connect error or disconnect/reset before headers. reset reason: protocol error",
                    ResponseFlag.UPE, null);
        }
    }

    // ---- timeout -------------------------------------------------------------------------------

    private void startTimeout() {
        if (route != null && route.timeoutMillis() > 0 && timeout == null && !finished) {
            timeout = ctx.executor().schedule(this::onTimeout, route.timeoutMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void onTimeout() {
        if (finished) {
            return;
        }
        cluster.stats().timeout();
        closeUpstream();
        if (responseStarted) {
            flag = ResponseFlag.UT;
            ctx.close();
            finish(false);
        } else {
            localReply(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream request timeout", ResponseFlag.UT, null);
        }
    }

    // ---- stream idle timeout (Envoy's stream_idle_timeout) --------------------------------------

    /** One timer per exchange, not one per byte: when it fires early it waits out the rest. */
    private void armStreamIdleTimer() {
        long timeoutMillis = proxy.limits().streamIdleTimeoutMillis();
        if (timeoutMillis > 0 && !finished) {
            long idleNanos = System.nanoTime() - lastActivityNanos;
            long delayNanos = Math.max(0, TimeUnit.MILLISECONDS.toNanos(timeoutMillis) - idleNanos);
            idleTimer = ctx.executor().schedule(this::onStreamIdle, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void onStreamIdle() {
        idleTimer = null;
        if (finished) {
            return;
        }
        if (System.nanoTime() - lastActivityNanos < TimeUnit.MILLISECONDS.toNanos(proxy.limits().streamIdleTimeoutMillis())) {
            armStreamIdleTimer();
            return;
        }
        proxy.metrics().edgeEvent("downstream_rq_idle_timeout");
        closeUpstream();
        if (responseStarted) {
            flag = ResponseFlag.SI;
            downstreamReusable = false;
            ctx.close();
            finish(false);
        } else {
            deferredReply = null;
            sendLocalReply(HttpResponseStatus.REQUEST_TIMEOUT, "stream timeout", ResponseFlag.SI, null, true);
        }
    }

    // ---- endings -------------------------------------------------------------------------------

    /**
     * Answers the client from here. A request without a body is answered once its end has been
     * read, so the connection stays open; one with a body still arriving is answered at once and
     * the connection closed after it (its rest would have to be drained first).
     */
    void localReply(HttpResponseStatus responseStatus, String body, ResponseFlag why, String location) {
        closeUpstream();
        if (!requestComplete && !requestHasBody) {
            flag = why;
            deferredReply = new LocalReply(responseStatus, body, why, location);
            return;
        }
        sendLocalReply(responseStatus, body, why, location, false);
    }

    /** Answers a request that {@link RequestGuard} refused, as the rejection says. */
    void reject(RequestRejection rejection) {
        if (rejection.closeConnection()) {
            sendLocalReply(rejection.status(), rejection.body(), rejection.flag(), null, true);
        } else {
            localReply(rejection.status(), rejection.body(), rejection.flag(), null);
        }
    }

    /** Answers a request that broke HTTP, and closes the connection. */
    void rejectMalformed(HttpResponseStatus responseStatus, String body) {
        reject(responseStatus, body, ResponseFlag.DPE);
    }

    /** Answers from here and closes the connection (the request's rest, if any, is not read). */
    void reject(HttpResponseStatus responseStatus, String body, ResponseFlag why) {
        sendLocalReply(responseStatus, body, why, null, true);
    }

    /**
     * Answers before the client has said anything, and closes gently: the output is shut, what the
     * client still sends is read and dropped for a moment, then the connection closes. (Closed at
     * once, a request arriving after the close would be met with a reset, which can destroy the
     * answer in the client's receive buffer before it is read.)
     */
    void refuse(HttpResponseStatus responseStatus, String body, ResponseFlag why) {
        lingerOnClose = true;
        sendLocalReply(responseStatus, body, why, null, true);
    }

    private void sendLocalReply(HttpResponseStatus responseStatus, String body, ResponseFlag why, String location,
            boolean close) {
        flag = why;
        status = responseStatus.code();
        FullHttpResponse response = ProxyHeaders.localReply(ctx.alloc(), responseStatus, body, location, head);
        boolean keepAlive = clientKeepAlive && requestComplete && !close && !proxy.drain().closeConnections();
        ProxyHeaders.connection(response.headers(), keepAlive, clientVersion);
        responseStarted = true;
        responseComplete = true;
        responseBytes = response.content().readableBytes();
        ChannelFuture f = ctx.writeAndFlush(response);
        finish(keepAlive);
        if (lingerOnClose) {
            f.addListener(written -> downstream.lingerAndClose());
        } else if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE); // after finish(), as above
        }
    }

    private void closeUpstream() {
        Channel ch = upstream;
        if (ch != null) {
            upstream = null;
            upstreamHandler.detach();
            upstreamHandler = null;
            ch.close();
        }
    }

    private void finish(boolean keepAlive) {
        if (finished) {
            return;
        }
        finished = true;
        durationNanos = System.nanoTime() - startNanos;
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        if (endpointCounted) {
            endpointCounted = false;
            endpoint.requestEnded();
        }
        if (buffered != null) {
            buffered.forEach(ReferenceCountUtil::release);
            buffered.clear();
        }
        Channel ch = upstream;
        if (ch != null) {
            upstream = null;
            upstreamHandler.detach();
            upstreamHandler = null;
            if (responseComplete && requestComplete && upstreamKeepAlive && lastSentUpstream) {
                proxy.connector().release(ch);
            } else {
                ch.close();
            }
        }
        if (cluster != null) {
            cluster.stats().response(status, durationNanos);
        }
        proxy.metrics().downstreamResponse(status, flag);
        proxy.accessLog().log(this, ctx.executor());
        downstream.exchangeFinished(this, keepAlive);
    }

    // ---- LoadBalancer.Context ------------------------------------------------------------------

    @Override
    public RandomSource random() {
        return proxy.random();
    }

    @Override
    public void addResponseCookie(String setCookieValue) {
        if (cookies == null) {
            cookies = new ArrayList<>(1);
        }
        cookies.add(setCookieValue);
    }

    // ---- for the access log and tests ----------------------------------------------------------

    long startEpochMillis() {
        return startEpochMillis;
    }

    String method() {
        return method;
    }

    String uri() {
        return uri;
    }

    String protocol() {
        return clientVersion.text();
    }

    int status() {
        return status;
    }

    ResponseFlag flag() {
        return flag;
    }

    long requestBytes() {
        return requestBytes;
    }

    long responseBytes() {
        return responseBytes;
    }

    long durationMillis() {
        return TimeUnit.NANOSECONDS.toMillis(durationNanos);
    }

    String userAgent() {
        return userAgent;
    }

    CharSequence requestId() {
        return requestId;
    }

    String authority() {
        return authority;
    }

    String upstreamAddress() {
        return endpoint == null ? null : endpoint.addressText();
    }

    String clusterName() {
        return cluster == null ? null : cluster.name();
    }

    String routeName() {
        return route == null ? null : route.name();
    }

    String remoteAddress() {
        return remoteIp;
    }

    boolean finished() {
        return finished;
    }
}
