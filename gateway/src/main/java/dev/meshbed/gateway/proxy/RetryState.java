package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.routing.Endpoint;
import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.routing.RetryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The retry bookkeeping of one request, beside the exchange as Envoy keeps a retry state beside
 * its router: the route's {@link RetryPolicy}, the retries left, the back-off before the next,
 * and the hosts tried (which a retry avoids when the policy prefers other hosts).
 */
final class RetryState {

    /** What to do about a try's outcome. */
    enum Decision {
        /** The outcome is not one the policy retries: it stands. */
        NO_RETRY,
        /** Retriable, and a retry is left: try again after {@link #backoffMillis()}. */
        RETRY,
        /** Retriable, but no retry is left: the outcome stands, flagged URX. */
        LIMIT_EXCEEDED
    }

    private final RetryPolicy policy;
    private final RandomSource random;
    private final List<Endpoint> hostsTried = new ArrayList<>(2);
    private int retriesLeft;
    private int retriesDone;
    private boolean staleConnectionRetried;

    RetryState(RetryPolicy policy, RandomSource random) {
        this.policy = requireNonNull(policy, "policy");
        this.random = requireNonNull(random, "random");
        this.retriesLeft = policy.numRetries();
    }

    RetryPolicy policy() {
        return policy;
    }

    /** Retries started so far. */
    int retriesDone() {
        return retriesDone;
    }

    /** A try ended before its response head; {@code failure} says how. */
    Decision onFailure(UpstreamRequest.Failure failure) {
        boolean retriable = switch (failure) {
            case CONNECT_FAILURE -> policy.retriesConnectFailure();
            case RESET, PROTOCOL_ERROR -> policy.retriesReset();
            case PER_TRY_TIMEOUT -> policy.retriesPerTryTimeout();
            case OVERFLOW -> false; // Envoy never retries an overflow reset (retry_state_impl.cc)
        };
        return decide(retriable);
    }

    /** A try's response head arrived with {@code status}. */
    Decision onResponse(int status) {
        return decide(policy.retriesStatus(status));
    }

    private Decision decide(boolean retriable) {
        if (!retriable) {
            return Decision.NO_RETRY;
        }
        if (retriesLeft == 0) {
            return Decision.LIMIT_EXCEEDED;
        }
        retriesLeft--;
        retriesDone++;
        return Decision.RETRY;
    }

    /** The wait before the retry just decided: Envoy's jittered exponential back-off. */
    long backoffMillis() {
        return policy.backoffMillis(retriesDone, random);
    }

    void tried(Endpoint endpoint) {
        if (!hostsTried.contains(endpoint)) {
            hostsTried.add(endpoint);
        }
    }

    /**
     * The endpoint for a retry: with the previous-hosts predicate, picks again up to
     * {@link RetryPolicy#HOST_SELECTION_ATTEMPTS} times while the pick was tried already, and
     * takes the last pick then (Envoy's {@code host_selection_retry_max_attempts}).
     */
    Endpoint pickForRetry(Supplier<Endpoint> pick) {
        Endpoint e = pick.get();
        if (!policy.previousHosts()) {
            return e;
        }
        for (int i = 0; i < RetryPolicy.HOST_SELECTION_ATTEMPTS && e != null && hostsTried.contains(e); i++) {
            e = pick.get();
        }
        return e;
    }

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
