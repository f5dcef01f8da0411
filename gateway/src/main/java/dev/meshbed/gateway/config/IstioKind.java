package dev.meshbed.gateway.config;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The five networking.istio.io kinds the gateway reads. All three served API versions share one
 * schema (fabric8 maps them onto the same {@code v1alpha3} spec classes), so a resource is read
 * through the v1 class whatever its {@code apiVersion} says.
 */
public enum IstioKind {
    GATEWAY("Gateway", "gateways", io.fabric8.istio.api.networking.v1.Gateway.class,
            io.fabric8.istio.api.api.networking.v1alpha3.Gateway.class),
    VIRTUAL_SERVICE("VirtualService", "virtualservices", io.fabric8.istio.api.networking.v1.VirtualService.class,
            io.fabric8.istio.api.api.networking.v1alpha3.VirtualService.class),
    DESTINATION_RULE("DestinationRule", "destinationrules", io.fabric8.istio.api.networking.v1.DestinationRule.class,
            io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule.class),
    SERVICE_ENTRY("ServiceEntry", "serviceentries", io.fabric8.istio.api.networking.v1.ServiceEntry.class,
            io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry.class),
    WORKLOAD_ENTRY("WorkloadEntry", "workloadentries", io.fabric8.istio.api.networking.v1.WorkloadEntry.class,
            io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry.class);

    public static final String GROUP = "networking.istio.io";
    public static final Set<String> API_VERSIONS =
            Set.of(GROUP + "/v1", GROUP + "/v1beta1", GROUP + "/v1alpha3");

    private final String kindName;
    private final String plural;
    private final Class<? extends HasMetadata> resourceClass;
    private final Class<?> specClass;

    IstioKind(String kindName, String plural, Class<? extends HasMetadata> resourceClass, Class<?> specClass) {
        this.kindName = kindName;
        this.plural = plural;
        this.resourceClass = resourceClass;
        this.specClass = specClass;
    }

    /** The {@code kind} as written in YAML, e.g. {@code VirtualService}. */
    public String kindName() {
        return kindName;
    }

    /** The resource name in API paths, e.g. {@code serviceentries}. */
    public String plural() {
        return plural;
    }

    /** The fabric8 class a document of this kind is read into (the v1 one, see class comment). */
    public Class<? extends HasMetadata> resourceClass() {
        return resourceClass;
    }

    /** The shared spec class, e.g. {@code io.fabric8.istio.api.api.networking.v1alpha3.VirtualService}. */
    public Class<?> specClass() {
        return specClass;
    }

    public static Optional<IstioKind> fromKindName(String kind) {
        for (IstioKind k : values()) {
            if (k.kindName.equals(kind)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /**
     * API groups other than Istio's that define a kind of the same name: Kubernetes Gateway API's
     * {@code Gateway} (and its alpha group). Such documents are someone else's and are ignored.
     */
    private static final Set<String> OTHER_OWNERS = Set.of("gateway.networking.k8s.io", "networking.x-k8s.io");

    /** True when {@code apiVersion}'s group legitimately defines a kind of the same name as one of Istio's. */
    static boolean isOtherOwner(String apiVersion) {
        return OTHER_OWNERS.contains(groupOf(apiVersion));
    }

    /** The group of {@code group/version}; empty for the core group ({@code v1}). */
    static String groupOf(String apiVersion) {
        int slash = apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash).toLowerCase(Locale.ROOT);
    }

    /** {@code networking.istio.io/<version>}, keeping the version when it is one Istio serves, else v1. */
    static String suggestApiVersion(String apiVersion) {
        int slash = apiVersion.indexOf('/');
        String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
        String candidate = GROUP + "/" + version;
        return API_VERSIONS.contains(candidate) ? candidate : GROUP + "/v1";
    }

    /** Why a document of a kind the gateway does not read is ignored, in one phrase. */
    static String whyIgnored(String apiVersion, String kindName) {
        String group = groupOf(apiVersion);
        if (group.equals("security.istio.io")) {
            return "kind " + kindName + " is not read by this gateway: its policy is NOT enforced here";
        }
        if (group.endsWith("istio.io")) {
            return "kind " + kindName + " is not read by this gateway";
        }
        if (group.endsWith("gateway.networking.k8s.io") || group.equals("networking.x-k8s.io")) {
            return "Gateway API kinds are not read by this gateway (it reads " + GROUP + " resources)";
        }
        return "not a " + GROUP + " resource";
    }

    public static boolean isIstioNetworking(String apiVersion) {
        return apiVersion != null && apiVersion.toLowerCase(Locale.ROOT).startsWith(GROUP + "/");
    }

    @Override
    public String toString() {
        return kindName;
    }
}
