package dev.meshbed.gateway.proxy;

/**
 * Whether the gateway is draining (Istio's {@code terminationDrainDuration}): from then on every
 * response says {@code connection: close}, and readiness fails, while the listeners still serve.
 */
public final class DrainState {

    private volatile boolean draining;

    public boolean draining() {
        return draining;
    }

    /** Starts draining; there is no way back. */
    public void start() {
        draining = true;
    }
}
