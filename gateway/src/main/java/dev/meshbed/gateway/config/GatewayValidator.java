package dev.meshbed.gateway.config;

import io.fabric8.istio.api.api.networking.v1alpha3.Gateway;
import io.fabric8.istio.api.api.networking.v1alpha3.Port;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSCertificate;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettingsTLSmode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Gateway checks, as Istio's webhook makes them: servers, their ports, binds and protocols,
 * {@code [namespace/]host} entries, unique port names, and TLS settings that fit the protocol.
 */
final class GatewayValidator {

    /** The protocols a Gateway server port may declare (Istio's list). */
    private static final List<String> PROTOCOLS =
            List.of("HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "MONGO", "TCP", "TLS");
    private static final List<String> HTTP_PROTOCOLS = List.of("HTTP", "HTTP2", "GRPC", "GRPC-WEB");

    private GatewayValidator() {
    }

    static void validate(Gateway spec, Problems problems) {
        if (problems.nonEmpty("spec.servers", spec.getServers())) {
            problems.forEach("spec.servers", spec.getServers(), (path, server) -> server(path, server, problems));
        }
        // Istio: port names in servers must be unique (they name Envoy listeners' filter chains).
        Map<String, Integer> portNames = new HashMap<>();
        problems.forEach("spec.servers", spec.getServers(), (path, server) -> {
            Port port = server.getPort();
            if (port != null && port.getName() != null && !port.getName().isEmpty()) {
                Integer first = portNames.putIfAbsent(port.getName(), portNames.size());
                if (first != null) {
                    problems.add(path + ".port.name", "\"" + port.getName() + "\" is already the name of another"
                            + " server's port (expected: unique port names)");
                }
            }
        });
    }

    private static void server(String path, Server server, Problems problems) {
        Port port = server.getPort();
        String bind = server.getBind();
        boolean unixBind = bind != null && bind.startsWith(WorkloadEntryValidator.UNIX_PREFIX);
        String protocol = null;
        if (problems.required(path + ".port", port)) {
            Long number = port.getNumber();
            if (unixBind) {
                if (number != null && number != 0) {
                    problems.add(path + ".port.number", number + " (expected: 0 with a unix:// bind)");
                }
            } else if (problems.required(path + ".port.number", number)) {
                problems.port(path + ".port.number", number);
            }
            if (port.getTargetPort() != null && port.getTargetPort() > 0) {
                problems.add(path + ".port.targetPort", "has no effect on a Gateway (expected: not set)");
            }
            problems.required(path + ".port.name", port.getName());
            String declared = port.getProtocol();
            if (problems.required(path + ".port.protocol", declared)) {
                String upper = declared.toUpperCase(Locale.ROOT);
                if (!PROTOCOLS.contains(upper)) {
                    problems.add(path + ".port.protocol",
                            "\"" + declared + "\" is not one of " + String.join(", ", PROTOCOLS));
                } else {
                    protocol = upper;
                }
            }
        }
        if (bind != null && !bind.isEmpty()) {
            if (unixBind) {
                WorkloadEntryValidator.unixPath(path + ".bind", bind, problems);
            } else if (!HostSyntax.isIpAddress(bind)) {
                problems.add(path + ".bind", "\"" + bind + "\" is not an IP address (expected: an IP address or unix:// path)");
            }
        }
        if (problems.nonEmpty(path + ".hosts", server.getHosts())) {
            problems.forEach(path + ".hosts", server.getHosts(), (hostPath, host) -> host(hostPath, host, problems));
        }
        ServerTLSSettings tls = server.getTls();
        tls(path + ".tls", tls, problems);
        if (protocol != null) {
            boolean tlsProtocol = protocol.equals("HTTPS") || protocol.equals("TLS");
            if (tlsProtocol && tls == null) {
                // Istio rejects such a server: there is nothing to terminate TLS with.
                problems.add(path + ".tls", "required when the protocol is " + protocol);
            } else if (!tlsProtocol && tls != null) {
                if (!HTTP_PROTOCOLS.contains(protocol)) {
                    problems.add(path + ".tls", "not allowed when the protocol is " + protocol
                            + " (expected: HTTPS or TLS for TLS settings)");
                } else if (!isPassthrough(tls) || present(tls.getCaCertificates()) || present(tls.getPrivateKey())
                        || present(tls.getServerCertificate())) {
                    // A plain HTTP server may only carry httpsRedirect.
                    problems.add(path + ".tls", "a plain " + protocol + " server takes no TLS settings but"
                            + " httpsRedirect (expected: protocol HTTPS to terminate TLS)");
                }
            }
        }
    }

    /** The mode's default (0 in the proto) is PASSTHROUGH: a server with only httpsRedirect has it. */
    private static boolean isPassthrough(ServerTLSSettings tls) {
        return tls.getMode() == null || tls.getMode() == ServerTLSSettingsTLSmode.PASSTHROUGH
                || tls.getMode() == ServerTLSSettingsTLSmode.AUTO_PASSTHROUGH;
    }

    /** Istio's rules for where a server's certificate comes from, by TLS mode. */
    private static void tls(String path, ServerTLSSettings tls, Problems problems) {
        if (tls == null) {
            return;
        }
        ServerTLSSettingsTLSmode mode = tls.getMode();
        boolean credentialNames = tls.getCredentialNames() != null && !tls.getCredentialNames().isEmpty();
        boolean tlsCertificates = tls.getTlsCertificates() != null && !tls.getTlsCertificates().isEmpty();
        if (mode == ServerTLSSettingsTLSmode.ISTIO_MUTUAL) {
            List<String> set = new ArrayList<>();
            addIf(set, present(tls.getServerCertificate()), "serverCertificate");
            addIf(set, present(tls.getPrivateKey()), "privateKey");
            addIf(set, present(tls.getCaCertificates()), "caCertificates");
            addIf(set, tlsCertificates, "tlsCertificates");
            addIf(set, present(tls.getCredentialName()), "credentialName");
            addIf(set, credentialNames, "credentialNames");
            if (!set.isEmpty()) {
                problems.add(path, "ISTIO_MUTUAL uses the mesh's certificates (found: " + String.join(", ", set) + ")");
            }
            return;
        }
        List<String> sources = new ArrayList<>();
        addIf(sources, present(tls.getServerCertificate()) && present(tls.getPrivateKey()),
                "serverCertificate/privateKey");
        addIf(sources, present(tls.getCredentialName()), "credentialName");
        addIf(sources, credentialNames, "credentialNames");
        addIf(sources, tlsCertificates, "tlsCertificates");
        if (sources.size() > 1) {
            problems.add(path, "only one certificate source may be set (found: " + String.join(", ", sources) + ")");
        }
        boolean terminating = mode == ServerTLSSettingsTLSmode.SIMPLE || mode == ServerTLSSettingsTLSmode.MUTUAL
                || mode == ServerTLSSettingsTLSmode.OPTIONAL_MUTUAL;
        if (terminating && !present(tls.getCredentialName()) && !credentialNames) {
            String name = mode == ServerTLSSettingsTLSmode.SIMPLE ? "SIMPLE" : "MUTUAL";
            if (mode != ServerTLSSettingsTLSmode.SIMPLE && !present(tls.getCaCertificates())) {
                problems.add(path + ".caCertificates", "required by " + name + " TLS without credentialName");
            }
            if (tlsCertificates) {
                problems.forEach(path + ".tlsCertificates", tls.getTlsCertificates(),
                        (certPath, cert) -> certificate(certPath, cert.getServerCertificate(), cert.getPrivateKey(),
                                name, problems));
            } else {
                certificate(path, tls.getServerCertificate(), tls.getPrivateKey(), name, problems);
            }
        }
        if (present(tls.getCaCrl())) {
            if (present(tls.getCredentialName())) {
                problems.add(path + ".caCrl", "not allowed with credentialName (expected: the CRL in the credential)");
            }
            if (mode == ServerTLSSettingsTLSmode.SIMPLE) {
                problems.add(path + ".caCrl", "not allowed with SIMPLE TLS (expected: MUTUAL)");
            }
        }
    }

    private static void certificate(String path, String certificate, String key, String mode, Problems problems) {
        if (!present(certificate)) {
            problems.add(path + ".serverCertificate", "required by " + mode + " TLS without credentialName");
        }
        if (!present(key)) {
            problems.add(path + ".privateKey", "required by " + mode + " TLS without credentialName");
        }
    }

    private static void addIf(List<String> list, boolean condition, String name) {
        if (condition) {
            list.add(name);
        }
    }

    private static boolean present(String s) {
        return s != null && !s.isEmpty();
    }

    /**
     * {@code [namespace/]dnsName}: namespace {@code *}, {@code .} or a name; host {@code *},
     * {@code *.suffix}, a fully qualified DNS name (Istio refuses short names here) or an IP.
     */
    private static void host(String path, String host, Problems problems) {
        int slash = host.indexOf('/');
        String namespace = slash < 0 ? null : host.substring(0, slash);
        String name = slash < 0 ? host : host.substring(slash + 1);
        if (namespace != null && !namespace.equals("*") && !namespace.equals(".")
                && !HostSyntax.isDnsLabel(namespace)) {
            problems.add(path, "\"" + host + "\" has an invalid namespace \"" + namespace
                    + "\" (expected: *, . or a namespace name)");
        } else if (HostSyntax.isPartialWildcard(name)
                || (!HostSyntax.isIstioHost(name) && !HostSyntax.isIpAddress(name))) {
            problems.add(path, "\"" + host + "\" is not a valid host"
                    + " (expected: [namespace/]host where host is *, *.example.com or a DNS name)");
        } else if (!name.equals("*") && !name.contains(".")) {
            problems.add(path, "\"" + host + "\" is a short name (expected: a fully qualified name such as "
                    + name + ".example.com, or *)");
        }
    }
}
