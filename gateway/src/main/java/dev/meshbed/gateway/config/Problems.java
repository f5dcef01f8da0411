package dev.meshbed.gateway.config;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Collects {@link Problem}s for one resource and holds the checks every kind uses, so that the
 * same mistake reads the same everywhere ({@code 70000 (expected: 1..65535)}).
 */
final class Problems {

    private final List<Problem> problems = new ArrayList<>();

    void add(String path, String message) {
        problems.add(new Problem(path, message));
    }

    List<Problem> toList() {
        return List.copyOf(problems);
    }

    /** Reports {@code required} when the value is null or an empty string; returns whether it was present. */
    boolean required(String path, Object value) {
        if (value == null || (value instanceof String s && s.isEmpty())) {
            add(path, "required");
            return false;
        }
        return true;
    }

    /** A required list: {@code required} when null or empty. */
    boolean nonEmpty(String path, Collection<?> values) {
        if (values == null || values.isEmpty()) {
            add(path, "required");
            return false;
        }
        return true;
    }

    /** Visits the non-null elements of a possibly null list; a null element is reported as {@code required}. */
    <T> void forEach(String path, List<T> values, BiConsumer<String, T> check) {
        if (values == null) {
            return;
        }
        for (int i = 0; i < values.size(); i++) {
            String itemPath = FieldPath.index(path, i);
            T value = values.get(i);
            if (value == null) {
                add(itemPath, "required");
            } else {
                check.accept(itemPath, value);
            }
        }
    }

    void port(String path, Number port) {
        range(path, port, 1, 65535);
    }

    void range(String path, Number value, long min, long max) {
        if (value != null && (value.longValue() < min || value.longValue() > max)) {
            add(path, value + " (expected: " + min + ".." + max + ")");
        }
    }

    void nonNegative(String path, Number value) {
        if (value != null && value.longValue() < 0) {
            add(path, value + " (expected: >= 0)");
        }
    }

    void percentage(String path, Double value) {
        if (value != null && (value.isNaN() || value < 0 || value > 100)) {
            add(path, format(value) + " (expected: 0..100)");
        }
    }

    void duration(String path, String value) {
        if (value == null) {
            return;
        }
        try {
            Durations.parse(value);
        } catch (IllegalArgumentException e) {
            add(path, e.getMessage());
        }
    }

    /**
     * A duration as Istio's webhook takes it for timeouts, intervals and ages: at least 1ms, in
     * whole milliseconds (Envoy's granularity).
     */
    void istioDuration(String path, String value) {
        if (value == null) {
            return;
        }
        java.time.Duration duration;
        try {
            duration = Durations.parse(value);
        } catch (IllegalArgumentException e) {
            add(path, e.getMessage());
            return;
        }
        if (duration.compareTo(java.time.Duration.ofMillis(1)) < 0) {
            add(path, "\"" + value + "\" (expected: >= 1ms)");
        } else if (duration.getNano() % 1_000_000 != 0) {
            add(path, "\"" + value + "\" (expected: whole milliseconds)");
        }
    }

    /** Istio's fractional percentage: 0, or 0.0001..100. */
    void fractionalPercentage(String path, Double value) {
        if (value != null && (value.isNaN() || value < 0 || value > 100 || (value > 0 && value < 0.0001))) {
            add(path, format(value) + " (expected: 0 or 0.0001..100)");
        }
    }

    void regex(String path, String value) {
        if (value == null) {
            return;
        }
        if (value.isEmpty()) {
            add(path, "regex string match should not be empty (Istio's validation)");
            return;
        }
        try {
            Regexes.compile(value);
        } catch (Regexes.InvalidRegexException e) {
            add(path, "\"" + value + "\" is not a valid regular expression: " + e.getMessage());
        }
    }

    /** Reports when more than one of the named values is present, or none when one is required. */
    void exactlyOne(String path, boolean required, List<String> names, List<Boolean> present) {
        List<String> found = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (present.get(i)) {
                found.add(names.get(i));
            }
        }
        if (found.size() > 1) {
            add(path, "only one of " + String.join(", ", names) + " may be set (found: " + String.join(", ", found) + ")");
        } else if (found.isEmpty() && required) {
            add(path, "one of " + String.join(", ", names) + " is required");
        }
    }

    private static String format(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? String.valueOf(value)
                : BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}
