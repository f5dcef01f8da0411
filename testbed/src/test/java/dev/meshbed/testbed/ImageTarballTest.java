package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageTarballTest {

    @TempDir
    Path dir;

    private Path tar(String... namesAndContents) throws IOException {
        Path f = dir.resolve("image-" + namesAndContents.length + "-" + System.nanoTime() + ".tar");
        try (OutputStream fo = Files.newOutputStream(f); TarArchiveOutputStream t = new TarArchiveOutputStream(fo)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            for (int i = 0; i < namesAndContents.length; i += 2) {
                byte[] data = namesAndContents[i + 1].getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(namesAndContents[i]);
                e.setSize(data.length);
                t.putArchiveEntry(e);
                t.write(data);
                t.closeArchiveEntry();
            }
        }
        return f;
    }

    @Test
    void dockerTarballsNameTheirImagesInManifestJson() throws IOException {
        Path f = tar("a".repeat(64) + ".tar.gz", "x".repeat(3000), "config.json", "{}",
                "manifest.json", "[{\"Config\":\"config.json\",\"RepoTags\":[\"meshbed/gateway:0.1.0-SNAPSHOT\"]}]");
        List<String> names = ImageTarball.imageNames(f);
        assertThat(names).containsExactly("meshbed/gateway:0.1.0-SNAPSHOT");
        assertThat(ImageTarball.holds(names, "meshbed/gateway:0.1.0-SNAPSHOT")).isTrue();
        assertThat(ImageTarball.holds(names, "docker.io/meshbed/gateway:0.1.0-SNAPSHOT")).isTrue();
        assertThat(ImageTarball.holds(names, "meshbed/gateway:0.2.0")).isFalse();
    }

    @Test
    void theImagesPlatformComesFromItsConfig() throws IOException {
        Path arm = tar("blobs/sha256/" + "c".repeat(64), "{\"architecture\":\"arm64\",\"os\":\"linux\",\"config\":{}}",
                "manifest.json", "[{\"Config\":\"blobs/sha256/" + "c".repeat(64) + "\",\"RepoTags\":[\"meshbed/gateway:1\"]}]");
        assertThat(ImageTarball.platform(arm)).contains("linux/arm64");
        Path amd = tar("./config.json", "{\"architecture\":\"amd64\",\"os\":\"linux\"}",
                "./manifest.json", "[{\"Config\":\"config.json\",\"RepoTags\":[\"meshbed/gateway:1\"]}]");
        assertThat(ImageTarball.platform(amd)).contains("linux/amd64");
        assertThat(ImageTarball.platform(tar("oci-layout", "{}", "index.json", "{\"manifests\":[]}"))).isEmpty();
        assertThat(ImageTarball.platform(tar("config.json", "{}", "manifest.json", "[{\"Config\":\"config.json\"}]")))
                .isEmpty();
    }

    @Test
    void theBuiltTarballsIfAnyAreForALinuxPlatform() throws IOException {
        Project project = Project.locate(null);
        for (Path tarball : List.of(project.gatewayTarball(), project.appTarball())) {
            if (Files.isRegularFile(tarball)) {
                assertThat(ImageTarball.platform(tarball)).as(tarball.toString()).get().asString().startsWith("linux/");
                System.out.println(project.show(tarball) + ": " + ImageTarball.platform(tarball).orElseThrow());
            }
        }
    }

    @Test
    void ociLayoutsNameThemInIndexJson() throws IOException {
        Path f = tar("oci-layout", "{}", "index.json", "{\"manifests\":[{\"annotations\":"
                + "{\"org.opencontainers.image.ref.name\":\"reg.example/meshbed/sample-app:1\"}}]}",
                "blobs/sha256/" + "b".repeat(120), "long name entry");
        assertThat(ImageTarball.imageNames(f)).containsExactly("reg.example/meshbed/sample-app:1");
    }

    @Test
    void namesNormalizeAsDockersDo() {
        assertThat(ImageTarball.normalize("alpine")).isEqualTo("docker.io/library/alpine:latest");
        assertThat(ImageTarball.normalize("meshbed/gateway:1")).isEqualTo("docker.io/meshbed/gateway:1");
        assertThat(ImageTarball.normalize("localhost:5000/meshbed/gateway:1")).isEqualTo("localhost:5000/meshbed/gateway:1");
        assertThat(ImageTarball.normalize("ghcr.io/x/y@sha256:abc")).isEqualTo("ghcr.io/x/y@sha256:abc");
    }

    @Test
    void notATarSaysSo() throws IOException {
        Path f = dir.resolve("junk.tar");
        Files.writeString(f, "this is not a tar file at all, but it is long enough to hold a header? no." .repeat(10));
        assertThatThrownBy(() -> ImageTarball.imageNames(f)).isInstanceOf(IOException.class).hasMessageContaining("not a tar");
    }

    @Test
    void theBuiltTarballsIfAnyHoldTheProjectVersion() throws IOException {
        Project project = Project.locate(null);
        for (Path tarball : List.of(project.gatewayTarball(), project.appTarball())) {
            if (!Files.isRegularFile(tarball)) {
                System.out.println("tarball check skipped: " + project.show(tarball) + " is not built (make images)");
                continue;
            }
            String want = tarball.equals(project.gatewayTarball()) ? project.gatewayImage(null) : project.appImage(null);
            assertThat(ImageTarball.holds(ImageTarball.imageNames(tarball), want)).as(tarball + " holds " + want).isTrue();
        }
    }
}
