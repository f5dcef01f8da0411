package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

/** What a route does with a request it matched. */
public sealed interface RouteAction {

    /** Proxy to one of the weighted destinations. */
    record Forward(WeightedClusters clusters) implements RouteAction {
        public Forward {
            requireNonNull(clusters, "clusters");
        }
    }

    /** Answer directly (HTTPRoute.directResponse). */
    record DirectResponse(int status, String body) implements RouteAction {
        public DirectResponse {
            if (status < 200 || status > 599) {
                throw new IllegalArgumentException("status: " + status + " (expected: 200-599)");
            }
        }
    }

    /**
     * Answer with a redirect (HTTPRoute.redirect). Null parts keep the request's own.
     *
     * @param port the port to redirect to; 0 keeps the request's port, -1 drops it (the scheme's default)
     */
    record Redirect(int status, String scheme, String authority, int port, String uri, PathRewrite prefixRewrite)
            implements RouteAction {
        public Redirect(int status, String scheme, String authority, int port, String uri) {
            this(status, scheme, authority, port, uri, null);
        }

        /** @param prefixRewrite Envoy's prefix_rewrite (redirect.prefixRewrite), or null; not with {@code uri} */
        public Redirect {
            if (status < 300 || status > 399) {
                throw new IllegalArgumentException("status: " + status + " (expected: 300-399)");
            }
        }

        /** The Location header for {@code request}. */
        public String location(RequestView request) {
            String host = authority != null ? authority : request.host();
            String portPart = "";
            if (port > 0) {
                portPart = ":" + port;
            } else if (port == 0 && authority == null) {
                int colon = request.authority().lastIndexOf(':');
                if (colon > 0 && !request.authority().endsWith("]")) {
                    portPart = request.authority().substring(colon);
                }
            }
            // a new path keeps the request's query (Envoy's path_redirect without strip_query)
            String path = prefixRewrite != null ? prefixRewrite.apply(request.pathAndQuery(), request)
                    : uri == null ? request.pathAndQuery()
                    : request.hasQuery() && uri.indexOf('?') < 0 ? uri + request.pathAndQuery().substring(request.path().length())
                    : uri;
            return (scheme != null ? scheme : request.scheme()) + "://" + host + portPart + path;
        }
    }
}
