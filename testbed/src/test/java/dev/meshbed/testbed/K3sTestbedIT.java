package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The whole {@code make up} in k3s with ServiceLB on ({@link ClusterEdgeChecks}), and what is
 * k3s's own: Docker publishes the node's ports on 127.0.0.1, the container is labelled with the
 * testbed's name. Runs where Docker answers and the k3s image is present locally; skipped with
 * one line otherwise.
 */
class K3sTestbedIT extends ClusterEdgeChecks {

    @Override
    String name() {
        return "it-k3s-lb";
    }

    @Override
    String skipReason() {
        return K3sSuite.skipReason();
    }

    @Override
    Testbed.UpOptions options() {
        return Testbed.UpOptions.k3s().withName(name()).withK3sImage(K3sSuite.IMAGE);
    }

    @Override
    String suite() {
        return "k3s suite (ServiceLB on)";
    }

    @Test
    @Order(0)
    void dockerPublishesTheNodeOnLoopback() {
        assertThat(up.env().values()).containsEntry("MESHBED_MODE", "k3s").containsEntry("INGRESS_HOST", "127.0.0.1");
        assertThat(up.container().getLabels()).containsEntry(K3sNode.LABEL, name());
    }
}
