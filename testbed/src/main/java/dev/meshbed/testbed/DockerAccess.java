package dev.meshbed.testbed;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.testcontainers.DockerClientFactory;

/**
 * The Docker engine through Testcontainers, with the checks that keep it from hanging
 * (../shared/reference/environment.md): the environment Testcontainers reads only from the
 * process environment, and a time limit on finding the engine at all.
 */
public final class DockerAccess {

    /** How long finding and pinging the Docker engine may take. */
    public static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(15);

    private DockerAccess() {
    }

    /**
     * What is wrong with the environment for the launcher's use of Testcontainers (empty if nothing):
     * <ul>
     * <li>{@code TESTCONTAINERS_RYUK_DISABLED=true}: Ryuk would remove the cluster as soon as the
     *     launcher exits (and its image may not be pullable);
     * <li>{@code TESTCONTAINERS_HOST_OVERRIDE} where {@code /.dockerenv} exists: without it
     *     Testcontainers believes it runs in a container and pulls alpine to find its gateway (and
     *     hangs where it cannot).
     * </ul>
     */
    public static List<String> environmentProblems(Map<String, String> env, boolean dockerenvExists) {
        List<String> problems = new ArrayList<>();
        if (!"true".equalsIgnoreCase(env.getOrDefault("TESTCONTAINERS_RYUK_DISABLED", "").trim())) {
            problems.add("TESTCONTAINERS_RYUK_DISABLED=true is not set: Testcontainers' Ryuk would remove the cluster "
                    + "when the launcher exits (scripts/testbed.sh sets it)");
        }
        if (dockerenvExists && env.getOrDefault("TESTCONTAINERS_HOST_OVERRIDE", "").isBlank()) {
            problems.add("TESTCONTAINERS_HOST_OVERRIDE is not set and /.dockerenv exists: Testcontainers would try to "
                    + "pull alpine to find its gateway (set TESTCONTAINERS_HOST_OVERRIDE=localhost; scripts/testbed.sh does)");
        }
        return problems;
    }

    /** {@link #environmentProblems(Map, boolean)} for this process. */
    public static List<String> environmentProblems() {
        return environmentProblems(System.getenv(), Files.exists(Path.of("/.dockerenv")));
    }

    /**
     * Testcontainers' Docker client, once the engine has answered.
     *
     * @throws TestbedException ({@link TestbedException#MISSING}) if no engine answers within {@code timeout}
     */
    public static DockerClient client(Duration timeout) {
        CompletableFuture<DockerClient> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(DockerClientFactory.instance().client());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "meshbed-docker-probe");
        t.setDaemon(true);
        t.start();
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new TestbedException("the Docker engine did not answer within " + timeout.toSeconds() + " s",
                    TestbedException.MISSING);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new TestbedException("no Docker engine answers (" + firstLine(cause.getMessage()) + "); start Docker "
                    + "(docker info must work) or point DOCKER_HOST at it", TestbedException.MISSING);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted", TestbedException.FAILED);
        }
    }

    /** Whether the engine has {@code image} locally ({@code docker image inspect}). */
    public static boolean imagePresent(DockerClient docker, String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
