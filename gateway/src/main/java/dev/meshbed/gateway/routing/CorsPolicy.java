package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A route's CORS policy (HTTPRoute.corsPolicy) as Istio hands it to Envoy's CORS filter
 * (pilot route.go, TranslateCORSPolicy): the lists are joined with {@code ,}, maxAge is in
 * seconds, allowCredentials unset means false, and a preflight from an origin that is not allowed
 * is forwarded upstream unless {@code unmatchedPreflights: IGNORE}.
 *
 * @param allowMethods null when not configured, as every other string here
 */
public record CorsPolicy(List<StringMatcher> allowOrigins, String allowMethods, String allowHeaders,
        String exposeHeaders, String maxAge, boolean allowCredentials, boolean forwardNotMatchingPreflights) {

    public CorsPolicy {
        allowOrigins = List.copyOf(requireNonNull(allowOrigins, "allowOrigins"));
    }

    /** Envoy's isOriginAllowed: a matcher that accepts {@code *} accepts every origin. */
    public boolean originAllowed(String origin) {
        for (StringMatcher m : allowOrigins) {
            if (m.matches("*") || m.matches(origin)) {
                return true;
            }
        }
        return false;
    }

    Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("allow_origins", allowOrigins.stream().map(StringMatcher::describe).toList());
        putIf(out, "allow_methods", allowMethods);
        putIf(out, "allow_headers", allowHeaders);
        putIf(out, "expose_headers", exposeHeaders);
        putIf(out, "max_age", maxAge);
        out.put("allow_credentials", allowCredentials);
        out.put("forward_not_matching_preflights", forwardNotMatchingPreflights);
        return out;
    }

    private static void putIf(Map<String, Object> out, String key, String value) {
        if (value != null) {
            out.put(key, value);
        }
    }
}
