package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An Istio {@code headers} block, at route level (HTTPRoute.headers) or destination level
 * (HTTPRouteDestination.headers), compiled.
 *
 * @param authority the host rewrite a {@code set} (else {@code add}) of {@code :authority} or
 *        {@code host} asks for, or null (pilot route.go, TranslateHeadersOperations)
 */
public record HeaderPolicy(HeaderOperations request, HeaderOperations response, String authority) {

    public static final HeaderPolicy NONE = new HeaderPolicy(HeaderOperations.NONE, HeaderOperations.NONE, null);

    public HeaderPolicy {
        requireNonNull(request, "request");
        requireNonNull(response, "response");
    }

    public boolean isEmpty() {
        return request.isEmpty() && response.isEmpty() && authority == null;
    }

    Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (!request.isEmpty()) {
            out.put("request", request.describe());
        }
        if (!response.isEmpty()) {
            out.put("response", response.describe());
        }
        if (authority != null) {
            out.put("authority", authority);
        }
        return out;
    }
}
