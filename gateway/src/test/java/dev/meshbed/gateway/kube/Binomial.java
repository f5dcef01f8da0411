package dev.meshbed.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local ITs' split statistics (their {@code Split}), for this package. Each request is routed on
 * its own with probability p = weight / sum, so the number of hits among n is Binomial(n, p); for n
 * in the hundreds or more (n p (1 - p) at least 30 in every check here) z = (k/n - p) / sqrt(p(1-p)/n)
 * is about standard normal, and a check fails when |z| > 3.8906: 99.99 % confidence, two-sided. A
 * correct gateway fails one check with probability 0.01 %; this package makes 8 such checks per run,
 * so a false alarm in at most 0.08 % of runs (union bound). Shares 0 and 1 are checked exactly.
 */
final class Binomial {

    /** Two-sided 99.99 %: P(|Z| > 3.8906) = 0.0001 for a standard normal Z. */
    static final double Z_9999 = 3.8906;

    private Binomial() {
    }

    static double z(long k, long n, double p) {
        return ((double) k / n - p) / Math.sqrt(p * (1 - p) / n);
    }

    /** Asserts that {@code k} hits of {@code n} are consistent with share {@code p} at 99.99 % (exact for 0 and 1). */
    static void assertShare(String what, long k, long n, double p) {
        assertThat(n).as("%s: number of requests", what).isPositive();
        if (p == 0 || p == 1) {
            assertThat(p == 1 ? n - k : k).as("%s: %d of %d against an exact share of %s", what, k, n, p).isZero();
            return;
        }
        double z = z(k, n, p);
        assertThat(Math.abs(z))
                .as("%s: %d of %d (%.4f) against the weight's %.4f: z = %.2f, allowed |z| < %.4f",
                        what, k, n, (double) k / n, p, z, Z_9999)
                .isLessThan(Z_9999);
    }

    /** The 0..1 quantile of sorted values by the nearest-rank method (p99 of 50 values is the largest). */
    static long quantile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
