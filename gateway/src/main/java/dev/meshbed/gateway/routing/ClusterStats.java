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
