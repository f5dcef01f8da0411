package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * {@code make up LB=off}: k3s with {@code --disable=servicelb}, as minikube without a tunnel
 * ({@link ClusterEdgeChecks}: the LoadBalancer stays pending and Istio's fallback is taken), and
 * nothing answers on the load balancer's port. Runs where Docker answers and the k3s image is
 * present locally; skipped with one line otherwise (K3S_PULL=missing pulls it).
 */
class K3sNoLoadBalancerIT extends ClusterEdgeChecks {

    @Override
    String name() {
        return "it-k3s-nolb";
    }

    @Override
    String skipReason() {
        return K3sSuite.skipReason();
    }

    @Override
    void announceSkip(String why) {
        K3sSuite.announceSkip(why);
    }

    @Override
    Testbed.UpOptions options() {
        return Testbed.UpOptions.k3s().withName(name()).withK3sImage(K3sSuite.IMAGE).withK3sPull(K3sSuite.pull())
                .withLoadBalancer(false);
    }

    @Override
    String suite() {
        return "k3s suite (LB=off)";
    }

    @Test
    @Order(0)
    void theReasonNamesServiceLb() {
        assertThat(up.ingress().reason()).contains("--disable=servicelb");
    }

    @Test
    @Order(7)
    void nothingServesTheLoadBalancersPort() {
        int published = up.container().getMappedPort(80);
        assertThatThrownBy(() -> EdgeClient.get("127.0.0.1", published, Duration.ofSeconds(3)))
                .isInstanceOf(IOException.class);
    }
}
