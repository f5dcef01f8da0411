package dev.meshbed.gateway.proxy;

/**
 * Envoy's response flags, as Istio's access logs show them: why a response is not simply the
 * upstream's.
 */
public enum ResponseFlag {
    /** Nothing special: the upstream answered (or a direct response / redirect route did). */
    NONE("-"),
    /** No route: no virtual host or route matched. 404. */
    NR("NR"),
    /** The cluster has no endpoints: 503 "no healthy upstream". */
    UH("UH"),
    /** Upstream connection failure or reset before response headers: 503. */
    UF("UF"),
    /** Upstream request timeout (the route's timeout): 504. */
    UT("UT"),
    /** The route names a cluster that does not exist: 503. */
    NC("NC"),
    /** Upstream connection terminated after the response started; the downstream connection is reset. */
    UC("UC"),
    /** Downstream (client) connection terminated before the response was complete. */
    DC("DC"),
    /** Downstream protocol error: a request that breaks HTTP. 400. */
    DPE("DPE"),
    /** Upstream protocol error: a response that breaks HTTP. 502. */
    UPE("UPE"),
    /** Stream idle timeout: no byte either way for the stream idle timeout. 408, or a reset once the response started. */
    SI("SI"),
    /**
     * Upstream retry limit exceeded: the try's outcome called for a retry and none was left. Shown
     * with the flag of the failure, after it ({@code UF,URX}), as Envoy orders them.
     */
    URX("URX"),
    /** Fault injection: the route's fault delayed the request. */
    DI("DI"),
    /** Fault injection: the route's fault aborted the request with its status and "fault filter abort". */
    FI("FI"),
    /** Both: delayed, then aborted. */
    DI_FI("DI,FI"),
    /** Upstream overflow: the cluster's circuit breaker is open (connection pool limits). 503. */
    UO("UO"),
    /** Overload: refused because the gateway is at its connection limit or out of file descriptors. 503. */
    OM("OM");

    private final String code;

    ResponseFlag(String code) {
        this.code = code;
    }

    /**
     * Envoy's rendering of {@code flag} together with URX: {@code UF,URX}, {@code UT,URX}, or
     * {@code URX} alone; flags that Envoy lists after URX come after it ({@code URX,UPE}).
     */
    static String withRetryLimitExceeded(ResponseFlag flag) {
        return switch (flag) {
            case NONE, URX -> "URX";
            case DPE, UPE, NC, OM, SI -> "URX," + flag.code;
            default -> flag.code + ",URX";
        };
    }

    /** As in access logs: {@code NR}, or {@code -} for none. */
    public String code() {
        return code;
    }
}
