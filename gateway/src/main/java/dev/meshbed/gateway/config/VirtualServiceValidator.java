package dev.meshbed.gateway.config;

import io.fabric8.istio.api.api.networking.v1alpha3.CorsPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBody;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBodyBytes;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPBodyString;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortGrpcStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortHttp2Error;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRewrite;
import io.fabric8.istio.api.api.networking.v1alpha3.RegexRewrite;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.Destination;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjection;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionAbortHttpStatus;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelayExponentialDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPFaultInjectionDelayFixedDelay;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPMatchRequest;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirect;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirectPort;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRetry;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.Percent;
import io.fabric8.istio.api.api.networking.v1alpha3.RouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatch;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * VirtualService checks. A VirtualService without hosts is a delegate (Istio's rule): it is only
 * reachable through another VirtualService's {@code delegate}, so it may not name gateways or
 * delegate further.
 */
final class VirtualServiceValidator {

    private static final String DELEGATE = "not allowed in a delegate VirtualService (one without hosts)";

    private VirtualServiceValidator() {
    }

    static void validate(VirtualService spec, Problems problems) {
        boolean delegate = spec.getHosts() == null || spec.getHosts().isEmpty();
        // Istio: a VirtualService applies to gateways only when its gateways are listed and "mesh"
        // is not one of them; with "mesh" among them the mesh's rules (no "*" host) apply.
        boolean meshListed = spec.getGateways() != null && spec.getGateways().contains("mesh");
        boolean boundToGateway = spec.getGateways() != null && !spec.getGateways().isEmpty() && !meshListed;
        boolean appliesToMesh = !boundToGateway;
        boolean sniRoutes = spec.getTls() != null && spec.getTls().stream().anyMatch(t -> t != null
                && t.getMatch() != null && t.getMatch().stream().anyMatch(m -> m != null && m.getSniHosts() != null
                        && !m.getSniHosts().isEmpty()));
        boolean hostsValid = true;
        List<String> hosts = spec.getHosts() == null ? List.of() : spec.getHosts();
        for (int i = 0; i < hosts.size(); i++) {
            String host = hosts.get(i);
            String path = FieldPath.index("spec.hosts", i);
            if (host == null) {
                problems.add(path, "required");
                hostsValid = false;
            } else if (!HostSyntax.isIstioHost(host) && !HostSyntax.isIpAddress(host)
                    && !(boundToGateway && sniRoutes && isAutoSniHost(host))) {
                problems.add(path, "\"" + host + "\" is not a valid host"
                        + " (expected: *, *.example.com, a DNS name or an IP address)");
                hostsValid = false;
            } else if (appliesToMesh && host.equals("*")) {
                // Istio: a catch-all host would capture all mesh traffic.
                problems.add(path, "\"*\" is only allowed when the VirtualService is bound to a gateway"
                        + " (expected: gateways naming a Gateway)");
                hostsValid = false;
            }
        }
        if (hostsValid) {
            for (int i = 0; i < hosts.size(); i++) {
                for (int j = i + 1; j < hosts.size(); j++) {
                    if (Hostnames.overlap(hosts.get(i), hosts.get(j))) {
                        problems.add(FieldPath.index("spec.hosts", j), "\"" + hosts.get(j) + "\" overlaps \""
                                + hosts.get(i) + "\" (expected: each host once)");
                    }
                }
            }
        }
        if (delegate) {
            if (spec.getGateways() != null && !spec.getGateways().isEmpty()) {
                problems.add("spec.gateways", DELEGATE);
            }
            if (spec.getTls() != null && !spec.getTls().isEmpty()) {
                problems.add("spec.tls", DELEGATE);
            }
            if (spec.getTcp() != null && !spec.getTcp().isEmpty()) {
                problems.add("spec.tcp", DELEGATE);
            }
        }
        problems.forEach("spec.gateways", spec.getGateways(), (path, gateway) -> gateway(path, gateway, problems));
        if (isEmpty(spec.getHttp()) && isEmpty(spec.getTcp()) && isEmpty(spec.getTls())) {
            problems.add("spec", "no routes (expected: at least one of http, tcp, tls)");
        }
        problems.forEach("spec.http", spec.getHttp(),
                (path, route) -> httpRoute(path, route, delegate, boundToGateway, problems));
        problems.forEach("spec.tcp", spec.getTcp(), (path, route) -> {
            problems.forEach(path + ".match", route.getMatch(), (matchPath, match) -> {
                problems.port(matchPath + ".port", match.getPort());
                subnets(matchPath + ".destinationSubnets", match.getDestinationSubnets(), problems);
                labels(matchPath + ".sourceLabels", match.getSourceLabels(), problems);
                problems.forEach(matchPath + ".gateways", match.getGateways(), (p, g) -> gateway(p, g, problems));
            });
            if (problems.nonEmpty(path + ".route", route.getRoute())) {
                destinations(path + ".route", route.getRoute(), RouteDestination::getDestination,
                        RouteDestination::getWeight, problems);
            }
        });
        problems.forEach("spec.tls", spec.getTls(), (path, route) -> {
            if (problems.nonEmpty(path + ".match", route.getMatch())) {
                problems.forEach(path + ".match", route.getMatch(), (matchPath, match) -> {
                    if (problems.nonEmpty(matchPath + ".sniHosts", match.getSniHosts())) {
                        problems.forEach(matchPath + ".sniHosts", match.getSniHosts(),
                                (sniPath, sni) -> sniHost(sniPath, sni, hosts, !meshListed, problems));
                    }
                    problems.port(matchPath + ".port", match.getPort());
                    subnets(matchPath + ".destinationSubnets", match.getDestinationSubnets(), problems);
                    labels(matchPath + ".sourceLabels", match.getSourceLabels(), problems);
                    problems.forEach(matchPath + ".gateways", match.getGateways(), (p, g) -> gateway(p, g, problems));
                });
            }
            if (problems.nonEmpty(path + ".route", route.getRoute())) {
                destinations(path + ".route", route.getRoute(), RouteDestination::getDestination,
                        RouteDestination::getWeight, problems);
            }
        });
    }

    private static boolean isEmpty(List<?> list) {
        return list == null || list.isEmpty();
    }

    /** An SNI host must be a valid host within one of the VirtualService's hosts (Istio's rule). */
    private static void sniHost(String path, String sni, List<String> hosts, boolean gatewaySemantics,
            Problems problems) {
        if (HostSyntax.isIpAddress(sni)) {
            return; // Istio only warns: most clients send no SNI for an IP address
        }
        if (!HostSyntax.isIstioHost(sni) && !(gatewaySemantics && isAutoSniHost(sni))) {
            problems.add(path, "\"" + sni + "\" is not a valid SNI host (expected: a DNS name or *.example.com)");
        } else if (hosts.stream().noneMatch(h -> h != null && Hostnames.within(sni, h))) {
            problems.add(path, "\"" + sni + "\" is not within any of the hosts " + hosts
                    + " (expected: one of them or a name they cover)");
        }
    }

    /**
     * The SNI Istio generates for mesh traffic through a gateway, {@code outbound_.<port>_._.<host>}
     * (AUTO_PASSTHROUGH): a VirtualService bound to a gateway may match on it.
     */
    static boolean isAutoSniHost(String host) {
        if (host.length() > 255 || !host.startsWith("outbound_")) {
            return false;
        }
        String[] parts = host.split("_", -1);
        if (parts.length < 4 || !parts[0].equals("outbound")) {
            return false;
        }
        String port = parts[1].replaceAll("^\\.+|\\.+$", "");
        String name = parts[3].replaceAll("^\\.+|\\.+$", "");
        return port.matches(".*[0-9].*") && name.matches(".*[a-zA-Z].*");
    }

    static void subnets(String path, List<String> subnets, Problems problems) {
        problems.forEach(path, subnets, (itemPath, subnet) -> {
            if (!HostSyntax.isIpOrCidr(subnet)) {
                problems.add(itemPath, "\"" + subnet + "\" is not an IP address or CIDR block"
                        + " (expected e.g. 10.0.0.0/8 or 2001:db8::/32)");
            }
        });
    }

    static void labels(String path, Map<String, String> labels, Problems problems) {
        if (labels == null) {
            return;
        }
        labels.forEach((key, value) -> {
            String labelPath = FieldPath.field(path, key);
            if (!HostSyntax.isLabelKey(key)) {
                problems.add(labelPath, "\"" + key + "\" is not a valid label key (expected: [prefix/]name)");
            } else if (!HostSyntax.isLabelValue(value == null ? "" : value)) {
                problems.add(labelPath, "\"" + value + "\" is not a valid label value"
                        + " (expected: up to 63 of A-Z a-z 0-9 - _ ., alphanumeric at both ends)");
            }
        });
    }

    /** {@code mesh}, {@code name} or {@code namespace/name} (the name may be a FQDN). */
    private static void gateway(String path, String gateway, Problems problems) {
        if (gateway.equals("mesh")) {
            return;
        }
        int slash = gateway.indexOf('/');
        String namespace = slash < 0 ? null : gateway.substring(0, slash);
        String name = slash < 0 ? gateway : gateway.substring(slash + 1);
        boolean valid = namespace == null ? HostSyntax.isFqdn(name)
                : HostSyntax.isDnsLabel(namespace) && HostSyntax.isDnsLabel(name);
        if (!valid) {
            problems.add(path, "\"" + gateway + "\" is not a gateway reference (expected: mesh, name or namespace/name)");
        }
    }

    private static void httpRoute(String path, HTTPRoute route, boolean delegateService, boolean boundToGateway,
            Problems problems) {
        boolean hasRoute = route.getRoute() != null && !route.getRoute().isEmpty();
        conflicts(path, route, hasRoute, delegateService, problems);
        problems.forEach(path + ".match", route.getMatch(),
                (matchPath, match) -> match(matchPath, match, boundToGateway, problems));
        HeaderRules.operations(path + ".headers", route.getHeaders(), problems);
        if (hasRoute) {
            destinations(path + ".route", route.getRoute(), HTTPRouteDestination::getDestination,
                    HTTPRouteDestination::getWeight, problems);
            problems.forEach(path + ".route", route.getRoute(), (routePath, destination) ->
                    HeaderRules.operations(routePath + ".headers", destination.getHeaders(), problems));
        }
        if (route.getDelegate() != null) {
            problems.required(path + ".delegate.name", route.getDelegate().getName());
        }
        if (route.getRedirect() != null) {
            redirect(path + ".redirect", route.getRedirect(), route.getMatch(), problems);
        }
        if (route.getDirectResponse() != null) {
            Long status = route.getDirectResponse().getStatus();
            if (problems.required(path + ".directResponse.status", status)) {
                // Istio's range: 600 passes its check.
                problems.range(path + ".directResponse.status", status, 200, 600);
            }
            directResponseBody(path + ".directResponse.body", route.getDirectResponse().getBody(), problems);
        }
        // Istio's webhook takes >= 1ms; 0s is accepted here as Envoy reads it (no timeout), as before.
        problems.duration(path + ".timeout", route.getTimeout());
        retries(path + ".retries", route.getRetries(), problems);
        fault(path + ".fault", route.getFault(), problems);
        if (route.getMirror() != null) {
            destination(path + ".mirror", route.getMirror(), problems);
        }
        problems.range(path + ".mirrorPercent", route.getMirrorPercent(), 0, 100);
        percent(path + ".mirrorPercentage", route.getMirrorPercentage(), problems);
        problems.forEach(path + ".mirrors", route.getMirrors(), (mirrorPath, mirror) -> {
            destination(mirrorPath + ".destination", mirror.getDestination(), problems);
            percent(mirrorPath + ".percentage", mirror.getPercentage(), problems);
        });
        cors(path + ".corsPolicy", route.getCorsPolicy(), problems);
        rewrite(path + ".rewrite", route.getRewrite(), problems);
        String headerAuthority = HeaderRules.authorityOf(route.getHeaders());
        if (route.getRewrite() != null && route.getRewrite().getAuthority() != null
                && !route.getRewrite().getAuthority().isEmpty() && headerAuthority != null) {
            problems.add(path + ".headers.request", "sets the authority, which rewrite.authority already sets"
                    + " (expected: one of them)");
        }
    }

    /**
     * What a route does: forward ({@code route}), redirect, answer directly, or delegate; Istio's
     * rules for which of these (and fault, rewrite, mirror) combine.
     */
    private static void conflicts(String path, HTTPRoute route, boolean hasRoute, boolean delegateService,
            Problems problems) {
        if (route.getDelegate() != null && delegateService) {
            problems.add(path + ".delegate", DELEGATE);
        }
        // Istio lets a delegating route answer directly; it may not also forward or redirect.
        boolean delegates = route.getDelegate() != null;
        problems.exactlyOne(path, true, List.of("route", "redirect", "directResponse", "delegate"),
                List.of(hasRoute, route.getRedirect() != null, route.getDirectResponse() != null && !delegates,
                        delegates));
        if (route.getRedirect() != null) {
            notWith(path, "redirect", route.getFault() != null, "fault", problems);
            notWith(path, "redirect", route.getRewrite() != null, "rewrite", problems);
        } else if (route.getDirectResponse() != null && !delegates) {
            notWith(path, "directResponse", route.getFault() != null, "fault", problems);
            notWith(path, "directResponse", route.getRewrite() != null, "rewrite", problems);
        }
        if (route.getMirror() != null && route.getMirrors() != null && !route.getMirrors().isEmpty()) {
            problems.add(path + ".mirrors", "not allowed with mirror (expected: one of mirror, mirrors)");
        }
    }

    private static void notWith(String path, String action, boolean present, String field, Problems problems) {
        if (present) {
            problems.add(path + "." + field, "not allowed with " + action);
        }
    }

    private static final int MAX_DIRECT_BODY = 1024 * 1024;

    private static void directResponseBody(String path, HTTPBody body, Problems problems) {
        if (body == null) {
            return;
        }
        int size = 0;
        if (body.getSpecifier() instanceof HTTPBodyString string && string.getString() != null) {
            size = string.getString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        } else if (body.getSpecifier() instanceof HTTPBodyBytes bytes && bytes.getBytes() != null) {
            size = bytes.getBytes().length() * 3 / 4;
        }
        if (size > MAX_DIRECT_BODY) {
            problems.add(path, size + " bytes (expected: <= " + MAX_DIRECT_BODY + ", Istio's limit)");
        }
    }

    private static final List<String> CORS_METHODS =
            List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*");

    private static void cors(String path, CorsPolicy cors, Problems problems) {
        if (cors == null) {
            return;
        }
        problems.forEach(path + ".allowOrigins", cors.getAllowOrigins(), (originPath, origin) -> {
            Object type = origin.getMatchType();
            String value = type instanceof StringMatchExact e ? e.getExact()
                    : type instanceof StringMatchPrefix p ? p.getPrefix()
                    : type instanceof StringMatchRegex r ? r.getRegex() : null;
            if (value == null || value.isEmpty()) {
                problems.add(originPath, "empty origin match (expected: exact, prefix or regex with a value)");
            } else {
                stringMatch(originPath, origin, problems);
            }
        });
        problems.forEach(path + ".allowMethods", cors.getAllowMethods(), (methodPath, method) -> {
            if (!CORS_METHODS.contains(method)) {
                problems.add(methodPath, "\"" + method + "\" is not one of " + String.join(", ", CORS_METHODS));
            }
        });
        problems.forEach(path + ".allowHeaders", cors.getAllowHeaders(),
                (headerPath, name) -> HeaderRules.corsName(headerPath, name, problems));
        problems.forEach(path + ".exposeHeaders", cors.getExposeHeaders(),
                (headerPath, name) -> HeaderRules.corsName(headerPath, name, problems));
        String maxAge = cors.getMaxAge();
        problems.istioDuration(path + ".maxAge", maxAge);
        if (maxAge != null) {
            try {
                if (Durations.parse(maxAge).getNano() != 0) {
                    problems.add(path + ".maxAge", "\"" + maxAge + "\" (expected: whole seconds)");
                }
            } catch (IllegalArgumentException e) {
                // reported above
            }
        }
    }

    private static void rewrite(String path, HTTPRewrite rewrite, Problems problems) {
        if (rewrite == null) {
            return;
        }
        boolean uri = rewrite.getUri() != null && !rewrite.getUri().isEmpty();
        RegexRewrite regex = rewrite.getUriRegexRewrite();
        boolean authority = rewrite.getAuthority() != null && !rewrite.getAuthority().isEmpty();
        if (uri && regex != null) {
            problems.add(path, "only one of uri, uriRegexRewrite may be set (found: uri, uriRegexRewrite)");
        } else if (!uri && regex == null && !authority) {
            problems.add(path, "one of uri, uriRegexRewrite, authority is required");
        }
        if (regex != null) {
            boolean hasMatch = regex.getMatch() != null && !regex.getMatch().isEmpty();
            if (problems.required(path + ".uriRegexRewrite.match", regex.getMatch())) {
                problems.regex(path + ".uriRegexRewrite.match", regex.getMatch());
            }
            if (hasMatch) {
                problems.required(path + ".uriRegexRewrite.rewrite", regex.getRewrite());
            }
        }
    }

    private static void match(String path, HTTPMatchRequest match, boolean boundToGateway, Problems problems) {
        // Istio: an empty prefix is refused everywhere but in uri (where it matches every path).
        regexOnly(path + ".uri", match.getUri(), problems);
        stringMatch(path + ".scheme", match.getScheme(), problems);
        stringMatch(path + ".method", match.getMethod(), problems);
        stringMatch(path + ".authority", match.getAuthority(), problems);
        headers(path + ".headers", match.getHeaders(), false, boundToGateway, problems);
        headers(path + ".withoutHeaders", match.getWithoutHeaders(), true, boundToGateway, problems);
        if (match.getQueryParams() != null) {
            match.getQueryParams().forEach(
                    (name, value) -> stringMatch(FieldPath.field(path + ".queryParams", name), value, problems));
        }
        problems.port(path + ".port", match.getPort());
        labels(path + ".sourceLabels", match.getSourceLabels(), problems);
        problems.forEach(path + ".gateways", match.getGateways(), (p, g) -> gateway(p, g, problems));
        String sourceNamespace = match.getSourceNamespace();
        if (sourceNamespace != null && !sourceNamespace.isEmpty() && !HostSyntax.isDnsLabel(sourceNamespace)) {
            problems.add(path + ".sourceNamespace", "\"" + sourceNamespace + "\" is not a namespace name");
        }
    }

    /**
     * Istio's docs require lowercase header names: Envoy sees them lowercased, so others never
     * match. Names follow Istio's rule (a token, a pseudo-header or a JWT claim, the latter only
     * on a gateway), and a header given without a condition ({@code name: null}) is an error.
     */
    private static void headers(String path, Map<String, StringMatch> headers, boolean without,
            boolean boundToGateway, Problems problems) {
        if (headers == null) {
            return;
        }
        headers.forEach((name, value) -> {
            String headerPath = FieldPath.field(path, name);
            HeaderRules.matchName(headerPath, name, problems);
            String lower = name.toLowerCase(Locale.ROOT);
            if (!name.equals(lower) && !name.startsWith("@request.auth.claims.")) {
                problems.add(headerPath, "header name \"" + name + "\" must be lowercase (use \"" + lower + "\")");
            }
            if (name.startsWith("@request.auth.claims.") && !boundToGateway) {
                problems.add(headerPath, "JWT claim routing only works on a gateway (expected: gateways naming a Gateway)");
            }
            if (value == null) {
                if (!without) {
                    problems.add(headerPath, "required (use {} to match any value)");
                }
                return;
            }
            if (without && value.getMatchType() instanceof StringMatchRegex regex && "*".equals(regex.getRegex())) {
                return;
            }
            stringMatch(headerPath, value, problems);
        });
    }

    private static void regexOnly(String path, StringMatch match, Problems problems) {
        if (match != null && match.getMatchType() instanceof StringMatchRegex regex) {
            problems.regex(path + ".regex", regex.getRegex());
        }
    }

    private static void stringMatch(String path, StringMatch match, Problems problems) {
        if (match != null && match.getMatchType() instanceof StringMatchPrefix prefix
                && (prefix.getPrefix() == null || prefix.getPrefix().isEmpty())) {
            problems.add(path + ".prefix", "empty prefix (expected: a prefix, or {} to match any value)");
        }
        regexOnly(path, match, problems);
    }

    private static <D> void destinations(String path, List<D> routes, Function<D, Destination> destination,
            Function<D, Integer> weight, Problems problems) {
        long sum = 0;
        for (int i = 0; i < routes.size(); i++) {
            D route = routes.get(i);
            String routePath = FieldPath.index(path, i);
            if (route == null) {
                problems.add(routePath, "required");
                continue;
            }
            destination(routePath + ".destination", destination.apply(route), problems);
            Integer w = weight.apply(route);
            problems.nonNegative(routePath + ".weight", w);
            sum += w == null ? 0 : Math.max(0, w);
        }
        if (routes.size() > 1 && sum == 0) {
            problems.add(path, "sum of weights: 0 (expected: > 0 when there are several destinations)");
        }
        if (sum > Integer.MAX_VALUE) {
            problems.add(path, "sum of weights: " + sum + " (expected: <= " + Integer.MAX_VALUE + ")");
        }
    }

    private static void destination(String path, Destination destination, Problems problems) {
        if (problems.required(path, destination) && problems.required(path + ".host", destination.getHost())) {
            String host = destination.getHost();
            if (host.equals("*") || !HostSyntax.isIstioHost(host)) {
                problems.add(path + ".host", "\"" + host + "\" is not a valid destination host"
                        + " (expected: a service name, a DNS name or *.example.com)");
            }
            String subset = destination.getSubset();
            if (subset != null && !subset.isEmpty() && !HostSyntax.isDnsLabel(subset)) {
                problems.add(path + ".subset", "\"" + subset + "\" is not a valid subset name (expected: a DNS label)");
            }
            if (destination.getPort() != null) {
                problems.port(path + ".port.number", destination.getPort().getNumber());
            }
        }
    }

    private static void redirect(String path, HTTPRedirect redirect, List<HTTPMatchRequest> matches,
            Problems problems) {
        boolean uri = present(redirect.getUri());
        Object prefixRewriteValue = redirect.getAdditionalProperties().get(ModelGaps.PREFIX_REWRITE);
        boolean prefixRewrite = prefixRewriteValue instanceof String text && !text.isEmpty();
        if (uri && prefixRewrite) {
            problems.add(path, "only one of uri, prefixRewrite may be set (found: uri, prefixRewrite)");
            return;
        }
        if (prefixRewrite && matches != null) {
            for (int i = 0; i < matches.size(); i++) {
                HTTPMatchRequest match = matches.get(i);
                if (match != null && match.getUri() != null && !(match.getUri().getMatchType() instanceof StringMatchPrefix)) {
                    problems.add(path + ".prefixRewrite", "needs every uri match to be a prefix match"
                            + " (match[" + i + "].uri is not)");
                    return;
                }
            }
        }
        if (!uri && !prefixRewrite && !present(redirect.getAuthority()) && !present(redirect.getScheme())
                && redirect.getRedirectPort() == null) {
            problems.add(path, "one of uri, prefixRewrite, authority, scheme, port, derivePort is required");
            return;
        }
        Long code = redirect.getRedirectCode();
        if (code != null && code != 0) {
            problems.range(path + ".redirectCode", code, 300, 399);
        }
        String scheme = redirect.getScheme();
        if (present(scheme) && !scheme.equals("http") && !scheme.equals("https")) {
            problems.add(path + ".scheme", "\"" + scheme + "\" is not one of http, https");
        }
        if (redirect.getRedirectPort() instanceof HTTPRedirectPort port && port.getPort() != null && port.getPort() > 0) {
            problems.port(path + ".port", port.getPort());
        }
    }

    private static boolean present(String s) {
        return s != null && !s.isEmpty();
    }

    /** Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on conditions, as Istio lists them. */
    private static final List<String> RETRY_ON = List.of("5xx", "gateway-error", "reset", "reset-before-request",
            "connect-failure", "retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers",
            "envoy-ratelimited", "http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal",
            "resource-exhausted", "unavailable");

    private static void retries(String path, HTTPRetry retries, Problems problems) {
        if (retries == null) {
            return;
        }
        Integer attempts = retries.getAttempts();
        problems.nonNegative(path + ".attempts", attempts);
        if ((attempts == null || attempts == 0) && (retries.getPerTryTimeout() != null
                || present(retries.getRetryOn()) || retries.getRetryRemoteLocalities() != null)) {
            problems.add(path + ".attempts", "0 disables retries, yet perTryTimeout, retryOn or"
                    + " retryRemoteLocalities is set (expected: attempts >= 1)");
        }
        problems.istioDuration(path + ".perTryTimeout", retries.getPerTryTimeout());
        problems.istioDuration(path + ".backoff", retries.getBackoff());
        if (present(retries.getRetryOn())) {
            for (String condition : retries.getRetryOn().split(",", -1)) {
                if (!RETRY_ON.contains(condition) && !HttpStatuses.isKnown(condition)) {
                    problems.add(path + ".retryOn", "\"" + condition + "\" is not a retry condition (expected: "
                            + String.join(", ", RETRY_ON) + " or an HTTP status code)");
                }
            }
        }
    }

    private static final List<String> GRPC_STATUSES = List.of("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
            "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
            "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
            "DATA_LOSS", "UNAUTHENTICATED");

    private static void fault(String path, HTTPFaultInjection fault, Problems problems) {
        if (fault == null) {
            return;
        }
        if (fault.getDelay() == null && fault.getAbort() == null) {
            problems.add(path, "one of delay, abort is required");
        }
        HTTPFaultInjectionDelay delay = fault.getDelay();
        if (delay != null) {
            String delayPath = path + ".delay";
            if (delay.getHttpDelayType() instanceof HTTPFaultInjectionDelayFixedDelay fixed) {
                if (problems.required(delayPath + ".fixedDelay", fixed.getFixedDelay())) {
                    problems.istioDuration(delayPath + ".fixedDelay", fixed.getFixedDelay());
                }
            } else if (delay.getHttpDelayType() instanceof HTTPFaultInjectionDelayExponentialDelay) {
                problems.add(delayPath + ".exponentialDelay", "not supported (Istio rejects it)");
            } else {
                problems.add(delayPath, "fixedDelay is required");
            }
            problems.range(delayPath + ".percent", delay.getPercent(), 0, 100);
            if (delay.getPercentage() != null) {
                problems.fractionalPercentage(delayPath + ".percentage.value", delay.getPercentage().getValue());
            }
        }
        HTTPFaultInjectionAbort abort = fault.getAbort();
        if (abort != null) {
            String abortPath = path + ".abort";
            if (abort.getErrorType() == null) {
                problems.add(abortPath, "one of httpStatus, grpcStatus is required");
            } else if (abort.getErrorType() instanceof HTTPFaultInjectionAbortHttpStatus status) {
                problems.range(abortPath + ".httpStatus", status.getHttpStatus(), 200, 600);
            } else if (abort.getErrorType() instanceof HTTPFaultInjectionAbortGrpcStatus grpc) {
                if (!GRPC_STATUSES.contains(grpc.getGrpcStatus())) {
                    problems.add(abortPath + ".grpcStatus", RawValues.show(grpc.getGrpcStatus()) + " is not one of "
                            + String.join(", ", GRPC_STATUSES));
                }
            } else if (abort.getErrorType() instanceof HTTPFaultInjectionAbortHttp2Error) {
                problems.add(abortPath + ".http2Error", "not supported (Istio rejects it)");
            }
            if (abort.getPercentage() != null) {
                problems.fractionalPercentage(abortPath + ".percentage.value", abort.getPercentage().getValue());
            }
        }
    }

    private static void percent(String path, Percent percent, Problems problems) {
        if (percent != null) {
            problems.percentage(path + ".value", percent.getValue());
        }
    }
}
