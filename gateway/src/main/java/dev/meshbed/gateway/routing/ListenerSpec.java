package dev.meshbed.gateway.routing;

/**
 * A port the gateway listens on and the Gateway server port it serves.
 *
 * @param listenPort the local port
 * @param gatewayPort the {@code servers[].port.number} served there, or 0 for "the one HTTP
 *     server port in the config, whatever its number" ({@code --port P})
 */
public record ListenerSpec(int listenPort, int gatewayPort) {

    public ListenerSpec {
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException("listenPort: " + listenPort + " (expected: 0-65535)");
        }
        if (gatewayPort < 0 || gatewayPort > 65535) {
            throw new IllegalArgumentException("gatewayPort: " + gatewayPort + " (expected: 0-65535)");
        }
    }

    public boolean servesSolePort() {
        return gatewayPort == 0;
    }

    @Override
    public String toString() {
        return servesSolePort() ? ":" + listenPort : ":" + listenPort + " (gateway port " + gatewayPort + ")";
    }
}
