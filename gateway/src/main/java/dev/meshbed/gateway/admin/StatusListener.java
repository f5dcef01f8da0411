package dev.meshbed.gateway.admin;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.routing.RoutingTableHolder;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The status port (Istio's {@code status-port}, 15021), reachable from outside the pod and published
 * on the gateway's Service as Istio publishes it: readiness and nothing else. Whatever a
 * diagnostic endpoint shows (resources, endpoint addresses, labels, cluster names and their
 * traffic) is on the {@link AdminListener}, bound to loopback; here an unknown path gets a bare 404.
 */
public final class StatusListener {

    static final String READY_PATH = "/healthz/ready";
    static final String NOT_FOUND = "not found\n";

    private StatusListener() {
    }

    public static UrlListener start(InetSocketAddress address, RoutingTableHolder tables) throws InterruptedException {
        return start(address, tables, () -> false);
    }

    /** @param draining true once the gateway drains (SIGTERM): readiness fails from then on */
    public static UrlListener start(InetSocketAddress address, RoutingTableHolder tables, BooleanSupplier draining)
            throws InterruptedException {
        requireNonNull(tables, "tables");
        requireNonNull(draining, "draining");
        return UrlListener.start("status", address, () -> dispatcher(tables, draining));
    }

    static UrlDispatcher dispatcher(RoutingTableHolder tables) {
        return dispatcher(tables, () -> false);
    }

    static UrlDispatcher dispatcher(RoutingTableHolder tables, BooleanSupplier draining) {
        return new UrlDispatcher(Map.of(READY_PATH, readiness(tables, draining)), path -> NOT_FOUND);
    }

    /** 200 once a routing table compiled from configuration is installed, 503 before it and while draining. */
    static UrlHandler readiness(RoutingTableHolder tables, BooleanSupplier draining) {
        return alloc -> draining.getAsBoolean()
                ? UrlDispatcher.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: draining\n")
                : tables.installed()
                ? UrlDispatcher.text(HttpResponseStatus.OK, "ready\n")
                : UrlDispatcher.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: no routing table installed yet\n");
    }
}
