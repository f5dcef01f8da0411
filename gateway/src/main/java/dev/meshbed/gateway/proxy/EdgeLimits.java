package dev.meshbed.gateway.proxy;

/**
 * The bounds of the client side, with Envoy's defaults (Envoy's edge best practices where Envoy's
 * own default is "none"). A timeout of 0 disables it, as in Envoy.
 *
 * @param requestHeadersTimeoutMillis from a request's first byte to its last header (Envoy's
 *        {@code request_headers_timeout}; off in Envoy, 10 s in its edge best practices): 408, then close
 * @param streamIdleTimeoutMillis a request with no byte in either direction for this long (Envoy's
 *        {@code stream_idle_timeout}, 5 min): 408 before the response started, a reset after; flag SI
 * @param connectionIdleTimeoutMillis a connection with no request for this long (Envoy's
 *        {@code common_http_protocol_options.idle_timeout}, 1 h) is closed
 * @param maxConnections client connections open at once (Envoy's overload manager
 *        {@code global_downstream_max_connections}; its edge example 50,000); one more is answered
 *        503 and closed, flag OM
 * @param maxHeadersCount request headers (Envoy's {@code max_headers_count}, 100): one more is 431
 * @param fitToFileDescriptors lower {@code maxConnections} to what the open-file limit allows (the
 *        default; an explicit {@code --max-connections} is taken as given)
 */
public record EdgeLimits(long requestHeadersTimeoutMillis, long streamIdleTimeoutMillis,
        long connectionIdleTimeoutMillis, int maxConnections, int maxHeadersCount, boolean fitToFileDescriptors) {

    /** With {@code maxConnections} fitted to the open-file limit. */
    public EdgeLimits(long requestHeadersTimeoutMillis, long streamIdleTimeoutMillis, long connectionIdleTimeoutMillis,
            int maxConnections, int maxHeadersCount) {
        this(requestHeadersTimeoutMillis, streamIdleTimeoutMillis, connectionIdleTimeoutMillis, maxConnections,
                maxHeadersCount, true);
    }

    public static final long REQUEST_HEADERS_TIMEOUT_MILLIS = 10_000;
    public static final long STREAM_IDLE_TIMEOUT_MILLIS = 300_000;
    public static final long CONNECTION_IDLE_TIMEOUT_MILLIS = 3_600_000;
    public static final int MAX_CONNECTIONS = 50_000;
    public static final int MAX_HEADERS_COUNT = 100;

    public static final EdgeLimits DEFAULTS = new EdgeLimits(REQUEST_HEADERS_TIMEOUT_MILLIS,
            STREAM_IDLE_TIMEOUT_MILLIS, CONNECTION_IDLE_TIMEOUT_MILLIS, MAX_CONNECTIONS, MAX_HEADERS_COUNT);

    public EdgeLimits {
        nonNegative("requestHeadersTimeoutMillis", requestHeadersTimeoutMillis);
        nonNegative("streamIdleTimeoutMillis", streamIdleTimeoutMillis);
        nonNegative("connectionIdleTimeoutMillis", connectionIdleTimeoutMillis);
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 1)");
        }
        if (maxHeadersCount < 1) {
            throw new IllegalArgumentException("maxHeadersCount: " + maxHeadersCount + " (expected: >= 1)");
        }
    }

    private static void nonNegative(String name, long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException(name + ": " + millis + " (expected: >= 0, 0 disables)");
        }
    }

    /**
     * The connection limit that file descriptors allow: each client connection may hold one
     * upstream connection, and the process needs some for itself, so at most half of what is left.
     * Below that, a flood is answered 503 rather than reaching "too many open files".
     *
     * @param fdLimit the process's open-file limit, or a value <= 0 when unknown
     */
    public int maxConnectionsWithin(long fdLimit) {
        if (fdLimit <= 0 || !fitToFileDescriptors) {
            return maxConnections;
        }
        return (int) Math.min(maxConnections, connectionsAllowedBy(fdLimit));
    }

    /** File descriptors kept for the JVM, the config source, logs and listeners. */
    static final int RESERVED_FDS = 128;

    /** The most connections {@code fdLimit} open files allow, as {@link #maxConnectionsWithin} fits them. */
    public static long connectionsAllowedBy(long fdLimit) {
        return fdLimit <= 0 ? Long.MAX_VALUE : Math.max(1, (fdLimit - RESERVED_FDS) / 2);
    }
}
