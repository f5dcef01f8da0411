package dev.meshbed.gateway.source;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Logs a failure that repeats (a directory that cannot be listed, retried every second) without
 * flooding the log: the first failure at once, then at most one line per interval with how many
 * attempts failed meanwhile, and one line when it works again. Thread-safe.
 */
final class FailureLog {

    private final Logger log;
    private final String what;
    private final String consequence;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private long failures;
    private long failuresSinceLogged;
    private long firstFailureNanos;
    private long lastLoggedNanos;

    /**
     * @param what what failed, for {@code "cannot " + what}, e.g. {@code list config directory /etc/meshbed}
     * @param consequence what happens meanwhile, e.g. {@code the last good routing table keeps serving}
     */
    FailureLog(Logger log, String what, String consequence, long intervalMillis, LongSupplier nanoClock) {
        this.log = requireNonNull(log, "log");
        this.what = requireNonNull(what, "what");
        this.consequence = requireNonNull(consequence, "consequence");
        if (intervalMillis < 0) {
            throw new IllegalArgumentException("intervalMillis: " + intervalMillis + " (expected: >= 0)");
        }
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
    }

    synchronized void failed(Exception cause) {
        long now = nanoClock.getAsLong();
        failures++;
        if (failures == 1) {
            firstFailureNanos = now;
            lastLoggedNanos = now;
            log.warn("cannot {}: {}; {}, retrying every second", what, cause.toString(), consequence);
            return;
        }
        failuresSinceLogged++;
        if (now - lastLoggedNanos >= intervalNanos) {
            log.warn("still cannot {} ({} failed attempts in {} s): {}; {}", what, failuresSinceLogged,
                    TimeUnit.NANOSECONDS.toSeconds(now - lastLoggedNanos), cause.toString(), consequence);
            lastLoggedNanos = now;
            failuresSinceLogged = 0;
        }
    }

    synchronized void succeeded() {
        if (failures > 0) {
            log.info("can {} again, after {} failed attempts in {} s", what, failures,
                    TimeUnit.NANOSECONDS.toSeconds(nanoClock.getAsLong() - firstFailureNanos));
            failures = 0;
            failuresSinceLogged = 0;
        }
    }

    synchronized boolean failing() {
        return failures > 0;
    }
}
