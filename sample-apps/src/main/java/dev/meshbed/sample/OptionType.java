package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * How the text of one option becomes a value, and what a valid value is. The rules are
 * {@link SampleConfig}'s, so a flag and an in-JVM caller are held to the same ones.
 */
record OptionType<T>(Function<String, T> parser, Predicate<T> rule, String expected) {

    static final OptionType<String> VERSION =
            new OptionType<>(Function.identity(), SampleConfig::isValidVersion, SampleConfig.VERSION_EXPECTED);
    // Resolved here so that a typo is a usage error (exit 2) rather than a failure to listen.
    static final OptionType<String> BIND = new OptionType<>(Function.identity(),
            bind -> SampleConfig.isValidBind(bind) && !new InetSocketAddress(bind, 0).isUnresolved(),
            SampleConfig.BIND_EXPECTED);
    static final OptionType<Integer> PORT =
            new OptionType<>(text -> Integer.valueOf(text.trim()), SampleConfig::isValidPort, SampleConfig.PORT_EXPECTED);
    static final OptionType<String> INSTANCE =
            new OptionType<>(Function.identity(), SampleConfig::isValidInstance, SampleConfig.INSTANCE_EXPECTED);
    static final OptionType<Duration> LATENCY =
            new OptionType<>(DurationParser::parse, SampleConfig::isValidLatency, SampleConfig.LATENCY_EXPECTED);
    // BigDecimal rather than Double.parseDouble, which would also take "NaN", "Infinity" and "0.5f".
    static final OptionType<Double> ERROR_RATE = new OptionType<>(
            text -> new BigDecimal(text.trim()).doubleValue(), SampleConfig::isValidErrorRate,
            SampleConfig.ERROR_RATE_EXPECTED);

    OptionType {
        requireNonNull(parser, "parser");
        requireNonNull(rule, "rule");
        requireNonNull(expected, "expected");
    }

    /**
     * @param name how the message names the option, e.g. {@code --port} or {@code --port (env PORT)}
     * @throws InvalidOptionException if {@code text} does not parse or breaks the rule
     */
    T read(String name, String text) {
        T value;
        try {
            value = parser.apply(text);
        } catch (IllegalArgumentException e) { // NumberFormatException included
            throw invalid(name, text);
        }
        if (!rule.test(value)) {
            throw invalid(name, text);
        }
        return value;
    }

    private InvalidOptionException invalid(String name, String text) {
        return new InvalidOptionException(name + ": " + text + " (" + expected + ")");
    }
}
