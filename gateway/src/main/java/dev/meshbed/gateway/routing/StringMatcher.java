package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.config.Re2Pattern;

/** A compiled Istio StringMatch: exact, prefix, regex (full match), or mere presence. */
public abstract sealed class StringMatcher {

    /** Whether {@code value} (null when absent) matches. */
    public abstract boolean matches(String value);

    /** For the config dump, in Istio's terms, e.g. {@code prefix: /api}. */
    public abstract String describe();

    public static StringMatcher exact(String value, boolean ignoreCase) {
        return new Exact(value, ignoreCase);
    }

    public static StringMatcher prefix(String value, boolean ignoreCase) {
        return new Prefix(value, ignoreCase);
    }

    public static StringMatcher regex(Re2Pattern pattern) {
        return new Regex(pattern);
    }

    public static StringMatcher present() {
        return Present.INSTANCE;
    }

    @Override
    public String toString() {
        return describe();
    }

    static final class Exact extends StringMatcher {
        private final String value;
        private final boolean ignoreCase;

        Exact(String value, boolean ignoreCase) {
            this.value = requireNonNull(value, "value");
            this.ignoreCase = ignoreCase;
        }

        @Override
        public boolean matches(String v) {
            return v != null && (ignoreCase ? v.equalsIgnoreCase(value) : v.equals(value));
        }

        @Override
        public String describe() {
            return "exact: " + value + (ignoreCase ? " (ignore case)" : "");
        }
    }

    static final class Prefix extends StringMatcher {
        private final String value;
        private final boolean ignoreCase;

        Prefix(String value, boolean ignoreCase) {
            this.value = requireNonNull(value, "value");
            this.ignoreCase = ignoreCase;
        }

        String value() {
            return value;
        }

        @Override
        public boolean matches(String v) {
            return v != null && v.regionMatches(ignoreCase, 0, value, 0, value.length());
        }

        @Override
        public String describe() {
            return "prefix: " + value + (ignoreCase ? " (ignore case)" : "");
        }
    }

    static final class Regex extends StringMatcher {
        private final Re2Pattern pattern;

        Regex(Re2Pattern pattern) {
            this.pattern = requireNonNull(pattern, "pattern");
        }

        @Override
        public boolean matches(String v) {
            return v != null && pattern.matches(v);
        }

        @Override
        public String describe() {
            return "regex: " + pattern.pattern();
        }
    }

    static final class Present extends StringMatcher {
        static final Present INSTANCE = new Present();

        @Override
        public boolean matches(String v) {
            return v != null;
        }

        @Override
        public String describe() {
            return "present";
        }
    }
}
