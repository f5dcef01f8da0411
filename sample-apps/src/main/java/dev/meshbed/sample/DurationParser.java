package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads durations the way people write them in flags and manifests: {@code 50ms}, {@code 1.5s}, {@code 0}. */
final class DurationParser {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s|m|h)");
    private static final Map<String, Long> NANOS_PER_UNIT = Map.of(
            "ns", 1L,
            "us", 1_000L,
            "ms", 1_000_000L,
            "s", 1_000_000_000L,
            "m", 60_000_000_000L,
            "h", 3_600_000_000_000L);
    // Beyond this the nanosecond count would not fit a long; nobody means such a latency anyway.
    private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);

    private DurationParser() {
    }

    /**
     * @throws IllegalArgumentException if {@code text} is not a number with a unit, or a bare 0
     *                                  (a bare number other than 0 has no obvious unit)
     */
    static Duration parse(String text) {
        requireNonNull(text, "text");
        String trimmed = text.trim();
        if (trimmed.equals("0")) {
            return Duration.ZERO;
        }
        Matcher matcher = DURATION.matcher(trimmed);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        BigDecimal nanos = new BigDecimal(matcher.group(1))
                .multiply(BigDecimal.valueOf(NANOS_PER_UNIT.get(matcher.group(2))))
                .setScale(0, RoundingMode.HALF_UP);
        if (nanos.compareTo(MAX_NANOS) > 0) {
            throw new IllegalArgumentException("duration too long: " + text);
        }
        return Duration.ofNanos(nanos.longValueExact());
    }
}
