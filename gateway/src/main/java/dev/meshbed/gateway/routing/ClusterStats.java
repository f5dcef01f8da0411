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
