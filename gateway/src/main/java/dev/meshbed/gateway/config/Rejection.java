package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

/**
 * Why a resource (or a whole file) was not applied. Rendered the same way in the log and in
 * {@code /config_dump}: which file, which resource, which field, what is wrong.
 *
 * @param key the resource, or null when the document could not even be identified
 * @param origin the file and line (or other source)
 * @param field the path of the offending field, e.g. {@code spec.http[0].route[1].weight}, or null
 * @param message what is wrong, e.g. {@code "abc" is not a number}
 */
public record Rejection(ResourceKey key, Origin origin, String field, String message) {

    public Rejection {
        requireNonNull(origin, "origin");
        requireNonNull(message, "message");
    }

    /** A copy that says the previous version of the resource keeps serving. */
    public Rejection keepingLastGood() {
        return message.endsWith(KEEPING) ? this : new Rejection(key, origin, field, message + KEEPING);
    }

    private static final String KEEPING = " (the last accepted version keeps serving)";

    /**
     * {@code VirtualService default/reviews (routing/reviews.yaml:14): spec.http[0].route[1].weight: "abc" is not a number}.
     */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        if (key != null) {
            sb.append(key).append(" (").append(origin).append(")");
        } else {
            sb.append(origin);
        }
        sb.append(": ");
        if (field != null && !field.isEmpty()) {
            sb.append(field).append(": ");
        }
        return sb.append(message).toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
