package dev.meshbed.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshbed.gateway.config.ConfigLimits;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ConfigLimitOptionsTest {

    private static ConfigLimitOptions parse(String... args) {
        GatewayMain main = new GatewayMain();
        new CommandLine(main).parseArgs(args);
        return main.configLimits;
    }

    @Test
    void defaultsAreTheLimitsDefaults() {
        assertThat(parse("--config", "/c").limits()).isEqualTo(ConfigLimits.defaults());
    }

    @Test
    void everyLimitHasAnOption() {
        assertThat(parse("--config", "/c", "--config-max-file-bytes", "10", "--config-max-total-bytes", "20",
                "--config-max-files", "3", "--config-max-aliases", "4", "--config-max-alias-expansion", "5",
                "--config-max-depth", "6").limits()).isEqualTo(new ConfigLimits(10, 20, 3, 4, 5, 6));
    }

    @Test
    void aBadValueNamesTheOption() {
        assertThatThrownBy(() -> parse("--config", "/c", "--config-max-file-bytes", "-3").limits())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--config-max-file-bytes: -3 (expected: >= 1)");
        assertThatThrownBy(() -> parse("--config", "/c", "--config-max-depth", "0").limits())
                .hasMessage("--config-max-depth: 0 (expected: >= 1)");
    }
}
