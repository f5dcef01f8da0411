package dev.meshbed.gateway.routing;

/**
 * Picks an endpoint of a cluster for one request (DestinationRule {@code loadBalancer}). Called
 * on event loops concurrently: implementations are thread-safe and do not block.
 */
public interface LoadBalancer {

    /** Per-request facilities a balancer may use. */
    interface Context {
        RandomSource random();

        /** Asks the proxy to add a {@code set-cookie} header to the response (generated hash cookies). */
        void addResponseCookie(String setCookieValue);
    }

    /** Picks from {@code endpoints}, which is never empty. */
    Endpoint pick(Endpoint[] endpoints, RequestView request, Context context);

    /** For the config dump, in Istio's terms, e.g. {@code ROUND_ROBIN} or {@code consistentHash httpHeaderName: x-user}. */
    String describe();
}
