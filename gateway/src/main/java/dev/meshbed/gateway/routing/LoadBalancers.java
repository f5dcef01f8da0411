package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.atomic.AtomicInteger;

/** The simple policies of DestinationRule {@code loadBalancer.simple}. */
final class LoadBalancers {

    private LoadBalancers() {
    }

    /** Each endpoint in turn. One counter per cluster, shared by all event loops. */
    static final class RoundRobin implements LoadBalancer {
        private final AtomicInteger next = new AtomicInteger();

        @Override
        public Endpoint pick(Endpoint[] endpoints, RequestView request, Context context) {
            return endpoints[Math.floorMod(next.getAndIncrement(), endpoints.length)];
        }

        @Override
        public String describe() {
            return "ROUND_ROBIN";
        }
    }

    static final class Random implements LoadBalancer {
        @Override
        public Endpoint pick(Endpoint[] endpoints, RequestView request, Context context) {
            return endpoints.length == 1 ? endpoints[0] : endpoints[context.random().nextInt(endpoints.length)];
        }

        @Override
        public String describe() {
            return "RANDOM";
        }
    }

    /**
     * Envoy's LEAST_REQUEST with equal weights: two random choices, the one with fewer requests
     * in flight wins ("power of two choices"). Istio's default policy.
     */
    static final class LeastRequest implements LoadBalancer {
        @Override
        public Endpoint pick(Endpoint[] endpoints, RequestView request, Context context) {
            if (endpoints.length == 1) {
                return endpoints[0];
            }
            Endpoint a = endpoints[context.random().nextInt(endpoints.length)];
            Endpoint b = endpoints[context.random().nextInt(endpoints.length)];
            return b.activeRequests() < a.activeRequests() ? b : a;
        }

        @Override
        public String describe() {
            return "LEAST_REQUEST";
        }
    }

    /** Consistent hashing; falls back to {@code fallback} when the request carries no hash key. */
    static final class ConsistentHash implements LoadBalancer {
        private final HashPolicy policy;
        private final HashRing ring;
        private final LoadBalancer fallback;

        ConsistentHash(HashPolicy policy, HashRing ring, LoadBalancer fallback) {
            this.policy = requireNonNull(policy, "policy");
            this.ring = requireNonNull(ring, "ring");
            this.fallback = requireNonNull(fallback, "fallback");
        }

        @Override
        public Endpoint pick(Endpoint[] endpoints, RequestView request, Context context) {
            String key = policy.key(request, context);
            if (key == null) {
                return fallback.pick(endpoints, request, context);
            }
            return endpoints[ring.lookup(HashRing.hash(key))];
        }

        @Override
        public String describe() {
            return "consistentHash " + policy.describe() + " (ring of " + ring.size() + ")";
        }
    }
}
