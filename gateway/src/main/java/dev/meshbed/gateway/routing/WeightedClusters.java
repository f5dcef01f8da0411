package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * A route's destinations with their weights, as Envoy's weighted_clusters: each request draws a
 * number in {@code [0, sum of weights)} and takes the destination whose interval holds it, so a
 * destination gets weight / sum of the requests; weight 0 gets none; a single destination gets
 * every request whatever its weight. The intervals are computed once, here; a pick is one draw
 * and a scan over (typically two) bounds.
 */
public final class WeightedClusters {

    /** One destination of the route, its weight and its headers block (HTTPRouteDestination.headers). */
    public record Entry(Cluster cluster, int weight, HeaderPolicy headers) {
        public Entry(Cluster cluster, int weight) {
            this(cluster, weight, HeaderPolicy.NONE);
        }

        public Entry {
            requireNonNull(cluster, "cluster");
            requireNonNull(headers, "headers");
            if (weight < 0) {
                throw new IllegalArgumentException("weight: " + weight + " (expected: >= 0)");
            }
        }
    }

    private final List<Entry> entries;
    private final Entry[] picks;
    private final int[] upperBounds;
    private final int total;

    public WeightedClusters(List<Entry> entries) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("entries: [] (expected: at least one destination)");
        }
        this.entries = List.copyOf(entries);
        if (entries.size() == 1) {
            picks = new Entry[] {entries.get(0)};
            upperBounds = new int[] {1};
            total = 1;
            return;
        }
        List<Entry> pickedEntries = new ArrayList<>();
        List<Integer> bounds = new ArrayList<>();
        long sum = 0;
        for (Entry e : entries) {
            if (e.weight() == 0) {
                continue; // Istio drops 0-weight clusters from the weighted_clusters it sends Envoy
            }
            sum += e.weight();
            if (sum > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("sum of weights: " + sum + " (expected: <= " + Integer.MAX_VALUE + ")");
            }
            pickedEntries.add(e);
            bounds.add((int) sum);
        }
        if (sum == 0) {
            throw new IllegalArgumentException("sum of weights: 0 (expected: > 0 when there are several destinations)");
        }
        picks = pickedEntries.toArray(new Entry[0]);
        upperBounds = bounds.stream().mapToInt(Integer::intValue).toArray();
        total = (int) sum;
    }

    /** The destination for one request. */
    public Cluster pick(RandomSource random) {
        return pickEntry(random).cluster();
    }

    /** The destination for one request, with its headers block. */
    public Entry pickEntry(RandomSource random) {
        if (picks.length == 1) {
            return picks[0];
        }
        int draw = random.nextInt(total);
        for (int i = 0; i < upperBounds.length; i++) {
            if (draw < upperBounds[i]) {
                return picks[i];
            }
        }
        throw new AssertionError("draw " + draw + " outside [0, " + total + ")");
    }

    /** Whether Istio makes weighted_clusters of this route (more than one destination), not a single cluster. */
    public boolean weighted() {
        return entries.size() > 1;
    }

    /** The destinations as configured, zero weights included. */
    public List<Entry> entries() {
        return entries;
    }

    /** The share of requests {@code entry} receives, in [0, 1]. */
    public double share(Entry entry) {
        if (entries.size() == 1) {
            return 1.0;
        }
        return (double) entry.weight() / total;
    }
}
