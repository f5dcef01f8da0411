package dev.meshbed.gateway.routing;

import dev.meshbed.gateway.config.Durations;
import dev.meshbed.gateway.routing.RetryPolicy.RetryOn;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRetry;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code HTTPRoute.retries} to a {@link RetryPolicy}, as Istio's
 * {@code pilot/pkg/networking/core/route/retry/retry.go} translates it for Envoy:
 * <ul>
 * <li>no {@code retries}: Istio's default, 2 retries on
 *     {@code connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes} with
 *     503, preferring hosts not tried yet (not under consistent hashing);
 * <li>{@code attempts: 0} (or less): no retries;
 * <li>otherwise the default with {@code attempts}, and {@code retryOn} (if set) replacing the
 *     conditions: numbers are status codes, {@code retriable-status-codes} is added for them;
 *     {@code perTryTimeout}, {@code retryIgnorePreviousHosts}, {@code backoff} (base interval) as given.
 * </ul>
 * gRPC conditions and {@code refused-stream} are accepted and noted as not applicable over
 * HTTP/1.1; {@code retryRemoteLocalities} is ignored with a warning (meshbed has no localities).
 */
final class RetryPolicyCompiler {

    /** Istio's default retriable status (its older releases and this project's issue 12). */
    static final int DEFAULT_RETRIABLE_STATUS = 503;
    static final int DEFAULT_NUM_RETRIES = 2;

    /** Envoy x-envoy-retry-on tokens that mean nothing to an HTTP/1.1 upstream without gRPC, and why. */
    private static final Map<String, String> NOT_APPLICABLE = Map.of(
            "refused-stream", "HTTP/2 REFUSED_STREAM",
            "cancelled", "gRPC status",
            "deadline-exceeded", "gRPC status",
            "internal", "gRPC status",
            "resource-exhausted", "gRPC status",
            "unavailable", "gRPC status",
            "envoy-ratelimited", "no rate limiting in meshbed",
            "retriable-headers", "Istio sets no retriable headers",
            "http3-post-connect-failure", "HTTP/3");

    private static final Map<String, RetryOn> TOKENS = Map.of(
            "5xx", RetryOn.FIVE_XX,
            "gateway-error", RetryOn.GATEWAY_ERROR,
            "reset", RetryOn.RESET,
            "connect-failure", RetryOn.CONNECT_FAILURE,
            "reset-before-request", RetryOn.RESET_BEFORE_REQUEST,
            "retriable-4xx", RetryOn.RETRIABLE_4XX,
            "retriable-status-codes", RetryOn.RETRIABLE_STATUS_CODES);

    private static final String DEFAULT_RETRY_ON =
            "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

    private static final RetryPolicy DEFAULT = defaultPolicy(true);
    private static final RetryPolicy DEFAULT_CONSISTENT_HASH = defaultPolicy(false);

    private RetryPolicyCompiler() {
    }

    /**
     * @param retries the route's {@code retries}, or null
     * @param consistentHash whether the route's destinations balance by consistent hash (then
     *        retries stay on the hashed host unless {@code retryIgnorePreviousHosts} says otherwise)
     * @param warn told about what is ignored, in a sentence without the route's name
     */
    static RetryPolicy compile(HTTPRetry retries, boolean consistentHash, Consumer<String> warn) {
        if (retries == null) {
            return consistentHash ? DEFAULT_CONSISTENT_HASH : DEFAULT;
        }
        if (retries.getAttempts() == null || retries.getAttempts() <= 0) {
            return RetryPolicy.DISABLED; // Istio: "explicitly disabling the retry policy"
        }
        Parsed on = parse(retries.getRetryOn() == null || retries.getRetryOn().isBlank()
                ? null : retries.getRetryOn(), warn);
        long perTry = retries.getPerTryTimeout() == null ? 0
                : Math.max(1, Durations.parse(retries.getPerTryTimeout()).toMillis());
        boolean previousHosts = retries.getRetryIgnorePreviousHosts() != null
                ? retries.getRetryIgnorePreviousHosts() : !consistentHash;
        long backoff = retries.getBackoff() == null ? RetryPolicy.DEFAULT_BACKOFF_BASE_MILLIS
                : Math.max(1, Durations.parse(retries.getBackoff()).toMillis());
        if (Boolean.TRUE.equals(retries.getRetryRemoteLocalities())) {
            warn.accept("retryRemoteLocalities ignored: meshbed's endpoints have no localities");
        }
        return new RetryPolicy(retries.getAttempts(), perTry, on.retryOn, on.codes, previousHosts, backoff,
                on.notApplicable);
    }

    private static RetryPolicy defaultPolicy(boolean previousHosts) {
        Parsed on = parse(null, w -> { });
        return new RetryPolicy(DEFAULT_NUM_RETRIES, 0, on.retryOn, on.codes, previousHosts,
                RetryPolicy.DEFAULT_BACKOFF_BASE_MILLIS, on.notApplicable);
    }

    private record Parsed(Set<RetryOn> retryOn, int[] codes, List<String> notApplicable) {
    }

    /** Istio's parseRetryOn: numbers that are HTTP statuses are codes, the rest are conditions. */
    private static Parsed parse(String retryOn, Consumer<String> warn) {
        Set<RetryOn> on = EnumSet.noneOf(RetryOn.class);
        Set<Integer> codes = new LinkedHashSet<>();
        List<String> notApplicable = new ArrayList<>();
        if (retryOn == null) {
            retryOn = DEFAULT_RETRY_ON;
            codes.add(DEFAULT_RETRIABLE_STATUS);
        }
        for (String part : retryOn.split(",")) {
            String token = part.trim();
            if (token.isEmpty()) {
                continue;
            }
            Integer code = statusCode(token);
            if (code != null) {
                codes.add(code);
            } else if (TOKENS.containsKey(token)) {
                on.add(TOKENS.get(token));
            } else if (NOT_APPLICABLE.containsKey(token)) {
                notApplicable.add(token + " (" + NOT_APPLICABLE.get(token) + ": never matches over HTTP/1.1)");
            } else {
                warn.accept("retryOn: " + token + " ignored (expected: an HTTP status or one of 5xx, gateway-error, "
                        + "reset, connect-failure, reset-before-request, retriable-4xx, retriable-status-codes, "
                        + String.join(", ", NOT_APPLICABLE.keySet().stream().sorted().toList()) + ")");
            }
        }
        if (!codes.isEmpty()) {
            on.add(RetryOn.RETRIABLE_STATUS_CODES); // Istio adds it when only codes are given
        }
        return new Parsed(on, codes.stream().mapToInt(Integer::intValue).toArray(), notApplicable);
    }

    private static Integer statusCode(String token) {
        if (token.length() != 3 || !token.chars().allMatch(Character::isDigit)) {
            return null;
        }
        int code = Integer.parseInt(token);
        return code >= 100 && code <= 599 ? code : null;
    }
}
