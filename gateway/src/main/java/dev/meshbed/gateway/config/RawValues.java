package dev.meshbed.gateway.config;

import java.util.List;
import java.util.Map;

/** Describes plain YAML values (as SnakeYAML constructs them) for messages. */
final class RawValues {

    private RawValues() {
    }

    /** {@code a string}, {@code a number}, {@code a boolean}, {@code a list}, {@code a mapping}, {@code null}. */
    static String kindOf(Object raw) {
        if (raw == null) {
            return "null";
        } else if (raw instanceof String) {
            return "a string";
        } else if (raw instanceof Number) {
            return "a number";
        } else if (raw instanceof Boolean) {
            return "a boolean";
        } else if (raw instanceof List<?> || raw instanceof java.util.Set<?>) {
            return "a list";
        } else if (raw instanceof Map<?, ?>) {
            return "a mapping";
        }
        return "a " + raw.getClass().getSimpleName();
    }

    /** A scalar as the user wrote it ({@code "abc"} quoted, {@code 12}, {@code true}), or its kind. */
    static String show(Object raw) {
        if (raw instanceof String s) {
            return "\"" + s + "\"";
        } else if (raw instanceof Number || raw instanceof Boolean) {
            return String.valueOf(raw);
        }
        return kindOf(raw);
    }

    static boolean isScalar(Object raw) {
        return raw instanceof String || raw instanceof Number || raw instanceof Boolean;
    }
}
