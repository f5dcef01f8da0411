package dev.meshbed.gateway.routing;

import dev.meshbed.gateway.config.Durations;
import dev.meshbed.gateway.config.IstioResource;
import dev.meshbed.gateway.config.Regexes;
import dev.meshbed.gateway.config.Rejection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBodyBytes;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBodyString;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPDirectResponse;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirect;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectDerivePort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectPort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectRedirectPortSelection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Compiles the http routes of one VirtualService for one Gateway port: match blocks into
 * {@link RequestMatcher}s (blocks bound to another port or gateway are left out here, so the
 * request path never looks at them), destinations into weighted clusters.
 */
final class RouteCompiler {

    private final ClusterFactory clusters;
    private final List<String> warnings;
    private final RouteFiltersCompiler filters;

    RouteCompiler(ClusterFactory clusters, List<String> warnings) {
        this.clusters = clusters;
        this.warnings = warnings;
        this.filters = new RouteFiltersCompiler(warnings);
    }

    /**
     * @param gatewayPort the Gateway server port these routes serve
     * @param boundGateways {@code ns/name} of the Gateways through which the VirtualService is bound here
     * @param problems where cross-reference rejections of the VirtualService go
     * @param warn whether to emit warnings (once per VirtualService, not once per port)
     */
    List<Route> compile(IstioResource<VirtualService> vs, int gatewayPort, Set<String> boundGateways,
            List<Rejection> problems, boolean warn) {
        List<Route> routes = new ArrayList<>();
        List<HTTPRoute> http = vs.spec().getHttp();
        for (int i = 0; i < http.size(); i++) {
            HTTPRoute r = http.get(i);
            String field = "spec.http[" + i + "]";
            String name = vs.namespace() + "/" + vs.name() + "/" + (r.getName() != null ? r.getName() : String.valueOf(i));
            List<RequestMatcher> matchers = new ArrayList<>();
            boolean hadMatch = !r.getMatch().isEmpty();
            for (HTTPMatchRequest m : r.getMatch()) {
                if (m.getPort() != null && m.getPort() != gatewayPort) {
                    continue;
                }
                if (!m.getGateways().isEmpty() && m.getGateways().stream()
                        .map(g -> GatewayRefs.normalize(g, vs.namespace())).noneMatch(boundGateways::contains)) {
                    continue;
                }
                matchers.add(matcher(m));
            }
            if (hadMatch && matchers.isEmpty()) {
                continue; // no match block applies on this port or gateway
            }
            RouteAction action = action(vs, field, r, problems);
            if (action == null) {
                continue;
            }
            long timeout = r.getTimeout() == null ? 0 : Durations.parse(r.getTimeout()).toMillis();
            RetryPolicy retry = RetryPolicyCompiler.compile(r.getRetries(), consistentHash(action),
                    warn ? w -> warnings.add(vs.key() + ": " + field + ".retries: " + w) : w -> { });
            action = RouteFiltersCompiler.withPrefixRewrite(action, r.getRedirect(), matchers);
            List<Mirror> mirrors = action instanceof RouteAction.Forward
                    ? MirrorCompiler.compile(vs, field, r, clusters, problems) : List.of();
            routes.add(new Route(name, matchers, action, timeout, retry, filters.compile(vs, field, r, matchers, warn),
                    mirrors));
        }
        return routes;
    }

    private RouteAction action(IstioResource<VirtualService> vs, String field, HTTPRoute r, List<Rejection> problems) {
        if (!r.getRoute().isEmpty()) {
            List<WeightedClusters.Entry> entries = new ArrayList<>();
            List<HTTPRouteDestination> dests = r.getRoute();
            for (int j = 0; j < dests.size(); j++) {
                HTTPRouteDestination d = dests.get(j);
                Cluster c = clusters.forDestination(vs, field + ".route[" + j + "].destination", d.getDestination(),
                        problems);
                entries.add(new WeightedClusters.Entry(c, d.getWeight() == null ? 0 : d.getWeight(),
                        RouteFiltersCompiler.destinationHeaders(d)));
            }
            return new RouteAction.Forward(new WeightedClusters(entries));
        }
        if (r.getDirectResponse() != null) {
            HTTPDirectResponse dr = r.getDirectResponse();
            String body = "";
            if (dr.getBody() != null && dr.getBody().getSpecifier() instanceof HTTPBodyString s) {
                body = s.getString();
            } else if (dr.getBody() != null && dr.getBody().getSpecifier() instanceof HTTPBodyBytes b) {
                body = new String(Base64.getDecoder().decode(b.getBytes()), StandardCharsets.UTF_8);
            }
            return new RouteAction.DirectResponse(dr.getStatus() == null ? 200 : dr.getStatus().intValue(), body);
        }
        if (r.getRedirect() != null) {
            HTTPRedirect rd = r.getRedirect();
            int port = 0;
            if (rd.getRedirectPort() instanceof HTTPRedirectPort p && p.getPort() != null) {
                port = p.getPort().intValue();
            } else if (rd.getRedirectPort() instanceof HTTPRedirectDerivePort d
                    && d.getDerivePort() == HTTPRedirectRedirectPortSelection.FROM_PROTOCOL_DEFAULT) {
                port = -1;
            }
            int code = rd.getRedirectCode() == null ? 301 : rd.getRedirectCode().intValue();
            return new RouteAction.Redirect(code, rd.getScheme(), rd.getAuthority(), port, rd.getUri());
        }
        warnings.add(vs.key() + ": " + field + ": delegate is not supported; route left out");
        return null;
    }

    /** Istio's {@code hashPolicy}: a destination balanced by consistent hash keeps retries on its host. */
    private static boolean consistentHash(RouteAction action) {
        return action instanceof RouteAction.Forward f && f.clusters().entries().stream()
                .anyMatch(e -> e.cluster().loadBalancer() instanceof LoadBalancers.ConsistentHash);
    }

    private static RequestMatcher matcher(HTTPMatchRequest m) {
        List<RequestMatcher.Condition> conditions = new ArrayList<>();
        boolean ignoreUriCase = Boolean.TRUE.equals(m.getIgnoreUriCase());
        if (m.getUri() != null) {
            conditions.add(RequestMatcher.Condition.uri(string(m.getUri(), ignoreUriCase)));
        }
        if (m.getAuthority() != null) {
            conditions.add(RequestMatcher.Condition.authority(string(m.getAuthority(), false)));
        }
        if (m.getMethod() != null) {
            conditions.add(RequestMatcher.Condition.method(string(m.getMethod(), false)));
        }
        if (m.getScheme() != null) {
            conditions.add(RequestMatcher.Condition.scheme(string(m.getScheme(), false)));
        }
        for (Map.Entry<String, StringMatch> h : m.getHeaders().entrySet()) {
            conditions.add(RequestMatcher.Condition.header(h.getKey().toLowerCase(Locale.ROOT), string(h.getValue(), false)));
        }
        for (Map.Entry<String, StringMatch> h : m.getWithoutHeaders().entrySet()) {
            conditions.add(RequestMatcher.Condition.withoutHeader(h.getKey().toLowerCase(Locale.ROOT),
                    string(h.getValue(), false)));
        }
        for (Map.Entry<String, StringMatch> q : m.getQueryParams().entrySet()) {
            conditions.add(RequestMatcher.Condition.queryParam(q.getKey(), string(q.getValue(), false)));
        }
        return new RequestMatcher(m.getName(), conditions);
    }

    /** Istio StringMatch → matcher; {@code {}} (no match type) means "present". */
    static StringMatcher string(StringMatch match, boolean ignoreCase) {
        if (match == null || match.getMatchType() == null) {
            return StringMatcher.present();
        }
        if (match.getMatchType() instanceof StringMatchExact e) {
            return StringMatcher.exact(e.getExact() == null ? "" : e.getExact(), ignoreCase);
        }
        if (match.getMatchType() instanceof StringMatchPrefix p) {
            return StringMatcher.prefix(p.getPrefix() == null ? "" : p.getPrefix(), ignoreCase);
        }
        if (match.getMatchType() instanceof StringMatchRegex r) {
            return StringMatcher.regex(Regexes.compile(r.getRegex() == null ? "" : r.getRegex()));
        }
        throw new IllegalArgumentException("match: " + match + " (expected: exact, prefix or regex)");
    }

}
