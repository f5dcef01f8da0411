package dev.meshbed.gateway.routing;

import dev.meshbed.gateway.config.IstioResource;
import dev.meshbed.gateway.config.Rejection;
import io.fabric8.istio.api.api.networking.v1alpha3.Destination;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Turns route destinations into clusters, one per host, port and subset, shared by every route
 * that names them. A destination that cannot be served yields an undefined cluster (503 NC). A
 * host or subset nothing defines (yet) is a warning, as Istio's webhook accepts it and Envoy
 * answers 503 NC; a port that must be named, or that the service lacks, is a cross-reference
 * rejection of the VirtualService.
 */
final class ClusterFactory {

    private final ServiceRegistry registry;
    private final DestinationPolicies policies;
    private final ClusterStats.Factory stats;
    private final long defaultConnectTimeoutMillis;
    private final List<String> warnings;
    private final ClusterHistory history;
    private final long builtAtNanos = System.nanoTime();
    private final Map<String, Cluster> clusters = new TreeMap<>();

    ClusterFactory(ServiceRegistry registry, DestinationPolicies policies, ClusterStats.Factory stats,
            long defaultConnectTimeoutMillis, List<String> warnings) {
        this(registry, policies, stats, defaultConnectTimeoutMillis, warnings, new ClusterHistory());
    }

    ClusterFactory(ServiceRegistry registry, DestinationPolicies policies, ClusterStats.Factory stats,
            long defaultConnectTimeoutMillis, List<String> warnings, ClusterHistory history) {
        this.history = history;
        this.registry = registry;
        this.policies = policies;
        this.stats = stats;
        this.defaultConnectTimeoutMillis = defaultConnectTimeoutMillis;
        this.warnings = warnings;
    }

    /**
     * The cluster for {@code destination} of {@code vs}; {@code field} is the destination's path
     * (e.g. {@code spec.http[0].route[1].destination}) for messages.
     */
    Cluster forDestination(IstioResource<?> vs, String field, Destination destination, List<Rejection> problems) {
        String host = destination.getHost();
        ServiceRegistry.Service service = registry.find(host, vs.namespace());
        String canonical = registry.canonical(host, vs.namespace());
        String subset = destination.getSubset() == null || destination.getSubset().isEmpty() ? null
                : destination.getSubset();

        int port = destination.getPort() != null && destination.getPort().getNumber() != null
                ? destination.getPort().getNumber().intValue() : 0;
        if (port == 0 && service != null) {
            if (service.ports().size() == 1) {
                port = service.ports().get(0).number();
            } else {
                String ports = service.ports().stream().map(p -> String.valueOf(p.number()))
                        .collect(Collectors.joining(", "));
                problems.add(new Rejection(vs.key(), vs.origin(), field + ".port",
                        "required: " + canonical + " has several ports (" + ports + ")"));
                return undefined(canonical, 0, subset, "destination port not given");
            }
        }

        DestinationPolicies.HostRules rule = policies.find(canonical);
        Subset subsetSpec = rule == null ? null : rule.subset(subset);
        if (subset != null && subsetSpec == null) {
            String why = rule == null ? "no DestinationRule defines subsets for " + canonical
                    : "\"" + subset + "\" is not defined by " + rule.describe() + " (subsets: " + rule.subsetNames() + ")";
            // Istio's webhook accepts the VirtualService and Envoy answers 503 NC until a
            // DestinationRule defines the subset (make-before-break): accepted, with a warning.
            warnings.add(vs.key() + " (" + vs.origin() + "): " + field + ".subset: " + why + " (requests answer 503 NC)");
            return undefined(canonical, port, subset, "subset not defined: " + why);
        }
        if (service == null) {
            String why = "no ServiceEntry defines host " + canonical;
            warnings.add(vs.key() + ": " + field + ".host: " + why + " (requests answer 503 NC)");
            return undefined(canonical, port, subset, why);
        }
        ServiceRegistry.Port servicePort = service.port(port);
        if (servicePort == null) {
            String why = "port " + port + " is not a port of " + canonical;
            problems.add(new Rejection(vs.key(), vs.origin(), field + ".port.number", why));
            return undefined(canonical, port, subset, why);
        }
        String name = Cluster.name(canonical, port, subset);
        Cluster existing = clusters.get(name);
        if (existing != null) {
            return existing;
        }
        DestinationPolicies.TlsDecision tls = policies.tls(rule, subsetSpec, port, canonical);
        if (tls.refusal() != null) {
            return undefined(canonical, port, subset, tls.refusal());
        }
        List<Endpoint> endpoints = endpoints(service, servicePort, subsetSpec);
        for (Endpoint e : endpoints) {
            e.addedAtNanos(history.addedAt(name, e.addressText(), builtAtNanos));
        }
        policies.warnUnappliedBalancing(rule, subsetSpec, port);
        Cluster cluster = Cluster.of(canonical, port, subset, endpoints,
                policies.loadBalancer(rule, subsetSpec, port).apply(endpoints),
                policies.connectTimeoutMillis(rule, subsetSpec, port, defaultConnectTimeoutMillis),
                stats.forCluster(name), policies.connectionLimits(rule, subsetSpec, port), tls.tls(),
                policies.outlierPolicy(rule, subsetSpec, port));
        if (cluster.outlier() != null) {
            history.carryOver(name, cluster.outlier());
        }
        clusters.put(name, cluster);
        return cluster;
    }

    private Cluster undefined(String host, int port, String subset, String reason) {
        return clusters.computeIfAbsent(Cluster.name(host, port, subset),
                n -> Cluster.undefined(host, port, subset, reason, stats.forCluster(n)));
    }

    private List<Endpoint> endpoints(ServiceRegistry.Service service, ServiceRegistry.Port port, Subset subset) {
        List<Endpoint> out = new ArrayList<>();
        Map<String, String> selector = subset == null ? Map.of() : subset.getLabels();
        for (ServiceRegistry.Instance instance : service.instances()) {
            if (!Labels.matches(selector, instance.labels())) {
                continue;
            }
            Long named = instance.ports() == null ? null : instance.ports().get(port.name());
            int target = named != null ? named.intValue() : port.targetPort() > 0 ? port.targetPort() : port.number();
            InetAddress address;
            try {
                address = ServiceRegistry.resolve(instance.address());
            } catch (UnknownHostException e) {
                warnings.add(instance.source() + ": address " + instance.address() + " does not resolve; endpoint left out");
                continue;
            }
            out.add(new Endpoint(new InetSocketAddress(address, target),
                    instance.labels() == null ? Map.of() : instance.labels(), instance.source(), instance.weight()));
        }
        out.sort(Comparator.comparing(Endpoint::addressText));
        return out;
    }

    Map<String, Cluster> clusters() {
        return clusters;
    }
}
