package dev.meshbed.gateway.config;

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
        problems.forEach("spec.hosts", spec.getHosts(), (path, host) -> {
            if (!HostSyntax.isWildcardOrDnsName(host) && !HostSyntax.isIpAddress(host)) {
                problems.add(path, "\"" + host + "\" is not a valid host"
                        + " (expected: *, *.example.com, a DNS name or an IP address)");
            }
        });
        if (delegate && spec.getGateways() != null && !spec.getGateways().isEmpty()) {
            problems.add("spec.gateways", DELEGATE);
        }
        problems.forEach("spec.gateways", spec.getGateways(), (path, gateway) -> gateway(path, gateway, problems));
        problems.forEach("spec.http", spec.getHttp(), (path, route) -> httpRoute(path, route, delegate, problems));
        problems.forEach("spec.tcp", spec.getTcp(), (path, route) -> {
            problems.forEach(path + ".match", route.getMatch(),
                    (matchPath, match) -> problems.port(matchPath + ".port", match.getPort()));
            if (problems.nonEmpty(path + ".route", route.getRoute())) {
                destinations(path + ".route", route.getRoute(), RouteDestination::getDestination,
                        RouteDestination::getWeight, problems);
            }
        });
        problems.forEach("spec.tls", spec.getTls(), (path, route) -> {
            problems.forEach(path + ".match", route.getMatch(), (matchPath, match) -> {
                problems.nonEmpty(matchPath + ".sniHosts", match.getSniHosts());
                problems.port(matchPath + ".port", match.getPort());
            });
            if (problems.nonEmpty(path + ".route", route.getRoute())) {
                destinations(path + ".route", route.getRoute(), RouteDestination::getDestination,
                        RouteDestination::getWeight, problems);
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
        if ((namespace != null && !HostSyntax.isDnsLabel(namespace)) || !HostSyntax.isDnsName(name)) {
            problems.add(path, "\"" + gateway + "\" is not a gateway reference (expected: mesh, name or namespace/name)");
        }
    }

    private static void httpRoute(String path, HTTPRoute route, boolean delegateService, Problems problems) {
        boolean hasRoute = route.getRoute() != null && !route.getRoute().isEmpty();
        problems.exactlyOne(path, true, List.of("route", "redirect", "directResponse", "delegate"),
                List.of(hasRoute, route.getRedirect() != null, route.getDirectResponse() != null,
                        route.getDelegate() != null));
        problems.forEach(path + ".match", route.getMatch(), (matchPath, match) -> match(matchPath, match, problems));
        if (hasRoute) {
            destinations(path + ".route", route.getRoute(), HTTPRouteDestination::getDestination,
                    HTTPRouteDestination::getWeight, problems);
        }
        if (route.getDelegate() != null) {
            if (delegateService) {
                problems.add(path + ".delegate", DELEGATE);
            }
            problems.required(path + ".delegate.name", route.getDelegate().getName());
        }
        if (route.getRedirect() != null) {
            redirect(path + ".redirect", route.getRedirect(), problems);
        }
        if (route.getDirectResponse() != null) {
            Long status = route.getDirectResponse().getStatus();
            if (problems.required(path + ".directResponse.status", status)) {
                problems.range(path + ".directResponse.status", status, 200, 599);
            }
        }
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
        if (route.getCorsPolicy() != null) {
            problems.forEach(path + ".corsPolicy.allowOrigins", route.getCorsPolicy().getAllowOrigins(),
                    (originPath, origin) -> stringMatch(originPath, origin, problems));
            problems.duration(path + ".corsPolicy.maxAge", route.getCorsPolicy().getMaxAge());
        }
        if (route.getRewrite() != null && route.getRewrite().getUriRegexRewrite() != null) {
            problems.regex(path + ".rewrite.uriRegexRewrite.match", route.getRewrite().getUriRegexRewrite().getMatch());
        }
    }

    private static void match(String path, HTTPMatchRequest match, Problems problems) {
        stringMatch(path + ".uri", match.getUri(), problems);
        stringMatch(path + ".scheme", match.getScheme(), problems);
        stringMatch(path + ".method", match.getMethod(), problems);
        stringMatch(path + ".authority", match.getAuthority(), problems);
        headers(path + ".headers", match.getHeaders(), problems);
        headers(path + ".withoutHeaders", match.getWithoutHeaders(), problems);
        if (match.getQueryParams() != null) {
            match.getQueryParams().forEach(
                    (name, value) -> stringMatch(FieldPath.field(path + ".queryParams", name), value, problems));
        }
        problems.port(path + ".port", match.getPort());
    }

    /** Istio's docs require lowercase header names: Envoy sees them lowercased, so others never match. */
    private static void headers(String path, Map<String, StringMatch> headers, Problems problems) {
        if (headers == null) {
            return;
        }
        headers.forEach((name, value) -> {
            String headerPath = FieldPath.field(path, name);
            String lower = name.toLowerCase(Locale.ROOT);
            if (!name.equals(lower)) {
                problems.add(headerPath, "header name \"" + name + "\" must be lowercase (use \"" + lower + "\")");
            }
            stringMatch(headerPath, value, problems);
        });
    }

    private static void stringMatch(String path, StringMatch match, Problems problems) {
        if (match != null && match.getMatchType() instanceof StringMatchRegex regex) {
            problems.regex(path + ".regex", regex.getRegex());
        }
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
        if (problems.required(path, destination)) {
            problems.required(path + ".host", destination.getHost());
            if (destination.getPort() != null) {
                problems.port(path + ".port.number", destination.getPort().getNumber());
            }
        }
    }

    private static void redirect(String path, HTTPRedirect redirect, Problems problems) {
        if (redirect.getUri() == null && redirect.getAuthority() == null && redirect.getScheme() == null
                && redirect.getRedirectPort() == null) {
            problems.add(path, "one of uri, authority, scheme, port, derivePort is required");
        }
        if (redirect.getRedirectPort() instanceof HTTPRedirectPort port) {
            problems.port(path + ".port", port.getPort());
        }
        problems.range(path + ".redirectCode", redirect.getRedirectCode(), 300, 399);
    }

    private static void retries(String path, HTTPRetry retries, Problems problems) {
        if (retries == null) {
            return;
        }
        problems.nonNegative(path + ".attempts", retries.getAttempts());
        problems.duration(path + ".perTryTimeout", retries.getPerTryTimeout());
        problems.duration(path + ".backoff", retries.getBackoff());
    }

    private static void fault(String path, HTTPFaultInjection fault, Problems problems) {
        if (fault == null) {
            return;
        }
        HTTPFaultInjectionDelay delay = fault.getDelay();
        if (delay != null) {
            String delayPath = path + ".delay";
            if (delay.getHttpDelayType() instanceof HTTPFaultInjectionDelayFixedDelay fixed) {
                if (problems.required(delayPath + ".fixedDelay", fixed.getFixedDelay())) {
                    problems.duration(delayPath + ".fixedDelay", fixed.getFixedDelay());
                }
            } else if (delay.getHttpDelayType() instanceof HTTPFaultInjectionDelayExponentialDelay exponential) {
                problems.duration(delayPath + ".exponentialDelay", exponential.getExponentialDelay());
            } else {
                problems.add(delayPath, "one of fixedDelay, exponentialDelay is required");
            }
            problems.range(delayPath + ".percent", delay.getPercent(), 0, 100);
            percent(delayPath + ".percentage", delay.getPercentage(), problems);
        }
        HTTPFaultInjectionAbort abort = fault.getAbort();
        if (abort != null) {
            String abortPath = path + ".abort";
            if (abort.getErrorType() == null) {
                problems.add(abortPath, "one of httpStatus, grpcStatus, http2Error is required");
            } else if (abort.getErrorType() instanceof HTTPFaultInjectionAbortHttpStatus status) {
                problems.range(abortPath + ".httpStatus", status.getHttpStatus(), 200, 599);
            }
            percent(abortPath + ".percentage", abort.getPercentage(), problems);
        }
    }

    private static void percent(String path, Percent percent, Problems problems) {
        if (percent != null) {
            problems.percentage(path + ".value", percent.getValue());
        }
    }
}
