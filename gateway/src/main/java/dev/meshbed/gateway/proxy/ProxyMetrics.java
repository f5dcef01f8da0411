package dev.meshbed.gateway.proxy;

/** What the data plane counts beyond per-cluster stats. Implemented by the admin layer. */
public interface ProxyMetrics {

    void downstreamConnectionOpened();

    void downstreamConnectionClosed();

    void upstreamConnectionOpened();

    void upstreamConnectionClosed();

    /** Every response sent to a client, local replies included. */
    void downstreamResponse(int status, ResponseFlag flag);

    /**
     * An edge event counted by name, as Envoy's stats name them: {@code downstream_rq_header_timeout},
     * {@code downstream_cx_idle_timeout}, {@code downstream_rq_idle_timeout}, {@code downstream_cx_overflow},
     * {@code downstream_cx_accept_error}; for mirrors {@code shadow_rq_dropped} (over the in-flight bound) and
     * {@code shadow_rq_body_too_large} (a body the retry buffer could not hold).
     */
    default void edgeEvent(String name) {
    }

    ProxyMetrics NOOP = new ProxyMetrics() {
        @Override
        public void downstreamConnectionOpened() {
        }

        @Override
        public void downstreamConnectionClosed() {
        }

        @Override
        public void upstreamConnectionOpened() {
        }

        @Override
        public void upstreamConnectionClosed() {
        }

        @Override
        public void downstreamResponse(int status, ResponseFlag flag) {
        }
    };
}
