package dev.meshbed.loadtests.verdict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SplitVerdictTest {

    static final Map<String, Integer> W80_20 = Map.of("v1", 80, "v2", 20);

    @Test
    void aSplitOnTheWeightsPasses() {
        SplitVerdict v = SplitVerdict.evaluate(Map.of("v1", 3210L, "v2", 790L), W80_20, 0.99);
        assertThat(v.pass()).isTrue();
        assertThat(v.test()).isEqualTo("exact binomial");
        assertThat(v.total()).isEqualTo(4000);
        assertThat(v.pValue()).isBetween(0.5, 1.0);
        assertThat(v.maxDeviationPoints()).isCloseTo(0.25, within(1e-9));
        assertThat(v.line("EdgeSplit", "http://127.0.0.1:18080", "r/index.html"))
                .startsWith("EdgeSplit http://127.0.0.1:18080: v1 80.3% [")
                .contains("(expected 80.0%), v2 19.8% [")
                .contains("n=4000; exact binomial p=")
                .contains("PASS at 99% confidence")
                .endsWith("; report r/index.html");
    }

    @Test
    void threePointsOffFailsAndSaysByHowMuch() {
        SplitVerdict v = SplitVerdict.evaluate(Map.of("v1", 3080L, "v2", 920L), W80_20, 0.99);
        assertThat(v.pass()).isFalse();
        assertThat(v.pValue()).isLessThan(0.01);
        assertThat(v.maxDeviationPoints()).isCloseTo(3.0, within(1e-9));
        assertThat(v.line("EdgeSplit", "t", null)).contains("FAIL at 99% confidence").contains("max deviation 3.0 points");
    }

    @Test
    void weightZeroMustGetNothingAndUnknownVersionsCountAgainst() {
        assertThat(SplitVerdict.evaluate(Map.of("v1", 1000L), Map.of("v1", 100, "v2", 0), 0.99).pass()).isTrue();
        SplitVerdict zero = SplitVerdict.evaluate(Map.of("v1", 999L, "v2", 1L), Map.of("v1", 100, "v2", 0), 0.99);
        assertThat(zero.pass()).isFalse();
        assertThat(zero.reason()).isEqualTo("v2 got 1 responses but has weight 0");
        SplitVerdict stray = SplitVerdict.evaluate(Map.of("v1", 3200L, "v2", 800L, "none", 3L), W80_20, 0.99);
        assertThat(stray.pass()).isFalse();
        assertThat(stray.reason()).isEqualTo("none got 3 responses but has no weight");
        assertThat(SplitVerdict.evaluate(Map.of(), W80_20, 0.99).reason()).isEqualTo("no responses were counted");
    }

    @Test
    void threeVersionsUseChiSquare() {
        Map<String, Integer> w = Map.of("v1", 50, "v2", 30, "v3", 20);
        SplitVerdict ok = SplitVerdict.evaluate(Map.of("v1", 2010L, "v2", 1190L, "v3", 800L), w, 0.99);
        assertThat(ok.test()).isEqualTo("chi-square (2 df)");
        assertThat(ok.pass()).isTrue();
        assertThat(SplitVerdict.evaluate(Map.of("v1", 1800L, "v2", 1400L, "v3", 800L), w, 0.99).pass()).isFalse();
    }

    @Test
    void badWeightsAreRejectedWithAClearMessage() {
        assertThatThrownBy(() -> SplitVerdict.shares(Map.of("v1", 0, "v2", 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: at least one positive weight");
        Map<String, Integer> negative = new LinkedHashMap<>();
        negative.put("v1", -3);
        assertThatThrownBy(() -> SplitVerdict.shares(negative)).hasMessage("weight of v1: -3 (expected: a number >= 0)");
        assertThatThrownBy(() -> SplitVerdict.evaluate(Map.of("v1", 1L), W80_20, 1.0))
                .hasMessage("confidence: 1.0 (expected: 0 < confidence < 1)");
    }

    @Test
    void wilsonIntervalMatchesTheTextbook() {
        // 80 of 100 at 95 %: [0.7112, 0.8666] (Wilson 1927; e.g. Newcombe 1998, method 3)
        double[] w = SplitVerdict.wilson(80, 100, 1.959964);
        assertThat(w[0]).isCloseTo(0.7112, within(1e-4));
        assertThat(w[1]).isCloseTo(0.8666, within(1e-4));
    }

    @Test
    void jsonCarriesTheVerdict() {
        String json = SplitVerdict.evaluate(Map.of("v1", 3210L, "v2", 790L), W80_20, 0.99)
                .toJson("EdgeSplit", "http://x", "r/index.html");
        assertThat(json).contains("\"verdict\" : \"PASS\"").contains("\"requests\" : 4000")
                .contains("\"version\" : \"v2\"").contains("\"report\" : \"r/index.html\"");
    }
}
