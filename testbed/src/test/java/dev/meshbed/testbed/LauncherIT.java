package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The launcher as users run it (java -jar testbed/target/testbed.jar, and scripts/testbed.sh),
 * where it must be fast: {@code up} without the k3s image and told not to pull it (or without
 * Docker, or without the Testcontainers settings) stops within seconds and says what to do; told
 * to pull an image no registry here has, it stops in bounded time with one line saying why;
 * {@code down} and {@code status} with nothing running are fine. Each run is timed.
 */
class LauncherIT {

    /**
     * "Within seconds" as against a hang or a pull: a JVM start and Docker's answers, which took 21 s
     * on a 2-core machine busy compiling beside it (5 s when idle).
     */
    private static final Duration FAST = Duration.ofSeconds(45);
    /** A pull that cannot succeed: the engine's answer, or the launcher giving up after its stall time. */
    private static final Duration PULL_BOUND = ImagePull.STALL.plus(FAST);
    private static final String ABSENT_IMAGE = "rancher/k3s:v0.0.0-meshbed-absent";

    private final Project project = Project.locate(null);
    private final String name = "it-launcher-" + ProcessHandle.current().pid();

    private record Run(int exit, String out, String err, Duration took) {
        String all() {
            return out + err;
        }
    }

    private Run run(Map<String, String> env, boolean inheritTestcontainersEnv, List<String> command)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(project.root().toFile());
        if (!inheritTestcontainersEnv) {
            pb.environment().keySet().removeIf(k -> k.startsWith("TESTCONTAINERS_"));
        }
        pb.environment().putAll(env);
        Path out = Files.createTempFile("launcher", ".out");
        Path err = Files.createTempFile("launcher", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        long t = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("no end within 120 s: " + command);
        }
        Run r = new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), Duration.ofNanos(System.nanoTime() - t));
        Files.delete(out);
        Files.delete(err);
        System.out.printf("%s -> exit %d in %d ms%n  %s%n", String.join(" ", command.subList(Math.max(0,
                command.size() - 6), command.size())), r.exit(), r.took().toMillis(), r.all().trim().replace("\n", "\n  "));
        return r;
    }

    private List<String> jar(String... args) {
        Path jar = project.root().resolve("testbed/target/testbed.jar");
        assertThat(jar).as("the launcher jar (package phase)").isRegularFile();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "--root", project.root().toString(), "--name", name));
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Test
    void upWithoutTheK3sImageAndNoPullStopsWithinSecondsAndSaysWhatToDo() throws Exception {
        Run r = run(Map.of(), true, jar("up", "--k3s-image", ABSENT_IMAGE, "--k3s-pull", "never"));

        assertThat(r.exit()).as(r.all()).isEqualTo(TestbedException.MISSING);
        assertThat(r.took()).isLessThan(FAST);
        assertThat(r.err()).contains("cannot start the testbed; nothing was started");
        if (r.err().contains("no Docker engine answers") || r.err().contains("did not answer")) {
            System.out.println("(no Docker engine here: the same fast stop, for that reason)");
        } else {
            assertThat(r.err()).contains("the k3s image " + ABSENT_IMAGE + " is not present",
                    "K3S_PULL=never", "docker pull " + ABSENT_IMAGE);
        }
        assertThat(Files.exists(project.stateDir(name))).as("nothing written").isFalse();
    }

    @Test
    void upPullsAMissingK3sImageAndStopsInBoundedTimeWithOneLineWhenNoRegistryHasIt() throws Exception {
        Run r = run(Map.of(), true, jar("up", "--k3s-image", ABSENT_IMAGE));

        assertThat(r.exit()).as(r.all()).isEqualTo(TestbedException.MISSING);
        assertThat(r.took()).isLessThan(PULL_BOUND);
        if (r.err().contains("no Docker engine answers") || r.err().contains("did not answer")) {
            System.out.println("(no Docker engine here: a fast stop before any pull)");
            return;
        }
        assertThat(r.out()).contains("pulling " + ABSENT_IMAGE);
        // one line: the reason, whether no registry answers (CI) or the registry has no such tag (a laptop;
        // or refuses: a rate limit)
        assertThat(r.err().lines().filter(l -> l.contains("pulling " + ABSENT_IMAGE + " failed: "))).singleElement()
                .asString().containsAnyOf("the registry is unreachable", "the registry has no such image",
                        "the registry refused", "the registry denied access")
                .contains("K3S_PULL=never");
        assertThat(Files.exists(project.stateDir(name).resolve(TestbedEnv.FILE_NAME))).as("nothing written").isFalse();
    }

    @Test
    void upWithoutTheTestcontainersSettingsStopsAtOnce() throws Exception {
        Run r = run(Map.of(), false, jar("up"));

        assertThat(r.exit()).isEqualTo(TestbedException.MISSING);
        assertThat(r.took()).isLessThan(FAST);
        assertThat(r.err()).contains("TESTCONTAINERS_RYUK_DISABLED=true is not set");
    }

    @Test
    void downAndStatusWithNothingRunningAreFine() throws Exception {
        Run down = run(Map.of(), true, jar("down"));
        assertThat(down.exit()).as(down.all()).isZero();
        assertThat(down.took()).isLessThan(FAST);
        assertThat(down.out()).containsAnyOf("nothing to remove: no container labelled dev.meshbed.testbed=" + name,
                "nothing to remove: no Docker engine answers");

        Run status = run(Map.of(), true, jar("status"));
        assertThat(status.exit()).as(status.all()).isZero();
        assertThat(status.took()).isLessThan(FAST);
        assertThat(status.out()).containsAnyOf("testbed '" + name + "': not running", "unknown -- no Docker engine");
    }

    @Test
    void theScriptChecksItsArgumentsFirst() throws Exception {
        String script = project.root().resolve("scripts/testbed.sh").toString();
        Run usage = run(Map.of(), true, List.of(script, "start"));
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("scripts/testbed.sh up", "scripts/testbed.sh weights W=90:10");
        Run weights = run(Map.of(), true, List.of(script, "weights"));
        assertThat(weights.exit()).isEqualTo(2);
        assertThat(weights.err()).contains("weights needs W");
        Run registry = run(Map.of(), true, List.of(script, "up", "IMAGE_REGISTRY=reg.example"));
        assertThat(registry.exit()).isEqualTo(2);
    }
}
