package dev.meshbed.testbed;


import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

/**
 * Whether the k3s suites can run here: Docker answers, the k3s image is present locally, the image
 * tarballs are built; checked once, never waiting long.
 */
final class K3sSuite {

    /** The k3s image: -Dmeshbed.k3s.image, else K3S_IMAGE, else the launcher's default. */
    static final String IMAGE = System.getProperty("meshbed.k3s.image",
            System.getenv().getOrDefault("K3S_IMAGE", K3sNode.DEFAULT_IMAGE));

    private static String reason;
    private static boolean checked;

    private K3sSuite() {
    }

    static synchronized String skipReason() {
        if (checked) {
            return reason;
        }
        checked = true;
        List<String> env = DockerAccess.environmentProblems();
        if (!env.isEmpty()) {
            return reason = env.get(0);
        }
        Project project = Project.locate(null);
        for (var tarball : List.of(project.gatewayTarball(), project.appTarball())) {
            if (!Files.isRegularFile(tarball)) {
                return reason = project.show(tarball) + " is not built (make images)";
            }
        }
        try {
            var docker = DockerAccess.client(Duration.ofSeconds(5));
            if (!DockerAccess.imagePresent(docker, IMAGE)) {
                return reason = "the k3s image " + IMAGE + " is not present locally (docker pull " + IMAGE
                        + " on a machine with registry access)";
            }
        } catch (TestbedException e) {
            return reason = e.getMessage();
        }
        return reason = null;
    }
}
