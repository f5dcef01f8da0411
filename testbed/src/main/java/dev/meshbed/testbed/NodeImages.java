package dev.meshbed.testbed;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.Platform;
import com.google.cloud.tools.jib.api.TarImage;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Images for the kube node's containerd, without a registry: a one-binary image FROM scratch
 * (the pods' sandbox, {@code pause}) written by Jib's library as a tarball, and any tarball
 * imported with {@code ctr images import} into the namespace the kubelet uses ({@code k8s.io}),
 * then checked to be there.
 */
final class NodeImages {

    /** The sandbox image the node's containerd is configured with (containerd.toml). */
    static final String PAUSE_IMAGE = "meshbed/pause:1.0";

    private NodeImages() {
    }

    /**
     * An image holding {@code binary} as {@code /<name>} (mode 755), its entrypoint, run as
     * {@code user}: reproducible (Jib's fixed timestamps), for the host's platform.
     */
    static void singleBinary(Path binary, String name, String image, String user, Path tarball) {
        try {
            JibContainerBuilder b = Jib.fromScratch()
                    .setPlatforms(Set.of(new Platform(goArch(), "linux")))
                    .addFileEntriesLayer(FileEntriesLayer.builder().setName(name)
                            .addEntry(binary, AbsoluteUnixPath.get("/" + name), FilePermissions.fromOctalString("755"),
                                    Instant.EPOCH)
                            .build())
                    .setEntrypoint("/" + name)
                    .setUser(user);
            Files.createDirectories(tarball.getParent());
            b.containerize(Containerizer.to(TarImage.at(tarball).named(image)).setOfflineMode(true)
                    .setToolName("meshbed-testbed"));
        } catch (Exception e) {
            throw new TestbedException("building the image " + image + " from " + binary + ": " + e, e);
        }
    }

    /** The host's architecture as Go and OCI name it. */
    static String goArch() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
    }

    /** Imports a tarball into the node's containerd (namespace k8s.io) and checks that {@code image} is there. */
    static void importTarball(Path socket, Path tarball, String image, PrintStream out) {
        long t = System.nanoTime();
        Exec.run(Duration.ofMinutes(3), "ctr", "--address", socket.toString(), "--namespace", "k8s.io", "images",
                "import", tarball.toString()).orThrow("ctr images import " + tarball);
        List<String> present = List.of(Exec.run(Duration.ofSeconds(30), "ctr", "--address", socket.toString(),
                "--namespace", "k8s.io", "images", "ls", "-q").orThrow("ctr images ls").split("\\s+"));
        if (!ImageTarball.holds(present, image)) {
            throw new TestbedException("after importing " + tarball + " the node has no " + image + " (it has: "
                    + present + "). Was the tarball built for another version, or another platform than the "
                    + "node's?", TestbedException.FAILED);
        }
        out.printf("  imported %s (%d s)%n", image, Testbed.secondsSince(t));
    }
}
