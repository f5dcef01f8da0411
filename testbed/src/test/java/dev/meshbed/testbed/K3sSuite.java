package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the k3s suites share: the check that they can run here (Docker answers, the k3s image is
 * present locally, the image tarballs are built), which skips them with one line and never
 * waits long, and the statistical check of a split.
 */
final class K3sSuite {

    /** The k3s image: -Dmeshbed.k3s.image, else K3S_IMAGE, else the launcher's default. */
    static final String IMAGE = System.getProperty("meshbed.k3s.image",
            System.getenv().getOrDefault("K3S_IMAGE", K3sNode.DEFAULT_IMAGE));

    /** Requests per measured split: the share's standard error is then at most 2.5 points. */
    static final int SAMPLE = 400;

    private static String reason;
    private static boolean checked;

    private K3sSuite() {
    }

    /**
     * Null if k3s can run here, else why not, said once on stdout. The suites call this in
     * {@code @BeforeAll} (and start nothing without it) and assume it in {@code @BeforeEach}, so
     * that every test is reported as skipped with the reason.
     */
    static String checkOnce(String suite) {
        String why = skipReason();
        if (why != null) {
            System.out.println(suite + " skipped: " + why);
        }
        return why;
    }

    static void assumeAvailable(String why) {
        assumeTrue(why == null, why);
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

    /**
     * Asserts that {@code version}'s share of {@code counts} is consistent with {@code expected}
     * (a two-sided z-test at 99.9 %; with 0 or 1, exactly), and that nothing else answered.
     */
    static void assertShare(Map<String, Integer> counts, String version, double expected, String where) {
        assertThat(counts.keySet()).as(where + ": only v1 and v2 answer, " + counts).isSubsetOf("v1", "v2");
        int n = counts.values().stream().mapToInt(Integer::intValue).sum();
        double share = counts.getOrDefault(version, 0) / (double) n;
        System.out.printf("%s: %s, %s share %.3f (expected %.3f, n=%d)%n", where, counts, version, share, expected, n);
        if (expected == 0 || expected == 1) {
            assertThat(share).as(where + " " + counts).isEqualTo(expected);
            return;
        }
        double z = (share - expected) / Math.sqrt(expected * (1 - expected) / n);
        assertThat(Math.abs(z)).as(where + ": %s share %.3f vs %.3f (z = %.2f), %s", version, share, expected, z, counts)
                .isLessThan(3.29);
    }
}
