package dev.meshbed.gateway.routing;

import java.util.concurrent.TimeUnit;

/**
 * Envoy's slow start (DestinationRule {@code loadBalancer.warmup} / {@code warmupDurationSecs},
 * ROUND_ROBIN and LEAST_REQUEST only): an endpoint that joins a cluster gets a weight that grows
 * over the window, {@code weight * max(minWeightPercent / 100, timeFactor ^ (1 / aggression))}
 * with {@code timeFactor = max(secondsSinceJoined, 1) / windowSeconds} (Envoy's
 * slow_start_config; aggression defaults to 1.0, min_weight_percent to 10).
 */
public record SlowStart(long windowMillis, double aggression, double minWeightPercent) {

    public static final double DEFAULT_AGGRESSION = 1.0;
    public static final double DEFAULT_MIN_WEIGHT_PERCENT = 10;

    public SlowStart {
        if (windowMillis <= 0) {
            throw new IllegalArgumentException("windowMillis: " + windowMillis + " (expected: > 0)");
        }
        if (!(aggression > 0)) {
            throw new IllegalArgumentException("aggression: " + aggression + " (expected: > 0)");
        }
        if (!(minWeightPercent >= 0 && minWeightPercent <= 100)) {
            throw new IllegalArgumentException("minWeightPercent: " + minWeightPercent + " (expected: 0-100)");
        }
    }

    /** The factor (0-1] by which {@code endpoint}'s weight is scaled at {@code nowNanos}. */
    public double factor(Endpoint endpoint, long nowNanos) {
        long added = endpoint.addedAtNanos();
        if (added == Long.MIN_VALUE) {
            return 1;
        }
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(nowNanos - added);
        if (elapsedMillis >= windowMillis) {
            return 1;
        }
        double timeFactor = Math.max(elapsedMillis, 1000) / (double) windowMillis;
        return Math.min(1, Math.max(minWeightPercent / 100, Math.pow(timeFactor, 1 / aggression)));
    }

    public String describe() {
        return "warmup " + windowMillis + "ms (aggression " + aggression + ", minimumPercent " + minWeightPercent + ")";
    }
}
