package dev.meshbed.gateway.routing;

/** How VirtualServices name Gateways: {@code ns/name}, or {@code name} in the VirtualService's namespace. */
final class GatewayRefs {

    /** The reserved name for the sidecars of the mesh; never this gateway. */
    static final String MESH = "mesh";

    private GatewayRefs() {
    }

    static String normalize(String ref, String vsNamespace) {
        return ref.indexOf('/') >= 0 ? ref : vsNamespace + "/" + ref;
    }
}
