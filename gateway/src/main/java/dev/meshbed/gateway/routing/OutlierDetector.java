package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Envoy's outlier detection for one cluster, consecutive-error kinds (Istio turns success-rate
 * detection off): each attempt's result is reported for its endpoint; {@code consecutive5xx}
 * 5xx in a row (or {@code consecutiveGateway} 502/503/504 in a row) eject the endpoint at once,
 * unless that would eject more than {@code maxEjectionPercent} of the cluster. An ejected endpoint
 * is left out of load balancing until an interval sweep finds its time served:
 * {@code baseEjectionTime} times the number of times it was ejected in a row, at most
 * {@code max(base, maxEjectionTime)}. Each sweep that finds an endpoint in service for a base
 * ejection time since its return takes one off that multiplier (Envoy's backoff).
 *
 * <p>Threading: reports come from every event loop. The counters are atomics per endpoint, and the
 * healthy set is an immutable array behind a volatile field, so a pick or a success costs a
 * volatile read and an atomic write, no lock. Ejecting and returning an endpoint are rare; they
 * rebuild the healthy array under this object's monitor so that two at once cannot lose each
 * other's change. The interval "timer" is the first pick (or dump) after each interval boundary,
 * claimed by a compare-and-set: an ejection is only observable through a pick or the dump, so
 * sweeping then gives what a timer would, without a timer to cancel when the table is replaced.
 */
public final class OutlierDetector {

    /** What happened to one attempt, as Envoy's outlier detector classifies it. */
    public static final int LOCAL_CONNECT_FAILURE = 503;
    public static final int LOCAL_RESET = 503;
    public static final int LOCAL_TIMEOUT = 504;

    private final OutlierPolicy policy;
    private final LongSupplier nanoClock;
    private final ClusterStats stats;
    private final Endpoint[] all;
    private final Map<Endpoint, Host> hosts = new IdentityHashMap<>();
    private final Host[] hostArray;
    private final AtomicInteger ejected = new AtomicInteger();
    private final AtomicLong nextSweepNanos;
    private final long intervalNanos;
    private volatile Endpoint[] healthy;

    public OutlierDetector(OutlierPolicy policy, List<Endpoint> endpoints, ClusterStats stats, LongSupplier nanoClock) {
        this.policy = requireNonNull(policy, "policy");
        this.stats = requireNonNull(stats, "stats");
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.all = endpoints.toArray(new Endpoint[0]);
        this.hostArray = new Host[all.length];
        for (int i = 0; i < all.length; i++) {
            hostArray[i] = new Host(all[i]);
            hosts.put(all[i], hostArray[i]);
        }
        this.healthy = all;
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(policy.intervalMillis());
        this.nextSweepNanos = new AtomicLong(nanoClock.getAsLong() + intervalNanos);
        stats.outlierEjectionsActive(0);
    }

    /**
     * Takes over the state of {@code previous}, the detector of the same cluster in the table this
     * one replaces, for the endpoints both have (matched by address): a config change elsewhere
     * (a canary's weights, say) must not return ejected endpoints to service, as it does not in
     * Envoy, where such a change leaves the cluster alone. Called while the table is built,
     * before it is published.
     */
    void inherit(OutlierDetector previous) {
        if (previous == null || previous == this) {
            return;
        }
        Map<String, Host> mine = new java.util.HashMap<>();
        for (Host h : hostArray) {
            mine.put(h.endpoint.addressText(), h);
        }
        synchronized (previous) {
            for (Host old : previous.hostArray) {
                Host h = mine.get(old.endpoint.addressText());
                if (h == null) {
                    continue;
                }
                h.consecutive5xx.set(old.consecutive5xx.get());
                h.consecutiveGateway.set(old.consecutiveGateway.get());
                h.ejectedAtNanos = old.ejectedAtNanos;
                h.ejectedForNanos = old.ejectedForNanos;
                h.ejectedAtEpochMillis = old.ejectedAtEpochMillis;
                h.returnedAtNanos = old.returnedAtNanos;
                h.multiplier = old.multiplier;
                h.ejections = old.ejections;
                h.ejected = old.ejected;
            }
            nextSweepNanos.set(previous.nextSweepNanos.get());
        }
        synchronized (this) {
            int count = 0;
            for (Host h : hostArray) {
                count += h.ejected ? 1 : 0;
            }
            ejected.set(count);
            rebuild();
        }
    }

    public OutlierPolicy policy() {
        return policy;
    }

    /**
     * The endpoints to balance over: those not ejected; all of them while fewer than
     * {@code minHealthPercent} are healthy (Envoy's panic mode); none when all are ejected and
     * the threshold is 0 (Istio's default: 503 UH).
     */
    public Endpoint[] available() {
        sweepIfDue();
        Endpoint[] h = healthy;
        if (h.length < all.length && (long) h.length * 100 < (long) policy.minHealthPercent() * all.length) {
            return all;
        }
        return h;
    }

    public boolean isEjected(Endpoint endpoint) {
        Host h = hosts.get(endpoint);
        return h != null && h.ejected;
    }

    /**
     * The result of one attempt on {@code endpoint}: the upstream's status, or
     * {@link #LOCAL_CONNECT_FAILURE}, {@link #LOCAL_RESET}, {@link #LOCAL_TIMEOUT} for what
     * happened before one (Envoy maps local-origin errors so when they are not split).
     */
    public void report(Endpoint endpoint, int status) {
        Host h = hosts.get(endpoint);
        if (h == null) {
            return; // an endpoint of another table
        }
        if (status < 500) {
            // a non-5xx resets both counters; the plain read avoids a write per success
            if (h.consecutive5xx.get() != 0) {
                h.consecutive5xx.set(0);
            }
            if (h.consecutiveGateway.get() != 0) {
                h.consecutiveGateway.set(0);
            }
            return;
        }
        boolean gateway = status == 502 || status == 503 || status == 504;
        if (gateway) {
            int n = h.consecutiveGateway.incrementAndGet();
            if (policy.consecutiveGateway() > 0 && n == policy.consecutiveGateway()) {
                eject(h, "consecutive_gateway_failure");
            }
        } else if (h.consecutiveGateway.get() != 0) {
            h.consecutiveGateway.set(0);
        }
        int n = h.consecutive5xx.incrementAndGet();
        if (policy.consecutive5xx() > 0 && n == policy.consecutive5xx()) {
            eject(h, "consecutive_5xx");
        }
    }

    private void eject(Host h, String type) {
        stats.outlierEjectionDetected(type);
        synchronized (this) {
            if (h.ejected) {
                return;
            }
            // within max_ejection_percent of the cluster, "but will eject at least one host regardless
            // of the value" (Envoy's outlier_detection.proto)
            int active = ejected.get();
            if ((long) (active + 1) * 100 > (long) policy.maxEjectionPercent() * all.length && active > 0
                    || policy.maxEjectionPercent() == 0) {
                stats.outlierEjectionOverflow();
                return;
            }
            long now = nanoClock.getAsLong();
            h.multiplier = Math.min(h.multiplier + 1, maxMultiplier());
            h.ejectedAtNanos = now;
            h.ejectedForNanos = ejectionNanos(h.multiplier);
            h.ejectedAtEpochMillis = System.currentTimeMillis();
            h.ejections++;
            h.ejected = true;
            h.consecutive5xx.set(0);
            h.consecutiveGateway.set(0);
            ejected.incrementAndGet();
            rebuild();
        }
        stats.outlierEjectionEnforced(type);
    }

    private long maxMultiplier() {
        long cap = Math.max(policy.baseEjectionMillis(), policy.maxEjectionMillis());
        return Math.max(1, cap / policy.baseEjectionMillis());
    }

    private long ejectionNanos(long multiplier) {
        long cap = Math.max(policy.baseEjectionMillis(), policy.maxEjectionMillis());
        return TimeUnit.MILLISECONDS.toNanos(Math.min(policy.baseEjectionMillis() * multiplier, cap));
    }

    /** Runs the interval sweep if its time has come and no other thread has claimed it. */
    public void sweepIfDue() {
        long now = nanoClock.getAsLong();
        long due = nextSweepNanos.get();
        if (now - due < 0 || !nextSweepNanos.compareAndSet(due, now + intervalNanos)) {
            return;
        }
        sweep(now);
    }

    private void sweep(long now) {
        long baseNanos = TimeUnit.MILLISECONDS.toNanos(policy.baseEjectionMillis());
        boolean changed = false;
        synchronized (this) {
            for (Host h : hostArray) {
                if (h.ejected) {
                    if (now - h.ejectedAtNanos >= h.ejectedForNanos) {
                        h.ejected = false;
                        h.returnedAtNanos = now;
                        h.consecutive5xx.set(0);
                        h.consecutiveGateway.set(0);
                        ejected.decrementAndGet();
                        changed = true;
                    }
                } else if (h.multiplier > 0 && now - h.returnedAtNanos >= baseNanos) {
                    h.multiplier--;
                    h.returnedAtNanos = now;
                }
            }
            if (changed) {
                rebuild();
            }
        }
    }

    private void rebuild() {
        List<Endpoint> up = new ArrayList<>(all.length);
        for (Host h : hostArray) {
            if (!h.ejected) {
                up.add(h.endpoint);
            }
        }
        healthy = up.toArray(new Endpoint[0]);
        stats.outlierEjectionsActive(all.length - up.size());
    }

    /** One endpoint's state, for the config dump. */
    public record EndpointState(Endpoint endpoint, boolean ejected, long ejectedSinceEpochMillis,
            long ejectedUntilEpochMillis, int ejections, long multiplier, int consecutive5xx, int consecutiveGateway) {
    }

    /** The state of every endpoint now (runs a due sweep first). */
    public synchronized List<EndpointState> states() {
        sweepIfDue();
        List<EndpointState> out = new ArrayList<>(hostArray.length);
        for (Host h : hostArray) {
            long until = h.ejected ? h.ejectedAtEpochMillis + TimeUnit.NANOSECONDS.toMillis(h.ejectedForNanos) : 0;
            out.add(new EndpointState(h.endpoint, h.ejected, h.ejected ? h.ejectedAtEpochMillis : 0, until,
                    h.ejections, h.multiplier, h.consecutive5xx.get(), h.consecutiveGateway.get()));
        }
        return out;
    }

    public int ejectedCount() {
        return ejected.get();
    }

    private static final class Host {
        final Endpoint endpoint;
        final AtomicInteger consecutive5xx = new AtomicInteger();
        final AtomicInteger consecutiveGateway = new AtomicInteger();
        /** Written under the detector's monitor, read by picks through {@code healthy}. */
        volatile boolean ejected;
        long ejectedAtNanos;
        long ejectedForNanos;
        long ejectedAtEpochMillis;
        long returnedAtNanos;
        long multiplier;
        int ejections;

        Host(Endpoint endpoint) {
            this.endpoint = endpoint;
        }
    }
}
