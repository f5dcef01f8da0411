package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

/**
 * What the edge does to requests before routing them, beyond plain HTTP/1.1 strictness.
 *
 * @param pathNormalization Istio's {@code meshConfig.pathNormalization} (default {@code BASE})
 * @param forwardTrailers   whether request trailers go upstream; off by default, as Envoy's HTTP/1
 *                          {@code enable_trailers} is
 */
public record RequestPolicy(PathNormalization pathNormalization, boolean forwardTrailers) {

    /** Istio's and Envoy's defaults: BASE normalisation, trailers dropped. */
    public static final RequestPolicy DEFAULT = new RequestPolicy(PathNormalization.DEFAULT, false);

    public RequestPolicy {
        requireNonNull(pathNormalization, "pathNormalization");
    }
}
