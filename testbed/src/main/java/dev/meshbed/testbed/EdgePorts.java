package dev.meshbed.testbed;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.ArrayList;
import java.util.List;

/**
 * The ports of the edge, read from the manifests (so they cannot drift apart): the gateway
 * Service's {@code http2} port (where a load balancer listens) and nodePort, its
 * {@code status-port} and nodePort, and the app Service's nodePort. k3s publishes exactly these.
 */
public record EdgePorts(int http2Port, int http2NodePort, int statusPort, int statusNodePort, int appNodePort) {

    public static final String GATEWAY_NAMESPACE = "istio-system";
    public static final String GATEWAY_SERVICE = "istio-ingressgateway";
    public static final String STATUS_PORT_NAME = "status-port";
    public static final String APP_NAMESPACE = "default";
    public static final String APP_SERVICE = "app";

    public static EdgePorts from(Manifests.Plan plan) {
        Service gateway = service(plan.resources(), GATEWAY_NAMESPACE, GATEWAY_SERVICE);
        Service app = service(plan.resources(), APP_NAMESPACE, APP_SERVICE);
        ServicePort http2 = port(gateway, IngressResolver.HTTP_PORT_NAME);
        ServicePort status = port(gateway, STATUS_PORT_NAME);
        ServicePort appPort = app.getSpec().getPorts().get(0);
        return new EdgePorts(http2.getPort(), nodePort(gateway, http2), status.getPort(), nodePort(gateway, status),
                nodePort(app, appPort));
    }

    /** The node's ports to publish. */
    public List<Integer> containerPorts() {
        List<Integer> out = new ArrayList<>(List.of(http2Port, http2NodePort, statusPort, statusNodePort, appNodePort));
        return out.stream().distinct().toList();
    }

    static Service service(List<HasMetadata> resources, String ns, String name) {
        return resources.stream().filter(Service.class::isInstance).map(Service.class::cast)
                .filter(s -> name.equals(s.getMetadata().getName()) && ns.equals(s.getMetadata().getNamespace()))
                .findFirst().orElseThrow(() -> new TestbedException("the manifests have no Service " + ns + "/" + name,
                        TestbedException.USAGE));
    }

    static ServicePort port(Service s, String name) {
        return s.getSpec().getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
                .orElseThrow(() -> new TestbedException("Service " + s.getMetadata().getName() + " has no port " + name,
                        TestbedException.USAGE));
    }

    private static int nodePort(Service s, ServicePort p) {
        if (p.getNodePort() == null) {
            throw new TestbedException("Service " + s.getMetadata().getName() + " port " + p.getName()
                    + " has no fixed nodePort", TestbedException.USAGE);
        }
        return p.getNodePort();
    }
}
