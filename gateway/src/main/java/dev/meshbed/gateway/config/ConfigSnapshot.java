package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.Gateway;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * An immutable set of Istio resources that routing is compiled from, plus what was rejected on
 * the way. Resources of each kind are kept in a stable order: creation time, then name, then
 * namespace (Istio's order, e.g. when several VirtualServices for one host are merged).
 */
public final class ConfigSnapshot {

    private static final Comparator<IstioResource<?>> ORDER = Comparator
            .comparing((IstioResource<?> r) -> r.creationTimestamp() == null ? "" : r.creationTimestamp())
            .thenComparing(IstioResource::name)
            .thenComparing(IstioResource::namespace)
            .thenComparing(IstioResource::kind);

    private final long version;
    private final List<IstioResource<Gateway>> gateways;
    private final List<IstioResource<VirtualService>> virtualServices;
    private final List<IstioResource<DestinationRule>> destinationRules;
    private final List<IstioResource<ServiceEntry>> serviceEntries;
    private final List<IstioResource<WorkloadEntry>> workloadEntries;
    private final List<Rejection> rejections;
    private final List<ServiceEndpoints> services;
    private final List<String> ignored;

    private ConfigSnapshot(long version, List<IstioResource<?>> resources, List<Rejection> rejections,
            List<ServiceEndpoints> services, List<String> ignored) {
        this.version = version;
        List<IstioResource<?>> sorted = new ArrayList<>(resources);
        sorted.sort(ORDER);
        this.gateways = ofKind(sorted, IstioKind.GATEWAY);
        this.virtualServices = ofKind(sorted, IstioKind.VIRTUAL_SERVICE);
        this.destinationRules = ofKind(sorted, IstioKind.DESTINATION_RULE);
        this.serviceEntries = ofKind(sorted, IstioKind.SERVICE_ENTRY);
        this.workloadEntries = ofKind(sorted, IstioKind.WORKLOAD_ENTRY);
        this.rejections = List.copyOf(rejections);
        this.services = List.copyOf(services);
        this.ignored = List.copyOf(ignored);
    }

    public static ConfigSnapshot of(long version, Collection<? extends IstioResource<?>> resources,
            Collection<Rejection> rejections) {
        return of(version, resources, rejections, List.of());
    }

    public static ConfigSnapshot of(long version, Collection<? extends IstioResource<?>> resources,
            Collection<Rejection> rejections, Collection<ServiceEndpoints> services) {
        requireNonNull(resources, "resources");
        requireNonNull(rejections, "rejections");
        requireNonNull(services, "services");
        return new ConfigSnapshot(version, List.copyOf(resources), List.copyOf(rejections), List.copyOf(services),
                List.of());
    }

    public static ConfigSnapshot empty() {
        return of(0, List.of(), List.of());
    }

    @SuppressWarnings("unchecked")
    private static <S> List<IstioResource<S>> ofKind(List<IstioResource<?>> all, IstioKind kind) {
        List<IstioResource<S>> out = new ArrayList<>();
        for (IstioResource<?> r : all) {
            if (r.kind() == kind) {
                out.add((IstioResource<S>) r);
            }
        }
        return List.copyOf(out);
    }

    /** Increases with every snapshot a source produces; shown in {@code /config_dump}. */
    public long version() {
        return version;
    }

    public List<IstioResource<Gateway>> gateways() {
        return gateways;
    }

    public List<IstioResource<VirtualService>> virtualServices() {
        return virtualServices;
    }

    public List<IstioResource<DestinationRule>> destinationRules() {
        return destinationRules;
    }

    public List<IstioResource<ServiceEntry>> serviceEntries() {
        return serviceEntries;
    }

    public List<IstioResource<WorkloadEntry>> workloadEntries() {
        return workloadEntries;
    }

    /** All resources, every kind, in the snapshot's order. */
    public List<IstioResource<?>> all() {
        List<IstioResource<?>> out = new ArrayList<>();
        out.addAll(gateways);
        out.addAll(virtualServices);
        out.addAll(destinationRules);
        out.addAll(serviceEntries);
        out.addAll(workloadEntries);
        return out;
    }

    /**
     * The same snapshot, listing {@code ignored}: documents of kinds the gateway does not read
     * (Sidecar, PeerAuthentication, Gateway API kinds, plain Kubernetes objects), one line each.
     */
    public ConfigSnapshot withIgnored(Collection<String> ignored) {
        requireNonNull(ignored, "ignored");
        return new ConfigSnapshot(version, all(), rejections, services, List.copyOf(ignored));
    }

    /** Documents of kinds the gateway does not read, one line each (shown in {@code /config_dump}). */
    public List<String> ignored() {
        return ignored;
    }

    public List<Rejection> rejections() {
        return rejections;
    }

    /** Kubernetes Services with their ready endpoints (cluster mode). */
    public List<ServiceEndpoints> services() {
        return services;
    }

    @Override
    public String toString() {
        return "ConfigSnapshot{version=" + version + ", gateways=" + gateways.size()
                + ", virtualServices=" + virtualServices.size() + ", destinationRules=" + destinationRules.size()
                + ", serviceEntries=" + serviceEntries.size() + ", workloadEntries=" + workloadEntries.size()
                + ", services=" + services.size() + ", rejections=" + rejections.size() + "}";
    }
}
