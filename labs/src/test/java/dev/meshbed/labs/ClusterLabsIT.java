package dev.meshbed.labs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.testbed.KubeAvailability;
import dev.meshbed.testbed.Project;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every lab's "In the cluster" steps, with a real kubectl, on the cluster this machine can run:
 * the one-node Kubernetes built from its Go modules ({@code CLUSTER=kube}, Linux and root: the
 * real-cluster tier, required in CI), else k3s in Docker where its image is present (the k3s tier).
 * The labs say {@code make up} and read {@code target/testbed/testbed.env}, the default testbed's:
 * so they never run while a testbed of that name is up ({@code make up} of a user), and each lab
 * ends with {@code make down}. Skipped, with the reason in one line, where no cluster can run (a
 * failure in CI).
 */
class ClusterLabsIT {

    static final Path ROOT = LocalLabsIT.ROOT;
    static final String K3S_IMAGE = System.getenv().getOrDefault("K3S_IMAGE", "rancher/k3s:v1.34.1-k3s1");

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
        KubeAvailability kube = KubeAvailability.check(Project.locate(ROOT));
        if (kube.skipReason() == null) {
            Path bin = kube.binary().orElseThrow().getParent();
            return cluster = new Cluster("kube", Map.of("CLUSTER", "kube",
                    "PATH", bin + File.pathSeparator + System.getenv("PATH")), null);
        }
        String k3s = k3sMissing();
        if (k3s == null) {
            return cluster = new Cluster("k3s", Map.of("CLUSTER", "k3s"), null);
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
            Lab lab = Lab.parse(file);
            lab.section(Lab.CLUSTER).ifPresent(section -> tests.add(DynamicTest.dynamicTest(
                    file.getFileName() + ": " + lab.title() + " (" + c.name() + ")", () -> {
                        Path log = Files.createDirectories(ROOT.resolve("labs/target/lab-logs"))
                                .resolve(file.getFileName() + ".cluster.log");
                        LabRun.Result r = LabRun.run(lab, section, ROOT, Duration.ofMinutes(20), log, c.env());
                        assertThat(r.ok()).as("%s (full output: %s)", r.report(), log).isTrue();
                    })));
        }
        return tests;
    }

    @AfterEach
    void removeTheTestbed() throws Exception {
        Cluster c = cluster();
        if (c.missing() == null) {
            run(Duration.ofMinutes(3), c.env(), "scripts/testbed.sh", "down");
        }
    }

    /** What keeps k3s from running here, or null. */
    static String k3sMissing() throws Exception {
        if (run(Duration.ofSeconds(20), Map.of(), "docker", "info") != 0) {
            return "no Docker engine answers";
        }
        if (run(Duration.ofSeconds(20), Map.of(), "docker", "image", "inspect", K3S_IMAGE) != 0) {
            return "the k3s image " + K3S_IMAGE + " is not present (and no registry is reachable to pull it)";
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
}
