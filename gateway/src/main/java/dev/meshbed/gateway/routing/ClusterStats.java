package dev.meshbed.gateway.routing;

/**
 * Per-cluster counters the data plane updates. Implemented by the admin layer's metrics; the
 * routing layer only hands them out, so a request never looks a metric up by name.
 */
public interface ClusterStats {

    /** A response was sent for a request routed to this cluster (any status, any flag). */
    void response(int status, long durationNanos);

    void connectFailure();

    void timeout();

    /** A retry was started (Envoy's {@code upstream_rq_retry}). */
    default void retry() {
    }

    /** A retried request ended with a response that was not retried again (Envoy's {@code upstream_rq_retry_success}). */
    default void retrySuccess() {
    }

    /** A retry was called for but none were left (Envoy's {@code upstream_rq_retry_limit_exceeded}). */
    default void retryLimitExceeded() {
    }

    /** A try hit its per-try timeout (Envoy's {@code upstream_rq_per_try_timeout}). */
    default void perTryTimeout() {
    }

    /** An endpoint met an outlier condition ({@code consecutive_5xx}, {@code consecutive_gateway_failure}). */
    default void outlierEjectionDetected(String type) {
    }

    /** An endpoint was ejected for {@code type}. */
    default void outlierEjectionEnforced(String type) {
    }

    /** An ejection was not made: max ejection percent reached. */
    default void outlierEjectionOverflow() {
    }

    /** Endpoints ejected now. */
    default void outlierEjectionsActive(int active) {
    }

    /** A request found the pending queue full (http1MaxPendingRequests): 503 UO. */
    default void pendingOverflow() {
    }

    /** A connection was wanted but maxConnections were open. */
    default void connectionOverflow() {
    }

    ClusterStats NOOP = new ClusterStats() {
        @Override
        public void response(int status, long durationNanos) {
        }

        @Override
        public void connectFailure() {
        }

        @Override
        public void timeout() {
        }
    };

    /** Gives out the stats of a cluster by name; the same object for the same name across tables. */
    @FunctionalInterface
    interface Factory {
        ClusterStats forCluster(String clusterName);

        Factory NOOP = name -> ClusterStats.NOOP;
    }
}
