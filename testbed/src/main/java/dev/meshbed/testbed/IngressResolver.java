package dev.meshbed.testbed;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Istio's "Determining the ingress IP and ports", automated (istio.io, tasks/traffic-management/
 * ingress/ingress-control):
 *
 * <ol>
 * <li>If the gateway Service is a LoadBalancer and {@code status.loadBalancer.ingress[0]} has an
 *     {@code ip} (or else a {@code hostname}), that and the port named {@code http2} ({@code .port}).
 * <li>Otherwise (EXTERNAL-IP {@code <pending>} or {@code <none>}) a node address and that port's
 *     {@code nodePort}. The address: the ExternalIP of the node the gateway pod runs on, else the
 *     gateway pod's {@code status.hostIP} (Istio's instruction for "other environments"), else any
 *     node's ExternalIP, else any node's InternalIP.
 * </ol>
 *
 * <p>{@link #resolve(Service, String, List, List)} is a pure function of the objects;
 * {@link #resolve(KubernetesClient, String, String, String)} reads them from the API first.
 */
public final class IngressResolver {

    /** The Service port Istio's procedure reads: plain HTTP, 80 → nodePort 31380 here. */
    public static final String HTTP_PORT_NAME = "http2";

    private IngressResolver() {
    }

    /** What the resolution reads: the gateway's Service, the Nodes, the pods the Service selects. */
    public record Observation(Service service, List<Node> nodes, List<Pod> gatewayPods) {
    }

    /**
     * Reads the Service {@code namespace/name}, the pods its selector picks and the Nodes.
     *
     * @throws TestbedException if the Service does not exist
     */
    public static Observation observe(KubernetesClient client, String namespace, String name) {
        Service service = client.services().inNamespace(namespace).withName(name).get();
        if (service == null) {
            throw new TestbedException("Service " + namespace + "/" + name + " does not exist", TestbedException.FAILED);
        }
        Map<String, String> selector = service.getSpec() == null ? null : service.getSpec().getSelector();
        List<Pod> pods = selector == null || selector.isEmpty() ? List.of()
                : client.pods().inNamespace(namespace).withLabels(selector).list().getItems();
        List<Node> nodes;
        try {
            nodes = client.nodes().list().getItems();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            // listing Nodes needs a cluster-wide permission a namespaced user may lack; the pod's hostIP still works
            if (e.getCode() != 403) {
                throw e;
            }
            nodes = List.of();
        }
        return new Observation(service, nodes, pods);
    }

    /** {@link #observe} and {@link #resolve(Service, String, List, List)}. */
    public static IngressAddress resolve(KubernetesClient client, String namespace, String name, String portName) {
        Observation o = observe(client, namespace, name);
        return resolve(o.service(), portName, o.nodes(), o.gatewayPods());
    }

    /**
     * The NodePort way only, whatever a load balancer says: a node address and the nodePort of
     * {@code portName} (what clients use where EXTERNAL-IP stays pending; it works beside a load
     * balancer too).
     */
    public static IngressAddress resolveNodePort(Observation o, String portName) {
        Service service = o.service();
        ServicePort port = port(service, portName);
        return viaNodePort(service, port, portName, "the nodePort way, whatever the load balancer says",
                o.nodes(), o.gatewayPods());
    }

    /**
     * @param service     the gateway's Service
     * @param portName    the Service port to use ({@link #HTTP_PORT_NAME})
     * @param nodes       the cluster's Nodes (may be empty)
     * @param gatewayPods the pods the Service selects (may be empty)
     * @throws TestbedException if the port is missing, or no load balancer answered and no node address is known
     */
    public static IngressAddress resolve(Service service, String portName, List<Node> nodes, List<Pod> gatewayPods) {
        String id = id(service);
        ServicePort port = port(service, portName);
        String type = service.getSpec().getType() == null ? "ClusterIP" : service.getSpec().getType();

        String why;
        if ("LoadBalancer".equals(type)) {
            List<LoadBalancerIngress> ingress = service.getStatus() == null
                    || service.getStatus().getLoadBalancer() == null ? null
                            : service.getStatus().getLoadBalancer().getIngress();
            if (ingress != null && !ingress.isEmpty()) {
                LoadBalancerIngress first = ingress.get(0);
                if (notBlank(first.getIp())) {
                    return new IngressAddress(IngressAddress.Path.LOAD_BALANCER, first.getIp(), port.getPort(),
                            "a load balancer answered: Service " + id + " has status.loadBalancer.ingress[0].ip "
                                    + first.getIp() + "; port " + portName + " is " + port.getPort());
                }
                if (notBlank(first.getHostname())) {
                    return new IngressAddress(IngressAddress.Path.LOAD_BALANCER, first.getHostname(), port.getPort(),
                            "a load balancer answered: Service " + id + " has status.loadBalancer.ingress[0].hostname "
                                    + first.getHostname() + "; port " + portName + " is " + port.getPort());
                }
                why = "status.loadBalancer.ingress[0] of Service " + id + " has neither ip nor hostname";
            } else {
                why = "no load balancer answered: Service " + id
                        + " is a LoadBalancer but status.loadBalancer.ingress is empty (EXTERNAL-IP <pending>)";
            }
        } else {
            why = "Service " + id + " is of type " + type + ", not LoadBalancer";
        }
        return viaNodePort(service, port, portName, why, nodes, gatewayPods);
    }

    private static String id(Service service) {
        return service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
    }

    private static ServicePort port(Service service, String portName) {
        ServicePort port = service.getSpec() == null || service.getSpec().getPorts() == null ? null
                : service.getSpec().getPorts().stream().filter(p -> portName.equals(p.getName())).findFirst()
                        .orElse(null);
        if (port == null || port.getPort() == null) {
            throw new TestbedException("Service " + id(service) + " has no port named " + portName,
                    TestbedException.FAILED);
        }
        return port;
    }

    private static IngressAddress viaNodePort(Service service, ServicePort port, String portName, String why,
            List<Node> nodes, List<Pod> gatewayPods) {
        if (port.getNodePort() == null || port.getNodePort() <= 0) {
            throw new TestbedException(why + ", and its port " + portName + " has no nodePort: no way in from outside",
                    TestbedException.FAILED);
        }
        NodeChoice node = nodeAddress(nodes, gatewayPods).orElseThrow(() -> new TestbedException(
                why + "; no node address is known either (no Node with an address, no running gateway pod with a "
                        + "hostIP)", TestbedException.FAILED));
        return new IngressAddress(IngressAddress.Path.NODE_PORT, node.address(), port.getNodePort(),
                why + "; so a node address, " + node.address() + " (" + node.source() + "), and the nodePort of "
                        + portName + ", " + port.getNodePort());
    }

    private record NodeChoice(String address, String source) {
    }

    private static Optional<NodeChoice> nodeAddress(List<Node> nodes, List<Pod> pods) {
        List<Pod> running = pods.stream()
                .filter(p -> p.getStatus() != null && notBlank(p.getStatus().getHostIP()))
                .sorted(Comparator.comparing((Pod p) -> !"Running".equals(p.getStatus().getPhase()))
                        .thenComparing(p -> p.getMetadata().getName()))
                .toList();
        for (Pod pod : running) {
            String nodeName = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
            for (Node node : nodes) {
                if (node.getMetadata().getName().equals(nodeName)) {
                    Optional<String> external = address(node, "ExternalIP");
                    if (external.isPresent()) {
                        return Optional.of(new NodeChoice(external.get(), "the ExternalIP of node " + nodeName
                                + ", where the gateway pod " + pod.getMetadata().getName() + " runs"));
                    }
                }
            }
        }
        if (!running.isEmpty()) {
            Pod pod = running.get(0);
            return Optional.of(new NodeChoice(pod.getStatus().getHostIP(),
                    "status.hostIP of the gateway pod " + pod.getMetadata().getName()));
        }
        for (String type : List.of("ExternalIP", "InternalIP")) {
            for (Node node : nodes.stream().sorted(Comparator.comparing(n -> n.getMetadata().getName())).toList()) {
                Optional<String> a = address(node, type);
                if (a.isPresent()) {
                    return Optional.of(new NodeChoice(a.get(), "the " + type + " of node " + node.getMetadata().getName()));
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<String> address(Node node, String type) {
        if (node.getStatus() == null || node.getStatus().getAddresses() == null) {
            return Optional.empty();
        }
        return node.getStatus().getAddresses().stream().filter(a -> type.equals(a.getType()))
                .map(NodeAddress::getAddress).filter(IngressResolver::notBlank).findFirst();
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }
}
