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
