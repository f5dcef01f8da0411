package dev.meshbed.testbed;

import static java.util.Objects.requireNonNull;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.PullResponseItem;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.utility.DockerImageName;

/**
 * Pulls an image through the Docker engine, as {@code docker pull} does, with a progress line
 * every few seconds ({@link PullProgress}). It never hangs: when the engine reports nothing for
 * {@link #STALL}, the pull is given up. A failure is one line saying why, registry unreachable
 * first among the reasons ({@link #reason}), and ends {@code up} before anything started.
 */
final class ImagePull {

    /** How long the engine may stay silent before the pull is given up. */
    static final Duration STALL = Duration.ofSeconds(60);
    /** How often a progress line is printed. */
    static final Duration EVERY = Duration.ofSeconds(5);

    private static final List<String> UNREACHABLE = List.of("no such host", "dial tcp", "i/o timeout",
            "connection refused", "network is unreachable", "no route to host", "tls handshake timeout",
            "client.timeout", "context deadline exceeded", "temporary failure in name resolution",
            "server misbehaving", "connection reset", "no answer");
    private static final List<String> NOT_FOUND = List.of("manifest unknown", "not found", "does not exist");
    private static final List<String> DENIED = List.of("unauthorized", "denied", "authentication required");
    private static final Pattern JSON_MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    private ImagePull() {
    }

    /** Pulls {@code image}, with {@link #STALL} and {@link #EVERY}. */
    static void pull(DockerClient docker, String image, PrintStream out) {
        pull(docker, image, out, STALL, EVERY);
    }

    /**
     * Pulls {@code image}; prints {@code pulling IMAGE: 3/7 layers, 45.2 of 71.3 MB (12 s)} every
     * {@code every}, and a last line when done.
     *
     * @throws TestbedException ({@link TestbedException#MISSING}) when the pull fails or stalls for {@code stall}
     */
    static void pull(DockerClient docker, String image, PrintStream out, Duration stall, Duration every) {
        requireNonNull(docker, "docker");
        requireNonNull(image, "image");
        DockerImageName name = DockerImageName.parse(image);
        PullProgress progress = new PullProgress();
        AtomicLong lastEvent = new AtomicLong(System.nanoTime());
        AtomicReference<String> streamError = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        long start = System.nanoTime();
        long lastPrint = start;
        out.printf("pulling %s ...%n", image);
        // Completion is awaited on a latch of its own: docker-java's timed awaitCompletion closes the
        // stream (and so ends the pull) when it times out.
        ResultCallback.Adapter<PullResponseItem> callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(PullResponseItem item) {
                lastEvent.set(System.nanoTime());
                if (item.isErrorIndicated()) {
                    var error = item.getErrorDetail();
                    streamError.compareAndSet(null, error != null && error.getMessage() != null ? error.getMessage()
                            : "the engine reported an error (last: " + progress.lastStatus() + ")");
                }
                var detail = item.getProgressDetail();
                progress.accept(item.getId(), item.getStatus(), detail == null ? null : detail.getCurrent(),
                        detail == null ? null : detail.getTotal());
            }

            @Override
            public void onError(Throwable t) {
                failed.compareAndSet(null, t); // said once, by the caller: not logged here
                done.countDown();
            }

            @Override
            public void onComplete() {
                super.onComplete();
                done.countDown();
            }
        };
        try {
            docker.pullImageCmd(name.getUnversionedPart()).withTag(name.getVersionPart()).exec(callback);
            while (!done.await(250, TimeUnit.MILLISECONDS)) {
                long now = System.nanoTime();
                if (now - lastEvent.get() > stall.toNanos()) {
                    throw failure(image, name, "no answer from the Docker engine for " + stall.toSeconds()
                            + " s (last: " + progress.line() + ")");
                }
                if (now - lastPrint >= every.toNanos()) {
                    out.printf("  pulling %s: %s (%d s)%n", image, progress.line(), Testbed.secondsSince(start));
                    lastPrint = now;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted while pulling " + image, TestbedException.FAILED);
        } catch (TestbedException e) {
            throw e;
        } catch (RuntimeException e) {
            throw failure(image, name, e.getMessage());
        } finally {
            try {
                callback.close();
            } catch (IOException ignored) {
                // the stream is gone either way
            }
        }
        if (failed.get() != null) {
            throw failure(image, name, failed.get().getMessage());
        }
        if (streamError.get() != null) {
            throw failure(image, name, streamError.get());
        }
        if (!DockerAccess.imagePresent(docker, image)) {
            throw failure(image, name, "the engine finished without the image (last: " + progress.lastStatus() + ")");
        }
        out.printf("  pulled %s: %s (%d s)%n", image, progress.line(), Testbed.secondsSince(start));
    }

    private static TestbedException failure(String image, DockerImageName name, String message) {
        return new TestbedException("pulling " + image + " failed: " + reason(message, name.getRegistry())
                + ". Without registry access: docker save it where it can be pulled and docker load it here, or "
                + "name one you have (K3S_IMAGE=rancher/k3s:<tag>); K3S_PULL=never stops without trying",
                TestbedException.MISSING);
    }

    /**
     * Why a pull failed, in a few words before the engine's own message (made one line): the
     * registry is unreachable (DNS, connect, TLS, timeouts), has no such image, refused (rate limit,
     * access), or has no variant for the engine's platform.
     */
    static String reason(String engineMessage, String registry) {
        String m = oneLine(engineMessage);
        String lower = m.toLowerCase(Locale.ROOT);
        String where = registry == null || registry.isBlank() || registry.equals("docker.io")
                ? "Docker Hub, registry-1.docker.io" : registry;
        if (UNREACHABLE.stream().anyMatch(lower::contains)) {
            return "the registry is unreachable (" + where + "): " + m;
        }
        if (lower.contains("toomanyrequests") || lower.contains("rate limit")) {
            return "the registry refused: pull rate limit reached (" + where + "; docker login raises it): " + m;
        }
        if (lower.contains("no matching manifest")) {
            return "the image has no variant for the Docker engine's platform: " + m;
        }
        if (NOT_FOUND.stream().anyMatch(lower::contains)) {
            return "the registry has no such image (" + where + "): " + m;
        }
        if (DENIED.stream().anyMatch(lower::contains)) {
            return "the registry denied access (" + where + "; docker login?): " + m;
        }
        return m.isEmpty() ? "no reason given" : m;
    }

    /** The engine's {@code "message"} if the text holds one, else the text; on one line. */
    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        Matcher json = JSON_MESSAGE.matcher(s);
        String m = json.find() ? json.group(1).replace("\\\"", "\"").replace("\\\\", "\\") : s;
        return m.replaceAll("\\s+", " ").trim();
    }
}
