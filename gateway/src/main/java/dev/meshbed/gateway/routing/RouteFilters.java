package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a route does to a request and its response besides choosing where it goes, compiled once:
 * CORS (Envoy's cors filter), fault injection (Envoy's fault filter), route-level header
 * operations, the path rewrite and the host rewrite. Destination-level headers live on
 * {@link WeightedClusters.Entry#headers()}.
 *
 * @param cors null when the route has no corsPolicy
 * @param fault null when the route injects nothing
 * @param pathRewrite null when the path is kept
 * @param authority the route's host rewrite ({@code rewrite.authority}, else a header set of
 *        {@code :authority}/{@code host}), or null
 * @param destinationHeaders whether any destination has a headers block (so the exchange must look)
 */
public record RouteFilters(CorsPolicy cors, FaultPolicy fault, HeaderPolicy headers, PathRewrite pathRewrite,
        String authority, boolean destinationHeaders) {

    public static final RouteFilters NONE = new RouteFilters(null, null, HeaderPolicy.NONE, null, null, false);

    public RouteFilters {
        requireNonNull(headers, "headers");
    }

    /** Nothing to do: the exchange skips every filter step. */
    public boolean isEmpty() {
        return cors == null && fault == null && headers.isEmpty() && pathRewrite == null && authority == null
                && !destinationHeaders;
    }

    /** For {@code /config_dump}. */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (cors != null) {
            out.put("cors", cors.describe());
        }
        if (fault != null) {
            out.put("fault", fault.describe());
        }
        if (!headers.isEmpty()) {
            out.put("headers", headers.describe());
        }
        if (pathRewrite != null) {
            out.putAll(pathRewrite.describe());
        }
        if (authority != null) {
            out.put("host_rewrite_literal", authority);
        }
        return out;
    }

    /** A destination's headers block for {@code /config_dump}. */
    public static Map<String, Object> describe(HeaderPolicy destinationHeaders) {
        return destinationHeaders.describe();
    }
}
