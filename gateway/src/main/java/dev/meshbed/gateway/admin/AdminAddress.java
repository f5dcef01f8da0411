package dev.meshbed.gateway.admin;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Where the admin listener binds (Envoy's {@code admin.address}). A loopback address unless
 * {@code exposed}: the admin listener shows every resource, endpoint address and label, so
 * binding it anywhere else is refused rather than done quietly.
 *
 * @param exposed the explicit opt-in ({@code --expose-admin}) to a non-loopback address
 */
public record AdminAddress(InetAddress address, int port, boolean exposed) {

    /** Istio's proxies: Envoy's admin on 127.0.0.1:15000. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 15000;

    public AdminAddress {
        requireNonNull(address, "address");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--admin-port: " + port + " (expected: 0-65535)");
        }
        if (!address.isLoopbackAddress() && !exposed) {
            throw new IllegalArgumentException("--admin-bind: " + address.getHostAddress()
                    + " (expected: a loopback address such as 127.0.0.1 or ::1; the admin listener shows every "
                    + "resource, endpoint address and label: add --expose-admin to bind it there anyway)");
        }
    }

    /** The loopback address 127.0.0.1 and {@code port} (0: an ephemeral port). */
    public static AdminAddress loopback(int port) {
        return of(DEFAULT_HOST, port, false);
    }

    /** {@code host} (a literal address or a name, resolved now), refused when not loopback unless {@code exposed}. */
    public static AdminAddress of(String host, int port, boolean exposed) {
        requireNonNull(host, "host");
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--admin-bind: " + host + " (expected: an address of this host)", e);
        }
        return new AdminAddress(address, port, exposed);
    }

    /** True when not a loopback address (possible only when {@code exposed}): other hosts may reach it. */
    public boolean reachableFromOtherHosts() {
        return !address.isLoopbackAddress();
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(address, port);
    }

    @Override
    public String toString() {
        String host = address.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
