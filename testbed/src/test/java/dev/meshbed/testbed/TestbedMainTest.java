package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** The command line, where it needs neither Docker nor a cluster. */
class TestbedMainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return TestbedMain.run(args, new PrintStream(out, true), new PrintStream(err, true));
    }

    @Test
    void noCommandPrintsUsage() {
        assertThat(run()).isEqualTo(2);
        assertThat(out.toString()).contains("up", "down", "status", "weights");
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertThat(run("up", "--lb", "maybe")).isEqualTo(2);
        assertThat(err.toString()).contains("--lb: maybe (expected: on or off)");
        assertThat(run("up", "--cluster", "kind")).isEqualTo(2);
        assertThat(run("up", "--image-registry", "reg.example")).isEqualTo(2);
        assertThat(err.toString()).contains("--image-registry: only with --cluster kubeconfig");
        assertThat(run("weights")).isEqualTo(2);
        assertThat(run("up", "--k3s-pull", "sometimes")).isEqualTo(2);
        assertThat(err.toString()).contains("--k3s-pull: sometimes (expected: always, missing or never)");
    }

    @Test
    void aK3sNodeNeedsANameThatCanBeACgroup() {
        assertThat(run("--name", "a/b", "up")).isEqualTo(2);
        assertThat(err.toString()).contains("the testbed name 'a/b' is not usable for a k3s node");
    }

    @Test
    void kubeWithoutItsBinaryStartsNothingAndSaysWhy() {
        assertThat(run("--name", "kube-bad-input", "up", "--cluster", "kube", "--kube-binary",
                "/nonexistent/meshbed-kube")).isEqualTo(3);
        assertThat(err.toString()).contains("cannot start the testbed; nothing was started");
        if (System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            assertThat(err.toString()).contains("the Kubernetes binary /nonexistent/meshbed-kube is missing: "
                    + "scripts/kube-build.sh builds it");
        } else {
            assertThat(err.toString()).contains("needs Linux");
        }
        assertThat(java.nio.file.Files.exists(java.nio.file.Path.of("/run/netns/meshbed-kube-bad-input"))).isFalse();
    }

    @Test
    void aKubeNodeNeedsANameThatIsANodeName() {
        assertThat(run("--name", "Bad_Name", "up", "--cluster", "kube")).isEqualTo(2);
        assertThat(err.toString()).contains("'Bad_Name' is not usable as a node name");
    }

    @Test
    void weightsWithoutATestbedSaysUpFirst() {
        assertThat(run("--name", "never-started-" + System.nanoTime(), "weights", "90:10")).isEqualTo(1);
        assertThat(err.toString()).contains("is up (no target/testbed-never-started-").contains("make up first");
    }

    @Test
    void theVersionIsTheBuilds() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString()).contains("meshbed testbed " + Project.buildVersion());
    }
}
