package dev.meshbed.gateway.routing;

import java.util.Locale;
import java.util.Optional;

/** Host name rules shared by Gateway, VirtualService and DestinationRule hosts. */
final class Hosts {

    static final String CLUSTER_DOMAIN = "svc.cluster.local";

    private Hosts() {
    }

    /** A short name (no dot) relative to {@code namespace}: {@code reviews} → {@code reviews.default.svc.cluster.local}. */
    static String fqdn(String host, String namespace) {
        if (host.indexOf('.') >= 0 || host.startsWith("*")) {
            return host;
        }
        return host + "." + namespace + "." + CLUSTER_DOMAIN;
    }

    /**
     * The domain a VirtualService host gets on a Gateway server host, or empty when they do not
     * meet: the more specific of the two ({@code *} meets anything; {@code *.example.com} meets
     * {@code a.example.com} and {@code *.a.example.com}, never {@code example.com}).
     */
    static Optional<String> intersect(String vsHost, String serverHost) {
        String a = vsHost.toLowerCase(Locale.ROOT);
        String b = serverHost.toLowerCase(Locale.ROOT);
        if (b.equals("*")) {
            return Optional.of(a);
        }
        if (a.equals("*")) {
            return Optional.of(b);
        }
        if (a.equals(b)) {
            return Optional.of(a);
        }
        if (b.startsWith("*.") && covers(b, a)) {
            return Optional.of(a);
        }
        if (a.startsWith("*.") && covers(a, b)) {
            return Optional.of(b);
        }
        return Optional.empty();
    }

    /** Whether wildcard {@code *.suffix} covers {@code host} (a name or a narrower wildcard). */
    static boolean covers(String wildcard, String host) {
        String suffix = wildcard.substring(1); // ".example.com"
        String h = host.startsWith("*.") ? host.substring(1) : host;
        return h.length() > suffix.length() ? h.endsWith(suffix) : host.startsWith("*.") && h.equals(suffix);
    }
}
