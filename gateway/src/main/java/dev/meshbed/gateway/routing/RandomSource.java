package dev.meshbed.gateway.routing;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Where weighted picks and random load balancing get their numbers. Injectable so that tests can
 * make a pick deterministic; production uses {@link #threadLocal()}.
 */
@FunctionalInterface
public interface RandomSource {

    /** A uniformly distributed int in {@code [0, bound)}; {@code bound > 0}. */
    int nextInt(int bound);

    /** Per-thread generator: no contention between event loops. */
    static RandomSource threadLocal() {
        return bound -> ThreadLocalRandom.current().nextInt(bound);
    }
}
