package dev.meshbed.testbed;

/** An address to reach from this machine. */
public record HostPort(String host, int port) {

    /** {@code host:port}, as Istio's docs write GATEWAY_URL. */
    public String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** {@code http://host:port} */
    public String url() {
        return "http://" + address();
    }

    @Override
    public String toString() {
        return address();
    }
}
