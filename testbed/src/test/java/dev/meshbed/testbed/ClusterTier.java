package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;

/**
 * What the cluster suites share: skipping with one line where a tier cannot run (and failing
 * instead in CI, where every tier this machine can run must run), and the statistical check of a
 * split.
 */
final class ClusterTier {

    /** Requests per measured split: the share's standard error is then at most 2.5 points. */
    static final int SAMPLE = 400;

    private ClusterTier() {
    }

    /** In CI ({@code CI=true}) a tier may not be skipped. */
    static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv().getOrDefault("CI", ""));
    }

    /**
     * Skips the test when {@code why} is not null; in CI, fails it instead (the tiers CI's
     * machine can run must run there).
     */
    static void assumeAvailable(String suite, String why) {
        if (why != null && inCi() && mustRunInCi(suite)) {
            fail(suite + " cannot run, and CI=true requires it: " + why);
        }
        assumeTrue(why == null, () -> suite + " skipped: " + why);
    }

    /** The k3s tier needs an image no registry here serves: it may skip in CI too. */
    private static boolean mustRunInCi(String suite) {
        return !suite.startsWith("k3s");
    }

    /**
     * Asserts that {@code version}'s share of {@code counts} is consistent with {@code expected}
     * (a two-sided z-test at 99.9 %; with 0 or 1, exactly), and that nothing else answered.
     */
    static void assertShare(Map<String, Integer> counts, String version, double expected, String where) {
        assertThat(counts.keySet()).as(where + ": only v1 and v2 answer, " + counts).isSubsetOf("v1", "v2");
        int n = counts.values().stream().mapToInt(Integer::intValue).sum();
        double share = counts.getOrDefault(version, 0) / (double) n;
        System.out.printf("%s: %s, %s share %.3f (expected %.3f, n=%d)%n", where, counts, version, share, expected, n);
        if (expected == 0 || expected == 1) {
            assertThat(share).as(where + " " + counts).isEqualTo(expected);
            return;
        }
        double z = (share - expected) / Math.sqrt(expected * (1 - expected) / n);
        assertThat(Math.abs(z)).as(where + ": %s share %.3f vs %.3f (z = %.2f), %s", version, share, expected, z, counts)
                .isLessThan(3.29);
    }
}
