package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeTeardownTest {

    @TempDir
    Path tmp;

    /**
     * A shim of the node (its command line names the node's containerd socket) with no task
     * folder recording it, as containerd leaves them: down finds and stops it; a shim of another
     * node stays.
     */
    @Test
    void stopsTheNodesShimsFoundByItsSocketAndLeavesOtherNodesAlone() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "no /proc here (not Linux)");
        KubeLayout ours = new KubeLayout("shimtest", 200, tmp.resolve("logs"), tmp.resolve("run/shimtest"),
                tmp.resolve("data/shimtest"));
        KubeLayout other = new KubeLayout("other", 201, tmp.resolve("logs"), tmp.resolve("run/other"),
                tmp.resolve("data/other"));
        Files.createDirectories(ours.run());
        Process shim = fakeShim(ours);
        Process otherShim = fakeShim(other);
        try {
            KubeTeardown teardown = new KubeTeardown(ours, new PrintStream(OutputStream.nullOutputStream()));
            assertThat(teardown.leftovers()).as("a running shim is reported").anyMatch(l -> l.startsWith(
                    "process " + shim.pid() + " "));

            List<String> done = teardown.run();

            assertThat(shim.waitFor(15, TimeUnit.SECONDS)).as("our shim stopped").isTrue();
            assertThat(done).contains("killed 0 container processes and 1 containerd shims");
            assertThat(otherShim.isAlive()).as("another node's shim").isTrue();
            assertThat(teardown.leftovers()).noneMatch(l -> l.startsWith("process "));
        } finally {
            shim.destroyForcibly();
            otherShim.destroyForcibly();
        }
    }

    /** A process whose command line reads like containerd-shim-runc-v2's for the node's socket. */
    private static Process fakeShim(KubeLayout layout) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "exec -a \"$0\" sleep 300",
                "containerd-shim-runc-v2 -namespace k8s.io -id test -address " + layout.socket()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        Path cmdline = Path.of("/proc", Long.toString(p.pid()), "cmdline");
        while (!new String(Files.readAllBytes(cmdline)).contains("containerd-shim") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return p;
    }
}
