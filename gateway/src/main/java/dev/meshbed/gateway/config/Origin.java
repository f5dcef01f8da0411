package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

/**
 * Where a resource came from: a file (and the line its document starts on) or another source such
 * as the Kubernetes API ({@code line} 0 when unknown).
 */
public record Origin(String source, int line) {

    public Origin {
        requireNonNull(source, "source");
        if (line < 0) {
            throw new IllegalArgumentException("line: " + line + " (expected: >= 0)");
        }
    }

    public Origin atLine(int newLine) {
        return new Origin(source, newLine);
    }

    /** {@code routing/reviews.yaml:14}, or just the source when the line is unknown. */
    @Override
    public String toString() {
        return line > 0 ? source + ":" + line : source;
    }
}
