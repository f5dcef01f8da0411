package dev.meshbed.gateway.routing;

/** How VirtualServices name Gateways: {@code ns/name}, or {@code name} in the VirtualService's namespace. */
final class GatewayRefs {

    /** The reserved name for the sidecars of the mesh; never this gateway. */
    static final String MESH = "mesh";

    private GatewayRefs() {
    }

    /**
     * {@code ns/name} for a reference: {@code ns/name} as is; the legacy {@code name.ns} and
     * {@code name.ns.svc.cluster.local} forms as Istio resolves them; a bare name in the
     * VirtualService's namespace.
     */
    static String normalize(String ref, String vsNamespace) {
        if (ref.indexOf('/') >= 0) {
            return ref;
        }
        int dot = ref.indexOf('.');
        if (dot < 0) {
            return vsNamespace + "/" + ref;
        }
        int next = ref.indexOf('.', dot + 1);
        String ns = next < 0 ? ref.substring(dot + 1) : ref.substring(dot + 1, next);
        return ns + "/" + ref.substring(0, dot);
    }
}
