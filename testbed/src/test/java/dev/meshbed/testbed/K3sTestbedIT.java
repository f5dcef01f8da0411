package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole {@code make up} in k3s with ServiceLB on, and the lesson measured: through the
 * gateway (its LoadBalancer address, and nodePort 31380) the split follows the VirtualService's
 * weights; through the app's own NodePort it follows the pod count (one v1 pod, one v2 pod:
 * about 50/50 whatever the weights, with a new connection per request); a weight change through
 * the API shifts the edge. Runs where Docker answers and the k3s image is present locally;
 * skipped with one line otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class K3sTestbedIT {

    private static final String NAME = "it-k3s-lb";
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

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
        skip = K3sSuite.checkOnce("k3s suite (ServiceLB on)");
        if (skip != null) {
            return;
        }
        testbed = new Testbed(project, System.out);
        testbed.down(NAME, false); // what a killed earlier run left
        up = testbed.up(Testbed.UpOptions.k3s().withName(NAME).withK3sImage(K3sSuite.IMAGE));
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

    private Map<String, Integer> sample(HostPort where) {
        return EdgeClient.sample(where.host(), where.port(), K3sSuite.SAMPLE, Map.of(), TIMEOUT);
    }

    private void route(String spec) {
        testbed.applyRoute(client, Routes.resolve(project, spec));
    }

    /** Until 30 requests in a row through the gateway all answer {@code version}. */
    private void awaitAll(String version) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
                EdgeClient.sample(up.gateway().host(), up.gateway().port(), 30, Map.of(), TIMEOUT)
                        .equals(Map.of(version, 30)));
    }

    @Test
    @Order(1)
    void upTookTheLoadBalancerPath() {
        assertThat(up.ingress().path()).isEqualTo(IngressAddress.Path.LOAD_BALANCER);
        assertThat(up.ingress().port()).isEqualTo(80);
        assertThat(up.ingress().reason()).contains("status.loadBalancer.ingress[0].ip");
        assertThat(up.env().values()).containsEntry("INGRESS_PATH", "loadbalancer").containsEntry("MESHBED_MODE", "k3s")
                .containsEntry("INGRESS_HOST", "127.0.0.1").containsKeys("GATEWAY_URL", "NODEPORT_URL", "APP_URL");
        assertThat(TestbedEnv.read(up.envFile()).orElseThrow().values()).isEqualTo(up.env().values());
        assertThat(up.container().getLabels()).containsEntry(K3sNode.LABEL, NAME);
    }

    @Test
    @Order(2)
    void eightyTwentyThroughTheLoadBalancer() {
        K3sSuite.assertShare(sample(up.gateway()), "v2", 0.20, "gateway via the LoadBalancer " + up.gateway());
    }

    @Test
    @Order(3)
    void eightyTwentyThroughNodePort31380() {
        K3sSuite.assertShare(sample(up.gatewayNodePort()), "v2", 0.20, "gateway via nodePort 31380 "
                + up.gatewayNodePort());
    }

    @Test
    @Order(4)
    void theAppsNodePortFollowsThePodCountTheGatewayTheWeights() {
        // from 0:100 to 90:10: the first v1 answer shows the new table serves
        route("0:100");
        awaitAll("v2");
        route("90:10");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                EdgeClient.sample(up.gateway().host(), up.gateway().port(), 10, Map.of(), TIMEOUT).containsKey("v1"));

        K3sSuite.assertShare(sample(up.gateway()), "v2", 0.10, "gateway, VirtualService 90:10");
        K3sSuite.assertShare(sample(up.app()), "v2", 0.50,
                "app's own NodePort " + up.app() + " (kube-proxy; 1 v1 pod, 1 v2 pod; VirtualService 90:10)");
    }

    @Test
    @Order(5)
    void aWeightChangeThroughTheApiShiftsTheEdge() {
        route("100:0");
        awaitAll("v1");
        route("0:100");
        awaitAll("v2");
        route("header");
        awaitAll("v1");
        assertThat(EdgeClient.sample(up.gateway().host(), up.gateway().port(), 20, Map.of("end-user", "jason"), TIMEOUT))
                .isEqualTo(Map.of("v2", 20));
    }

    @Test
    @Order(6)
    void statusAndWeightsWorkOnTheRunningTestbed() {
        testbed.weights(NAME, "80:20");
        assertThat(testbed.status(NAME)).isTrue();
        K3sSuite.assertShare(sample(up.gateway()), "v2", 0.20, "gateway after make weights W=80:20");
    }
}
