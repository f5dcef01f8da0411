package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

/**
 * Normalises the path of a request target (no query, no fragment) the way Envoy does for each
 * {@link PathNormalization} level that Istio offers. A pure function; the escapes it decodes are
 * decoded once (no double decoding: {@code %252e} stays as it is).
 */
final class PathNormalizer {

    private PathNormalizer() {
    }

    /** A path that cannot be normalised: {@code %00}, or a {@code %} without two hex digits. */
    static final class InvalidPath extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidPath(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The normalised path. {@code path} starts with {@code /} (origin form); anything else is
     * returned as it is.
     *
     * @throws InvalidPath when the level normalises and the path holds {@code %00} or a malformed escape
     */
    static String normalize(String path, PathNormalization level) {
        requireNonNull(path, "path");
        requireNonNull(level, "level");
        if (level == PathNormalization.NONE || path.isEmpty() || path.charAt(0) != '/') {
            return path;
        }
        String p = decode(path, level == PathNormalization.DECODE_AND_MERGE_SLASHES);
        p = removeDotSegments(p);
        if (level != PathNormalization.BASE) {
            p = mergeSlashes(p);
        }
        return p;
    }

    /**
     * Decodes escapes of unreserved characters (RFC 3986 2.3: ALPHA, DIGIT, {@code - . _ ~}),
     * and with {@code slashes} those of {@code /} and {@code \}; keeps other escapes as sent;
     * turns {@code \} into {@code /} (as Envoy's canonicaliser does).
     */
    private static String decode(String path, boolean slashes) {
        if (path.indexOf('%') < 0 && path.indexOf('\\') < 0) {
            return path;
        }
        StringBuilder out = new StringBuilder(path.length());
        int n = path.length();
        for (int i = 0; i < n; i++) {
            char c = path.charAt(i);
            if (c == '\\') {
                out.append('/');
            } else if (c != '%') {
                out.append(c);
            } else {
                int hi = i + 2 < n ? Character.digit(path.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(path.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    String escape = path.substring(i, Math.min(i + 3, n));
                    throw new InvalidPath("path: malformed escape \"" + escape + "\" (expected: % and two hex digits)");
                }
                char decoded = (char) (hi << 4 | lo);
                if (decoded == 0) {
                    throw new InvalidPath("path: %00 is not allowed");
                }
                if (unreserved(decoded)) {
                    out.append(decoded);
                } else if (slashes && (decoded == '/' || decoded == '\\')) {
                    out.append('/');
                } else {
                    out.append(path, i, i + 3);
                }
                i += 2;
            }
        }
        return out.toString();
    }

    private static boolean unreserved(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    /** RFC 3986 section 5.2.4 on an absolute path: {@code .} and {@code ..} segments resolved, never above the root. */
    static String removeDotSegments(String path) {
        if (!path.contains("/.")) {
            return path; // a dot segment starts after a slash: /index.html has none
        }
        String[] segments = path.substring(1).split("/", -1);
        String[] out = new String[segments.length];
        int size = 0;
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1;
            if (s.equals(".")) {
                if (last) {
                    out[size++] = "";
                }
            } else if (s.equals("..")) {
                if (size > 0) {
                    size--;
                }
                if (last) {
                    out[size++] = "";
                }
            } else {
                out[size++] = s;
            }
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (int i = 0; i < size; i++) {
            sb.append('/').append(out[i]);
        }
        return sb.length() == 0 ? "/" : sb.toString();
    }

    /** Runs of {@code /} merged into one. */
    static String mergeSlashes(String path) {
        if (!path.contains("//")) {
            return path;
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c != '/' || sb.length() == 0 || sb.charAt(sb.length() - 1) != '/') {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
