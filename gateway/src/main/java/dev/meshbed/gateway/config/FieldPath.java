package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Builds and parses field paths such as {@code spec.http[0].route[1].weight}. Paths are plain
 * strings (that is what {@link Problem} and {@link Rejection} carry); this class keeps the one
 * quoting rule in one place so that a path built by a checker can be parsed back to find the
 * line of the field in the YAML.
 */
final class FieldPath {

    /** Keys made only of these characters are written bare; anything else is quoted. */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_-]+");

    private FieldPath() {
    }

    /** {@code base.name}, or {@code base["na.me"]} when the name is not a plain word. */
    static String field(String base, String name) {
        requireNonNull(base, "base");
        requireNonNull(name, "name");
        if (!PLAIN.matcher(name).matches()) {
            return base + "[" + quote(name) + "]";
        }
        return base.isEmpty() ? name : base + "." + name;
    }

    static String index(String base, int index) {
        requireNonNull(base, "base");
        return base + "[" + index + "]";
    }

    /**
     * The segments of a path: {@code String} for a mapping key, {@code Integer} for a list index.
     * Lenient: a malformed tail is dropped, since the result is only used to find a line number.
     */
    static List<Object> parse(String path) {
        requireNonNull(path, "path");
        List<Object> segments = new ArrayList<>();
        int i = 0;
        int n = path.length();
        while (i < n) {
            char c = path.charAt(i);
            if (c == '.') {
                i++;
            } else if (c == '[') {
                if (i + 1 < n && path.charAt(i + 1) == '"') {
                    StringBuilder key = new StringBuilder();
                    int j = i + 2;
                    while (j < n && path.charAt(j) != '"') {
                        if (path.charAt(j) == '\\' && j + 1 < n) {
                            j++;
                        }
                        key.append(path.charAt(j));
                        j++;
                    }
                    segments.add(key.toString());
                    i = path.indexOf(']', j);
                    if (i < 0) {
                        return segments;
                    }
                    i++;
                } else {
                    int end = path.indexOf(']', i);
                    if (end < 0) {
                        return segments;
                    }
                    try {
                        segments.add(Integer.parseInt(path.substring(i + 1, end)));
                    } catch (NumberFormatException e) {
                        return segments;
                    }
                    i = end + 1;
                }
            } else {
                int j = i;
                while (j < n && path.charAt(j) != '.' && path.charAt(j) != '[') {
                    j++;
                }
                segments.add(path.substring(i, j));
                i = j;
            }
        }
        return segments;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
