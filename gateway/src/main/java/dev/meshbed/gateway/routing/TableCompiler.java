package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.config.ConfigSnapshot;
import dev.meshbed.gateway.config.IstioResource;
import dev.meshbed.gateway.config.Rejection;
import io.fabric8.istio.api.api.networking.v1alpha3.Gateway;
import io.fabric8.istio.api.api.networking.v1alpha3.Server;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The routing layer's one entry point: a pure function from a {@link ConfigSnapshot} to a
 * {@link RoutingTable}. All matching, weighting and endpoint work is done here, so that the
 * request path is a lookup and a pick.
 *
 * <p>Gateways apply when their selector matches this gateway's labels; their plain-HTTP servers
 * define the ports. A VirtualService applies on a port when it names one of those Gateways; each of
 * its hosts meets each server host to give a virtual host domain. Routes of several
 * VirtualServices for one domain are concatenated in snapshot order.
 */
public final class TableCompiler {

    /** What the table is compiled for. */
    public record Options(Map<String, String> gatewayLabels, List<ListenerSpec> listeners,
            ClusterStats.Factory stats, long defaultConnectTimeoutMillis) {

        /** Istio's default connectTimeout. */
        public static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 10_000;

        public Options {
            gatewayLabels = Map.copyOf(requireNonNull(gatewayLabels, "gatewayLabels"));
            listeners = List.copyOf(requireNonNull(listeners, "listeners"));
            requireNonNull(stats, "stats");
            if (defaultConnectTimeoutMillis <= 0) {
                throw new IllegalArgumentException(
                        "defaultConnectTimeoutMillis: " + defaultConnectTimeoutMillis + " (expected: > 0)");
            }
        }
    }

    /**
     * A compiled table, and the VirtualServices that failed cross-resource checks (the caller may
     * withdraw them and compile again).
     */
    public record Result(RoutingTable table, List<Rejection> crossReferenceProblems) {
    }

    private static final Set<String> HTTP_PROTOCOLS = Set.of("HTTP", "HTTP2", "GRPC", "GRPC-WEB");

    private final Options options;
    private final ClusterHistory clusterHistory = new ClusterHistory();

    public TableCompiler(Options options) {
        this.options = requireNonNull(options, "options");
    }

    public Options options() {
        return options;
    }

    public Result compile(ConfigSnapshot snapshot) {
        List<String> warnings = new ArrayList<>();
        List<Rejection> problems = new ArrayList<>();
        ServiceRegistry registry = ServiceRegistry.build(snapshot, warnings);
        DestinationPolicies policies = new DestinationPolicies(snapshot, registry, warnings);
        ClusterFactory clusters = new ClusterFactory(registry, policies, options.stats(),
                options.defaultConnectTimeoutMillis(), warnings, clusterHistory);
        RouteCompiler routes = new RouteCompiler(clusters, warnings);

        Map<String, IstioResource<Gateway>> gateways = selectGateways(snapshot, warnings);
        Set<Integer> httpPorts = new TreeSet<>();
        for (IstioResource<Gateway> g : gateways.values()) {
            for (Server s : g.spec().getServers()) {
                if (isHttp(s)) {
                    httpPorts.add(s.getPort().getNumber().intValue());
                    if (s.getTls() != null && Boolean.TRUE.equals(s.getTls().getHttpsRedirect())) {
                        warnings.add(g.key() + ": server on port " + portOf(s)
                                + ": tls.httpsRedirect is not supported (no HTTPS here); requests are routed as usual");
                    }
                } else {
                    warnings.add(g.key() + ": server on port " + portOf(s) + " (" + protocolOf(s)
                            + ") is not served: meshbed serves plain HTTP servers only");
                }
            }
        }

        Map<Integer, VirtualHosts> byPort = new HashMap<>();
        Set<String> warned = new LinkedHashSet<>();
        for (int port : httpPorts) {
            byPort.put(port, virtualHosts(port, snapshot, gateways, routes, problems, warned, warnings));
        }
        warnUnbound(snapshot, gateways, warnings);

        List<RoutingTable.Listener> listeners = new ArrayList<>();
        for (ListenerSpec spec : options.listeners()) {
            listeners.add(listener(spec, httpPorts, byPort, gateways));
        }
        clusterHistory.tableBuilt();
        RoutingTable table = new RoutingTable(snapshot.version(), Instant.now(), listeners, clusters.clusters(),
                snapshot, snapshot.rejections(), warnings, NoRouteHint.of(snapshot, System::nanoTime));
        return new Result(table, dedupe(problems));
    }

    private Map<String, IstioResource<Gateway>> selectGateways(ConfigSnapshot snapshot, List<String> warnings) {
        Map<String, IstioResource<Gateway>> selected = new LinkedHashMap<>();
        for (IstioResource<Gateway> g : snapshot.gateways()) {
            Map<String, String> selector = g.spec().getSelector();
            if (Labels.matches(selector, options.gatewayLabels())) {
                selected.put(g.namespace() + "/" + g.name(), g);
            } else {
                warnings.add(g.key() + ": selector " + selector + " does not match this gateway's labels "
                        + options.gatewayLabels() + "; not served here");
            }
        }
        return selected;
    }

    private VirtualHosts virtualHosts(int port, ConfigSnapshot snapshot, Map<String, IstioResource<Gateway>> gateways,
            RouteCompiler routes, List<Rejection> problems, Set<String> warned, List<String> warnings) {
        Map<String, List<Route>> domains = new LinkedHashMap<>();
        for (IstioResource<VirtualService> vs : snapshot.virtualServices()) {
            Set<String> bound = new LinkedHashSet<>();
            Set<String> vsDomains = new LinkedHashSet<>();
            for (String ref : vs.spec().getGateways()) {
                if (ref.equals(GatewayRefs.MESH)) {
                    continue;
                }
                String name = GatewayRefs.normalize(ref, vs.namespace());
                IstioResource<Gateway> g = gateways.get(name);
                if (g == null) {
                    continue;
                }
                for (Server s : g.spec().getServers()) {
                    if (!isHttp(s) || s.getPort().getNumber() != port) {
                        continue;
                    }
                    bound.add(name);
                    for (String serverHost : s.getHosts()) {
                        String hostPart = serverHost;
                        String nsPart = "*";
                        int slash = serverHost.indexOf('/');
                        if (slash >= 0) {
                            nsPart = serverHost.substring(0, slash);
                            hostPart = serverHost.substring(slash + 1);
                        }
                        if (!namespaceAllowed(nsPart, vs.namespace(), g.namespace())) {
                            continue;
                        }
                        for (String vsHost : vs.spec().getHosts()) {
                            Hosts.intersect(vsHost, hostPart).ifPresent(vsDomains::add);
                        }
                    }
                }
            }
            if (bound.isEmpty()) {
                continue;
            }
            if (vsDomains.isEmpty()) {
                warnings.add(vs.key() + ": hosts " + vs.spec().getHosts() + " match no host of Gateway "
                        + String.join(", ", bound) + " on port " + port + "; not served");
                continue;
            }
            List<Route> compiled;
            try {
                compiled = routes.compile(vs, port, bound, problems, warned.add(vs.key().toString()));
            } catch (RuntimeException e) {
                // a gap between validation and compilation must cost this resource, not the table
                problems.add(new Rejection(vs.key(), vs.origin(), null, "cannot be compiled: " + e.getMessage()));
                continue;
            }
            for (String domain : vsDomains) {
                domains.computeIfAbsent(domain.toLowerCase(Locale.ROOT), d -> new ArrayList<>()).addAll(compiled);
            }
        }
        List<VirtualHost> hosts = new ArrayList<>();
        domains.forEach((domain, list) -> hosts.add(new VirtualHost(domain, list)));
        return new VirtualHosts(hosts);
    }

    /** Gateway server host namespaces: {@code *} any, {@code .} the Gateway's own, else that one. */
    private static boolean namespaceAllowed(String selector, String vsNamespace, String gatewayNamespace) {
        return selector.equals("*") || vsNamespace.equals(selector.equals(".") ? gatewayNamespace : selector);
    }

    private RoutingTable.Listener listener(ListenerSpec spec, Set<Integer> httpPorts, Map<Integer, VirtualHosts> byPort,
            Map<String, IstioResource<Gateway>> gateways) {
        if (!spec.servesSolePort()) {
            VirtualHosts vh = byPort.get(spec.gatewayPort());
            String problem = vh != null ? null
                    : "no selected Gateway has an HTTP server on port " + spec.gatewayPort() + " (HTTP ports: "
                            + httpPorts + ")";
            return new RoutingTable.Listener(spec, spec.gatewayPort(), vh != null ? vh : VirtualHosts.empty(), problem);
        }
        if (httpPorts.size() == 1) {
            int port = httpPorts.iterator().next();
            return new RoutingTable.Listener(spec, port, byPort.get(port), null);
        }
        String problem = gateways.isEmpty()
                ? "no Gateway selects this gateway (labels " + options.gatewayLabels() + ")"
                : httpPorts.isEmpty() ? "the selected Gateways have no plain HTTP server"
                        : "several Gateway HTTP ports " + httpPorts + ": map each to a listen port with --port-map";
        return new RoutingTable.Listener(spec, 0, VirtualHosts.empty(), problem);
    }

    private static void warnUnbound(ConfigSnapshot snapshot, Map<String, IstioResource<Gateway>> gateways,
            List<String> warnings) {
        for (IstioResource<VirtualService> vs : snapshot.virtualServices()) {
            List<String> refs = vs.spec().getGateways();
            if (refs.isEmpty()) {
                warnings.add(vs.key() + ": no gateways (applies to the mesh only); not served here");
                continue;
            }
            List<String> missing = refs.stream().filter(r -> !r.equals(GatewayRefs.MESH))
                    .map(r -> GatewayRefs.normalize(r, vs.namespace()))
                    .filter(r -> !gateways.containsKey(r))
                    .collect(Collectors.toList());
            if (!missing.isEmpty()) {
                warnings.add(vs.key() + ": gateways " + missing + " are not Gateways served here");
            }
        }
    }

    private static boolean isHttp(Server s) {
        return s.getPort() != null && s.getPort().getNumber() != null && HTTP_PROTOCOLS.contains(protocolOf(s));
    }

    private static String protocolOf(Server s) {
        return s.getPort() == null || s.getPort().getProtocol() == null ? ""
                : s.getPort().getProtocol().toUpperCase(Locale.ROOT);
    }

    private static String portOf(Server s) {
        return s.getPort() == null ? "?" : String.valueOf(s.getPort().getNumber());
    }

    private static List<Rejection> dedupe(List<Rejection> problems) {
        return List.copyOf(new LinkedHashSet<>(problems));
    }
}
