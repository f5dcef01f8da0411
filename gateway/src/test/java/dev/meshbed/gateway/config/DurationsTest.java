package dev.meshbed.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "2s        | PT2S",
        "1.5s      | PT1.5S",
        "100ms     | PT0.1S",
        "1h30m     | PT1H30M",
        "1h0m0.5s  | PT1H0.5S",
        "0         | PT0S",
        "0s        | PT0S",
        "+2s       | PT2S",
        ".5s       | PT0.5S",
        "1.s       | PT1S",
        "250us     | PT0.00025S",
        "250µs     | PT0.00025S",
        "250μs     | PT0.00025S",
        "10ns      | PT0.00000001S",
        "90m       | PT1H30M",
        "0.0000000015s | PT0.000000001S",
    })
    void parsesGoDurations(String text, String expected) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.parse(expected));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "''      | \"\" is not a duration (expected e.g. 500ms, 2s, 1m)",
        "fast    | \"fast\" is not a duration (expected e.g. 500ms, 2s, 1m)",
        "s       | \"s\" is not a duration (expected e.g. 500ms, 2s, 1m)",
        ".s      | \".s\" is not a duration (expected e.g. 500ms, 2s, 1m)",
        "'2 s'   | \"2 s\" is not a duration (expected e.g. 500ms, 2s, 1m)",
        "' 2s'   | \" 2s\" is not a duration (expected e.g. 500ms, 2s, 1m)",
        "5       | \"5\" has no unit (expected e.g. 500ms, 2s, 1m)",
        "1s500   | \"1s500\" has no unit (expected e.g. 500ms, 2s, 1m)",
        "5d      | \"5d\" has an unknown unit \"d\" (expected one of ns, us, µs, ms, s, m, h)",
        "2S      | \"2S\" has an unknown unit \"S\" (expected one of ns, us, µs, ms, s, m, h)",
        "-2s     | \"-2s\" is negative (expected: >= 0)",
        "-       | \"-\" is not a duration (expected e.g. 500ms, 2s, 1m)",
        "9999999999h | \"9999999999h\" is too large (expected: < 2562047h)",
    })
    void rejectsWithAMessageSayingWhatIsWrong(String text, String message) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Durations.parse(null)).isInstanceOf(NullPointerException.class).hasMessage("text");
    }
}
