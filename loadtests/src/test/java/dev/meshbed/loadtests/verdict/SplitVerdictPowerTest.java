package dev.meshbed.loadtests.verdict;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.random.Well19937c;
import org.junit.jupiter.api.Test;

/**
 * The bar for the verdict at the default request count (4000, what the load scenarios
 * send by default) and confidence (99 %): a 3-point deviation (80/20 against 77/23) detected at
 * least 95 % of the time, and a false alarm on a true 80/20 at most 1 % of the time.
 *
 * <p>Shown twice: by simulating many runs of known distributions (seeded, so the test is
 * repeatable), and exactly, by summing the binomial probabilities of every count the verdict
 * rejects (which is what the simulation estimates).
 */
class SplitVerdictPowerTest {

    static final int N = 4000;
    static final int RUNS = 20_000;
    static final double CONFIDENCE = 0.99;
    static final Map<String, Integer> WEIGHTS = Map.of("v1", 80, "v2", 20);

    @Test
    void simulatedRunsDetectThreePointsAndRarelyRaiseFalseAlarms() {
        double falseAlarms = rejectionRate(0.80, 1);
        double detections = rejectionRate(0.77, 2);
        System.out.printf("verdict at n=%d, %.0f%% confidence over %d simulated runs: false alarms %.2f%%, "
                + "3-point deviation detected %.2f%%%n", N, 100 * CONFIDENCE, RUNS, 100 * falseAlarms, 100 * detections);
        assertThat(detections).as("power against 77/23").isGreaterThanOrEqualTo(0.95);
        // The simulation estimates a rate of at most 1 % with a standard error of about 0.07 points
        // at 20,000 runs; the exact figure is asserted below.
        assertThat(falseAlarms).as("false alarms on a true 80/20").isLessThanOrEqualTo(0.0125);
    }

    @Test
    void exactSizeAndPowerMeetTheBar() {
        BinomialDistribution h0 = new BinomialDistribution(N, 0.80);
        BinomialDistribution h1 = new BinomialDistribution(N, 0.77);
        double size = 0;
        double power = 0;
        for (int k = 2800; k <= 3500; k++) { // outside this range both probabilities are below 1e-12
            if (!SplitVerdict.evaluate(Map.of("v1", (long) k, "v2", (long) (N - k)), WEIGHTS, CONFIDENCE).pass()) {
                size += h0.probability(k);
                power += h1.probability(k);
            }
        }
        size += h0.cumulativeProbability(2799) + (1 - h0.cumulativeProbability(3500));
        power += h1.cumulativeProbability(2799) + (1 - h1.cumulativeProbability(3500));
        System.out.printf("verdict at n=%d, %.0f%% confidence, exactly: false alarm %.3f%%, power %.2f%%%n",
                N, 100 * CONFIDENCE, 100 * size, 100 * power);
        assertThat(size).as("exact false-alarm probability").isLessThanOrEqualTo(0.01);
        assertThat(power).as("exact probability of detecting 77/23").isGreaterThanOrEqualTo(0.95);
    }

    private static double rejectionRate(double trueShare, long seed) {
        BinomialDistribution v1 = new BinomialDistribution(new Well19937c(seed), N, trueShare);
        Map<Long, Boolean> verdicts = new HashMap<>(); // a run's verdict depends on its count only
        int rejected = 0;
        for (int i = 0; i < RUNS; i++) {
            long k = v1.sample();
            boolean pass = verdicts.computeIfAbsent(k,
                    c -> SplitVerdict.evaluate(Map.of("v1", c, "v2", N - c), WEIGHTS, CONFIDENCE).pass());
            if (!pass) {
                rejected++;
            }
        }
        return (double) rejected / RUNS;
    }
}
