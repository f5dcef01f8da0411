package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Map;

/**
 * Parses Istio duration strings. Istio's YAML takes Go {@code time.ParseDuration} syntax, not
 * ISO-8601: one or more {@code <decimal><unit>} terms such as {@code 2s}, {@code 1.5s},
 * {@code 100ms} or {@code 1h30m}. Unlike Go, negative durations are rejected: no Istio field
 * (timeouts, TTLs, delays) has a meaning for them.
 */
public final class Durations {

    private static final String EXAMPLES = "(expected e.g. 500ms, 2s, 1m)";
    private static final String UNIT_NAMES = "ns, us, µs, ms, s, m, h";

    /** Nanoseconds per unit. Both micro signs are accepted, as Go does (U+00B5 and U+03BC). */
    private static final Map<String, Long> NANOS_PER_UNIT = Map.of(
            "ns", 1L,
            "us", 1_000L,
            "\u00b5s", 1_000L,
            "\u03bcs", 1_000L,
            "ms", 1_000_000L,
            "s", 1_000_000_000L,
            "m", 60_000_000_000L,
            "h", 3_600_000_000_000L);

    private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);

    private Durations() {
    }

    /**
     * @throws IllegalArgumentException with a message naming the text and what is wrong, e.g.
     *     {@code "fast" is not a duration (expected e.g. 500ms, 2s, 1m)}
     */
    public static Duration parse(String text) {
        requireNonNull(text, "text");
        String s = text;
        boolean negative = false;
        if (s.startsWith("-") || s.startsWith("+")) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        // Go's special case: a bare zero needs no unit.
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty()) {
            throw notADuration(text);
        }
        BigDecimal nanos = BigDecimal.ZERO;
        int i = 0;
        int n = s.length();
        while (i < n) {
            int start = i;
            while (i < n && isDigit(s.charAt(i))) {
                i++;
            }
            boolean digitsBeforePoint = i > start;
            boolean digitsAfterPoint = false;
            if (i < n && s.charAt(i) == '.') {
                i++;
                int fractionStart = i;
                while (i < n && isDigit(s.charAt(i))) {
                    i++;
                }
                digitsAfterPoint = i > fractionStart;
            }
            if (!digitsBeforePoint && !digitsAfterPoint) {
                throw notADuration(text);
            }
            BigDecimal number = new BigDecimal(s.substring(start, i));
            int unitStart = i;
            while (i < n && !isDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            String unit = s.substring(unitStart, i);
            if (unit.isEmpty()) {
                throw new IllegalArgumentException(quote(text) + " has no unit " + EXAMPLES);
            }
            Long perUnit = NANOS_PER_UNIT.get(unit);
            if (perUnit == null) {
                if (unit.chars().allMatch(Character::isLetter)) {
                    throw new IllegalArgumentException(quote(text) + " has an unknown unit " + quote(unit)
                            + " (expected one of " + UNIT_NAMES + ")");
                }
                throw notADuration(text);
            }
            nanos = nanos.add(number.multiply(BigDecimal.valueOf(perUnit)));
        }
        if (negative) {
            throw new IllegalArgumentException(quote(text) + " is negative (expected: >= 0)");
        }
        // Fractions of a nanosecond are dropped, like Go does.
        BigInteger whole = nanos.toBigInteger();
        if (whole.compareTo(MAX_NANOS) > 0) {
            throw new IllegalArgumentException(quote(text) + " is too large (expected: < 2562047h)");
        }
        return Duration.ofNanos(whole.longValueExact());
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static IllegalArgumentException notADuration(String text) {
        return new IllegalArgumentException(quote(text) + " is not a duration " + EXAMPLES);
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
