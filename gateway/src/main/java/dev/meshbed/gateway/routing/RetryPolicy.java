package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A route's retry policy as Envoy applies it ({@code x-envoy-retry-on} semantics) after Istio's
 * translation of {@code HTTPRoute.retries}: how many retries, on what, with which back-off and
 * per-try timeout. Built once per route by {@link RetryPolicyCompiler}; a request only asks it
 * questions.
 */
public final class RetryPolicy {

    /** Envoy's retry conditions that apply to HTTP/1.1 upstreams. */
    public enum RetryOn {
        /** Any 5xx response, any reset, a connect failure, a per-try timeout. */
        FIVE_XX("5xx"),
        /** 502, 503 or 504; any reset, a connect failure, a per-try timeout. */
        GATEWAY_ERROR("gateway-error"),
        /** The connection closed or was reset before the response head (a connect failure too). */
        RESET("reset"),
        /** The connection could not be made. */
        CONNECT_FAILURE("connect-failure"),
        /** Nothing of the request reached the upstream (a connect failure). */
        RESET_BEFORE_REQUEST("reset-before-request"),
        /** 409. */
        RETRIABLE_4XX("retriable-4xx"),
        /** The statuses listed in {@link #retriableStatusCodes()}. */
        RETRIABLE_STATUS_CODES("retriable-status-codes");

        private final String token;

        RetryOn(String token) {
            this.token = token;
        }

        public String token() {
            return token;
        }
    }

    /** Envoy's default back-off base interval (25 ms); its maximum is 10 times the base. */
    public static final long DEFAULT_BACKOFF_BASE_MILLIS = 25;
    /** Envoy's {@code host_selection_retry_max_attempts} as Istio sets it. */
    public static final int HOST_SELECTION_ATTEMPTS = 5;

    /** {@code attempts: 0}: no retries (the one-shot retry of a stale kept-alive connection still applies). */
    public static final RetryPolicy DISABLED = new RetryPolicy(0, 0, EnumSet.noneOf(RetryOn.class), new int[0],
            false, DEFAULT_BACKOFF_BASE_MILLIS, List.of());

    private final int numRetries;
    private final long perTryTimeoutMillis;
    private final Set<RetryOn> retryOn;
    private final int[] retriableStatusCodes;
    private final boolean previousHosts;
    private final long backoffBaseMillis;
    private final long backoffMaxMillis;
    private final List<String> notApplicable;

    /**
     * @param numRetries retries after the first try (Istio's {@code attempts})
     * @param perTryTimeoutMillis 0 for none (the route timeout alone bounds the tries)
     * @param retriableStatusCodes the statuses of {@code retriable-status-codes}
     * @param previousHosts prefer hosts not tried yet (Envoy's {@code previous_hosts} predicate)
     * @param backoffBaseMillis Envoy's {@code base_interval}; the maximum is 10 times it
     * @param notApplicable tokens accepted but meaningless over HTTP/1.1 (gRPC statuses, refused-stream)
     */
    public RetryPolicy(int numRetries, long perTryTimeoutMillis, Set<RetryOn> retryOn, int[] retriableStatusCodes,
            boolean previousHosts, long backoffBaseMillis, List<String> notApplicable) {
        if (numRetries < 0) {
            throw new IllegalArgumentException("numRetries: " + numRetries + " (expected: >= 0)");
        }
        if (perTryTimeoutMillis < 0) {
            throw new IllegalArgumentException("perTryTimeoutMillis: " + perTryTimeoutMillis + " (expected: >= 0)");
        }
        if (backoffBaseMillis < 1) {
            throw new IllegalArgumentException("backoffBaseMillis: " + backoffBaseMillis + " (expected: >= 1)");
        }
        this.numRetries = numRetries;
        this.perTryTimeoutMillis = perTryTimeoutMillis;
        this.retryOn = retryOn.isEmpty() ? EnumSet.noneOf(RetryOn.class) : EnumSet.copyOf(retryOn);
        this.retriableStatusCodes = retriableStatusCodes.clone();
        Arrays.sort(this.retriableStatusCodes);
        this.previousHosts = previousHosts;
        this.backoffBaseMillis = backoffBaseMillis;
        this.backoffMaxMillis = Math.min(Integer.MAX_VALUE, backoffBaseMillis * 10);
        this.notApplicable = List.copyOf(requireNonNull(notApplicable, "notApplicable"));
    }

    public boolean enabled() {
        return numRetries > 0;
    }

    /** Retries after the first try: at most {@code 1 + numRetries} tries in all. */
    public int numRetries() {
        return numRetries;
    }

    public long perTryTimeoutMillis() {
        return perTryTimeoutMillis;
    }

    /** Whether a response with this status is retried (Envoy's {@code wouldRetryFromHeaders}). */
    public boolean retriesStatus(int status) {
        if (status >= 500 && status <= 599 && retryOn.contains(RetryOn.FIVE_XX)) {
            return true;
        }
        if ((status == 502 || status == 503 || status == 504) && retryOn.contains(RetryOn.GATEWAY_ERROR)) {
            return true;
        }
        if (status == 409 && retryOn.contains(RetryOn.RETRIABLE_4XX)) {
            return true;
        }
        return retryOn.contains(RetryOn.RETRIABLE_STATUS_CODES) && Arrays.binarySearch(retriableStatusCodes, status) >= 0;
    }

    /** Whether a connect failure is retried (Envoy's {@code wouldRetryFromReset}, reason connection failure). */
    public boolean retriesConnectFailure() {
        return retriesReset() || retryOn.contains(RetryOn.CONNECT_FAILURE)
                || retryOn.contains(RetryOn.RESET_BEFORE_REQUEST);
    }

    /** Whether a reset before the response head is retried (connection termination, protocol error). */
    public boolean retriesReset() {
        return retryOn.contains(RetryOn.RESET) || retryOn.contains(RetryOn.FIVE_XX)
                || retryOn.contains(RetryOn.GATEWAY_ERROR);
    }

    /** Whether a per-try timeout is retried: only under 5xx or gateway-error, as in Envoy. */
    public boolean retriesPerTryTimeout() {
        return retryOn.contains(RetryOn.FIVE_XX) || retryOn.contains(RetryOn.GATEWAY_ERROR);
    }

    /** Whether a retry prefers hosts not tried yet (re-picking up to {@link #HOST_SELECTION_ATTEMPTS} times). */
    public boolean previousHosts() {
        return previousHosts;
    }

    /**
     * Envoy's jittered exponential back-off before retry {@code retry} (1 for the first retry):
     * uniform in {@code [0, min(base * (2^retry - 1), 10 * base))}, e.g. 0-24 ms, 0-74 ms, 0-174 ms
     * with the 25 ms default.
     */
    public long backoffMillis(int retry, RandomSource random) {
        if (retry < 1) {
            throw new IllegalArgumentException("retry: " + retry + " (expected: >= 1)");
        }
        long ceiling = retry >= 31 ? backoffMaxMillis
                : Math.min(backoffMaxMillis, backoffBaseMillis * ((1L << retry) - 1));
        return random.nextInt((int) ceiling);
    }

    public long backoffBaseMillis() {
        return backoffBaseMillis;
    }

    public long backoffMaxMillis() {
        return backoffMaxMillis;
    }

    public Set<RetryOn> retryOn() {
        return retryOn.isEmpty() ? Set.of() : EnumSet.copyOf(retryOn);
    }

    public int[] retriableStatusCodes() {
        return retriableStatusCodes.clone();
    }

    public List<String> notApplicable() {
        return notApplicable;
    }

    /** Envoy's {@code retry_on} string, e.g. {@code connect-failure,retriable-status-codes}. */
    public String retryOnText() {
        return retryOn.stream().map(RetryOn::token).collect(Collectors.joining(","));
    }

    @Override
    public String toString() {
        if (!enabled()) {
            return "RetryPolicy(disabled)";
        }
        return "RetryPolicy(numRetries=" + numRetries + ", retryOn=" + retryOnText() + ", statuses="
                + Arrays.toString(retriableStatusCodes) + ", perTryTimeoutMs=" + perTryTimeoutMillis
                + ", previousHosts=" + previousHosts + ", backoffMs=" + backoffBaseMillis + "-" + backoffMaxMillis + ")";
    }
}
