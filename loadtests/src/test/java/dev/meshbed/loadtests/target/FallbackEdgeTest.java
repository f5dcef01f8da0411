package dev.meshbed.loadtests.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshbed.testbed.IngressAddress;
import dev.meshbed.testbed.TestbedEnv;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Fallback resolves the edge from the API as make up does, and goes through what make up published. */
@EnableKubernetesMockClient(crud = true)
class FallbackEdgeTest {

    static KubernetesClient client;

    @BeforeEach
    void gatewayServiceWithoutLoadBalancer() {
        client.services().inNamespace("istio-system").resource(new ServiceBuilder().withNewMetadata()
                .withName("istio-ingressgateway").withNamespace("istio-system").endMetadata()
                .withNewSpec().withType("LoadBalancer").addNewPort().withName("http2").withPort(80).withNodePort(31380)
                .endPort().endSpec().build()).createOr(r -> r.update());
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-1").endMetadata()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress("172.18.0.2").endAddress().endStatus()
                .build()).createOr(r -> r.update());
    }

    private static RunningTestbed testbed(String env) {
        return new RunningTestbed(RunningTestbed.Mode.CLUSTER, Path.of("target/testbed/testbed.env"), TestbedEnv.parse(env));
    }

    @Test
    void pendingExternalIpTakesTheNodePortPathThroughWhatMakeUpPublished() {
        RunningTestbed tb = testbed("INGRESS_CLUSTER_HOST=172.18.0.2\nINGRESS_CLUSTER_PORT=31380\nGATEWAY_URL=127.0.0.1:40001\n");
        Targets.Edge edge = Targets.fallbackEdge(tb, client);
        assertThat(edge.resolved().path()).isEqualTo(IngressAddress.Path.NODE_PORT);
        assertThat(edge.resolved().hostPort()).isEqualTo("172.18.0.2:31380");
        assertThat(edge.resolved().reason()).contains("EXTERNAL-IP <pending>");
        assertThat(edge.url()).isEqualTo("http://127.0.0.1:40001");
    }

    @Test
    void anEdgeThatMovedSinceMakeUpIsSaidSo() {
        RunningTestbed tb = testbed("INGRESS_CLUSTER_HOST=172.18.0.9\nINGRESS_CLUSTER_PORT=31380\nGATEWAY_URL=127.0.0.1:40001\n");
        assertThatThrownBy(() -> Targets.fallbackEdge(tb, client)).hasMessageContaining("the edge moved since `make up`");
    }

    @Test
    void aLoadBalancerAddressTakesTheLoadBalancerPath() {
        client.services().inNamespace("istio-system").withName("istio-ingressgateway").editStatus(s -> {
            s.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatusBuilder().withNewLoadBalancer().addNewIngress()
                    .withIp("172.18.0.2").endIngress().endLoadBalancer().build());
            return s;
        });
        RunningTestbed tb = testbed("");
        Targets.Edge edge = Targets.fallbackEdge(tb, client);
        assertThat(edge.resolved().path()).isEqualTo(IngressAddress.Path.LOAD_BALANCER);
        assertThat(edge.url()).isEqualTo("http://172.18.0.2:80");
    }
}
