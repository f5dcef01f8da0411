package dev.meshbed.loadtests.shift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshbed.loadtests.VersionTally;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShiftPlanTest {

    @Test
    void stepsShareTheRunEqually() {
        ShiftPlan p = ShiftPlan.parse("100-0,90-10,50-50,0-100", List.of("v1", "v2"), Duration.ofSeconds(40),
                Duration.ofMillis(1500));
        assertThat(p.steps()).hasSize(4);
        assertThat(p.stepLength()).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.startOffsetMillis(3)).isEqualTo(30_000);
        assertThat(ShiftPlan.name(p.steps().get(1))).isEqualTo("90-10");
    }

    @Test
    void badPlansAreNamed() {
        assertThatThrownBy(() -> ShiftPlan.parse("90-10", List.of("v1", "v2"), Duration.ofSeconds(40), Duration.ofSeconds(1)))
                .hasMessageContaining("at least 2");
        assertThatThrownBy(() -> ShiftPlan.parse("90-10,50-50,0-100", List.of("v1", "v2"), Duration.ofSeconds(3),
                Duration.ofMillis(1500))).hasMessageContaining("run longer");
    }

    @Test
    void eachStepIsJudgedOnItsSettledWindow() {
        ShiftPlan p = ShiftPlan.parse("100-0,0-100", List.of("v1", "v2"), Duration.ofSeconds(20), Duration.ofSeconds(2));
        VersionTally t = new VersionTally();
        long start = 1_000_000;
        for (long ms = 0; ms < 20_000; ms += 10) {
            // the gateway takes 1 s to converge after the write at 10 s: those v1 responses are not held against 0-100
            t.record(ms < 11_000 ? "v1" : "v2", start + ms);
        }
        ShiftVerdict v = ShiftVerdict.evaluate(p, List.of(start, start + 10_000), start + 20_000, t, 0, 0.99, start);
        assertThat(v.pass()).isTrue();
        assertThat(v.steps().get(1).verdict().total()).isEqualTo(800);
        assertThat(v.lines("WeightShift", "t", null)).contains("2 steps, 2 of them consistent").endsWith("PASS");

        ShiftVerdict failed = ShiftVerdict.evaluate(p, List.of(start, start + 10_000), start + 20_000, t, 3, 0.99, start);
        assertThat(failed.pass()).as("a failed request fails the shift").isFalse();

        ShiftVerdict early = ShiftVerdict.evaluate(
                ShiftPlan.parse("100-0,0-100", List.of("v1", "v2"), Duration.ofSeconds(20), Duration.ofMillis(100)),
                List.of(start, start + 10_000), start + 20_000, t, 0, 0.99, start);
        assertThat(early.pass()).as("judged before the change took effect").isFalse();
        assertThat(early.steps().get(1).verdict().reason()).contains("v1 got");

        ShiftVerdict unwritten = ShiftVerdict.evaluate(p, List.of(start, 0L), start + 20_000, t, 0, 0.99, start);
        assertThat(unwritten.pass()).as("a step whose write failed fails the shift").isFalse();
        assertThat(unwritten.lines("WeightShift", "t", null)).contains("2 steps, 0 of them consistent");
    }

    @Test
    void theStatedConfidenceHoldsForTheWholeRun() {
        assertThat(ShiftVerdict.perStepConfidence(0.99, 4)).isCloseTo(0.9975, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(ShiftVerdict.perStepConfidence(0.99, 1)).isCloseTo(0.99, org.assertj.core.api.Assertions.within(1e-12));
        assertThatThrownBy(() -> ShiftVerdict.perStepConfidence(0.99, 0)).hasMessage("steps: 0 (expected: >= 1)");

        // the CI run that failed: 598 v1 of 640 at 90-10 (93.4%, exact binomial p=0.003), one of four steps
        ShiftPlan p = ShiftPlan.parse("100-0,90-10,50-50,0-100", List.of("v1", "v2"), Duration.ofSeconds(40),
                Duration.ofMillis(1000));
        long start = 1_000_000;
        ShiftVerdict v = ShiftVerdict.evaluate(p, List.of(start, start + 10_000, start + 20_000, start + 30_000),
                start + 40_000, steps(start, 598, 640), 0, 0.99, start);
        assertThat(v.steps().get(1).verdict().pValue()).isBetween(0.0025, 0.01);
        assertThat(v.steps().get(1).verdict().confidence()).isCloseTo(0.9975, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(v.pass()).as("p=0.003 is within what four right steps produce at 99% over the run").isTrue();
        assertThat(v.lines("WeightShift", "t", null)).contains("PASS at 99.75% confidence")
                .contains("4 steps, 4 of them consistent with their weights (99% confidence over the run)");

        // a 90-10 step that really went 80-20 still fails
        ShiftVerdict off = ShiftVerdict.evaluate(p, List.of(start, start + 10_000, start + 20_000, start + 30_000),
                start + 40_000, steps(start, 512, 640), 0, 0.99, start);
        assertThat(off.pass()).isFalse();
        assertThat(off.steps().get(1).verdict().pass()).isFalse();
    }

    /** 100-0, then {@code v1} of {@code n} at the 90-10 step, then 50-50 and 0-100 exactly, in 10 s windows. */
    private static VersionTally steps(long start, int v1, int n) {
        VersionTally t = new VersionTally();
        for (int i = 0; i < 640; i++) {
            t.record("v1", start + 1_000 + i * 13L);
        }
        for (int i = 0; i < n; i++) {
            t.record(i < v1 ? "v1" : "v2", start + 11_000 + i * 13L);
        }
        for (int i = 0; i < 640; i++) {
            t.record(i % 2 == 0 ? "v1" : "v2", start + 21_000 + i * 13L);
            t.record("v2", start + 31_000 + i * 13L);
        }
        return t;
    }
}
