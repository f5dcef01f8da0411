package dev.meshbed.gateway.routing;

/**
 * A cluster's circuit breakers and connection settings from DestinationRule
 * {@code connectionPool}. Istio sets every circuit breaker Envoy has to 2^32-1 unless the rule
 * gives a positive value ({@code getDefaultCircuitBreakerThresholds} in Istio's
 * pilot/pkg/networking/core/cluster_traffic_policy.go), so without a rule nothing overflows;
 * that maximum is kept here as {@link #UNLIMITED}.
 *
 * @param maxConnections {@code tcp.maxConnections}: connections to all endpoints of the cluster
 * @param maxPendingRequests {@code http.http1MaxPendingRequests}: requests waiting for a connection
 * @param maxRequestsPerConnection {@code http.maxRequestsPerConnection}; 0 = unlimited
 * @param idleTimeoutMillis {@code http.idleTimeout} (else {@code tcp.idleTimeout}); 0 = the gateway's default
 */
public record ConnectionLimits(long maxConnections, long maxPendingRequests, int maxRequestsPerConnection,
        long idleTimeoutMillis) {

    /** Istio's circuit breaker thresholds when a rule gives none: {@code math.MaxUint32}. */
    public static final long UNLIMITED = 0xFFFF_FFFFL;

    public static final ConnectionLimits DEFAULTS = new ConnectionLimits(UNLIMITED, UNLIMITED, 0, 0);

    public ConnectionLimits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 1)");
        }
        if (maxPendingRequests < 1) {
            throw new IllegalArgumentException("maxPendingRequests: " + maxPendingRequests + " (expected: >= 1)");
        }
        if (maxRequestsPerConnection < 0) {
            throw new IllegalArgumentException(
                    "maxRequestsPerConnection: " + maxRequestsPerConnection + " (expected: >= 0)");
        }
        if (idleTimeoutMillis < 0) {
            throw new IllegalArgumentException("idleTimeoutMillis: " + idleTimeoutMillis + " (expected: >= 0)");
        }
    }

    public String describe() {
        return "maxConnections: " + maxConnections + ", http1MaxPendingRequests: " + maxPendingRequests
                + ", maxRequestsPerConnection: " + (maxRequestsPerConnection == 0 ? "unlimited" : maxRequestsPerConnection)
                + (idleTimeoutMillis > 0 ? ", idleTimeout: " + idleTimeoutMillis + "ms" : "");
    }
}
