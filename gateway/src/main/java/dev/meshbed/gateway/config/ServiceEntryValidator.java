package dev.meshbed.gateway.config;

import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import java.util.HashSet;
import java.util.Set;

/** ServiceEntry checks: hosts, ports, and how endpoints fit the resolution mode. */
final class ServiceEntryValidator {

    private ServiceEntryValidator() {
    }

    static void validate(ServiceEntry spec, Problems problems) {
        if (problems.nonEmpty("spec.hosts", spec.getHosts())) {
            problems.forEach("spec.hosts", spec.getHosts(), (path, host) -> {
                if (host.equals("*")) {
                    problems.add(path, "\"*\" is not allowed (expected: a DNS name or *.example.com)");
                } else if (!HostSyntax.isWildcardOrDnsName(host) && !HostSyntax.isIpAddress(host)) {
                    problems.add(path, "\"" + host + "\" is not a valid host"
                            + " (expected: *.example.com, a DNS name or an IP address)");
                }
            });
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
            if (problems.required(path + ".name", name) && !portNames.add(name)) {
                problems.add(path + ".name", "\"" + name + "\" is defined twice");
            }
            problems.port(path + ".targetPort", port.getTargetPort());
        });
        boolean hasEndpoints = spec.getEndpoints() != null && !spec.getEndpoints().isEmpty();
        boolean isStatic = spec.getResolution() == ServiceEntryResolution.STATIC;
        if (hasEndpoints && spec.getWorkloadSelector() != null) {
            problems.add("spec.workloadSelector", "endpoints and workloadSelector are mutually exclusive");
        }
        if (isStatic && !hasEndpoints && spec.getWorkloadSelector() == null) {
            problems.add("spec.resolution", "STATIC requires endpoints or a workloadSelector");
        }
        problems.forEach("spec.endpoints", spec.getEndpoints(),
                (path, endpoint) -> WorkloadEntryValidator.workload(path, endpoint, isStatic, portNames, problems));
    }
}
