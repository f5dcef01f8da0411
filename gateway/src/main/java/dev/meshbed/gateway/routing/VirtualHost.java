package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** The routes of one domain on one gateway port, in the order they are tried. */
public final class VirtualHost {

    private final String domain;
    private final Route[] routes;

    public VirtualHost(String domain, List<Route> routes) {
        this.domain = requireNonNull(domain, "domain");
        this.routes = routes.toArray(new Route[0]);
    }

    /** The first route that applies, or null (404 NR). */
    public Route route(RequestView request) {
        for (Route r : routes) {
            if (r.matches(request)) {
                return r;
            }
        }
        return null;
    }

    public String domain() {
        return domain;
    }

    public List<Route> routes() {
        return List.of(routes);
    }
}
