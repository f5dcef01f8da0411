package dev.meshbed.gateway.proxy;

/**
 * The retry bookkeeping of one request, beside the exchange as Envoy keeps a retry state beside
 * its router: which retries are still allowed.
 */
final class RetryState {

    private boolean staleConnectionRetried;

    /**
     * A kept-alive connection that the upstream had just closed took the request down with it:
     * the request never reached the upstream, so it is sent once more on a fresh connection,
     * whatever the route's policy (as Envoy does for HTTP/1.1 connections closed under it).
     * True the first time only.
     */
    boolean retryStaleConnection() {
        if (staleConnectionRetried) {
            return false;
        }
        staleConnectionRetried = true;
        return true;
    }
}
