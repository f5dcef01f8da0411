package dev.meshbed.gateway.config;

import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import java.util.Set;

/**
 * WorkloadEntry checks, used for WorkloadEntry resources and for a ServiceEntry's inline
 * {@code endpoints} (the same type, with extra rules the ServiceEntry imposes).
 */
final class WorkloadEntryValidator {

    static final String UNIX_PREFIX = "unix://";

    private WorkloadEntryValidator() {
    }

    static void validate(WorkloadEntry spec, Problems problems) {
        workload("spec", spec, false, null, problems);
    }

    /**
     * @param ipOnly true when the address must be an IP (or a unix socket): a ServiceEntry with
     *     {@code resolution: STATIC} does not resolve names
     * @param declaredPorts the port names a ServiceEntry declares, or null for a standalone WorkloadEntry
     */
    static void workload(String path, WorkloadEntry entry, boolean ipOnly, Set<String> declaredPorts,
            Problems problems) {
        String address = entry.getAddress();
        boolean hasPorts = entry.getPorts() != null && !entry.getPorts().isEmpty();
        if (address == null || address.isEmpty()) {
            // Istio: an entry in another network may leave its address to that network's gateway.
            if (entry.getNetwork() == null || entry.getNetwork().isEmpty()) {
                problems.add(path + ".address", "required");
            }
        } else if (address.startsWith(UNIX_PREFIX)) {
            unixPath(path + ".address", address, problems);
            if (hasPorts) {
                problems.add(path + ".ports", "not allowed with a unix:// address (a socket has no ports)");
            }
            if (declaredPorts != null && declaredPorts.size() != 1) {
                problems.add(path + ".address", "a unix:// endpoint needs exactly one ServiceEntry port (found: "
                        + declaredPorts.size() + ")");
            }
        } else if (!HostSyntax.isIpAddress(address)) {
            if (ipOnly) {
                problems.add(path + ".address", "\"" + address
                        + "\" is not an IP address (expected with resolution STATIC: an IP address or unix:// path)");
            } else if (!HostSyntax.isFqdn(address)) {
                problems.add(path + ".address", "\"" + address
                        + "\" is not an IP address or host name (expected: an IP address, a DNS name or a unix:// path)");
            }
        }
        if (entry.getPorts() != null) {
            entry.getPorts().forEach((name, port) -> {
                String portPath = FieldPath.field(path + ".ports", name);
                if (declaredPorts != null && !declaredPorts.contains(name)) {
                    problems.add(portPath, "endpoint port \"" + name + "\" is not defined by the ServiceEntry's ports");
                } else if (!HostSyntax.isDnsLabel(name)) {
                    problems.add(portPath, "\"" + name + "\" is not a valid port name (expected: a DNS label)");
                }
                if (problems.required(portPath, port)) {
                    problems.port(portPath, port);
                }
            });
        }
        VirtualServiceValidator.labels(path + ".labels", entry.getLabels(), problems);
        problems.nonNegative(path + ".weight", entry.getWeight());
    }

    /** {@code unix://} then an absolute path to a file, or {@code @name} for an abstract socket. */
    static void unixPath(String path, String address, Problems problems) {
        String socket = address.substring(UNIX_PREFIX.length());
        if (socket.isEmpty()) {
            problems.add(path, "\"" + address + "\" names no socket (expected: unix:///path/to/socket or unix://@name)");
        } else if (!socket.startsWith("@") && (!socket.startsWith("/") || socket.endsWith("/"))) {
            problems.add(path, "\"" + address + "\" is not an absolute path to a file"
                    + " (expected: unix:///path/to/socket or unix://@name)");
        }
    }
}
