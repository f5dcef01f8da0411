package dev.meshbed.gateway.config;

import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryLocation;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.ServicePort;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** ServiceEntry checks: hosts, addresses, ports, and which endpoints each resolution mode allows (Istio's rules). */
final class ServiceEntryValidator {

    /** The protocols Istio parses (case-insensitive); an empty protocol means "sniff". */
    private static final List<String> PROTOCOLS = List.of("HTTP", "HTTPS", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-WEB",
            "TCP", "TLS", "UDP", "MONGO", "REDIS", "MYSQL");
    private static final List<String> HTTP_PROTOCOLS = List.of("HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY");
    private static final List<String> TLS_PROTOCOLS = List.of("HTTPS", "TLS");

    private ServiceEntryValidator() {
    }

    static void validate(ServiceEntry spec, Problems problems) {
        ServiceEntryResolution resolution = spec.getResolution() == null ? ServiceEntryResolution.NONE
                : spec.getResolution();
        List<String> hosts = spec.getHosts() == null ? List.of() : spec.getHosts();
        if (problems.nonEmpty("spec.hosts", spec.getHosts())) {
            problems.forEach("spec.hosts", spec.getHosts(), (path, host) -> {
                if (host.equals("*")) {
                    problems.add(path, "\"*\" is not allowed (expected: a DNS name or *.example.com)");
                } else if (!HostSyntax.isIstioHost(host)) {
                    problems.add(path, "\"" + host + "\" is not a valid host"
                            + " (expected: *.example.com or a DNS name)");
                }
            });
        }
        selector(spec, problems);
        boolean cidr = false;
        List<String> addresses = spec.getAddresses() == null ? List.of() : spec.getAddresses();
        for (int i = 0; i < addresses.size(); i++) {
            String address = addresses.get(i);
            String path = FieldPath.index("spec.addresses", i);
            if (address == null) {
                problems.add(path, "required");
                continue;
            }
            cidr |= address.contains("/");
            if (!HostSyntax.isIpOrCidr(address)) {
                problems.add(path, "\"" + address + "\" is not an IP address or CIDR block");
            }
        }
        if (cidr && resolution != ServiceEntryResolution.NONE && resolution != ServiceEntryResolution.STATIC) {
            problems.add("spec.addresses", "CIDR blocks need resolution NONE or STATIC (found: " + resolution + ")");
        }
        Set<String> portNames = new HashSet<>();
        Set<Long> portNumbers = new HashSet<>();
        problems.forEach("spec.ports", spec.getPorts(), (path, port) -> {
            Long number = port.getNumber();
            if (problems.required(path + ".number", number)) {
                problems.port(path + ".number", number);
                if (!portNumbers.add(number)) {
                    problems.add(path + ".number", number + " is defined twice");
                }
            }
            String name = port.getName();
            if (problems.required(path + ".name", name)) {
                if (!portNames.add(name)) {
                    problems.add(path + ".name", "\"" + name + "\" is defined twice");
                } else if (!HostSyntax.isDnsLabel(name)) {
                    problems.add(path + ".name", "\"" + name + "\" is not a valid port name (expected: a DNS label)");
                }
            }
            String protocol = port.getProtocol();
            if (protocol != null && !protocol.isEmpty() && !PROTOCOLS.contains(protocol.toUpperCase(Locale.ROOT))) {
                problems.add(path + ".protocol", "\"" + protocol + "\" is not one of " + String.join(", ", PROTOCOLS));
            }
            if (port.getTargetPort() != null && port.getTargetPort() != 0) {
                problems.port(path + ".targetPort", port.getTargetPort());
            }
        });
        List<WorkloadEntry> endpoints = spec.getEndpoints() == null ? List.of() : spec.getEndpoints();
        if (!endpoints.isEmpty() && spec.getWorkloadSelector() != null) {
            problems.add("spec.workloadSelector", "endpoints and workloadSelector are mutually exclusive");
        }
        switch (resolution) {
            case NONE -> {
                if (!endpoints.isEmpty()) {
                    problems.add("spec.endpoints", "not allowed with resolution NONE (expected: STATIC or DNS)");
                }
            }
            case STATIC -> problems.forEach("spec.endpoints", spec.getEndpoints(),
                    (path, endpoint) -> WorkloadEntryValidator.workload(path, endpoint, true, portNames, problems));
            case DNS, DNS_ROUND_ROBIN -> {
                if (endpoints.isEmpty()) {
                    for (int i = 0; i < hosts.size(); i++) {
                        if (hosts.get(i) != null && !HostSyntax.isFqdn(hosts.get(i))) {
                            problems.add(FieldPath.index("spec.hosts", i), "\"" + hosts.get(i) + "\" cannot be"
                                    + " resolved by DNS (expected with resolution " + resolution
                                    + " and no endpoints: a DNS name)");
                            break;
                        }
                    }
                }
                if (resolution == ServiceEntryResolution.DNS_ROUND_ROBIN && endpoints.size() > 1) {
                    problems.add("spec.endpoints", endpoints.size() + " endpoints (expected with resolution"
                            + " DNS_ROUND_ROBIN: at most 1)");
                }
                problems.forEach("spec.endpoints", spec.getEndpoints(),
                        (path, endpoint) -> dnsEndpoint(path, endpoint, portNames, problems));
            }
            case DYNAMIC_DNS -> dynamicDns(spec, hosts, addresses, endpoints, problems);
            default -> problems.add("spec.resolution", resolution + " is not supported");
        }
        if (resolution != ServiceEntryResolution.NONE && hosts.size() > 1 && spec.getPorts() != null) {
            for (int i = 0; i < spec.getPorts().size(); i++) {
                ServicePort port = spec.getPorts().get(i);
                if (port != null && !isHttp(port.getProtocol()) && !isTls(port.getProtocol())) {
                    problems.add(FieldPath.index("spec.ports", i) + ".protocol", "several hosts need HTTP or TLS"
                            + " ports when resolution is " + resolution + " (found: "
                            + (port.getProtocol() == null || port.getProtocol().isEmpty() ? "none" : port.getProtocol())
                            + ")");
                    break;
                }
            }
        }
    }

    private static boolean isHttp(String protocol) {
        return protocol != null && HTTP_PROTOCOLS.contains(protocol.toUpperCase(Locale.ROOT));
    }

    private static boolean isTls(String protocol) {
        return protocol != null && TLS_PROTOCOLS.contains(protocol.toUpperCase(Locale.ROOT));
    }

    /** Istio's selector rule: no empty keys and no wildcards. */
    private static void selector(ServiceEntry spec, Problems problems) {
        if (spec.getWorkloadSelector() == null || spec.getWorkloadSelector().getLabels() == null) {
            return;
        }
        spec.getWorkloadSelector().getLabels().forEach((key, value) -> {
            String path = FieldPath.field("spec.workloadSelector.labels", key);
            if (key.isEmpty()) {
                problems.add(path, "empty label key");
            } else if (key.contains("*") || (value != null && value.contains("*"))) {
                problems.add(path, "wildcards are not supported in a selector");
            }
        });
    }

    private static void dnsEndpoint(String path, WorkloadEntry endpoint, Set<String> portNames, Problems problems) {
        String address = endpoint.getAddress();
        if (address == null || address.isEmpty()) {
            problems.add(path + ".address", "required");
        } else if (!HostSyntax.isIpAddress(address) && !HostSyntax.isFqdn(address)) {
            problems.add(path + ".address", "\"" + address
                    + "\" is not an IP address or host name (expected with resolution DNS: an IP address or a DNS name)");
        }
        VirtualServiceValidator.labels(path + ".labels", endpoint.getLabels(), problems);
        if (endpoint.getPorts() != null) {
            endpoint.getPorts().forEach((name, port) -> {
                String portPath = FieldPath.field(path + ".ports", name);
                if (!portNames.contains(name)) {
                    problems.add(portPath, "endpoint port \"" + name + "\" is not defined by the ServiceEntry's ports");
                }
                if (problems.required(portPath, port)) {
                    problems.port(portPath, port);
                }
            });
        }
        problems.nonNegative(path + ".weight", endpoint.getWeight());
    }

    private static void dynamicDns(ServiceEntry spec, List<String> hosts, List<String> addresses,
            List<WorkloadEntry> endpoints, Problems problems) {
        for (int i = 0; i < hosts.size(); i++) {
            if (hosts.get(i) != null && !hosts.get(i).startsWith("*")) {
                problems.add(FieldPath.index("spec.hosts", i), "\"" + hosts.get(i)
                        + "\" is not a wildcard (expected with resolution DYNAMIC_DNS: *.example.com)");
            }
        }
        if (!addresses.isEmpty()) {
            problems.add("spec.addresses", "not allowed with resolution DYNAMIC_DNS");
        }
        if (!endpoints.isEmpty()) {
            problems.add("spec.endpoints", "not allowed with resolution DYNAMIC_DNS");
        }
        problems.forEach("spec.ports", spec.getPorts(), (path, port) -> {
            String protocol = port.getProtocol() == null ? "" : port.getProtocol().toUpperCase(Locale.ROOT);
            if (!List.of("HTTP", "TLS", "GRPC", "HTTP2").contains(protocol)) {
                problems.add(path + ".protocol", "\"" + port.getProtocol() + "\" (expected with resolution"
                        + " DYNAMIC_DNS: HTTP, TLS, GRPC or HTTP2)");
            }
        });
        if (spec.getLocation() != ServiceEntryLocation.MESH_EXTERNAL
                && spec.getLocation() != ServiceEntryLocation.MESH_INTERNAL) {
            problems.add("spec.location", "required with resolution DYNAMIC_DNS (expected: MESH_EXTERNAL or MESH_INTERNAL)");
        }
    }
}
