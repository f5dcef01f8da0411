package dev.meshbed.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ShutdownWatchdogTest {

    @Test
    void haltsWith143OnceTheDeadlineHasPassedAndSaysWhy() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> halted = new CompletableFuture<>();
        ShutdownWatchdog watchdog = new ShutdownWatchdog(300, new PrintStream(err, true, StandardCharsets.UTF_8),
                halted::complete);

        long start = System.nanoTime();
        watchdog.arm();
        assertThat(halted.get(5, TimeUnit.SECONDS)).isEqualTo(143);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(millis).as("halted after the deadline, not before").isBetween(300L, 3000L);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("stopping took longer than 300 ms; halting");
    }

    @Test
    void neverHaltsUnlessArmed() throws Exception {
        CompletableFuture<Integer> halted = new CompletableFuture<>();
        ShutdownWatchdog watchdog = new ShutdownWatchdog(50, System.err, halted::complete);
        Thread.sleep(300);
        assertThat(halted).isNotDone();
        watchdog.arm();
        watchdog.disarm();
        Thread.sleep(300);
        assertThat(halted).as("disarmed right after arming").isNotDone();
    }

    @Test
    void theDeadlineMustBePositive() {
        assertThatThrownBy(() -> new ShutdownWatchdog(0)).hasMessage("deadlineMillis: 0 (expected: > 0)");
    }
}
