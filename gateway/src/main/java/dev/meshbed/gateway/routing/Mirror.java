package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

/**
 * One traffic mirror of a route (Istio's {@code mirror} with {@code mirrorPercentage}, or an
 * entry of {@code mirrors}): a copy of the request goes to {@code cluster}, for {@code percent}
 * of requests, and its answer is dropped.
 *
 * @param cluster where the copies go
 * @param percent 0-100; Istio's default when unset is 100
 */
public record Mirror(Cluster cluster, double percent) {

    /** Draws are made in millionths of the requests. */
    private static final int SCALE = 1_000_000;

    public Mirror {
        requireNonNull(cluster, "cluster");
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("percent: " + percent + " (expected: 0-100)");
        }
    }

    /** Whether this request is mirrored: one draw, true for {@code percent} of draws. */
    public boolean sample(RandomSource random) {
        if (percent >= 100) {
            return true;
        }
        return percent > 0 && random.nextInt(SCALE) < Math.round(percent * (SCALE / 100));
    }
}
