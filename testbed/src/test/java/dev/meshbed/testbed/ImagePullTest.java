package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectImageCmd;
import com.github.dockerjava.api.command.PullImageCmd;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Pulling the k3s image: progress as {@code docker pull} shows it, summed up per layer; a pull
 * that gets no answer given up in bounded time; each failure one line with its reason first
 * (registry unreachable, no such image, rate limit, access). The Docker engine is a stand-in that
 * plays the engine's messages.
 */
class ImagePullTest {

    private static final String IMAGE = "rancher/k3s:v1";
    /** What this build machine's engine answers (docker pull, no registry reachable). */
    private static final String NO_SUCH_HOST = "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup "
            + "registry-1.docker.io on 10.255.255.53:53: no such host";

    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(buf, true);

    // ---- progress ----------------------------------------------------------------------------------

    @Test
    void progressSumsUpTheLayers() {
        PullProgress p = new PullProgress();
        assertThat(p.line()).isEqualTo("waiting for the registry");
        p.accept("v1", "Pulling from rancher/k3s", null, null);
        assertThat(p.line()).isEqualTo("v1: Pulling from rancher/k3s");
        p.accept("aaa", "Pulling fs layer", null, null);
        p.accept("bbb", "Pulling fs layer", null, null);
        p.accept("ccc", "Already exists", null, null);
        p.accept("aaa", "Downloading", 1_000_000L, 4_000_000L);
        p.accept("bbb", "Downloading", 500_000L, 60_000_000L);
        assertThat(p.line()).isEqualTo("1/3 layers, 1.5 of 64.0 MB");
        p.accept("aaa", "Verifying Checksum", null, null);
        p.accept("aaa", "Download complete", null, null);
        p.accept("aaa", "Extracting", 32_768L, 4_000_000L);
        p.accept("aaa", "Pull complete", null, null);
        assertThat(p.line()).isEqualTo("2/3 layers, 4.5 of 64.0 MB");
        p.accept("bbb", "Downloading", 60_000_000L, 60_000_000L);
        p.accept("bbb", "Pull complete", null, null);
        p.accept(null, "Digest: sha256:abc", null, null);
        p.accept(null, "Status: Downloaded newer image for rancher/k3s:v1", null, null);
        assertThat(p.line()).isEqualTo("3/3 layers, 64.0 of 64.0 MB");
        assertThat(p.lastStatus()).isEqualTo("Status: Downloaded newer image for rancher/k3s:v1");
    }

    @Test
    void aPullShowsProgressLinesAndAFinalOne() {
        DockerClient docker = engine(cb -> {
            play(cb, "{\"id\":\"v1\",\"status\":\"Pulling from rancher/k3s\"}",
                    "{\"id\":\"aaa\",\"status\":\"Pulling fs layer\"}",
                    "{\"id\":\"bbb\",\"status\":\"Already exists\"}",
                    "{\"id\":\"aaa\",\"status\":\"Downloading\",\"progressDetail\":{\"current\":1000000,\"total\":4000000}}");
            sleep(700);
            play(cb, "{\"id\":\"aaa\",\"status\":\"Download complete\"}", "{\"id\":\"aaa\",\"status\":\"Pull complete\"}",
                    "{\"status\":\"Status: Downloaded newer image for rancher/k3s:v1\"}");
            cb.onComplete();
        }, true);

        ImagePull.pull(docker, IMAGE, out, Duration.ofSeconds(5), Duration.ofMillis(100));

        assertThat(buf.toString()).contains("pulling rancher/k3s:v1 ...",
                "pulling rancher/k3s:v1: 1/2 layers, 1.0 of 4.0 MB (0 s)",
                "pulled rancher/k3s:v1: 2/2 layers, 4.0 of 4.0 MB");
    }

    // ---- never hanging -----------------------------------------------------------------------------

    @Test
    void aPullThatGetsNoAnswerIsGivenUpInBoundedTime() {
        DockerClient docker = engine(cb -> {
            // a registry that swallows packets: the engine says nothing
        }, false);
        long t = System.nanoTime();

        assertThatThrownBy(() -> ImagePull.pull(docker, IMAGE, out, Duration.ofSeconds(1), Duration.ofMillis(200)))
                .isInstanceOfSatisfying(TestbedException.class, e -> assertThat(e.exitCode()).isEqualTo(3))
                .hasMessageStartingWith("pulling rancher/k3s:v1 failed: the registry is unreachable (Docker Hub, "
                        + "registry-1.docker.io): no answer from the Docker engine for 1 s (last: waiting for the registry)")
                .hasMessageNotContaining("\n");
        assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(3));
        assertThat(buf.toString()).contains("pulling rancher/k3s:v1: waiting for the registry");
    }

    @Test
    void anUnreachableRegistryIsOneLineSayingSo() {
        DockerClient docker = engine(cb -> cb.onError(new InternalServerErrorException(
                "Status 500: {\"message\":\"" + NO_SUCH_HOST.replace("\"", "\\\"") + "\"}\n")), false);

        assertThatThrownBy(() -> ImagePull.pull(docker, IMAGE, out, Duration.ofSeconds(5), Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(TestbedException.class, e -> assertThat(e.exitCode()).isEqualTo(3))
                .hasMessage("pulling rancher/k3s:v1 failed: the registry is unreachable (Docker Hub, registry-1.docker.io): "
                        + NO_SUCH_HOST + ". Without registry access: docker save it where it can be pulled and docker "
                        + "load it here, or name one you have (K3S_IMAGE=rancher/k3s:<tag>); K3S_PULL=never stops "
                        + "without trying");
    }

    @Test
    void anErrorInTheStreamFailsThePull() {
        DockerClient docker = engine(cb -> {
            play(cb, "{\"errorDetail\":{\"message\":\"toomanyrequests: You have reached your pull rate limit.\"},"
                    + "\"error\":\"toomanyrequests: You have reached your pull rate limit.\"}");
            cb.onComplete();
        }, false);

        assertThatThrownBy(() -> ImagePull.pull(docker, IMAGE, out, Duration.ofSeconds(5), Duration.ofSeconds(1)))
                .hasMessageStartingWith("pulling rancher/k3s:v1 failed: the registry refused: pull rate limit reached");
    }

    @Test
    void anEngineThatEndsWithoutTheImageFailsThePull() {
        DockerClient docker = engine(ResultCallback::onComplete, false);

        assertThatThrownBy(() -> ImagePull.pull(docker, IMAGE, out, Duration.ofSeconds(5), Duration.ofSeconds(1)))
                .hasMessageContaining("the engine finished without the image");
    }

    // ---- reasons -----------------------------------------------------------------------------------

    @Test
    void reasonsComeFirst() {
        assertThat(ImagePull.reason(NO_SUCH_HOST, "")).startsWith("the registry is unreachable (Docker Hub, ");
        assertThat(ImagePull.reason("Get \"https://ghcr.io/v2/\": net/http: TLS handshake timeout", "ghcr.io"))
                .startsWith("the registry is unreachable (ghcr.io): ");
        assertThat(ImagePull.reason("Get \"https://registry-1.docker.io/v2/\": context deadline exceeded "
                + "(Client.Timeout exceeded while awaiting headers)", "")).startsWith("the registry is unreachable");
        assertThat(ImagePull.reason("manifest for rancher/k3s:v0.0.0 not found: manifest unknown: manifest unknown", ""))
                .startsWith("the registry has no such image (Docker Hub, registry-1.docker.io): manifest for");
        assertThat(ImagePull.reason("pull access denied for rancher/k3z, repository does not exist or may require "
                + "'docker login': denied: requested access to the resource is denied", ""))
                .startsWith("the registry has no such image");
        assertThat(ImagePull.reason("unauthorized: authentication required", "reg.example"))
                .startsWith("the registry denied access (reg.example; docker login?)");
        assertThat(ImagePull.reason("no matching manifest for linux/arm64/v8 in the manifest list entries", ""))
                .startsWith("the image has no variant for the Docker engine's platform");
        assertThat(ImagePull.reason(null, "")).isEqualTo("no reason given");
    }

    @Test
    void theEnginesMessageIsTakenOutOfItsJsonAndMadeOneLine() {
        assertThat(ImagePull.oneLine("Status 404: {\"message\":\"No such image: \\\"x\\\"\"}\n"))
                .isEqualTo("No such image: \"x\"");
        assertThat(ImagePull.oneLine("first\n  second")).isEqualTo("first second");
    }

    // ---- a stand-in engine -------------------------------------------------------------------------

    /** An engine whose pull plays {@code pull} on a thread of its own; asked afterwards, it has the image or not. */
    private static DockerClient engine(Consumer<ResultCallback<PullResponseItem>> pull, boolean presentAfter) {
        InvocationHandler pullCmd = (proxy, method, args) -> {
            if (method.getName().equals("exec")) {
                @SuppressWarnings("unchecked")
                ResultCallback<PullResponseItem> cb = (ResultCallback<PullResponseItem>) args[0];
                Thread t = new Thread(() -> pull.accept(cb), "stand-in-pull");
                t.setDaemon(true);
                t.start();
                return cb;
            }
            return method.getReturnType().isInstance(proxy) ? proxy : null;
        };
        InvocationHandler inspectCmd = (proxy, method, args) -> {
            if (method.getName().equals("exec")) {
                if (presentAfter) {
                    return null;
                }
                throw new NotFoundException("No such image: " + IMAGE);
            }
            return method.getReturnType().isInstance(proxy) ? proxy : null;
        };
        InvocationHandler client = (proxy, method, args) -> switch (method.getName()) {
            case "pullImageCmd" -> proxy(PullImageCmd.class, pullCmd);
            case "inspectImageCmd" -> proxy(InspectImageCmd.class, inspectCmd);
            default -> throw new UnsupportedOperationException(method.getName());
        };
        return proxy(DockerClient.class, client);
    }

    private static <T> T proxy(Class<T> type, InvocationHandler h) {
        return type.cast(Proxy.newProxyInstance(ImagePullTest.class.getClassLoader(), new Class<?>[] {type}, h));
    }

    private static void play(ResultCallback<PullResponseItem> cb, String... items) {
        ObjectMapper json = new ObjectMapper();
        for (String item : items) {
            try {
                cb.onNext(json.readValue(item, PullResponseItem.class));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
