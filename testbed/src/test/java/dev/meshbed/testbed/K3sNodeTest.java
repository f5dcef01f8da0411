package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What {@link K3sNode} decides without Docker: the container's labels, and a platform mismatch at import. */
class K3sNodeTest {

    private static final Path TARBALL = Path.of("gateway/target/jib-image.tar");

    @Test
    void theLabelsNameTheVersionAndServiceLb() {
        assertThat(K3sNode.nodeLabels("0.1.0", false)).containsExactlyInAnyOrderEntriesOf(Map.of(
                K3sNode.VERSION_LABEL, "0.1.0", K3sNode.LB_LABEL, "off"));
        assertThat(K3sNode.nodeLabels("0.1.0", true)).containsEntry(K3sNode.LB_LABEL, "on");
    }

    @Test
    void anAmd64TarballForAnArm64NodeIsAClearError() {
        assertThat(K3sNode.platformProblem(TARBALL, "meshbed/gateway:1", Optional.of("linux/amd64"),
                Optional.of("linux/arm64"))).get().asString()
                .isEqualTo("gateway/target/jib-image.tar holds meshbed/gateway:1 for linux/amd64, but the k3s node is "
                        + "linux/arm64: its containers would not start (exec format error). Rebuild the images for "
                        + "the node: make images (it builds for the Docker engine's architecture), or "
                        + "PLATFORM=linux/arm64 make images");
    }

    @Test
    void aMatchOrAnUnknownIsNoProblem() {
        assertThat(K3sNode.platformProblem(TARBALL, "i", Optional.of("linux/arm64"), Optional.of("linux/arm64"))).isEmpty();
        assertThat(K3sNode.platformProblem(TARBALL, "i", Optional.empty(), Optional.of("linux/arm64"))).isEmpty();
        assertThat(K3sNode.platformProblem(TARBALL, "i", Optional.of("linux/amd64"), Optional.empty())).isEmpty();
    }
}
