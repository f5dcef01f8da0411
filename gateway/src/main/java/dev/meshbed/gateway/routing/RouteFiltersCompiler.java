package dev.meshbed.gateway.routing;

import dev.meshbed.gateway.config.Durations;
import dev.meshbed.gateway.config.IstioResource;
import dev.meshbed.gateway.config.Regexes;
import io.fabric8.istio.api.api.networking.v1alpha3.CorsPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.CorsPolicyUnmatchedPreflights;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortGrpcStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortHttpStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelayFixedDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirect;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRewrite;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.Headers;
import io.fabric8.istio.api.api.networking.v1alpha3.HeadersHeaderOperations;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compiles an HTTPRoute's fault, headers, rewrite, corsPolicy and a redirect's prefixRewrite into
 * {@link RouteFilters}, following Istio's translation to Envoy (pilot route.go). What Istio itself
 * leaves out with a warning (exponential delays) or what cannot work over HTTP/1.1 (gRPC aborts)
 * is left out here with a warning in the table; what is malformed throws, which rejects the
 * VirtualService.
 */
final class RouteFiltersCompiler {

    private final List<String> warnings;

    RouteFiltersCompiler(List<String> warnings) {
        this.warnings = warnings;
    }

    /**
     * @param blocks the route's match blocks that apply on this port, as compiled
     * @param warn whether to emit warnings (once per VirtualService)
     */
    RouteFilters compile(IstioResource<VirtualService> vs, String field, HTTPRoute r, List<RequestMatcher> blocks,
            boolean warn) {
        HeaderPolicy headers = headers(r.getHeaders());
        String authority = headers.authority();
        PathRewrite pathRewrite = null;
        HTTPRewrite rewrite = r.getRewrite();
        if (rewrite != null && r.getRedirect() == null && r.getDirectResponse() == null) {
            if (rewrite.getUriRegexRewrite() != null) {
                String match = rewrite.getUriRegexRewrite().getMatch();
                String substitution = rewrite.getUriRegexRewrite().getRewrite();
                pathRewrite = PathRewrite.regex(Regexes.compile(match == null ? "" : match),
                        substitution == null ? "" : substitution);
            } else if (rewrite.getUri() != null && !rewrite.getUri().isEmpty()) {
                pathRewrite = PathRewrite.prefix(rewrite.getUri(), blocks);
            }
            if (rewrite.getAuthority() != null && !rewrite.getAuthority().isEmpty()) {
                authority = rewrite.getAuthority(); // rewrite.authority wins over a header set (route.go)
            }
        }
        boolean destinationHeaders = r.getRoute().stream().anyMatch(d -> d.getHeaders() != null);
        dev.meshbed.gateway.routing.CorsPolicy cors = cors(r.getCorsPolicy());
        if (cors != null && (r.getRedirect() != null || r.getDirectResponse() != null)) {
            // Envoy's CORS filter passes a route without a route entry (a redirect or direct response)
            cors = null;
            if (warn) {
                warnings.add(vs.key() + ": " + field + ".corsPolicy: has no effect on a redirect or directResponse "
                        + "route (Envoy's CORS filter applies to forwarding routes only); ignored");
            }
        }
        RouteFilters filters = new RouteFilters(cors, fault(vs, field, r.getFault(), warn),
                headers, pathRewrite, authority, destinationHeaders);
        return filters.isEmpty() ? RouteFilters.NONE : filters;
    }

    /** HTTPRouteDestination.headers, which Istio puts on the weighted cluster (or, alone, on the route). */
    static HeaderPolicy destinationHeaders(HTTPRouteDestination d) {
        return headers(d.getHeaders());
    }

    /**
     * The redirect with its {@code prefixRewrite}: a field fabric8's model 7.5.2 does not have, so it
     * arrives among the HTTPRedirect's additional properties.
     */
    static RouteAction withPrefixRewrite(RouteAction action, HTTPRedirect redirect, List<RequestMatcher> blocks) {
        if (!(action instanceof RouteAction.Redirect rd) || redirect == null) {
            return action;
        }
        Object prefix = redirect.getAdditionalProperties().get("prefixRewrite");
        if (prefix == null) {
            return action;
        }
        if (!(prefix instanceof String p)) {
            throw new IllegalArgumentException("redirect.prefixRewrite: " + prefix + " (expected: a string)");
        }
        if (rd.uri() != null) {
            throw new IllegalArgumentException("redirect: uri and prefixRewrite are both set (expected: one of them)");
        }
        return new RouteAction.Redirect(rd.status(), rd.scheme(), rd.authority(), rd.port(), null,
                PathRewrite.prefix(p, blocks));
    }

    static HeaderPolicy headers(Headers h) {
        if (h == null) {
            return HeaderPolicy.NONE;
        }
        HeaderOperations request = operations(h.getRequest());
        HeaderOperations response = operations(h.getResponse());
        String authority = null;
        if (h.getRequest() != null) {
            // a set of :authority/host wins over an add of it (route.go, TranslateHeadersOperations)
            authority = authorityIn(h.getRequest().getSet());
            if (authority == null) {
                authority = authorityIn(h.getRequest().getAdd());
            }
        }
        HeaderPolicy policy = new HeaderPolicy(request, response, authority);
        return policy.isEmpty() ? HeaderPolicy.NONE : policy;
    }

    private static HeaderOperations operations(HeadersHeaderOperations ops) {
        if (ops == null) {
            return HeaderOperations.NONE;
        }
        HeaderOperations compiled = new HeaderOperations(nonNull(ops.getRemove()), nonNull(ops.getSet()),
                nonNull(ops.getAdd()));
        return compiled.isEmpty() ? HeaderOperations.NONE : compiled;
    }

    private static String authorityIn(Map<String, String> values) {
        String found = null;
        if (values != null) {
            for (Map.Entry<String, String> e : values.entrySet()) {
                if (HeaderOperations.authority(e.getKey()) && e.getValue() != null && !e.getValue().isEmpty()) {
                    found = e.getValue();
                }
            }
        }
        return found;
    }

    private static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static <K, V> Map<K, V> nonNull(Map<K, V> map) {
        return map == null ? Map.of() : map;
    }

    private FaultPolicy fault(IstioResource<VirtualService> vs, String field, HTTPFaultInjection fault, boolean warn) {
        if (fault == null) {
            return null;
        }
        long delayMillis = 0;
        int delayPerMillion = 0;
        HTTPFaultInjectionDelay delay = fault.getDelay();
        if (delay != null) {
            if (delay.getHttpDelayType() instanceof HTTPFaultInjectionDelayFixedDelay fixed
                    && fixed.getFixedDelay() != null) {
                delayMillis = Durations.parse(fixed.getFixedDelay()).toMillis();
                if (delay.getPercentage() != null) {
                    delayPerMillion = FaultPolicy.perMillion(
                            delay.getPercentage().getValue() == null ? 0 : delay.getPercentage().getValue());
                } else if (delay.getPercent() != null) {
                    delayPerMillion = Math.max(0, Math.min(100, delay.getPercent())) * 10_000; // per hundred
                }
            } else if (warn) {
                warnings.add(vs.key() + ": " + field + ".fault.delay: exponentialDelay is not supported "
                        + "(Istio leaves it out too: 'Exponential faults are not yet supported'); no delay injected");
            }
        }
        int abortStatus = 0;
        int abortPerMillion = 0;
        HTTPFaultInjectionAbort abort = fault.getAbort();
        if (abort != null) {
            if (abort.getErrorType() instanceof HTTPFaultInjectionAbortHttpStatus status
                    && status.getHttpStatus() != null) {
                abortStatus = status.getHttpStatus();
                if (abort.getPercentage() != null && abort.getPercentage().getValue() != null) {
                    abortPerMillion = FaultPolicy.perMillion(abort.getPercentage().getValue());
                }
            } else if (abort.getErrorType() instanceof HTTPFaultInjectionAbortGrpcStatus grpc && warn) {
                warnings.add(vs.key() + ": " + field + ".fault.abort: grpcStatus " + grpc.getGrpcStatus()
                        + " is not applied: gRPC needs HTTP/2 and meshbed serves HTTP/1.1; no abort injected");
            } else if (abort.getAdditionalProperties().containsKey("http2Error") && warn) {
                warnings.add(vs.key() + ": " + field + ".fault.abort: http2Error is not applied over HTTP/1.1; "
                        + "no abort injected");
            }
        }
        if (delayMillis == 0 && abortStatus == 0) {
            return null;
        }
        return new FaultPolicy(delayMillis, delayPerMillion, abortStatus, abortPerMillion);
    }

    private static dev.meshbed.gateway.routing.CorsPolicy cors(CorsPolicy in) {
        if (in == null) {
            return null;
        }
        List<StringMatcher> origins = new ArrayList<>();
        if (in.getAllowOrigins() != null && !in.getAllowOrigins().isEmpty()) {
            for (StringMatch m : in.getAllowOrigins()) {
                origins.add(RouteCompiler.string(m, false));
            }
        } else if (in.getAllowOrigin() != null) {
            for (String o : in.getAllowOrigin()) { // deprecated: exact matches
                origins.add(StringMatcher.exact(o, false));
            }
        }
        String maxAge = in.getMaxAge() == null ? null : String.valueOf(Durations.parse(in.getMaxAge()).toSeconds());
        return new dev.meshbed.gateway.routing.CorsPolicy(origins, join(in.getAllowMethods()),
                join(in.getAllowHeaders()), join(in.getExposeHeaders()), maxAge,
                Boolean.TRUE.equals(in.getAllowCredentials()),
                in.getUnmatchedPreflights() != CorsPolicyUnmatchedPreflights.IGNORE);
    }

    private static String join(List<String> values) {
        return values == null || values.isEmpty() ? null : String.join(",", values);
    }
}
