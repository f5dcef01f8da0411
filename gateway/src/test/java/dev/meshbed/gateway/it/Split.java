package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Statistics for weighted splits. Each request is routed on its own with probability
 * p = weight / sum, so the number of v1 answers among n is Binomial(n, p). For n in the hundreds
 * or more (and p not near 0 or 1; n p (1 - p) is at least 30 in every check here) the normal
 * approximation holds: z = (k/n - p) / sqrt(p(1-p)/n) is about standard normal, and the two-sided
 * test rejects when |z| > 3.8906, i.e. at 99.99 % confidence: a correct gateway fails one check
 * with probability 0.01 %. Weights 0 and 100 are checked exactly: not a single request may go the
 * other way.
 *
 * <p>Why 99.99 % and not 99.9 %: the suite makes nine such checks per run (RoutingIT 3,
 * ConfigReloadIT 5, JarCommandLineIT 1), so its false-alarm rate is at most 9 x 0.0001 = 0.09 %
 * per run (union bound), against 0.9 % at 99.9 %, which would make one CI run in a hundred fail
 * for nothing (one did, while this suite was written: 2484 of 3000, z = 3.83). The checks keep
 * their power: at n = 1000, 70/30 against 80/20 gives |z| of about 7.9; at n = 3000, 75/25 gives
 * about 6.8; 20/80 against 80/20 gives |z| above 20 even at n = 200.
 */
final class Split {

    /** Two-sided 99.99 %: P(|Z| > 3.8906) = 0.0001 for a standard normal Z. */
    static final double Z_9999 = 3.8906;

    private Split() {
    }

    /** z statistic of k hits among n against expected share p (0 < p < 1). */
    static double z(long k, long n, double p) {
        return ((double) k / n - p) / Math.sqrt(p * (1 - p) / n);
    }

    /**
     * Asserts that {@code v1} of {@code v1 + v2} requests is consistent with the share {@code p}
     * at the confidence that {@code zCritical} stands for; exact for p = 0 or 1.
     */
    static void assertV1Share(String what, long v1, long v2, double p, double zCritical) {
        long n = v1 + v2;
        assertThat(n).as("%s: number of requests", what).isPositive();
        if (p == 0 || p == 1) {
            assertThat(p == 1 ? v2 : v1).as("%s: requests to the weight-0 destination (v1=%d, v2=%d)", what, v1, v2)
                    .isZero();
            return;
        }
        double z = z(v1, n, p);
        double share = (double) v1 / n;
        assertThat(Math.abs(z))
                .as("%s: v1 got %d of %d (%.4f) against the weight's %.4f: z = %.2f, allowed |z| < %.4f",
                        what, v1, n, share, p, z, zCritical)
                .isLessThan(zCritical);
    }
}
