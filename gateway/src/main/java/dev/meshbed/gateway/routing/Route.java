package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One compiled HTTPRoute. It applies when any of its match blocks matches (or always, when it has
 * none); the first route that applies wins.
 */
public final class Route {

    private final String name;
    private final RequestMatcher[] matchers;
    private final RouteAction action;
    private final long timeoutMillis;
    private final RetryPolicy retryPolicy;
    private final RouteFilters filters;
    private final List<Mirror> mirrors;

    /** A route without retries or filters (tests, direct responses). */
    public Route(String name, List<RequestMatcher> matchers, RouteAction action, long timeoutMillis) {
        this(name, matchers, action, timeoutMillis, RetryPolicy.DISABLED, RouteFilters.NONE, List.of());
    }

    /**
     * @param name as shown in logs and dumps: the HTTPRoute's {@code name}, else {@code ns/vs/index}
     * @param matchers empty for a route without match blocks
     * @param timeoutMillis the route timeout, 0 when disabled (Istio's default); it bounds all tries together
     * @param retryPolicy the compiled {@code retries}, {@link RetryPolicy#DISABLED} for none
     * @param filters CORS, fault injection, header operations and rewrites, {@link RouteFilters#NONE} for none
     * @param mirrors where copies of the requests go ({@code mirror}, {@code mirrors})
     */
    public Route(String name, List<RequestMatcher> matchers, RouteAction action, long timeoutMillis,
            RetryPolicy retryPolicy, RouteFilters filters, List<Mirror> mirrors) {
        this.filters = requireNonNull(filters, "filters");
        this.name = requireNonNull(name, "name");
        this.matchers = matchers.toArray(new RequestMatcher[0]);
        this.action = requireNonNull(action, "action");
        if (timeoutMillis < 0) {
            throw new IllegalArgumentException("timeoutMillis: " + timeoutMillis + " (expected: >= 0)");
        }
        this.timeoutMillis = timeoutMillis;
        this.retryPolicy = requireNonNull(retryPolicy, "retryPolicy");
        this.mirrors = List.copyOf(mirrors);
    }

    public boolean matches(RequestView request) {
        if (matchers.length == 0) {
            return true;
        }
        for (RequestMatcher m : matchers) {
            if (m.matches(request)) {
                return true;
            }
        }
        return false;
    }

    public String name() {
        return name;
    }

    public List<RequestMatcher> matchers() {
        return List.of(matchers);
    }

    public RouteAction action() {
        return action;
    }

    public long timeoutMillis() {
        return timeoutMillis;
    }

    public RetryPolicy retryPolicy() {
        return retryPolicy;
    }

    /** CORS, fault injection, header operations and rewrites; {@link RouteFilters#NONE} when none. */
    public RouteFilters filters() {
        return filters;
    }

    public List<Mirror> mirrors() {
        return mirrors;
    }

    @Override
    public String toString() {
        return name;
    }
}
