package dev.meshbed.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SampleCommandTest {

    @Test
    void defaultsWithoutFlagsOrEnvironment() {
        SampleConfig config = run(Map.of()).config;

        assertThat(config).isEqualTo(new SampleConfig("v1", "0.0.0.0", 8080, null, Duration.ZERO, 0));
        assertThat(config.instanceFor(8080)).isEqualTo("sample-v1-8080");
    }

    @Test
    void environmentSetsWhatFlagsLeaveOut() {
        Map<String, String> environment = Map.of("VERSION", "v2", "PORT", "9090", "BIND", "127.0.0.1",
                "POD_NAME", "app-v2-abc", "HOSTNAME", "host", "LATENCY", "1.5s", "ERROR_RATE", "0.25");

        SampleConfig config = run(environment).config;

        assertThat(config).isEqualTo(
                new SampleConfig("v2", "127.0.0.1", 9090, "app-v2-abc", Duration.ofMillis(1500), 0.25));
    }

    @Test
    void flagsWinOverEnvironment() {
        Map<String, String> environment = Map.of("VERSION", "v2", "PORT", "9090", "BIND", "127.0.0.1",
                "POD_NAME", "app-v2-abc", "LATENCY", "1s", "ERROR_RATE", "0.25");

        SampleConfig config = run(environment, "--version", "v3", "--port", "0", "--bind", "::1",
                "--instance", "mine", "--latency", "50ms", "--error-rate", "1").config;

        assertThat(config).isEqualTo(new SampleConfig("v3", "::1", 0, "mine", Duration.ofMillis(50), 1));
    }

    @Test
    void instanceFallsBackFromPodNameToHostnameToVersionAndPort() {
        assertThat(run(Map.of("HOSTNAME", "box")).config.instance()).isEqualTo("box");
        assertThat(run(Map.of("POD_NAME", "", "HOSTNAME", "box")).config.instance()).isEqualTo("box");
        assertThat(run(Map.of("POD_NAME", "pod", "HOSTNAME", "box")).config.instance()).isEqualTo("pod");
        assertThat(run(Map.of(), "--port", "18081").config.instanceFor(18081)).isEqualTo("sample-v1-18081");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--port|70000|--port: 70000 (expected: 0-65535)",
        "--port|http|--port: http (expected: 0-65535)",
        "--error-rate|1.5|--error-rate: 1.5 (expected: 0 <= rate <= 1)",
        "--error-rate|abc|--error-rate: abc (expected: 0 <= rate <= 1)",
        "--error-rate|NaN|--error-rate: NaN (expected: 0 <= rate <= 1)",
        "--latency|fast|--latency: fast (expected: a duration like 50ms, 1.5s or 0, at most 1h)",
        "--latency|2h|--latency: 2h (expected: a duration like 50ms, 1.5s or 0, at most 1h)",
        "--version|v 1|--version: v 1 (expected: 1-63 letters, digits, '.', '_' or '-')",
        "--bind|no-such-host.invalid|--bind: no-such-host.invalid (expected: an address or a resolvable host name)",
        "--instance|' '|--instance:   (expected: a non-blank name)",
    })
    void badFlagValuesExitWith2AndOneLineNamingOptionAndValue(String option, String value, String message) {
        Outcome outcome = run(Map.of(), option, value);

        assertThat(outcome.exitCode).isEqualTo(2);
        assertThat(outcome.err).isEqualTo(message + System.lineSeparator());
        assertThat(outcome.config).as("not started").isNull();
    }

    @Test
    void badEnvironmentValueNamesTheVariableToo() {
        Outcome outcome = run(Map.of("ERROR_RATE", "1.5"));

        assertThat(outcome.exitCode).isEqualTo(2);
        assertThat(outcome.err).isEqualTo(
                "--error-rate (env ERROR_RATE): 1.5 (expected: 0 <= rate <= 1)" + System.lineSeparator());
    }

    @Test
    void aGoodFlagHidesABadVariable() {
        assertThat(run(Map.of("PORT", "x"), "--port", "1").config.port()).isEqualTo(1);
    }

    @Test
    void unknownOptionExitsWith2InOneLine() {
        Outcome outcome = run(Map.of(), "--nope");

        assertThat(outcome.exitCode).isEqualTo(2);
        assertThat(outcome.err.lines()).containsExactly("Unknown option: '--nope'");
    }

    @Test
    void helpListsTheOptionsAndExitsWith0() {
        Outcome outcome = run(Map.of(), "--help");

        assertThat(outcome.exitCode).isZero();
        assertThat(outcome.out).contains("--version", "--port", "--bind", "--instance", "--latency",
                "--error-rate", "-h, --help");
        assertThat(outcome.config).isNull();
    }

    @Test
    void theServersExitCodeIsTheApps() {
        StringWriter err = new StringWriter();
        int exitCode = SampleApp.execute(new String[0], Map.of(), config -> 1,
                new PrintWriter(new StringWriter()), new PrintWriter(err));

        assertThat(exitCode).isEqualTo(1);
    }

    private static Outcome run(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicReference<SampleConfig> served = new AtomicReference<>();
        int exitCode = SampleApp.execute(args, environment, config -> {
            served.set(config);
            return 0;
        }, new PrintWriter(out, true), new PrintWriter(err, true));
        if (served.get() != null) {
            assertThat(err.toString()).isEmpty();
        }
        return new Outcome(exitCode, served.get(), out.toString(), err.toString());
    }

    private record Outcome(int exitCode, SampleConfig config, String out, String err) {
    }
}
