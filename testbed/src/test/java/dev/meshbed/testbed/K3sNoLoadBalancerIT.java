package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code make up LB=off}: k3s with {@code --disable=servicelb}, as minikube without a tunnel. The
 * gateway's LoadBalancer stays pending, the launcher takes Istio's fallback (a node address and
 * nodePort 31380), says why, and the split through it follows the weights. Runs where Docker
 * answers and the k3s image is present locally; skipped with one line otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class K3sNoLoadBalancerIT {

    private static final String NAME = "it-k3s-nolb";

    private final Project project = Project.locate(null);
    private Testbed testbed;
    private Testbed.UpResult up;
    private KubernetesClient client;
    private String skip;

    @BeforeEach
    void assumeK3s() {
        K3sSuite.assumeAvailable(skip);
    }

    @BeforeAll
    void up() {
        skip = K3sSuite.checkOnce("k3s suite (LB=off)");
        if (skip != null) {
            return;
        }
        testbed = new Testbed(project, System.out);
        testbed.down(NAME, false);
        up = testbed.up(Testbed.UpOptions.k3s().withName(NAME).withK3sImage(K3sSuite.IMAGE).withLoadBalancer(false));
        client = Testbed.client(up.kubeconfig());
    }

    @AfterAll
    void down() {
        if (client != null) {
            client.close();
        }
        if (testbed != null) {
            testbed.down(NAME, false);
        }
    }

    @Test
    void theLoadBalancerStaysPendingAndTheFallbackIsTaken() {
        Service svc = client.services().inNamespace("istio-system").withName("istio-ingressgateway").get();
        assertThat(svc.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(svc.getStatus().getLoadBalancer().getIngress()).as("EXTERNAL-IP <pending>").isNullOrEmpty();

        assertThat(up.ingress().path()).isEqualTo(IngressAddress.Path.NODE_PORT);
        assertThat(up.ingress().port()).isEqualTo(31380);
        assertThat(up.ingress().reason()).contains("EXTERNAL-IP <pending>", "--disable=servicelb", "nodePort of http2, 31380");
        assertThat(up.env().values()).containsEntry("INGRESS_PATH", "nodeport").containsEntry("LB", "off")
                .containsEntry("INGRESS_CLUSTER_PORT", "31380");
        assertThat(up.gateway()).isEqualTo(up.gatewayNodePort());
    }

    @Test
    void theFallbackWorks() {
        K3sSuite.assertShare(EdgeClient.sample(up.gateway().host(), up.gateway().port(), K3sSuite.SAMPLE, Map.of(),
                Duration.ofSeconds(5)), "v2", 0.20, "gateway via the fallback " + up.gateway());
    }

    @Test
    void nothingServesTheLoadBalancersPort() {
        int published = up.container().getMappedPort(80);
        assertThatThrownBy(() -> EdgeClient.get("127.0.0.1", published, Duration.ofSeconds(3)))
                .isInstanceOf(IOException.class);
    }
}
