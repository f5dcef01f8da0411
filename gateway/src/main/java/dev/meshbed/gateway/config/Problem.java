package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

/**
 * One thing wrong with a resource, found by {@link StrictModelChecker} or {@link ResourceValidator}.
 *
 * @param fieldPath where, in JSON names from the resource root, e.g. {@code spec.http[0].route[1].weight};
 *     map keys that are not plain words are quoted, e.g. {@code spec.workloadSelector.labels["app.kubernetes.io/name"]}
 * @param message what is wrong, e.g. {@code -3 (expected: >= 0)}
 */
public record Problem(String fieldPath, String message) {

    public Problem {
        requireNonNull(fieldPath, "fieldPath");
        requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return fieldPath + ": " + message;
    }
}
