package dev.meshbed.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationParserTest {

    @ParameterizedTest
    @CsvSource({
        "0, 0",
        "0ms, 0",
        "50ms, 50000000",
        "1.5s, 1500000000",
        "2m, 120000000000",
        "1h, 3600000000000",
        "250us, 250000",
        "7ns, 7",
        "' 10ms ', 10000000",
    })
    void readsNumbersWithUnits(String text, long nanos) {
        assertThat(DurationParser.parse(text)).isEqualTo(Duration.ofNanos(nanos));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fast", "", "50", "-1s", "1.5", "ms", "1 s", "1.s", "5d", "99999999999999999999h"})
    void refusesAnythingElse(String text) {
        assertThatThrownBy(() -> DurationParser.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
