package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Service;
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
 * The lesson's checks on a whole {@code make up}, whatever the cluster comes from (k3s in Docker,
 * the cluster built from modules): with a load balancer the LoadBalancer path is taken, without
 * one EXTERNAL-IP stays pending and Istio's fallback (a node address, nodePort 31380) is; through
 * the gateway the split follows the VirtualService's weights, by either path; through the app's
 * own NodePort it follows the pod count (one v1 pod, one v2 pod: about 50/50 whatever the
 * weights, with a new connection per request); a weight change through the API shifts the edge;
 * {@code status} and {@code weights} work on the running testbed.
 *
 * <p>A subclass says where the cluster comes from and whether it can run here; when it cannot,
 * every test is skipped with that reason (said once), and in CI that is a failure instead.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ClusterEdgeChecks {

    static final Duration TIMEOUT = Duration.ofSeconds(5);

    final Project project = Project.locate(null);
    Testbed testbed;
    Testbed.UpResult up;
    KubernetesClient client;
    String skip;

    /** The testbed's name: never the default one, so that a running {@code make up} is left alone. */
    abstract String name();

    /** Null if this cluster can run here, else why not. */
    abstract String skipReason();

    abstract Testbed.UpOptions options();

    /** One line for the skip message and the assertions. */
    abstract String suite();

    /** Says why the suite skips, in one line (a tier of several suites may say it once for all). */
    void announceSkip(String why) {
        System.out.println(suite() + " skipped: " + why);
    }

    @BeforeAll
    void up() {
        skip = skipReason();
        if (skip != null) {
            announceSkip(skip);
            return;
        }
        testbed = new Testbed(project, System.out);
        testbed.down(name(), false); // what a killed earlier run left
        up = testbed.up(options());
        client = Testbed.client(up.kubeconfig());
    }

    @BeforeEach
    void assumeAvailable() {
        ClusterTier.assumeAvailable(suite(), skip);
    }

    @AfterAll
    void down() {
        if (client != null) {
            client.close();
        }
        if (testbed != null) {
            testbed.down(name(), false);
        }
    }

    Map<String, Integer> sample(HostPort where) {
        return EdgeClient.sample(where.host(), where.port(), ClusterTier.SAMPLE, Map.of(), TIMEOUT);
    }

    void route(String spec) {
        testbed.applyRoute(client, Routes.resolve(project, spec));
    }

    /** Until 30 requests in a row through the gateway all answer {@code version}. */
    void awaitAll(String version) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
                EdgeClient.sample(up.gateway().host(), up.gateway().port(), 30, Map.of(), TIMEOUT)
                        .equals(Map.of(version, 30)));
    }

    @Test
    @Order(1)
    void thePathFollowsTheLoadBalancer() {
        Service svc = client.services().inNamespace("istio-system").withName("istio-ingressgateway").get();
        assertThat(svc.getSpec().getType()).isEqualTo("LoadBalancer");
        if (options().loadBalancer()) {
            assertThat(up.ingress().path()).isEqualTo(IngressAddress.Path.LOAD_BALANCER);
            assertThat(up.ingress().port()).isEqualTo(80);
            assertThat(up.ingress().reason()).contains("status.loadBalancer.ingress[0].ip");
            assertThat(svc.getStatus().getLoadBalancer().getIngress()).as("EXTERNAL-IP").isNotEmpty();
            assertThat(up.env().values()).containsEntry("INGRESS_PATH", "loadbalancer");
        } else {
            assertThat(svc.getStatus().getLoadBalancer().getIngress()).as("EXTERNAL-IP <pending>").isNullOrEmpty();
            assertThat(up.ingress().path()).isEqualTo(IngressAddress.Path.NODE_PORT);
            assertThat(up.ingress().port()).isEqualTo(31380);
            assertThat(up.ingress().reason()).contains("EXTERNAL-IP <pending>", "nodePort of http2, 31380");
            assertThat(up.env().values()).containsEntry("INGRESS_PATH", "nodeport")
                    .containsEntry("INGRESS_CLUSTER_PORT", "31380");
            assertThat(up.gateway()).isEqualTo(up.gatewayNodePort());
        }
        assertThat(up.env().values()).containsEntry("LB", options().loadBalancer() ? "on" : "off")
                .containsKeys("GATEWAY_URL", "NODEPORT_URL", "APP_URL", "KUBECONFIG");
        assertThat(TestbedEnv.read(up.envFile()).orElseThrow().values()).isEqualTo(up.env().values());
    }

    @Test
    @Order(2)
    void eightyTwentyThroughTheEdge() {
        ClusterTier.assertShare(sample(up.gateway()), "v2", 0.20, "gateway by the " + up.ingress().path().id()
                + " path " + up.gateway());
    }

    @Test
    @Order(3)
    void eightyTwentyThroughNodePort31380() {
        ClusterTier.assertShare(sample(up.gatewayNodePort()), "v2", 0.20, "gateway via nodePort 31380 "
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

        ClusterTier.assertShare(sample(up.gateway()), "v2", 0.10, "gateway, VirtualService 90:10");
        ClusterTier.assertShare(sample(up.app()), "v2", 0.50,
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
        testbed.weights(name(), "80:20");
        assertThat(testbed.status(name())).isTrue();
        // the route before sent everyone to v1: once v2 answers, the gateway serves the new weights
        // (sampled before that, the old table's answers would count against the split)
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                EdgeClient.sample(up.gateway().host(), up.gateway().port(), 30, Map.of(), TIMEOUT).containsKey("v2"));
        ClusterTier.assertShare(sample(up.gateway()), "v2", 0.20, "gateway after make weights W=80:20");
    }
}
