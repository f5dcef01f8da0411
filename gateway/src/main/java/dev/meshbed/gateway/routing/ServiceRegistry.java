package dev.meshbed.gateway.routing;

import dev.meshbed.gateway.config.ConfigSnapshot;
import dev.meshbed.gateway.config.IstioResource;
import dev.meshbed.gateway.config.ServiceEndpoints;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.ServicePort;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The services routing can send to: from ServiceEntries and the WorkloadEntries they select (or
 * their inline endpoints), Istio's own description of workloads outside Kubernetes; and, in
 * cluster mode, from Kubernetes Services and their ready endpoints. Hosts are looked up as
 * written, then as a short name relative to the asking resource's namespace.
 */
final class ServiceRegistry {

    /** A port of a service: number (what destinations name), name (what endpoints map), targetPort. */
    record Port(int number, String name, int targetPort) {
    }

    /** A workload behind a service: address, named ports, labels, and its load balancing weight (Istio: 0 = 1). */
    record Instance(String address, Map<String, Long> ports, Map<String, String> labels, String source, long weight) {

        Instance(String address, Map<String, Long> ports, Map<String, String> labels, String source) {
            this(address, ports, labels, source, 1);
        }
    }

    record Service(String host, String namespace, boolean dns, List<Port> ports, List<Instance> instances,
            String source) {

        Port port(int number) {
            for (Port p : ports) {
                if (p.number() == number) {
                    return p;
                }
            }
            return null;
        }
    }

    private final Map<String, Service> byHost;

    private ServiceRegistry(Map<String, Service> byHost) {
        this.byHost = byHost;
    }

    static ServiceRegistry build(ConfigSnapshot snapshot, List<String> warnings) {
        Map<String, List<IstioResource<WorkloadEntry>>> entriesByNamespace = new HashMap<>();
        for (IstioResource<WorkloadEntry> we : snapshot.workloadEntries()) {
            entriesByNamespace.computeIfAbsent(we.namespace(), k -> new ArrayList<>()).add(we);
        }
        Map<String, Service> byHost = new LinkedHashMap<>();
        for (IstioResource<ServiceEntry> se : snapshot.serviceEntries()) {
            ServiceEntry spec = se.spec();
            List<Port> ports = new ArrayList<>();
            for (ServicePort p : spec.getPorts()) {
                int number = p.getNumber() == null ? 0 : p.getNumber().intValue();
                int target = p.getTargetPort() == null ? 0 : p.getTargetPort().intValue();
                ports.add(new Port(number, p.getName() == null ? "" : p.getName(), target));
            }
            List<Instance> instances = new ArrayList<>();
            for (WorkloadEntry e : spec.getEndpoints()) {
                instances.add(new Instance(e.getAddress(), e.getPorts(), e.getLabels(), se.key().toString(),
                        weightOf(e)));
            }
            if (spec.getWorkloadSelector() != null) {
                Map<String, String> selector = spec.getWorkloadSelector().getLabels();
                // Istio: a ServiceEntry selects WorkloadEntries of its own namespace only
                for (IstioResource<WorkloadEntry> we : entriesByNamespace.getOrDefault(se.namespace(), List.of())) {
                    if (Labels.matches(selector, we.spec().getLabels())) {
                        WorkloadEntry w = we.spec();
                        instances.add(new Instance(w.getAddress(), w.getPorts(), w.getLabels(), we.key().toString(),
                                weightOf(w)));
                    }
                }
            }
            boolean dns = spec.getResolution() == ServiceEntryResolution.DNS
                    || spec.getResolution() == ServiceEntryResolution.DNS_ROUND_ROBIN;
            for (String host : spec.getHosts()) {
                String h = host.toLowerCase(Locale.ROOT);
                Service service = new Service(h, se.namespace(), dns, List.copyOf(ports), List.copyOf(instances),
                        se.key().toString());
                Service previous = byHost.putIfAbsent(h, service);
                if (previous != null) {
                    warnings.add(se.key() + ": host " + h + " is also defined by " + previous.source()
                            + "; the older definition is used");
                }
            }
        }
        for (ServiceEndpoints svc : snapshot.services()) {
            List<Port> ports = new ArrayList<>();
            for (ServiceEndpoints.Port p : svc.ports()) {
                ports.add(new Port(p.number(), p.name(), p.targetPort()));
            }
            List<Instance> instances = new ArrayList<>();
            for (ServiceEndpoints.Endpoint e : svc.endpoints()) {
                Map<String, Long> named = new HashMap<>();
                e.ports().forEach((name, number) -> named.put(name, number.longValue()));
                instances.add(new Instance(e.address(), named, e.labels(), e.source()));
            }
            String host = svc.host();
            Service service = new Service(host, svc.namespace(), false, List.copyOf(ports), List.copyOf(instances),
                    "Service " + svc.namespace() + "/" + svc.name());
            Service previous = byHost.putIfAbsent(host, service);
            if (previous != null) {
                warnings.add(service.source() + ": host " + host + " is also defined by " + previous.source()
                        + "; that definition is used");
            }
        }
        return new ServiceRegistry(byHost);
    }

    /** The service named {@code host} from a resource in {@code namespace}, or null. */
    Service find(String host, String namespace) {
        String h = host.toLowerCase(Locale.ROOT);
        Service s = byHost.get(h);
        if (s == null && h.indexOf('.') < 0) {
            s = byHost.get(Hosts.fqdn(h, namespace));
        }
        return s;
    }

    /** The canonical name of {@code host} as a destination from {@code namespace}. */
    String canonical(String host, String namespace) {
        Service s = find(host, namespace);
        return s != null ? s.host() : Hosts.fqdn(host.toLowerCase(Locale.ROOT), namespace);
    }

    /** Resolves an instance address: an IP literal as is, a DNS name (resolution: DNS) on this thread. */
    static InetAddress resolve(String address) throws UnknownHostException {
        return InetAddress.getByName(address);
    }

    /** WorkloadEntry {@code weight}: 0 or absent is 1, as Istio sends it to Envoy. */
    private static long weightOf(WorkloadEntry e) {
        Long w = e.getWeight();
        return w == null || w <= 0 ? 1 : w;
    }
}
