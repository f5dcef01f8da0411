package dev.meshbed.loadtests.expect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshbed.loadtests.LoadTestException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExpectedSplitTest {

    @Test
    void parsesVersionWeightPairs() {
        assertThat(ExpectedSplit.parse("v1=80,v2=20").weights()).containsExactly(Map.entry("v1", 80), Map.entry("v2", 20));
        assertThat(ExpectedSplit.parse(" v1:3  v2:1 ").weights()).containsExactly(Map.entry("v1", 3), Map.entry("v2", 1));
        assertThat(ExpectedSplit.parse("v1=100,v2=0").describe()).startsWith("v1 100 %, v2 0 %");
    }

    @Test
    void badWeightsNameTheProblem() {
        assertThatThrownBy(() -> ExpectedSplit.parse("v1=abc,v2=20")).isInstanceOf(LoadTestException.class)
                .hasMessage("WEIGHTS: weight of v1: abc (expected: a whole number >= 0)");
        assertThatThrownBy(() -> ExpectedSplit.parse("v1=-3")).hasMessage("WEIGHTS: weight of v1: -3 (expected: >= 0)");
        assertThatThrownBy(() -> ExpectedSplit.parse("v1=0,v2=0")).hasMessageContaining("at least one positive weight");
        assertThatThrownBy(() -> ExpectedSplit.parse("80/20")).hasMessageContaining("version=weight pairs");
        assertThatThrownBy(() -> ExpectedSplit.parse("v1=1,v1=2")).hasMessageContaining("v1 is given twice");
    }

    @Test
    void stepsAreWeightsInVersionOrder() {
        assertThat(ExpectedSplit.ofStep("90-10", List.of("v1", "v2")).weights())
                .containsExactly(Map.entry("v1", 90), Map.entry("v2", 10));
        assertThatThrownBy(() -> ExpectedSplit.ofStep("90-10-0", List.of("v1", "v2")))
                .hasMessageContaining("STEPS: 90-10-0 (expected: 2 weights");
        assertThatThrownBy(() -> ExpectedSplit.ofStep("ninety-10", List.of("v1", "v2")))
                .hasMessageContaining("ninety is not a weight");
    }
}
