package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** The simple policies of DestinationRule {@code loadBalancer.simple}. */
final class LoadBalancers {

    private LoadBalancers() {
    }

    /**
     * Each endpoint in turn. One counter per cluster, shared by all event loops. With unequal
     * weights (WorkloadEntry {@code weight}) or endpoints in slow start, Envoy's weighted round
     * robin: the n-th pick takes the point {@code frac(n * golden ratio)} of the weight line, a
     * low-discrepancy sequence, so every endpoint's share of any run of picks is its share of the
     * weights to within a few picks, with a lock-free counter as the only state.
     */
    static final class RoundRobin implements LoadBalancer {
        private static final double GOLDEN = 0.6180339887498949;
        private final AtomicLong next = new AtomicLong();
        private final SlowStart slowStart;
        private final LongSupplier nanoClock;

        RoundRobin() {
            this(null, System::nanoTime);
        }

        RoundRobin(SlowStart slowStart, LongSupplier nanoClock) {
            this.slowStart = slowStart;
            this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        }

        @Override
        public Endpoint pick(Endpoint[] endpoints, RequestView request, Context context) {
            long n = next.getAndIncrement();
            double[] weights = Weights.effective(endpoints, slowStart, nanoClock);
            if (weights == null) {
                return endpoints[(int) Math.floorMod(n, (long) endpoints.length)];
            }
            double point = (n * GOLDEN) % 1.0;
            return Weights.at(endpoints, weights, point);
        }

        @Override
        public String describe() {
            return "ROUND_ROBIN" + (slowStart == null ? "" : ", " + slowStart.describe());
        }
    }

    /** Uniform, as Envoy's RANDOM (it does not weigh endpoints: "selects a random available host"). */
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
     * Envoy's LEAST_REQUEST. Equal weights: two random choices, the one with fewer requests in
     * flight wins ("power of two choices"). Unequal weights or slow start: each endpoint's weight
     * is divided by (requests in flight + 1) (Envoy's active_request_bias 1.0) and one is drawn in
     * proportion to that (Envoy walks an EDF schedule over the same weights; a draw needs no
     * schedule shared between event loops). Istio's default policy.
     */
    static final class LeastRequest implements LoadBalancer {
        private final SlowStart slowStart;
        private final LongSupplier nanoClock;

        LeastRequest() {
            this(null, System::nanoTime);
        }

        LeastRequest(SlowStart slowStart, LongSupplier nanoClock) {
            this.slowStart = slowStart;
            this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        }

        @Override
        public Endpoint pick(Endpoint[] endpoints, RequestView request, Context context) {
            if (endpoints.length == 1) {
                return endpoints[0];
            }
            double[] weights = Weights.effective(endpoints, slowStart, nanoClock);
            if (weights == null) {
                Endpoint a = endpoints[context.random().nextInt(endpoints.length)];
                Endpoint b = endpoints[context.random().nextInt(endpoints.length)];
                return b.activeRequests() < a.activeRequests() ? b : a;
            }
            double total = 0;
            for (int i = 0; i < endpoints.length; i++) {
                weights[i] /= endpoints[i].activeRequests() + 1;
                total += weights[i];
            }
            double point = context.random().nextInt(1 << 30) / (double) (1 << 30);
            return Weights.at(endpoints, weights, point, total);
        }

        @Override
        public String describe() {
            return "LEAST_REQUEST" + (slowStart == null ? "" : ", " + slowStart.describe());
        }
    }

    /** Endpoint weights as the balancers use them. */
    static final class Weights {
        private Weights() {
        }

        /** Each endpoint's weight now (slow start applied), or null when they are all equal. */
        static double[] effective(Endpoint[] endpoints, SlowStart slowStart, LongSupplier nanoClock) {
            long first = endpoints[0].weight();
            boolean equal = true;
            for (Endpoint e : endpoints) {
                if (e.weight() != first) {
                    equal = false;
                    break;
                }
            }
            long now = 0;
            if (slowStart != null) {
                now = nanoClock.getAsLong();
                for (Endpoint e : endpoints) {
                    if (slowStart.factor(e, now) < 1) {
                        equal = false;
                        break;
                    }
                }
            }
            if (equal) {
                return null;
            }
            double[] w = new double[endpoints.length];
            for (int i = 0; i < endpoints.length; i++) {
                w[i] = endpoints[i].weight() * (slowStart == null ? 1 : slowStart.factor(endpoints[i], now));
            }
            return w;
        }

        /** The endpoint at {@code point} (0 <= point < 1) of the line of weights laid end to end. */
        static Endpoint at(Endpoint[] endpoints, double[] weights, double point) {
            double total = 0;
            for (double w : weights) {
                total += w;
            }
            return at(endpoints, weights, point, total);
        }

        static Endpoint at(Endpoint[] endpoints, double[] weights, double point, double total) {
            double target = point * total;
            double sum = 0;
            for (int i = 0; i < endpoints.length; i++) {
                sum += weights[i];
                if (target < sum) {
                    return endpoints[i];
                }
            }
            return endpoints[endpoints.length - 1];
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
