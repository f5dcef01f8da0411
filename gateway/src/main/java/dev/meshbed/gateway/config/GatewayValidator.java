package dev.meshbed.gateway.config;

import io.fabric8.istio.api.api.networking.v1alpha3.Gateway;
import io.fabric8.istio.api.api.networking.v1alpha3.Port;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import java.util.List;
import java.util.Locale;

/** Gateway checks: servers, their ports and protocols, and {@code [namespace/]host} entries. */
final class GatewayValidator {

    /** The protocols a Gateway server port may declare (Istio's list). */
    private static final List<String> PROTOCOLS =
            List.of("HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "MONGO", "TCP", "TLS");

    private GatewayValidator() {
    }

    static void validate(Gateway spec, Problems problems) {
        if (problems.nonEmpty("spec.servers", spec.getServers())) {
            problems.forEach("spec.servers", spec.getServers(), (path, server) -> server(path, server, problems));
        }
    }

    private static void server(String path, Server server, Problems problems) {
        Port port = server.getPort();
        if (problems.required(path + ".port", port)) {
            if (problems.required(path + ".port.number", port.getNumber())) {
                problems.port(path + ".port.number", port.getNumber());
            }
            String protocol = port.getProtocol();
            if (problems.required(path + ".port.protocol", protocol)) {
                String upper = protocol.toUpperCase(Locale.ROOT);
                if (!PROTOCOLS.contains(upper)) {
                    problems.add(path + ".port.protocol",
                            "\"" + protocol + "\" is not one of " + String.join(", ", PROTOCOLS));
                } else if ((upper.equals("HTTPS") || upper.equals("TLS")) && server.getTls() == null) {
                    // Istio rejects such a server: there is nothing to terminate TLS with.
                    problems.add(path + ".tls", "required when the protocol is " + upper);
                }
            }
        }
        if (problems.nonEmpty(path + ".hosts", server.getHosts())) {
            problems.forEach(path + ".hosts", server.getHosts(), (hostPath, host) -> host(hostPath, host, problems));
        }
    }

    /** {@code [namespace/]dnsName}: namespace {@code *}, {@code .} or a name; host {@code *}, {@code *.suffix} or a DNS name. */
    private static void host(String path, String host, Problems problems) {
        int slash = host.indexOf('/');
        String namespace = slash < 0 ? null : host.substring(0, slash);
        String name = slash < 0 ? host : host.substring(slash + 1);
        if (namespace != null && !namespace.equals("*") && !namespace.equals(".")
                && !HostSyntax.isDnsLabel(namespace)) {
            problems.add(path, "\"" + host + "\" has an invalid namespace \"" + namespace
                    + "\" (expected: *, . or a namespace name)");
        } else if (!HostSyntax.isWildcardOrDnsName(name)) {
            problems.add(path, "\"" + host + "\" is not a valid host"
                    + " (expected: [namespace/]host where host is *, *.example.com or a DNS name)");
        }
    }
}
