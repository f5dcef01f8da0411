package dev.meshbed.gateway.proxy;

import dev.meshbed.gateway.routing.Cluster;
import dev.meshbed.gateway.routing.Endpoint;
import dev.meshbed.gateway.routing.LoadBalancer;
import dev.meshbed.gateway.routing.Mirror;
import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.routing.RequestView;
import dev.meshbed.gateway.routing.Route;
import dev.meshbed.gateway.routing.RouteAction;
import dev.meshbed.gateway.routing.RoutingTable;
import dev.meshbed.gateway.routing.VirtualHost;
import dev.meshbed.gateway.routing.WeightedClusters;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request and its response, from routing to the last byte, shaped as Envoy's router: this
 * side owns the downstream (client) half and its {@link State}; each try at an upstream is an
 * {@link UpstreamRequest}, and {@link RetryState} says whether another try may follow. It picks
 * the route, the cluster and the endpoint, streams the request body up and the response body
 * down, and answers locally (404 NR, 503 UH/UF/NC, 504 UT) when it cannot. Lives on the
 * downstream connection's event loop, as do the upstream connections it borrows; nothing here
 * blocks or locks.
 *
 * <p>Backpressure is by writability: a side is read again only while the other side's outbound
 * buffer is under its high-water mark, so a 100 MB body passes through a few buffers at a time.
 *
 * <p>Seams for filters: {@link #start()} routes, then starts the first try ({@code startAttempt});
 * request filters that act before upstream work belong between the two (marked there).
 * {@code startResponse} is where a response head from upstream is shaped (response head filters).
 */
final class ProxyExchange implements LoadBalancer.Context {

    static final String UF_CONNECT = "upstream connect error or disconnect/reset before headers. "
            + "reset reason: connection failure";
    static final String UF_RESET = "upstream connect error or disconnect/reset before headers. "
            + "reset reason: connection termination";
    /** Envoy's request header naming the try: 1 for the first, 2 for the first retry, ... */
    static final String X_ENVOY_ATTEMPT_COUNT = "x-envoy-attempt-count";

    /**
     * The most request body held for a retry (Envoy's per-request buffer limit, which defaults to
     * the listener's {@code per_connection_buffer_limit_bytes}; 32 KiB in Envoy's edge best
     * practices, README "Limits and defaults"). A longer body streams and is not retried.
     */
    static final int RETRY_BUFFER_BYTES = 32 * 1024;

    static final String UPE_BEFORE_HEADERS = "upstream connect error or disconnect/reset before headers. "
            + "reset reason: protocol error";

    /** Where the exchange is. Every change goes through {@link #moveTo}. */
    enum State {
        /** Created; not routed yet. */
        NEW,
        /** Upstream work: an attempt connecting or awaiting its response head, or a back-off before the next. */
        FORWARDING,
        /** A local answer waits for the end of a bodyless request, so the connection can stay open. */
        REPLY_PENDING,
        /** An upstream response head was taken; its body streams to the client. */
        RESPONDING,
        /** Answered (or abandoned); everything released. */
        DONE;

        boolean canMoveTo(State next) {
            return switch (this) {
                case NEW -> next == FORWARDING || next == REPLY_PENDING || next == DONE;
                case FORWARDING -> next == RESPONDING || next == REPLY_PENDING || next == DONE;
                case REPLY_PENDING, RESPONDING -> next == DONE;
                case DONE -> false;
            };
        }
    }

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
    private final boolean requestHasBody;
    private CharSequence requestId;

    private State state = State.NEW;
    private Route route;
    private Cluster cluster;
    private RequestView view;
    private RetryState retry;
    private UpstreamRequest attempt;
    private int attempts;
    private Endpoint endpoint;
    private ScheduledFuture<?> backoffTimer;
    private boolean retryLimitExceeded;
    private boolean pickingWithoutCookies;

    private boolean requestComplete;
    private RequestBody body = new RequestBody(0);
    private long requestBytes;

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
    private long durationNanos;
    private LocalReply deferredReply;
    private RequestFilters filters; // null when the route has none

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

    private void moveTo(State next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("state: " + state + " -> " + next + " (not a transition of an exchange)");
        }
        state = next;
    }

    boolean finished() {
        return state == State.DONE;
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
        view = new RequestView(request, remoteIp);
        VirtualHost vh = table.listener(downstream.listenerIndex()).virtualHosts().find(view.host());
        route = vh == null ? null : vh.route(view);
        if (route == null) {
            table.noRouteHint().report();
            localReply(HttpResponseStatus.NOT_FOUND, "", ResponseFlag.NR, null);
            return;
        }
        // request filters: CORS preflight and fault injection, before any upstream work
        filters = RequestFilters.of(route.filters(), proxy);
        if (filters != null
                && filters.beforeRouting(this, request, ctx.executor(), () -> routeAction(view)) != RequestFilters.Next.ROUTE) {
            return; // answered, or delayed: routeAction runs when the delay ends
        }
        routeAction(view);
    }

    /** What the matched route does with the request: answer, redirect, or forward upstream. */
    private void routeAction(RequestView view) {
        RouteAction action = route.action();
        if (action instanceof RouteAction.DirectResponse direct) {
            localReply(HttpResponseStatus.valueOf(direct.status()), direct.body(), ResponseFlag.NONE, null);
            return;
        }
        if (action instanceof RouteAction.Redirect redirect) {
            localReply(HttpResponseStatus.valueOf(redirect.status()), "", ResponseFlag.NONE, redirect.location(view));
            return;
        }
        WeightedClusters weightedClusters = ((RouteAction.Forward) action).clusters();
        WeightedClusters.Entry picked = weightedClusters.pickEntry(proxy.random()); // with its destination-level headers
        cluster = picked.cluster();
        if (!cluster.defined()) {
            localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "", ResponseFlag.NC, null);
            return;
        }
        Endpoint first = cluster.pick(view, this);
        if (first == null) {
            localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy upstream", ResponseFlag.UH, null);
            return;
        }
        requestId = ProxyHeaders.prepareForUpstream(request, view, remoteIp);
        if (filters != null) {
            filters.onForward(request, view, picked, weightedClusters.weighted()); // once per request, not per try
        }
        retry = new RetryState(route.retryPolicy(), proxy.random());
        if ((retry.policy().enabled() || !route.mirrors().isEmpty()) && requestHasBody) {
            body = body.withLimit(RETRY_BUFFER_BYTES); // keeps what arrived during a fault delay
        }
        moveTo(State.FORWARDING);
        startAttempt(first, false, ++attempts);
        if (requestComplete) {
            startTimeout(); // the request completed during an injected delay
        }
    }

    /** A new try at {@code target}; {@code fresh} asks for a new connection rather than a pooled one. */
    private void startAttempt(Endpoint target, boolean fresh, int attemptNumber) {
        endpoint = target;
        retry.tried(target);
        attempt = new UpstreamRequest(this, proxy, ctx.channel().eventLoop(), cluster, target, attemptNumber);
        if (requestComplete) {
            attempt.startPerTryTimer(retry.policy().perTryTimeoutMillis());
        }
        attempt.start(fresh);
    }

    /** Whether a new try could send the whole request again. */
    private boolean replayable() {
        return !requestHasBody || body.replayable();
    }

    /** The next try, after Envoy's back-off; the route timeout keeps running through it. */
    private void scheduleRetry() {
        cluster.stats().retry();
        attempt = null;
        long delay = retry.backoffMillis();
        backoffTimer = ctx.executor().schedule(this::retryNow, delay, TimeUnit.MILLISECONDS);
    }

    private void retryNow() {
        backoffTimer = null;
        if (finished()) {
            return;
        }
        if (requestHasBody) {
            body.rewind();
        }
        pickingWithoutCookies = true;
        Endpoint next = retry.pickForRetry(() -> cluster.pick(view, this));
        pickingWithoutCookies = false;
        if (next == null) {
            localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy upstream", ResponseFlag.UH, null);
            return;
        }
        startAttempt(next, false, ++attempts);
    }

    /**
     * Sends the route's mirrors a copy of the complete request (Host {@code <authority>-shadow}),
     * fire and forget. A body is copied from the retry buffer; one that outgrew it is not mirrored
     * ({@code shadow_rq_body_too_large}).
     */
    private void mirror() {
        if (route == null || route.mirrors().isEmpty() || retry == null) {
            return;
        }
        if (requestHasBody && !body.replayable()) {
            proxy.metrics().edgeEvent("shadow_rq_body_too_large");
            return;
        }
        long timeoutMillis = route.timeoutMillis() > 0 ? route.timeoutMillis() : ShadowRequest.DEFAULT_TIMEOUT_MILLIS;
        for (Mirror m : route.mirrors()) {
            if (!m.sample(proxy.random()) || !m.cluster().defined()) {
                continue;
            }
            pickingWithoutCookies = true;
            Endpoint target = m.cluster().pick(view, this);
            pickingWithoutCookies = false;
            if (target == null) {
                continue;
            }
            HttpHeaders headers = request.headers().copy();
            headers.remove(X_ENVOY_ATTEMPT_COUNT);
            String host = headers.get(HttpHeaderNames.HOST);
            if (host != null) {
                headers.set(HttpHeaderNames.HOST, shadowHost(host));
            }
            io.netty.buffer.ByteBuf content = requestHasBody ? body.heldCopy() : io.netty.buffer.Unpooled.EMPTY_BUFFER;
            if (requestHasBody) {
                headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
                headers.set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
            }
            ShadowRequest.send(proxy, ctx.channel().eventLoop(), m.cluster(), target,
                    new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri(), content, headers,
                            EmptyHttpHeaders.INSTANCE), timeoutMillis);
        }
    }

    /** Envoy's shadow authority: {@code -shadow} after the host, before any port. */
    static String shadowHost(String host) {
        int colon = host.lastIndexOf(':');
        if (colon > 0 && host.indexOf(']', colon) < 0 && host.chars().skip(colon + 1).allMatch(Character::isDigit)) {
            return host.substring(0, colon) + "-shadow" + host.substring(colon);
        }
        return host + "-shadow";
    }

    /** A retriable outcome with no retry left: it stands, flagged URX. */
    private void limitExceeded() {
        retryLimitExceeded = true;
        cluster.stats().retryLimitExceeded();
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
        if (state == State.REPLY_PENDING) {
            content.release();
            if (last) {
                LocalReply r = deferredReply;
                deferredReply = null;
                sendLocalReply(r.status(), r.body(), r.flag(), r.location(), false);
            }
            return;
        }
        if (finished()) {
            content.release(); // answered already; the body goes nowhere
            return;
        }
        body.add(content);
        if (backoffTimer != null && requestHasBody && !body.replayable()) {
            // backing off before a retry, and the body outgrew the retry buffer: Envoy gives up with 507
            localReply(HttpResponseStatus.INSUFFICIENT_STORAGE,
                    "exceeded request buffer limit while retrying upstream", ResponseFlag.NONE, null);
            return;
        }
        if (attempt != null && attempt.connected()) {
            body.writeTo(attempt);
        }
        if (last) {
            startTimeout();
            if (attempt != null) {
                attempt.startPerTryTimer(retry.policy().perTryTimeoutMillis());
            }
            mirror();
        }
    }

    /** The client's read batch is over: push what it gave us upstream and decide whether to read on. */
    void onDownstreamReadComplete() {
        if (finished()) {
            return;
        }
        if (state == State.REPLY_PENDING) {
            downstream.readMore(); // the request's end is still to come
            return;
        }
        if (attempt != null && attempt.connected()) {
            attempt.flush();
            if (!requestComplete && attempt.acceptsMore()) {
                downstream.readMore();
            }
        }
        // while connecting, reading resumes in onAttemptReady
    }

    void onDownstreamWritabilityChanged() {
        if (waitingDownstreamWritable && attempt != null && ctx.channel().isWritable()) {
            waitingDownstreamWritable = false;
            attempt.read();
        }
    }

    /** The client went away before the response was complete. */
    void onDownstreamClosed() {
        if (finished()) {
            return;
        }
        flag = ResponseFlag.DC;
        resetAttempt();
        finish(false);
    }

    /**
     * The request body broke HTTP (a bad chunk): nothing sensible can follow on this connection.
     * The client gets a 400 naming the problem before the close, unless a response has begun.
     */
    void onDownstreamProtocolError(Throwable cause) {
        if (finished()) {
            return;
        }
        resetAttempt();
        if (state != State.RESPONDING) {
            String reason = cause == null || cause.getMessage() == null ? "malformed body" : cause.getMessage();
            sendLocalReply(HttpResponseStatus.BAD_REQUEST, "bad request: " + reason + "\n", ResponseFlag.DPE, null,
                    true);
            return;
        }
        flag = ResponseFlag.DPE;
        ctx.close();
        finish(false);
    }

    // ---- attempts: what an UpstreamRequest reports --------------------------------------------

    /** The attempt has its connection: the request goes out on it. */
    void onAttemptReady(UpstreamRequest a) {
        if (a != attempt || finished()) {
            a.finish(false);
            return;
        }
        request.headers().set(X_ENVOY_ATTEMPT_COUNT, a.attemptNumber());
        a.writeHead(request, !requestHasBody);
        body.writeTo(a);
        if (requestComplete) {
            a.writeEndIfMissing(); // a retry: the (empty) body went out on the connection that failed
        }
        if (!downstream.reading()) {
            a.flush(); // otherwise the client's read-complete flushes, once for everything
        }
        a.read(); // an upstream may answer before the request body is complete
        if (!requestComplete && a.acceptsMore()) {
            downstream.readMore();
        }
    }

    /** The attempt's connection drained below its low-water mark: the client may be read on. */
    void onAttemptWritable() {
        if (!requestComplete && !finished()) {
            downstream.readMore();
        }
    }

    /** The attempt ended before a response head. Another may follow; else the client is answered. */
    void onAttemptFailed(UpstreamRequest a, UpstreamRequest.Failure failure) {
        if (a != attempt || finished()) {
            return;
        }
        if (failure == UpstreamRequest.Failure.RESET && a.reused() && requestComplete && !requestHasBody
                && retry.retryStaleConnection()) {
            // A kept-alive connection the upstream had just closed: the request never reached it.
            startAttempt(a.endpoint(), true, a.attemptNumber());
            return;
        }
        if (failure == UpstreamRequest.Failure.CONNECT_FAILURE) {
            cluster.stats().connectFailure();
        } else if (failure == UpstreamRequest.Failure.PER_TRY_TIMEOUT) {
            cluster.stats().perTryTimeout();
        }
        RetryState.Decision decision = replayable() ? retry.onFailure(failure) : RetryState.Decision.NO_RETRY;
        if (decision == RetryState.Decision.RETRY) {
            scheduleRetry();
            return;
        }
        if (decision == RetryState.Decision.LIMIT_EXCEEDED) {
            limitExceeded();
        }
        switch (failure) {
            case CONNECT_FAILURE -> localReply(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    a.failureBody() != null ? a.failureBody() : UF_CONNECT, ResponseFlag.UF, null);
            case OVERFLOW -> localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, a.failureBody(), ResponseFlag.UO, null);
            case RESET -> localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, UF_RESET, ResponseFlag.UF, null);
            case PER_TRY_TIMEOUT ->
                localReply(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream request timeout", ResponseFlag.UT, null);
            case PROTOCOL_ERROR ->
                localReply(HttpResponseStatus.SERVICE_UNAVAILABLE, UPE_BEFORE_HEADERS, ResponseFlag.UPE, null);
        }
    }

    /** The attempt's response head: it goes to the client, unless the policy retries its status. */
    void onAttemptHeaders(UpstreamRequest a, HttpResponse response) {
        if (a != attempt || finished()) {
            return;
        }
        RetryState.Decision decision = replayable() ? retry.onResponse(response.status().code())
                : RetryState.Decision.NO_RETRY;
        if (decision == RetryState.Decision.RETRY) {
            a.reset(); // as Envoy resets the upstream stream; an HTTP/1.1 connection cannot be reused
            scheduleRetry();
            return;
        }
        if (decision == RetryState.Decision.LIMIT_EXCEEDED) {
            limitExceeded();
        } else if (retry.retriesDone() > 0) {
            cluster.stats().retrySuccess();
        }
        moveTo(State.RESPONDING);
        startResponse(a, response);
    }

    /** A response body part of the attempt whose head went to the client. Takes ownership. */
    void onAttemptBody(UpstreamRequest a, HttpContent content) {
        if (a != attempt || state != State.RESPONDING) {
            content.release();
            return;
        }
        lastActivityNanos = System.nanoTime();
        responseBytes += content.content().readableBytes();
        if (content instanceof LastHttpContent last) {
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

    /** The attempt's read batch is over: flush it to the client, read on while the client keeps up. */
    void onAttemptReadComplete(UpstreamRequest a) {
        if (a != attempt || finished()) {
            return;
        }
        if (state == State.RESPONDING) {
            writePendingHead();
            ctx.flush();
            if (ctx.channel().isWritable()) {
                a.read();
            } else {
                waitingDownstreamWritable = true;
            }
        } else {
            a.read();
        }
    }

    /** The attempt's connection ended after its response began: the client's connection is reset. */
    void onAttemptResetAfterHeaders(UpstreamRequest a) {
        if (a != attempt || finished()) {
            return;
        }
        flag = ResponseFlag.UC;
        downstreamReusable = false;
        ctx.close();
        finish(false);
    }

    /** The attempt's response broke HTTP after its head went out. */
    void onAttemptProtocolErrorAfterHeaders(UpstreamRequest a) {
        if (a != attempt || finished()) {
            return;
        }
        flag = ResponseFlag.UPE;
        ctx.close();
        finish(false);
    }

    /** The attempt's per-try timeout cut off a response that had begun. */
    void onAttemptTimeoutAfterHeaders(UpstreamRequest a) {
        if (a != attempt || finished()) {
            return;
        }
        cluster.stats().timeout();
        flag = ResponseFlag.UT;
        ctx.close();
        finish(false);
    }

    // ---- response head (filters on the response head belong here) -----------------------------

    private void startResponse(UpstreamRequest a, HttpResponse response) {
        status = response.status().code();
        HttpHeaders h = response.headers();
        HopByHop.strip(h);
        if (filters != null) {
            filters.onResponseHeaders(h);
        }
        boolean bodyless = head || status == 204 || status == 304;
        if (!bodyless && !HttpUtil.isContentLengthSet(response) && !HttpUtil.isTransferEncodingChunked(response)) {
            // close-delimited body: the upstream connection ends with it
            a.closeDelimited();
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

    // ---- route timeout -------------------------------------------------------------------------

    private void startTimeout() {
        if (route != null && route.timeoutMillis() > 0 && timeout == null && !finished()
                && (filters == null || !filters.delaying())) { // a fault delay is not timed (Envoy)
            timeout = ctx.executor().schedule(this::onTimeout, route.timeoutMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void onTimeout() {
        if (finished()) {
            return;
        }
        cluster.stats().timeout();
        if (attempt != null) {
            attempt.reportRouteTimeout();
        }
        resetAttempt();
        if (state == State.RESPONDING) {
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
        if (timeoutMillis > 0 && !finished()) {
            long idleNanos = System.nanoTime() - lastActivityNanos;
            long delayNanos = Math.max(0, TimeUnit.MILLISECONDS.toNanos(timeoutMillis) - idleNanos);
            idleTimer = ctx.executor().schedule(this::onStreamIdle, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void onStreamIdle() {
        idleTimer = null;
        if (finished()) {
            return;
        }
        if (System.nanoTime() - lastActivityNanos < TimeUnit.MILLISECONDS.toNanos(proxy.limits().streamIdleTimeoutMillis())) {
            armStreamIdleTimer();
            return;
        }
        proxy.metrics().edgeEvent("downstream_rq_idle_timeout");
        resetAttempt();
        if (state == State.RESPONDING) {
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
    void localReply(HttpResponseStatus responseStatus, String replyBody, ResponseFlag why, String location) {
        resetAttempt();
        if (!requestComplete && !requestHasBody) {
            flag = why;
            deferredReply = new LocalReply(responseStatus, replyBody, why, location);
            moveTo(State.REPLY_PENDING);
            return;
        }
        sendLocalReply(responseStatus, replyBody, why, location, false);
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
    void rejectMalformed(HttpResponseStatus responseStatus, String replyBody) {
        reject(responseStatus, replyBody, ResponseFlag.DPE);
    }

    /** Answers from here and closes the connection (the request's rest, if any, is not read). */
    void reject(HttpResponseStatus responseStatus, String replyBody, ResponseFlag why) {
        sendLocalReply(responseStatus, replyBody, why, null, true);
    }

    /**
     * Answers before the client has said anything, and closes gently: the output is shut, what the
     * client still sends is read and dropped for a moment, then the connection closes. (Closed at
     * once, a request arriving after the close would be met with a reset, which can destroy the
     * answer in the client's receive buffer before it is read.)
     */
    void refuse(HttpResponseStatus responseStatus, String replyBody, ResponseFlag why) {
        lingerOnClose = true;
        sendLocalReply(responseStatus, replyBody, why, null, true);
    }

    private void sendLocalReply(HttpResponseStatus responseStatus, String replyBody, ResponseFlag why,
            String location, boolean close) {
        flag = why;
        status = responseStatus.code();
        FullHttpResponse response = ProxyHeaders.localReply(ctx.alloc(), responseStatus, replyBody, location, head);
        if (filters != null) {
            filters.onLocalReply(response.headers(), why); // CORS headers, a preflight's answer
        }
        boolean keepAlive = clientKeepAlive && requestComplete && !close && !proxy.drain().closeConnections();
        ProxyHeaders.connection(response.headers(), keepAlive, clientVersion);
        responseBytes = response.content().readableBytes();
        ChannelFuture f = ctx.writeAndFlush(response);
        finish(keepAlive);
        if (lingerOnClose) {
            f.addListener(written -> downstream.lingerAndClose());
        } else if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE); // after finish(), as above
        }
    }

    /** Abandons the current attempt, if any; its connection is closed. */
    private void resetAttempt() {
        UpstreamRequest a = attempt;
        if (a != null) {
            a.reset();
        }
    }

    private void finish(boolean keepAlive) {
        if (finished()) {
            return;
        }
        moveTo(State.DONE);
        durationNanos = System.nanoTime() - startNanos;
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (backoffTimer != null) {
            backoffTimer.cancel(false);
            backoffTimer = null;
        }
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        body.release();
        if (attempt != null) {
            attempt.finish(requestComplete);
        }
        if (filters != null) {
            flag = filters.onFinish(flag); // cancels a running delay; DI
        }
        if (cluster != null) {
            cluster.stats().response(status, durationNanos);
        }
        proxy.metrics().downstreamResponse(status, flag());
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
        if (pickingWithoutCookies) {
            return; // a retry's or a mirror's pick: the first pick's cookie stands
        }
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

    /** The response flag counted in metrics: the failure's, or URX when the upstream's answer stood after retries ran out. */
    ResponseFlag flag() {
        return retryLimitExceeded && flag == ResponseFlag.NONE ? ResponseFlag.URX : flag;
    }

    /** Every flag, as Envoy's access log shows them: {@code -}, {@code UF}, {@code UF,URX}, {@code URX}. */
    String flags() {
        return retryLimitExceeded && flag != ResponseFlag.DC ? ResponseFlag.withRetryLimitExceeded(flag) : flag.code();
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
        if (filters != null && filters.rewrittenAuthority() != null) {
            return filters.rewrittenAuthority(); // as Istio's %REQ(:AUTHORITY)% after a host rewrite
        }
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
}
