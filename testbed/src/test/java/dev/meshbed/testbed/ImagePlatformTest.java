package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform the images are built for, which must be the node's (Apple Silicon: k3s runs
 * linux/arm64): scripts/lib.sh's {@code platform_of} and {@code image_platform} (PLATFORM, else
 * the Docker engine's architecture, else this machine's), the launcher's {@link Platforms} agreeing
 * with them, and scripts/images.sh passing the choice to Jib and stopping on a local base of
 * another platform. Docker and Maven are stand-ins: nothing is built.
 */
class ImagePlatformTest {

    @TempDir
    Path tmp;

    private static Path root() {
        String root = System.getProperty("meshbed.root");
        return root != null ? Path.of(root).toAbsolutePath().normalize() : Project.locate(null).root();
    }

    private record Run(int exit, String out, String err) {
    }

    private Run bash(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root().toFile());
        pb.environment().remove("PLATFORM");
        pb.environment().putAll(env);
        Path out = tmp.resolve("out-" + System.nanoTime());
        Path err = tmp.resolve("err-" + System.nanoTime());
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ends", cmd).isTrue();
        return new Run(p.exitValue(), Files.readString(out).strip(), Files.readString(err).strip());
    }

    private String lib(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> a = new ArrayList<>(List.of("scripts/lib.sh"));
        a.addAll(List.of(args));
        Run r = bash(env, a.toArray(String[]::new));
        return r.exit() == 0 ? r.out() : "exit " + r.exit();
    }

    @Test
    void machineArchitecturesMapToPlatformsInTheScriptAsInTheLauncher() throws Exception {
        Map<String, String> want = Map.of("x86_64", "linux/amd64", "amd64", "linux/amd64", "aarch64", "linux/arm64",
                "arm64", "linux/arm64", "s390x", "linux/s390x", "ppc64le", "linux/ppc64le");
        for (var e : want.entrySet()) {
            assertThat(lib(Map.of(), "platform_of", e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(Platforms.ofArchitecture(e.getKey())).as(e.getKey()).contains(e.getValue());
        }
        assertThat(lib(Map.of(), "platform_of", "sparc64")).isEqualTo("exit 1");
        assertThat(Platforms.ofArchitecture("sparc64")).isEmpty();
        assertThat(Platforms.ofArchitecture("aarch64\n")).contains("linux/arm64");
    }

    @Test
    void platformOverridesTheEnginesArchitectureWhichOverridesThisMachines() throws Exception {
        assertThat(lib(Map.of(), "image_platform", "aarch64")).isEqualTo("linux/arm64");
        assertThat(lib(Map.of(), "image_platform", "x86_64")).isEqualTo("linux/amd64");
        assertThat(lib(Map.of("PLATFORM", "linux/amd64"), "image_platform", "aarch64")).isEqualTo("linux/amd64");
        String uname = new String(new ProcessBuilder("uname", "-m").start().getInputStream().readAllBytes(),
                StandardCharsets.UTF_8).strip();
        assertThat(lib(Map.of(), "image_platform")).as("no engine: this machine's, %s", uname)
                .isEqualTo(Platforms.ofArchitecture(uname).orElse("exit 1"));
    }

    @Test
    void theEnginesArchitectureComesFromDockerInfo() throws Exception {
        Path bin = fakeDocker("aarch64", "linux/amd64");
        assertThat(lib(Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH")), "docker_architecture"))
                .isEqualTo("aarch64");
        Path none = Files.createDirectories(tmp.resolve("no-engine"));
        Files.writeString(none.resolve("docker"), "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n");
        none.resolve("docker").toFile().setExecutable(true);
        assertThat(lib(Map.of("PATH", none + File.pathSeparator + System.getenv("PATH")), "docker_architecture"))
                .isEqualTo("exit 1");
    }

    @Test
    void imagesStopsOnALocalBaseOfAnotherPlatformBeforeBuilding() throws Exception {
        // Apple Silicon: the engine is aarch64, the local base was built on an x86_64 Linux machine
        Path bin = fakeDocker("aarch64", "linux/amd64");
        Path mvnArgs = tmp.resolve("mvn-args");
        Run r = bash(Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH"), "MVN", fakeMvn(mvnArgs).toString(),
                "BASE_IMAGE", "docker://meshbed/base-jre:17", "DOCKER", "0"), "scripts/images.sh");

        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("images: the base image meshbed/base-jre:17 is linux/amd64, but the images are "
                + "for linux/arm64 (the Docker engine's architecture, aarch64)").contains("PLATFORM=linux/amd64");
        assertThat(mvnArgs).as("Maven never ran").doesNotExist();
    }

    @Test
    void imagesPassesThePlatformToJib() throws Exception {
        Path bin = fakeDocker("aarch64", "linux/arm64");
        Path mvnArgs = tmp.resolve("mvn-args");
        Run r = bash(Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH"), "MVN", fakeMvn(mvnArgs).toString(),
                "BASE_IMAGE", "docker://meshbed/base-jre:17", "DOCKER", "0"), "scripts/images.sh");

        assertThat(r.out()).contains("for linux/arm64 (the Docker engine's architecture, aarch64) on "
                + "docker://meshbed/base-jre:17");
        assertThat(Files.readString(mvnArgs)).contains("jib:buildTar", "-Djib.from.platforms=linux/arm64",
                "-Djib.from.image=docker://meshbed/base-jre:17");
        assertThat(r.exit()).as("the stand-in Maven fails the build").isEqualTo(1);

        Files.delete(mvnArgs);
        r = bash(Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH"), "MVN", fakeMvn(mvnArgs).toString(),
                "BASE_IMAGE", "docker://meshbed/base-jre:17", "DOCKER", "0", "PLATFORM", "arm64"), "scripts/images.sh");
        assertThat(r.err()).contains("PLATFORM=arm64 (expected linux/ARCH, e.g. linux/amd64 or linux/arm64)");
        assertThat(mvnArgs).doesNotExist();
    }

    /** A docker that answers info with {@code arch} and inspects every image as {@code imagePlatform}. */
    private Path fakeDocker(String arch, String imagePlatform) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin-" + arch + "-" + imagePlatform.replace('/', '-')));
        Files.writeString(bin.resolve("docker"), """
                #!/bin/sh
                case "$1" in
                  info) [ "$2" = --format ] && echo %s; exit 0 ;;
                  image) [ "$3" = -f ] && echo %s; exit 0 ;;
                esac
                exit 1
                """.formatted(arch, imagePlatform));
        bin.resolve("docker").toFile().setExecutable(true);
        return bin;
    }

    /** A Maven that writes its arguments to {@code argsFile} and fails. */
    private Path fakeMvn(Path argsFile) throws IOException {
        Path mvn = tmp.resolve("mvn");
        Files.writeString(mvn, "#!/bin/sh\necho \"$*\" >'" + argsFile + "'\necho '[ERROR] a stand-in build'\nexit 1\n");
        mvn.toFile().setExecutable(true);
        return mvn;
    }
}
