package dev.meshbed.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What {@code up} found, as {@code KEY=value} lines that a shell sources ({@code . target/testbed/testbed.env})
 * and Java reads back ({@link #read}): values are single-quoted where they need it, the shell's way
 * ({@code 'it'\''s'}). Comments start with {@code #}.
 */
public final class TestbedEnv {

    public static final String FILE_NAME = "testbed.env";

    private static final Pattern KEY = Pattern.compile("[A-Z_][A-Z0-9_]*");
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:@%+,=-]+");

    private final Map<String, String> values;

    private TestbedEnv(Map<String, String> values) {
        this.values = values;
    }

    public static TestbedEnv of(Map<String, String> values) {
        values.keySet().forEach(k -> {
            if (!KEY.matcher(k).matches()) {
                throw new IllegalArgumentException("not a shell variable name: " + k);
            }
        });
        return new TestbedEnv(Collections.unmodifiableMap(new LinkedHashMap<>(values)));
    }

    public Map<String, String> values() {
        return values;
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String require(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new TestbedException(FILE_NAME + " has no " + key, TestbedException.FAILED);
        }
        return v;
    }

    /** The file's text, {@code header} as comment lines first. */
    public String format(String header) {
        StringBuilder sb = new StringBuilder();
        for (String line : header.split("\n", -1)) {
            if (!line.isEmpty()) {
                sb.append("# ").append(line).append('\n');
            }
        }
        // exported: `. testbed.env` then hands KUBECONFIG and the rest to kubectl, curl and make
        values.forEach((k, v) -> sb.append("export ").append(k).append('=').append(quote(v)).append('\n'));
        return sb.toString();
    }

    /** Writes atomically (a temporary file moved into place). */
    public void write(Path file, String header) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, format(header), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    /** The file, or empty if it does not exist. */
    public static Optional<TestbedEnv> read(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    public static TestbedEnv parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            if (eq <= 0 || !KEY.matcher(line.substring(0, eq)).matches()) {
                throw new IllegalArgumentException("not KEY=value: " + raw);
            }
            out.put(line.substring(0, eq), unquote(line.substring(eq + 1)));
        }
        return new TestbedEnv(Collections.unmodifiableMap(out));
    }

    static String quote(String value) {
        if (!value.isEmpty() && PLAIN.matcher(value).matches()) {
            return value;
        }
        return "'" + value.replace("'", "'\\''") + "'";
    }

    /** Undoes {@link #quote}: single-quoted runs, backslash-escaped characters and plain characters, concatenated. */
    static String unquote(String text) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\'') {
                int end = text.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated quote: " + text);
                }
                sb.append(text, i + 1, end);
                i = end + 1;
            } else if (c == '\\' && i + 1 < text.length()) {
                sb.append(text.charAt(i + 1));
                i += 2;
            } else if (c == '"') {
                int end = text.indexOf('"', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated quote: " + text);
                }
                sb.append(text, i + 1, end);
                i = end + 1;
            } else {
                sb.append(c);
                i++;
            }
        }
        return sb.toString();
    }
}
