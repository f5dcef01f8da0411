package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

/**
 * The current routing table. Written by the config thread, read by every request: one volatile
 * read per request, never a lock.
 */
public final class RoutingTableHolder {

    private volatile RoutingTable table;
    private volatile boolean installed;

    public RoutingTableHolder(RoutingTable initial) {
        this.table = requireNonNull(initial, "initial");
    }

    public RoutingTable current() {
        return table;
    }

    public void install(RoutingTable next) {
        table = requireNonNull(next, "next");
        installed = true;
    }

    /** True once a table compiled from configuration has been installed (readiness). */
    public boolean installed() {
        return installed;
    }
}
