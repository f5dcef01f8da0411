package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

/**
 * Why a new connection is answered 503 at once, and whether it lingers: a lingering refusal reads
 * and drops what the client still sends for a moment, so that its request does not meet a reset
 * that could destroy the answer; a refusal that must give its descriptor back at once closes.
 */
record Refusal(String body, boolean linger) {

    /** Refusals lingering at once, at most; past them a refusal closes at once (a flood must not hold descriptors). */
    static final int MAX_LINGERING = 32;

    static final Refusal NO_DESCRIPTORS = new Refusal("out of file descriptors: try again later\n", false);

    Refusal {
        requireNonNull(body, "body");
    }

    static Refusal connectionLimit(int max, int over) {
        return new Refusal("connection limit reached (" + max + " open): try again later\n", over <= MAX_LINGERING);
    }
}
