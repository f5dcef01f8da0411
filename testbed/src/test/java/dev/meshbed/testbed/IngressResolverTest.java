package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Istio's "Determining the ingress IP and ports" against fabric8's mock API server (CRUD mode),
 * with the gateway Service exactly as manifests/gateway/service.yaml declares it.
 */
class IngressResolverTest {

    private static final String NS = "istio-system";
    private static final String NAME = "istio-ingressgateway";

    private final Project project = Project.locate(null);
    private MockApi api;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        api = MockApi.start();
        client = api.client();
        client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
                .withName(NS).endMetadata().build()).create();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    /** The manifest's Service, with a status as a load balancer (or none) would leave it. */
    private Service gatewayService(String ip, String hostname) {
        Service fromManifest = EdgePorts.service(Manifests.loadFolder(project.manifests().resolve("gateway")), NS, NAME);
        ServiceBuilder b = new ServiceBuilder(fromManifest);
        if (ip != null || hostname != null) {
            b.withNewStatus().withNewLoadBalancer().withIngress(new LoadBalancerIngressBuilder().withIp(ip)
                    .withHostname(hostname).build()).endLoadBalancer().endStatus();
        }
        return client.services().inNamespace(NS).resource(b.build()).create();
    }

    private void node(String name, String internal, String external) {
        NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewStatus()
                .addNewAddress().withType("Hostname").withAddress(name).endAddress()
                .addNewAddress().withType("InternalIP").withAddress(internal).endAddress().endStatus();
        if (external != null) {
            b.editStatus().addNewAddress().withType("ExternalIP").withAddress(external).endAddress().endStatus();
        }
        client.nodes().resource(b.build()).create();
    }

    private void gatewayPod(String name, String nodeName, String hostIP) {
        client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(NS)
                .withLabels(Map.of("app", "istio-ingressgateway", "istio", "ingressgateway")).endMetadata()
                .withNewSpec().withNodeName(nodeName).addNewContainer().withName("istio-proxy").withImage("x")
                .endContainer().endSpec()
                .withNewStatus().withPhase("Running").withHostIP(hostIP).endStatus().build()).create();
    }

    private IngressAddress resolve() {
        return IngressResolver.resolve(client, NS, NAME, IngressResolver.HTTP_PORT_NAME);
    }

    @Test
    void aLoadBalancerIpAndTheServicePort() {
        gatewayService("172.18.0.2", null);
        node("k3s", "172.18.0.2", null);

        IngressAddress a = resolve();

        assertThat(a.path()).isEqualTo(IngressAddress.Path.LOAD_BALANCER);
        assertThat(a.hostPort()).isEqualTo("172.18.0.2:80");
        assertThat(a.reason()).contains("status.loadBalancer.ingress[0].ip 172.18.0.2", "port http2 is 80");
    }

    @Test
    void aLoadBalancerHostname() {
        gatewayService(null, "lb-1234.elb.example.com");

        IngressAddress a = resolve();

        assertThat(a.path()).isEqualTo(IngressAddress.Path.LOAD_BALANCER);
        assertThat(a.hostPort()).isEqualTo("lb-1234.elb.example.com:80");
        assertThat(a.reason()).contains("ingress[0].hostname lb-1234.elb.example.com");
    }

    @Test
    void pendingFallsBackToTheGatewayPodsHostIpAndTheNodePort() {
        gatewayService(null, null);
        node("worker-1", "10.0.0.7", null);
        gatewayPod("istio-ingressgateway-abc", "worker-1", "10.0.0.7");

        IngressAddress a = resolve();

        assertThat(a.path()).isEqualTo(IngressAddress.Path.NODE_PORT);
        assertThat(a.hostPort()).isEqualTo("10.0.0.7:31380");
        assertThat(a.reason()).contains("EXTERNAL-IP <pending>", "status.hostIP of the gateway pod istio-ingressgateway-abc",
                "nodePort of http2, 31380");
    }

    @Test
    void pendingWithoutPodsUsesANodesAddress() {
        gatewayService(null, null);
        node("k3s-server", "172.17.0.3", null);

        IngressAddress a = resolve();

        assertThat(a.path()).isEqualTo(IngressAddress.Path.NODE_PORT);
        assertThat(a.hostPort()).isEqualTo("172.17.0.3:31380");
        assertThat(a.reason()).contains("the InternalIP of node k3s-server");
    }

    @Test
    void pendingPrefersTheExternalIpOfTheGatewaysNode() {
        gatewayService(null, null);
        node("a", "10.0.0.1", "203.0.113.1");
        node("b", "10.0.0.2", "203.0.113.2");
        gatewayPod("gw", "b", "10.0.0.2");

        IngressAddress a = resolve();

        assertThat(a.hostPort()).isEqualTo("203.0.113.2:31380");
        assertThat(a.reason()).contains("the ExternalIP of node b, where the gateway pod gw runs");
    }

    @Test
    void aNodePortServiceTakesTheNodePortPath() {
        Service s = new ServiceBuilder(EdgePorts.service(Manifests.loadFolder(project.manifests().resolve("gateway")),
                NS, NAME)).editSpec().withType("NodePort").endSpec().build();
        client.services().inNamespace(NS).resource(s).create();
        node("minikube", "192.168.49.2", null);

        IngressAddress a = resolve();

        assertThat(a.path()).isEqualTo(IngressAddress.Path.NODE_PORT);
        assertThat(a.hostPort()).isEqualTo("192.168.49.2:31380");
        assertThat(a.reason()).contains("is of type NodePort, not LoadBalancer");
    }

    @Test
    void theNodePortWayAlsoBesideALoadBalancer() {
        gatewayService("172.18.0.2", null);
        node("k3s", "172.18.0.2", null);

        IngressAddress a = IngressResolver.resolveNodePort(IngressResolver.observe(client, NS, NAME),
                IngressResolver.HTTP_PORT_NAME);

        assertThat(a.path()).isEqualTo(IngressAddress.Path.NODE_PORT);
        assertThat(a.hostPort()).isEqualTo("172.18.0.2:31380");
    }

    @Test
    void pendingWithNoNodeAddressSaysSo() {
        gatewayService(null, null);

        assertThatThrownBy(this::resolve).isInstanceOf(TestbedException.class)
                .hasMessageContaining("EXTERNAL-IP <pending>").hasMessageContaining("no node address is known");
    }

    @Test
    void aMissingServiceOrPortSaysSo() {
        assertThatThrownBy(this::resolve).hasMessageContaining("Service istio-system/istio-ingressgateway does not exist");
        gatewayService("1.2.3.4", null);
        assertThatThrownBy(() -> IngressResolver.resolve(client, NS, NAME, "http"))
                .hasMessageContaining("has no port named http");
    }
}
