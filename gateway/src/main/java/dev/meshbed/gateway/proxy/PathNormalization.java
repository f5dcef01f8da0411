package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How request paths are normalised before routes match them and the upstream receives them:
 * Istio's {@code meshConfig.pathNormalization}, whose default is {@link #BASE}. Each level does
 * what the one before it does, and more.
 */
public enum PathNormalization {
    /** The path as the client sent it. Istio warns that this setting is open to CVE-2021-31920. */
    NONE,
    /**
     * Envoy's {@code normalize_path}: RFC 3986 dot segments removed, percent-escapes of unreserved
     * characters ({@code %2e}, {@code %41}, ...) decoded, backslashes turned into slashes; a path
     * with {@code %00} or a malformed escape is answered 400.
     */
    BASE,
    /** {@link #BASE}, then runs of slashes merged into one (Envoy's {@code merge_slashes}). */
    MERGE_SLASHES,
    /**
     * {@code %2F} and {@code %5C} decoded first (Envoy's {@code path_with_escaped_slashes_action:
     * UNESCAPE_AND_FORWARD}), then {@link #MERGE_SLASHES}.
     */
    DECODE_AND_MERGE_SLASHES;

    /** Istio's default. */
    public static final PathNormalization DEFAULT = BASE;

    /** The value of a command-line option, case-insensitive; the message names the choices. */
    public static PathNormalization parse(String option, String text) {
        requireNonNull(text, "text");
        for (PathNormalization p : values()) {
            if (p.name().equals(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'))) {
                return p;
            }
        }
        throw new IllegalArgumentException(option + ": " + text + " (expected: one of "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")) + ")");
    }
}
