package dev.meshbed.gateway.proxy;

/**
 * Whether the gateway is draining (Istio's {@code terminationDrainDuration}), and whether its
 * responses end their connections. Draining, readiness fails and every response says
 * {@code connection: close}, while the listeners still serve; clients reconnect, and are served.
 * Just before the listeners close, responses keep connections open again for a moment, so that no
 * client is reconnecting (and sitting in the accept queue, where the close would reset it after its
 * request was sent) when they do; then every response ends its connection again.
 */
public final class DrainState {

    private volatile boolean draining;
    private volatile boolean holdConnections;

    /** True from the drain's start: readiness fails. */
    public boolean draining() {
        return draining;
    }

    /** True while responses must say {@code connection: close}. */
    public boolean closeConnections() {
        return draining && !holdConnections;
    }

    /** Starts draining; there is no way back. */
    public void start() {
        draining = true;
    }

    /** Keeps connections open (true) for the moment the listeners close, or ends them again (false). */
    void holdConnections(boolean hold) {
        holdConnections = hold;
    }
}
