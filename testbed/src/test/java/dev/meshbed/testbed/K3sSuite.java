package dev.meshbed.testbed;


import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

/**
 * Whether the k3s suites can run here: Docker answers, the image tarballs are built, and the k3s
 * image is present locally, or {@code K3S_PULL} (always or missing) asks the suites to pull it as
 * {@code up} does. Without {@code K3S_PULL} the tests never pull: on machines without a registry
 * (CI) a pull could only fail. Checked once, never waiting long; a skip is said once, loudly
 * ({@code k3s suite SKIPPED: ...}).
 */
final class K3sSuite {

    /** The k3s image: -Dmeshbed.k3s.image, else K3S_IMAGE, else the launcher's default. */
    static final String IMAGE = System.getProperty("meshbed.k3s.image",
            System.getenv().getOrDefault("K3S_IMAGE", K3sNode.DEFAULT_IMAGE));

    private static String reason;
    private static boolean checked;
    private static boolean announced;

    private K3sSuite() {
    }

    /** What the suites pass to {@code up}: {@code K3S_PULL} when set, else never. */
    static K3sPull pull() {
        return pullFrom(System.getenv("K3S_PULL"));
    }

    /** {@code K3S_PULL}'s value as the tests read it: unset or blank is never (the launcher's default is missing). */
    static K3sPull pullFrom(String value) {
        return value == null || value.isBlank() ? K3sPull.NEVER : K3sPull.parse(value);
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
        K3sPull pull;
        try {
            pull = pull();
        } catch (TestbedException e) {
            return reason = "K3S_PULL: " + e.getMessage();
        }
        Project project = Project.locate(null);
        for (var tarball : List.of(project.gatewayTarball(), project.appTarball())) {
            if (!Files.isRegularFile(tarball)) {
                return reason = project.show(tarball) + " is not built (make images)";
            }
        }
        try {
            var docker = DockerAccess.client(Duration.ofSeconds(5));
            if (pull == K3sPull.NEVER && !DockerAccess.imagePresent(docker, IMAGE)) {
                return reason = "the k3s image " + IMAGE + " is not present locally, and the tests pull it only when "
                        + "asked: K3S_PULL=missing make test (needs a registry; or docker load the image)";
            }
        } catch (TestbedException e) {
            return reason = e.getMessage();
        }
        return reason = null;
    }

    /** Says why the k3s tier skips, once for all its suites, in one line that stands out. */
    static synchronized void announceSkip(String why) {
        if (!announced) {
            announced = true;
            System.out.println("k3s suite SKIPPED: " + why);
        }
    }
}
