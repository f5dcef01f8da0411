package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.config.ConfigSnapshot;
import dev.meshbed.gateway.config.Rejection;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything a request needs, compiled and immutable: per listener the virtual hosts of the
 * Gateway port it serves; the clusters with their endpoints and policies; and, for the config
 * dump, what was rejected and why. The data plane reads the current table once per request.
 */
public final class RoutingTable {

    /** What one listener serves: the resolved Gateway port and its virtual hosts. */
    public record Listener(ListenerSpec spec, int gatewayPort, VirtualHosts virtualHosts, String problem) {
        public Listener {
            requireNonNull(spec, "spec");
            requireNonNull(virtualHosts, "virtualHosts");
        }
    }

    private final long version;
    private final Instant builtAt;
    private final Listener[] listeners;
    private final Map<String, Cluster> clusters;
    private final ConfigSnapshot snapshot;
    private final List<Rejection> rejections;
    private final List<String> warnings;
    private final NoRouteHint noRouteHint;

    public RoutingTable(long version, Instant builtAt, List<Listener> listeners, Map<String, Cluster> clusters,
            ConfigSnapshot snapshot, List<Rejection> rejections, List<String> warnings) {
        this(version, builtAt, listeners, clusters, snapshot, rejections, warnings, NoRouteHint.none());
    }

    public RoutingTable(long version, Instant builtAt, List<Listener> listeners, Map<String, Cluster> clusters,
            ConfigSnapshot snapshot, List<Rejection> rejections, List<String> warnings, NoRouteHint noRouteHint) {
        this.version = version;
        this.builtAt = requireNonNull(builtAt, "builtAt");
        this.listeners = listeners.toArray(new Listener[0]);
        this.clusters = Map.copyOf(clusters);
        this.snapshot = requireNonNull(snapshot, "snapshot");
        this.rejections = List.copyOf(rejections);
        this.warnings = List.copyOf(warnings);
        this.noRouteHint = requireNonNull(noRouteHint, "noRouteHint");
    }

    /** What a 404 NR may be owed to (no Gateway, rejected resources); logged by the NR path, rate-limited. */
    public NoRouteHint noRouteHint() {
        return noRouteHint;
    }

    /** A table that answers every request with 404 NR. */
    public static RoutingTable empty(List<ListenerSpec> specs) {
        List<Listener> ls = specs.stream()
                .map(s -> new Listener(s, s.gatewayPort(), VirtualHosts.empty(), "no configuration loaded yet"))
                .toList();
        return new RoutingTable(0, Instant.now(), ls, Map.of(), ConfigSnapshot.empty(), List.of(), List.of());
    }

    /** The listener at {@code index} (the order of the specs the table was compiled for). */
    public Listener listener(int index) {
        return listeners[index];
    }

    public List<Listener> listeners() {
        return List.of(listeners);
    }

    public long version() {
        return version;
    }

    public Instant builtAt() {
        return builtAt;
    }

    /** Clusters by name. */
    public Map<String, Cluster> clusters() {
        return clusters;
    }

    /** The resources the table was built from. */
    public ConfigSnapshot snapshot() {
        return snapshot;
    }

    /** Resources not applied, with the reasons. */
    public List<Rejection> rejections() {
        return rejections;
    }

    /** Things that apply but deserve a look: ignored Gateways, unknown hosts, unsupported fields. */
    public List<String> warnings() {
        return warnings;
    }
}
