package dev.meshbed.testbed;

import static java.util.Objects.requireNonNull;

/**
 * Where clients reach the ingress gateway, as Istio's "Determining the ingress IP and ports"
 * finds it, and why: through the address a load balancer put into
 * {@code status.loadBalancer.ingress[0]} and the Service port, or, with no load balancer, through
 * a node address and the nodePort.
 *
 * @param path   which of the two ways was taken
 * @param host   an IP address or a host name
 * @param port   the Service port (load balancer) or the nodePort
 * @param reason one sentence saying where host and port come from and why this path
 */
public record IngressAddress(Path path, String host, int port, String reason) {

    /** The two ways of Istio's procedure. */
    public enum Path {
        /** {@code status.loadBalancer.ingress[0]} (ip or hostname) and the Service port. */
        LOAD_BALANCER("loadbalancer"),
        /** A node address and the nodePort: EXTERNAL-IP {@code <pending>} or no LoadBalancer at all. */
        NODE_PORT("nodeport");

        private final String id;

        Path(String id) {
            this.id = id;
        }

        /** {@code loadbalancer} or {@code nodeport}, as written to testbed.env. */
        public String id() {
            return id;
        }
    }

    public IngressAddress {
        requireNonNull(path, "path");
        requireNonNull(host, "host");
        requireNonNull(reason, "reason");
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
    }

    /** {@code host:port}, with brackets around an IPv6 address. */
    public String hostPort() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
