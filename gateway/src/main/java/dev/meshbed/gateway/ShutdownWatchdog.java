package dev.meshbed.gateway;

import static java.util.Objects.requireNonNull;

import java.io.PrintStream;
import java.util.function.IntConsumer;

/**
 * Makes SIGTERM always end the process: the shutdown hook arms it first, and if stopping has not
 * finished by the deadline (an event loop that does not terminate, a heap so full that the hook
 * crawls), it halts the JVM. The thread is created up front, so that arming it needs no
 * allocation beyond starting it.
 */
final class ShutdownWatchdog {

    /** Exit status after a halt: 128 + SIGTERM, as a JVM that ends after SIGTERM reports. */
    static final int HALT_STATUS = 143;

    private final Thread thread;

    /** Halts with {@link Runtime#halt} after {@code deadlineMillis}, saying so on stderr. */
    ShutdownWatchdog(long deadlineMillis) {
        this(deadlineMillis, System.err, status -> Runtime.getRuntime().halt(status));
    }

    ShutdownWatchdog(long deadlineMillis, PrintStream err, IntConsumer halt) {
        if (deadlineMillis <= 0) {
            throw new IllegalArgumentException("deadlineMillis: " + deadlineMillis + " (expected: > 0)");
        }
        requireNonNull(err, "err");
        requireNonNull(halt, "halt");
        this.thread = new Thread(() -> {
            try {
                Thread.sleep(deadlineMillis);
            } catch (InterruptedException e) {
                return;
            }
            err.println("gateway: stopping took longer than " + deadlineMillis + " ms; halting");
            err.flush();
            halt.accept(HALT_STATUS);
        }, "meshbed-shutdown-watchdog");
        thread.setDaemon(true);
    }

    /** Starts the countdown; call once, first thing in the shutdown hook. */
    void arm() {
        thread.start();
    }

    /** Stops the countdown (tests; a real shutdown ends with the JVM). */
    void disarm() {
        thread.interrupt();
    }
}
