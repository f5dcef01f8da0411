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
        if (problems.required(path + ".address", address) && !address.startsWith(UNIX_PREFIX)) {
            if (ipOnly && !HostSyntax.isIpAddress(address)) {
                problems.add(path + ".address", "\"" + address
                        + "\" is not an IP address (expected with resolution STATIC: an IP address or unix:// path)");
            } else if (!HostSyntax.isIpAddress(address) && !HostSyntax.isDnsName(address)) {
                problems.add(path + ".address", "\"" + address
                        + "\" is not an IP address or host name (expected: an IP address, a DNS name or a unix:// path)");
            }
        }
        if (entry.getPorts() != null) {
            entry.getPorts().forEach((name, port) -> {
                String portPath = FieldPath.field(path + ".ports", name);
                if (declaredPorts != null && !declaredPorts.contains(name)) {
                    problems.add(portPath, "endpoint port \"" + name + "\" is not defined by the ServiceEntry's ports");
                }
                if (problems.required(portPath, port)) {
                    problems.port(portPath, port);
                }
            });
        }
        problems.nonNegative(path + ".weight", entry.getWeight());
    }
}
