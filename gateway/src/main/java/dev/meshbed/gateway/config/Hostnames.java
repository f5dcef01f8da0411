package dev.meshbed.gateway.config;

/**
 * How Istio relates two hosts of a resource: a wildcard host ({@code *.example.com}, {@code *})
 * covers every name that ends with what follows its {@code *}.
 */
final class Hostnames {

    private Hostnames() {
    }

    /** True when some name matches both hosts (Istio reports such hosts of one VirtualService as duplicates). */
    static boolean overlap(String a, String b) {
        boolean aWild = a.startsWith("*");
        boolean bWild = b.startsWith("*");
        if (aWild && bWild) {
            return a.length() < b.length() ? b.substring(1).endsWith(a.substring(1))
                    : a.substring(1).endsWith(b.substring(1));
        }
        if (aWild) {
            return b.endsWith(a.substring(1));
        }
        if (bWild) {
            return a.endsWith(b.substring(1));
        }
        return a.equals(b);
    }

    /** True when every name {@code host} matches is matched by {@code covering} too. */
    static boolean within(String host, String covering) {
        if (host.startsWith("*")) {
            return covering.startsWith("*") && host.substring(1).endsWith(covering.substring(1));
        }
        if (covering.startsWith("*")) {
            return host.endsWith(covering.substring(1));
        }
        return host.equals(covering);
    }
}
