package dev.meshbed.testbed.images;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

/**
 * Waits for the first 200 on {@code path} through the container port's 127.0.0.1 binding, polling
 * every 10 ms (Testcontainers' own HTTP wait polls about once a second, too coarse for a start
 * time), and remembers when it came. Fails early if the container exits.
 */
final class FirstOk extends AbstractWaitStrategy {

    private static final Duration POLL = Duration.ofMillis(10);

    private final int containerPort;
    private final String path;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();
    private volatile Instant firstOk;

    FirstOk(int containerPort, String path) {
        this.containerPort = containerPort;
        this.path = path;
    }

    /** When the first 200 arrived, or null before. */
    Instant firstOk() {
        return firstOk;
    }

    @Override
    protected void waitUntilReady() {
        URI uri = URI.create("http://127.0.0.1:" + waitStrategyTarget.getMappedPort(containerPort) + path);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(1)).GET().build();
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        long nextRunningCheck = System.nanoTime();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    firstOk = Instant.now();
                    return;
                }
                last = "HTTP " + response.statusCode();
            } catch (IOException e) {
                last = e.getClass().getSimpleName();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerLaunchException("interrupted while waiting for " + uri);
            }
            if (System.nanoTime() >= nextRunningCheck) {
                if (!waitStrategyTarget.isRunning()) {
                    throw new ContainerLaunchException("the container exited before " + path + " answered 200; its log:\n"
                            + waitStrategyTarget.getLogs());
                }
                nextRunningCheck = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerLaunchException("interrupted while waiting for " + uri);
            }
        }
        throw new ContainerLaunchException("no 200 from " + uri + " within " + startupTimeout.toSeconds() + " s (last: "
                + last + "); the container's log:\n" + waitStrategyTarget.getLogs());
    }
}
