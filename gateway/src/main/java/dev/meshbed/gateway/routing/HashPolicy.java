package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.ThreadLocalRandom;

/** Where a consistent-hash balancer takes its key from (DestinationRule consistentHash). */
sealed interface HashPolicy {

    /** The key for this request, or null when it has none (the balancer then falls back). */
    String key(RequestView request, LoadBalancer.Context context);

    String describe();

    record Header(String name) implements HashPolicy {
        @Override
        public String key(RequestView request, LoadBalancer.Context context) {
            return request.header(name);
        }

        @Override
        public String describe() {
            return "httpHeaderName: " + name;
        }
    }

    record QueryParameter(String name) implements HashPolicy {
        @Override
        public String key(RequestView request, LoadBalancer.Context context) {
            return request.queryParam(name);
        }

        @Override
        public String describe() {
            return "httpQueryParameterName: " + name;
        }
    }

    record SourceIp() implements HashPolicy {
        @Override
        public String key(RequestView request, LoadBalancer.Context context) {
            return request.sourceIp();
        }

        @Override
        public String describe() {
            return "useSourceIp";
        }
    }

    /**
     * A cookie. As in Envoy, when the request lacks it and a ttl is set, a value is generated,
     * used for this request, and sent back in {@code set-cookie} so the client sticks from then
     * on (ttl 0 makes it a session cookie).
     *
     * @param ttlSeconds -1 when no ttl is configured (then there is no generated cookie)
     */
    record Cookie(String name, String path, long ttlSeconds) implements HashPolicy {
        public Cookie {
            requireNonNull(name, "name");
        }

        @Override
        public String key(RequestView request, LoadBalancer.Context context) {
            String value = request.cookie(name);
            if (value != null || ttlSeconds < 0) {
                return value;
            }
            value = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
            StringBuilder cookie = new StringBuilder(name).append('=').append(value);
            if (path != null && !path.isEmpty()) {
                cookie.append("; Path=").append(path);
            }
            if (ttlSeconds > 0) {
                cookie.append("; Max-Age=").append(ttlSeconds);
            }
            context.addResponseCookie(cookie.append("; HttpOnly").toString());
            return value;
        }

        @Override
        public String describe() {
            return "httpCookie: " + name + (ttlSeconds >= 0 ? " (ttl " + ttlSeconds + "s)" : "");
        }
    }
}
