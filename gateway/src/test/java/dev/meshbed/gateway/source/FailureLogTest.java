package dev.meshbed.gateway.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class FailureLogTest {

    private final List<String> lines = new ArrayList<>();
    private final AtomicLong now = new AtomicLong();
    /** Records "level: format" of every warn and info call. */
    private final Logger logger = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(),
            new Class<?>[] {Logger.class}, (proxy, method, args) -> {
                if ((method.getName().equals("warn") || method.getName().equals("info")) && args != null) {
                    lines.add(method.getName() + ": " + args[0]);
                }
                return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
            });
    private final FailureLog failures = new FailureLog(logger, "list config directory /c", "the table keeps serving",
            60_000, now::get);

    @Test
    void aFailureEverySecondIsLoggedOnceAMinuteAndTheRecoveryOnce() {
        for (int second = 0; second < 180; second++) {
            now.set(TimeUnit.SECONDS.toNanos(second));
            failures.failed(new IOException("Too many open files"));
        }
        assertThat(failures.failing()).isTrue();
        failures.succeeded();
        failures.succeeded();

        assertThat(lines).as("180 failures, one a second, then two successes").containsExactly(
                "warn: cannot {}: {}; {}, retrying every second",
                "warn: still cannot {} ({} failed attempts in {} s): {}; {}",
                "warn: still cannot {} ({} failed attempts in {} s): {}; {}",
                "info: can {} again, after {} failed attempts in {} s");
        assertThat(failures.failing()).isFalse();
    }

    @Test
    void successWithoutFailureLogsNothing() {
        failures.succeeded();
        assertThat(lines).isEmpty();
    }
}
