package dev.meshbed.labs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.testbed.K3sNode;
import dev.meshbed.testbed.KubeAvailability;
import dev.meshbed.testbed.Project;
import dev.meshbed.testbed.Testbed;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every lab's "In the cluster" steps, with a real kubectl, on the cluster this machine can run:
 * the one-node Kubernetes built from its Go modules ({@code CLUSTER=kube}, Linux and root: the
 * real-cluster tier, required in CI), else k3s in Docker where its image is present (the k3s tier).
 * The labs say {@code make up} and read {@code target/testbed/testbed.env}, the default testbed's:
 * so they never run while a testbed of that name is up ({@code make up} of a user, from this
 * clone or another: a k3s container labelled {@code meshbed}, a kube node {@code meshbed}), and
 * each lab ends with {@code make down}. Skipped, with the reason in one line, where no cluster can run (a
 * failure in CI).
 */
class ClusterLabsIT {

    static final Path ROOT = LocalLabsIT.ROOT;
    static final String K3S_IMAGE = System.getenv().getOrDefault("K3S_IMAGE", K3sNode.DEFAULT_IMAGE);
    /** K3S_PULL=missing or always: the labs' make up may pull the k3s image; else they never do (as the k3s suites). */
    static final String K3S_PULL = pullAsked() ? System.getenv("K3S_PULL").trim() : "never";

    /** The cluster the labs run on and the environment their steps get, or why none can run. */
    record Cluster(String name, Map<String, String> env, String missing) {
    }

    private static Cluster cluster;

    static synchronized Cluster cluster() throws Exception {
        if (cluster != null) {
            return cluster;
        }
        if (Files.isRegularFile(ROOT.resolve("target/testbed/testbed.env"))) {
            return cluster = new Cluster(null, Map.of(), "a testbed named 'meshbed' is up (target/testbed/testbed.env "
                    + "exists): the cluster labs use that name and leave it alone (make down first)");
        }
        String elsewhere = meshbedElsewhere();
        if (elsewhere != null) {
            return cluster = new Cluster(null, Map.of(), elsewhere + ": the cluster labs use that name and leave it "
                    + "alone (make down there first)");
        }
        KubeAvailability kube = KubeAvailability.check(Project.locate(ROOT));
        if (kube.skipReason() == null) {
            Path bin = kube.binary().orElseThrow().getParent();
            return cluster = new Cluster("kube", Map.of("CLUSTER", "kube",
                    "PATH", bin + File.pathSeparator + System.getenv("PATH")), null);
        }
        String k3s = k3sMissing();
        if (k3s == null) {
            return cluster = new Cluster("k3s", Map.of("CLUSTER", "k3s", "K3S_PULL", K3S_PULL), null);
        }
        return cluster = new Cluster(null, Map.of(), "the cluster built from modules cannot run (" + kube.skipReason()
                + "), nor k3s (" + k3s + ")");
    }

    @TestFactory
    List<DynamicTest> clusterLabs() throws Exception {
        Cluster c = cluster();
        if (c.missing() != null) {
            System.out.println("cluster labs skipped: " + c.missing());
            if ("true".equalsIgnoreCase(System.getenv().getOrDefault("CI", ""))) {
                throw new AssertionError("the cluster labs cannot run, and CI=true requires them: " + c.missing());
            }
        }
        Assumptions.assumeTrue(c.missing() == null, () -> "cluster labs skipped: " + c.missing());
        System.out.println("cluster labs on " + c.name());
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : Lab.all(ROOT.resolve("labs"))) {
            if (!Lab.selected(file)) {
                continue;
            }
            Lab lab = Lab.parse(file);
            lab.section(Lab.CLUSTER).ifPresent(section -> tests.add(DynamicTest.dynamicTest(
                    file.getFileName() + ": " + lab.title() + " (" + c.name() + ")", () -> {
                        Path log = Files.createDirectories(ROOT.resolve("labs/target/lab-logs"))
                                .resolve(file.getFileName() + ".cluster.log");
                        LabRun.Result r;
                        try {
                            r = LabRun.run(lab, section, ROOT, Duration.ofMinutes(20), log, c.env());
                        } finally {
                            // a lab ends with make down; one that failed half-way leaves its testbed: removed here
                            // (JUnit would run an @AfterEach once per factory, not per dynamic test)
                            run(Duration.ofMinutes(3), c.env(), "scripts/testbed.sh", "down");
                        }
                        assertThat(r.ok()).as("%s (full output: %s)", r.report(), log).isTrue();
                    })));
        }
        return tests;
    }

    /**
     * A testbed named meshbed that this clone's target/ does not show (another clone's, or one whose
     * target/ was removed), which the labs' make down would remove; or null.
     */
    static String meshbedElsewhere() throws Exception {
        Testbed testbed = new Testbed(Project.locate(ROOT), new PrintStream(OutputStream.nullOutputStream()));
        if (testbed.kubeNodePresent("meshbed")) {
            return "a kube node named 'meshbed' runs on this host";
        }
        String ids = output(Duration.ofSeconds(20), "docker", "ps", "-aq", "--filter",
                "label=" + K3sNode.LABEL + "=meshbed");
        if (ids != null && !ids.isBlank()) {
            return "a k3s testbed named 'meshbed' exists (container " + ids.strip().lines().findFirst().orElse("?")
                    + ", from this clone or another)";
        }
        return null;
    }

    private static boolean pullAsked() {
        String v = System.getenv().getOrDefault("K3S_PULL", "").trim();
        return v.equalsIgnoreCase("missing") || v.equalsIgnoreCase("always");
    }

    /** What keeps k3s from running here, or null. */
    static String k3sMissing() throws Exception {
        if (run(Duration.ofSeconds(20), Map.of(), "docker", "info") != 0) {
            return "no Docker engine answers";
        }
        if (!pullAsked() && run(Duration.ofSeconds(20), Map.of(), "docker", "image", "inspect", K3S_IMAGE) != 0) {
            return "the k3s image " + K3S_IMAGE + " is not present, and the tests pull it only when asked "
                    + "(K3S_PULL=missing make test)";
        }
        if (run(Duration.ofSeconds(20), Map.of(), "kubectl", "version", "--client") != 0) {
            return "kubectl is not installed (the labs type kubectl commands)";
        }
        return null;
    }

    private static int run(Duration timeout, Map<String, String> env, String... command) throws Exception {
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().putAll(env);
            p = pb.start();
        } catch (java.io.IOException e) {
            return 127; // not installed
        }
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    /** A command's standard output, or null when it cannot run, fails or takes longer than {@code timeout}. */
    private static String output(Duration timeout, String... command) throws Exception {
        Path out = Files.createTempFile("cluster-labs", ".out");
        try {
            Process p;
            try {
                p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD)
                        .redirectOutput(out.toFile()).start();
            } catch (java.io.IOException e) {
                return null; // not installed
            }
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? Files.readString(out, StandardCharsets.UTF_8) : null;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
