package dev.meshbed.gateway.routing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The virtual hosts of one gateway port, found by the request's host as Envoy does: an exact
 * domain first, then the longest {@code *.suffix}, then {@code *}. The host arrives lower-cased
 * and without its port.
 */
public final class VirtualHosts {

    private static final VirtualHosts EMPTY = new VirtualHosts(List.of());

    private final Map<String, VirtualHost> exact = new HashMap<>();
    private final String[] suffixes; // ".example.com", longest first
    private final VirtualHost[] suffixHosts;
    private final VirtualHost star;
    private final List<VirtualHost> all;

    public VirtualHosts(Collection<VirtualHost> hosts) {
        List<VirtualHost> wildcards = new ArrayList<>();
        VirtualHost any = null;
        for (VirtualHost vh : hosts) {
            String d = vh.domain();
            if (d.equals("*")) {
                any = vh;
            } else if (d.startsWith("*.")) {
                wildcards.add(vh);
            } else {
                exact.put(d, vh);
            }
        }
        wildcards.sort(Comparator.comparingInt((VirtualHost vh) -> vh.domain().length()).reversed());
        suffixes = wildcards.stream().map(vh -> vh.domain().substring(1)).toArray(String[]::new);
        suffixHosts = wildcards.toArray(new VirtualHost[0]);
        star = any;
        all = List.copyOf(hosts);
    }

    public static VirtualHosts empty() {
        return EMPTY;
    }

    /** The virtual host for {@code host}, or null (404 NR). */
    public VirtualHost find(String host) {
        VirtualHost vh = exact.get(host);
        if (vh != null) {
            return vh;
        }
        for (int i = 0; i < suffixes.length; i++) {
            // "*.example.com" covers "a.example.com" but not "example.com"
            if (host.length() > suffixes[i].length() && host.endsWith(suffixes[i])) {
                return suffixHosts[i];
            }
        }
        return star;
    }

    public List<VirtualHost> all() {
        return all;
    }
}
