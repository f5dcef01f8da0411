package dev.meshbed.gateway.proxy;

import dev.meshbed.gateway.routing.CorsPolicy;
import dev.meshbed.gateway.routing.FaultPolicy;
import dev.meshbed.gateway.routing.HeaderPolicy;
import dev.meshbed.gateway.routing.RequestView;
import dev.meshbed.gateway.routing.RouteFilters;
import dev.meshbed.gateway.routing.WeightedClusters;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A route's filters applied to one exchange, in the order of Istio's HTTP filter chain (cors,
 * fault, router):
 *
 * <ol>
 *   <li>{@link #beforeRouting}: before any upstream work, Envoy's CORS filter answers a preflight
 *       (OPTIONS with Origin and Access-Control-Request-Method) at the edge, then Envoy's fault
 *       filter delays (a timer on the event loop) and aborts ({@code fault filter abort}, flag FI).</li>
 *   <li>{@link #onForward}: what Envoy's router does to the request it sends upstream
 *       (finalizeRequestHeaders): the destination's and the route's header operations, the host
 *       rewrite, the path rewrite with {@code x-envoy-original-path}.</li>
 *   <li>{@link #onResponseHeaders} and {@link #onLocalReply}: the header operations on the upstream's
 *       response, and the CORS headers on every response of a CORS request.</li>
 * </ol>
 *
 * <p>The fault delay does not count against the route timeout: Envoy's router starts that timer
 * when the request reaches it complete, which is after the fault filter lets it through.
 * Lives on the exchange's event loop, as the exchange does.
 */
final class RequestFilters {

    static final AsciiString X_ENVOY_ORIGINAL_PATH = AsciiString.cached("x-envoy-original-path");
    static final AsciiString ORIGIN = AsciiString.cached("origin");
    static final AsciiString ACCESS_CONTROL_REQUEST_METHOD = AsciiString.cached("access-control-request-method");
    static final AsciiString ACCESS_CONTROL_REQUEST_HEADERS = AsciiString.cached("access-control-request-headers");

    private final RouteFilters filters;
    private final ProxyContext proxy;
    /** The request's Origin when the route's CORS policy allows it (Envoy's latched origin), else null. */
    private String corsOrigin;
    private boolean corsRequest;
    private HttpHeaders preflightHeaders;
    private WeightedClusters.Entry destination;
    private boolean weighted;
    private ScheduledFuture<?> delay;
    private boolean delayInjected;
    /** Past CORS and fault: what is answered from now on is the router's answer. */
    private boolean routed;
    private String rewrittenAuthority;

    private RequestFilters(RouteFilters filters, ProxyContext proxy) {
        this.filters = filters;
        this.proxy = proxy;
    }

    /** The filters of {@code route} for one exchange, or null when the route has none (nothing to do). */
    static RequestFilters of(RouteFilters filters, ProxyContext proxy) {
        return filters.isEmpty() ? null : new RequestFilters(filters, proxy);
    }

    /** What the exchange does next after {@link #beforeRouting}. */
    enum Next {
        /** Route the request now. */
        ROUTE,
        /** Answered (a preflight or an abort). */
        ANSWERED,
        /** A delay is running; when it ends, the exchange's {@code afterDelay} is called. */
        DELAYED
    }

    /**
     * CORS preflight and fault injection, before any upstream work.
     *
     * @param afterDelay run on {@code executor} when an injected delay ends, unless {@link #onFinish} ran first
     */
    Next beforeRouting(ProxyExchange exchange, HttpRequest request, EventExecutor executor, Runnable afterDelay) {
        if (filters.cors() != null && cors(filters.cors(), request)) {
            exchange.localReply(HttpResponseStatus.OK, "", ResponseFlag.NONE, null);
            return Next.ANSWERED;
        }
        FaultPolicy fault = filters.fault();
        if (fault == null) {
            routed = true;
            return Next.ROUTE;
        }
        if (fault.drawDelay(proxy.random())) {
            delayInjected = true;
            proxy.metrics().edgeEvent("fault.delays_injected");
            delay = executor.schedule(() -> {
                delay = null;
                if (!exchange.finished() && !abort(exchange)) {
                    routed = true;
                    afterDelay.run();
                }
            }, fault.delayMillis(), TimeUnit.MILLISECONDS);
            return Next.DELAYED;
        }
        if (abort(exchange)) {
            return Next.ANSWERED;
        }
        routed = true;
        return Next.ROUTE;
    }

    private boolean abort(ProxyExchange exchange) {
        FaultPolicy fault = filters.fault();
        if (!fault.drawAbort(proxy.random())) {
            return false;
        }
        proxy.metrics().edgeEvent("fault.aborts_injected");
        exchange.localReply(HttpResponseStatus.valueOf(fault.abortStatus()), FaultPolicy.ABORT_BODY, ResponseFlag.FI,
                null);
        return true;
    }

    /**
     * The host the request went upstream with when the route rewrote it, else null. Envoy's router
     * rewrites the downstream request headers in place, so Istio's access log
     * ({@code %REQ(:AUTHORITY)%}) shows the rewritten host, while the path shows the original
     * ({@code %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%}).
     */
    String rewrittenAuthority() {
        return rewrittenAuthority;
    }

    /** Whether an injected delay is still running (the route timeout waits for its end). */
    boolean delaying() {
        return delay != null;
    }

    /**
     * Envoy's CORS filter on the request (cors_filter.cc, decodeHeaders).
     *
     * @return whether this is a preflight to answer here
     */
    private boolean cors(CorsPolicy cors, HttpRequest request) {
        HttpHeaders h = request.headers();
        String origin = h.get(ORIGIN);
        if (origin == null || origin.isEmpty()) {
            return false;
        }
        boolean allowed = cors.originAllowed(origin);
        proxy.metrics().edgeEvent(allowed ? "cors.origin_valid" : "cors.origin_invalid");
        corsRequest = true;
        if (allowed) {
            corsOrigin = origin;
        }
        if (!HttpMethod.OPTIONS.equals(request.method())) {
            return false;
        }
        String requestMethod = h.get(ACCESS_CONTROL_REQUEST_METHOD);
        if (requestMethod == null || requestMethod.isEmpty()) {
            return false;
        }
        if (!allowed && cors.forwardNotMatchingPreflights()) {
            return false;
        }
        HttpHeaders out = preflightHeaders = new io.netty.handler.codec.http.DefaultHttpHeaders();
        if (allowed) {
            out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        if (cors.allowCredentials()) {
            out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
        if (cors.allowMethods() != null) {
            out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS,
                    cors.allowMethods().equals("*") ? requestMethod : cors.allowMethods());
        }
        if (cors.allowHeaders() != null) {
            String requested = h.get(ACCESS_CONTROL_REQUEST_HEADERS);
            String value = cors.allowHeaders().equals("*") ? requested : cors.allowHeaders();
            if (value != null && !value.isEmpty()) {
                out.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, value);
            }
        }
        if (cors.maxAge() != null) {
            out.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, cors.maxAge());
        }
        return true;
    }

    /**
     * The request as the router sends it upstream: header operations (the weighted destination's
     * first, then the route's, as Envoy evaluates most specific first when
     * most_specific_header_mutations_wins is false, which Istio leaves it; a lone destination's
     * operations are appended to the route's by Istio, so they come last), the host rewrite, then the
     * path rewrite with {@code x-envoy-original-path} (Envoy's finalizeRequestHeaders).
     */
    void onForward(HttpRequest request, RequestView view, WeightedClusters.Entry picked, boolean weightedRoute) {
        this.destination = picked;
        this.weighted = weightedRoute;
        HttpHeaders h = request.headers();
        HeaderPolicy dest = picked.headers();
        if (weightedRoute) {
            dest.request().apply(h);
        }
        filters.headers().request().apply(h);
        if (!weightedRoute) {
            dest.request().apply(h);
        }
        String authority = authority(dest, weightedRoute);
        if (authority != null) {
            h.set(HttpHeaderNames.HOST, authority);
            rewrittenAuthority = authority;
        }
        if (filters.pathRewrite() != null) {
            String original = request.uri();
            h.set(X_ENVOY_ORIGINAL_PATH, original);
            request.setUri(filters.pathRewrite().apply(original, view));
        }
    }

    /**
     * Istio: a weighted destination's host rewrite wins (it sits on the cluster weight); a lone
     * destination's applies only when the route sets none (route.go, processDestination).
     */
    private String authority(HeaderPolicy dest, boolean weightedRoute) {
        if (weightedRoute && dest.authority() != null) {
            return dest.authority();
        }
        return filters.authority() != null ? filters.authority() : dest.authority();
    }

    /** The upstream's response head: header operations in the request's order, then CORS. */
    void onResponseHeaders(HttpHeaders h) {
        responseOperations(h);
        corsResponse(h);
    }

    private void responseOperations(HttpHeaders h) {
        HeaderPolicy dest = destination == null ? HeaderPolicy.NONE : destination.headers();
        if (weighted) {
            dest.response().apply(h);
        }
        filters.headers().response().apply(h);
        if (!weighted) {
            dest.response().apply(h);
        }
    }

    /**
     * A response made here after the route was chosen. A preflight's answer gets its CORS headers.
     * The router's own answers (direct response, redirect, UH, NC, UF, UT) get the route's response
     * header operations, as Envoy's router applies them to its local replies too; the fault filter's
     * abort and the connection manager's (SI, DPE) do not. Every answer to an allowed origin gets
     * the CORS headers (the CORS filter encodes after both).
     */
    void onLocalReply(HttpHeaders h, ResponseFlag why) {
        if (preflightHeaders != null) {
            h.add(preflightHeaders);
            return;
        }
        if (routed && why != ResponseFlag.SI && why != ResponseFlag.DPE && why != ResponseFlag.DC) {
            responseOperations(h);
        }
        corsResponse(h);
    }

    /** Envoy's CORS filter on a response (encodeHeaders): only for an allowed origin. */
    private void corsResponse(HttpHeaders h) {
        if (!corsRequest || corsOrigin == null) {
            return;
        }
        CorsPolicy cors = filters.cors();
        h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, corsOrigin);
        if (cors.allowCredentials()) {
            h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
        if (cors.exposeHeaders() != null) {
            h.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, cors.exposeHeaders());
        }
    }

    /**
     * The exchange ends: a delay still running is cancelled, and the response flag gains DI when a
     * delay was injected (Envoy logs {@code DI}, or {@code DI,FI} with an abort; a delayed request
     * that then fails upstream keeps the upstream's flag only).
     */
    ResponseFlag onFinish(ResponseFlag flag) {
        if (delay != null) {
            delay.cancel(false);
            delay = null;
        }
        if (!delayInjected) {
            return flag;
        }
        return flag == ResponseFlag.NONE ? ResponseFlag.DI : flag == ResponseFlag.FI ? ResponseFlag.DI_FI : flag;
    }
}
