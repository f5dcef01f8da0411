package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

/**
 * Why no upstream connection was handed out, when the answer is not a plain connect failure: the
 * cluster's circuit breaker (503 UO) or a TLS handshake the upstream failed (503 UF). The body is
 * Envoy's local reply for it.
 */
final class UpstreamRefusal extends Exception {

    private static final String BEFORE_HEADERS = "upstream connect error or disconnect/reset before headers. ";

    /** Envoy's answer when a circuit breaker is open (pending requests or connections over the limit). */
    static final UpstreamRefusal OVERFLOW = new UpstreamRefusal(ResponseFlag.UO, BEFORE_HEADERS + "reset reason: overflow");

    private final ResponseFlag flag;
    private final String body;

    private UpstreamRefusal(ResponseFlag flag, String body) {
        super(body, null, false, false);
        this.flag = requireNonNull(flag, "flag");
        this.body = requireNonNull(body, "body");
    }

    /** The handshake with the upstream failed, or its certificate was not acceptable. */
    static UpstreamRefusal tls(String reason) {
        return new UpstreamRefusal(ResponseFlag.UF, BEFORE_HEADERS
                + "reset reason: connection failure, transport failure reason: TLS error: " + reason);
    }

    ResponseFlag flag() {
        return flag;
    }

    String body() {
        return body;
    }
}
