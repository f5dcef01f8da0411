package dev.meshbed.labs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every lab's "In the cluster" steps, against k3s in Docker ({@code make up}), with kubectl.
 * Part of the k3s tier: skipped, with the reason in one line, where Docker, the k3s image or
 * kubectl is missing.
 */
class ClusterLabsIT {

    static final Path ROOT = LocalLabsIT.ROOT;
    static final String K3S_IMAGE = System.getenv().getOrDefault("K3S_IMAGE", "rancher/k3s:v1.34.1-k3s1");

    @TestFactory
    List<DynamicTest> clusterLabs() throws Exception {
        String missing = missing();
        if (missing != null) {
            System.out.println("cluster labs skipped: " + missing);
        }
        Assumptions.assumeTrue(missing == null, () -> "cluster labs skipped: " + missing);
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : Lab.all(ROOT.resolve("labs"))) {
            Lab lab = Lab.parse(file);
            lab.section(Lab.CLUSTER).ifPresent(section -> tests.add(DynamicTest.dynamicTest(
                    file.getFileName() + ": " + lab.title(), () -> {
                        Path log = Files.createDirectories(ROOT.resolve("labs/target/lab-logs"))
                                .resolve(file.getFileName() + ".cluster.log");
                        LabRun.Result r = LabRun.run(lab, section, ROOT, Duration.ofMinutes(20), log);
                        assertThat(r.ok()).as("%s (full output: %s)", r.report(), log).isTrue();
                    })));
        }
        return tests;
    }

    @AfterEach
    void removeTheTestbed() throws Exception {
        if (missing() == null) {
            run(Duration.ofMinutes(3), "scripts/testbed.sh", "down");
        }
    }

    /** What keeps the cluster labs from running here, or null. */
    static String missing() throws Exception {
        if (run(Duration.ofSeconds(20), "docker", "info") != 0) {
            return "no Docker engine answers";
        }
        if (run(Duration.ofSeconds(20), "docker", "image", "inspect", K3S_IMAGE) != 0) {
            return "the k3s image " + K3S_IMAGE + " is not present (and no registry is reachable to pull it)";
        }
        if (run(Duration.ofSeconds(20), "kubectl", "version", "--client") != 0) {
            return "kubectl is not installed (the labs type kubectl commands)";
        }
        return null;
    }

    private static int run(Duration timeout, String... command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
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
