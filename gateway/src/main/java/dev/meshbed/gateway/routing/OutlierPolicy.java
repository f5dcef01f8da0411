package dev.meshbed.gateway.routing;

/**
 * DestinationRule {@code outlierDetection} as Istio hands it to Envoy, with the defaults that
 * apply when the block is present (Istio's {@code applyOutlierDetection} in
 * pilot/pkg/networking/core/cluster_traffic_policy.go, Envoy's outlier_detection.proto):
 * consecutive 5xx 5 (enforced), consecutive gateway errors off unless set, interval 10 s, base
 * ejection time 30 s, max ejection time 300 s (Envoy), max ejection percent 10, success-rate
 * detection off, and the panic threshold set to {@code minHealthPercent} (0 = no panic: when all
 * endpoints are ejected, requests get 503 UH).
 *
 * @param consecutive5xx 0 = this detection is off
 * @param consecutiveGateway 0 = this detection is off
 */
public record OutlierPolicy(int consecutive5xx, int consecutiveGateway, long intervalMillis, long baseEjectionMillis,
        long maxEjectionMillis, int maxEjectionPercent, int minHealthPercent) {

    /** Envoy's consecutive_5xx default. */
    public static final int DEFAULT_CONSECUTIVE_5XX = 5;
    /** Envoy's interval default. */
    public static final long DEFAULT_INTERVAL_MILLIS = 10_000;
    /** Envoy's base_ejection_time default. */
    public static final long DEFAULT_BASE_EJECTION_MILLIS = 30_000;
    /** Envoy's max_ejection_time default (Istio does not expose it). */
    public static final long DEFAULT_MAX_EJECTION_MILLIS = 300_000;
    /** Envoy's max_ejection_percent default. */
    public static final int DEFAULT_MAX_EJECTION_PERCENT = 10;

    public OutlierPolicy {
        nonNegative("consecutive5xx", consecutive5xx);
        nonNegative("consecutiveGateway", consecutiveGateway);
        if (intervalMillis <= 0) {
            throw new IllegalArgumentException("intervalMillis: " + intervalMillis + " (expected: > 0)");
        }
        if (baseEjectionMillis <= 0) {
            throw new IllegalArgumentException("baseEjectionMillis: " + baseEjectionMillis + " (expected: > 0)");
        }
        if (maxEjectionMillis <= 0) {
            throw new IllegalArgumentException("maxEjectionMillis: " + maxEjectionMillis + " (expected: > 0)");
        }
        percent("maxEjectionPercent", maxEjectionPercent);
        percent("minHealthPercent", minHealthPercent);
    }

    /** Istio's defaults for an {@code outlierDetection: {}} block. */
    public static OutlierPolicy defaults() {
        return new OutlierPolicy(DEFAULT_CONSECUTIVE_5XX, 0, DEFAULT_INTERVAL_MILLIS, DEFAULT_BASE_EJECTION_MILLIS,
                DEFAULT_MAX_EJECTION_MILLIS, DEFAULT_MAX_EJECTION_PERCENT, 0);
    }

    /** For the config dump, in Istio's field names. */
    public String describe() {
        return "consecutive5xxErrors: " + consecutive5xx + ", consecutiveGatewayErrors: " + consecutiveGateway
                + ", interval: " + intervalMillis + "ms, baseEjectionTime: " + baseEjectionMillis
                + "ms, maxEjectionPercent: " + maxEjectionPercent + ", minHealthPercent: " + minHealthPercent;
    }

    private static void nonNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0)");
        }
    }

    private static void percent(String name, int value) {
        if (value < 0 || value > 100) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: 0-100)");
        }
    }
}
