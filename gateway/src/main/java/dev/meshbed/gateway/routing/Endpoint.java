package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream address of a cluster, with the labels subsets select on and the number of
 * requests in flight to it (what LEAST_REQUEST balances on). Each cluster has its own Endpoint
 * objects, as Envoy keeps host stats per cluster.
 */
public final class Endpoint {

    private final InetSocketAddress address;
    private final String addressText;
    private final Map<String, String> labels;
    private final String source;
    private final AtomicInteger activeRequests = new AtomicInteger();
    private final long weight;
    /** When this endpoint joined its cluster (System.nanoTime), for slow start; {@link Long#MIN_VALUE}: from the start. */
    private long addedAtNanos = Long.MIN_VALUE;

    /**
     * @param address resolved socket address
     * @param labels the workload's labels
     * @param source the resource that declared it, e.g. {@code WorkloadEntry default/app-v1}
     */
    public Endpoint(InetSocketAddress address, Map<String, String> labels, String source) {
        this(address, labels, source, 1);
    }

    /**
     * @param weight load balancing weight (WorkloadEntry {@code weight}), >= 1
     */
    public Endpoint(InetSocketAddress address, Map<String, String> labels, String source, long weight) {
        this.address = requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address: " + address + " (expected: resolved)");
        }
        this.labels = Map.copyOf(labels);
        this.source = requireNonNull(source, "source");
        this.addressText = address.getAddress().getHostAddress() + ":" + address.getPort();
        if (weight < 1) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: >= 1)");
        }
        this.weight = weight;
    }

    /** The load balancing weight (1 unless a WorkloadEntry says otherwise). */
    public long weight() {
        return weight;
    }

    /** When this endpoint joined its cluster (System.nanoTime); {@link Long#MIN_VALUE} when it was there from the start. */
    public long addedAtNanos() {
        return addedAtNanos;
    }

    /** Set while the table is built, before it is published. */
    void addedAtNanos(long nanos) {
        addedAtNanos = nanos;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** {@code 127.0.0.1:18081}, as in access logs. */
    public String addressText() {
        return addressText;
    }

    public Map<String, String> labels() {
        return labels;
    }

    public String source() {
        return source;
    }

    public int activeRequests() {
        return activeRequests.get();
    }

    public void requestStarted() {
        activeRequests.incrementAndGet();
    }

    public void requestEnded() {
        activeRequests.decrementAndGet();
    }

    @Override
    public String toString() {
        return addressText;
    }
}
