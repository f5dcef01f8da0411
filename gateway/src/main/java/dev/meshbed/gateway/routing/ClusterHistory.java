package dev.meshbed.gateway.routing;

import java.util.HashMap;
import java.util.Map;

/**
 * What a cluster carries from one routing table to the next: its outlier detection state (see
 * {@link OutlierDetector#inherit}) and when each endpoint joined it, for slow
 * start: an endpoint of a cluster's first table was there from the start (no ramp, as a freshly
 * started gateway sends its full share); one that appears in a later table joined when that
 * table was built. Only the latest table's endpoints are remembered. Used by the config thread.
 */
final class ClusterHistory {

    private Map<String, Map<String, Long>> current = new HashMap<>();
    private Map<String, Map<String, Long>> next = new HashMap<>();
    private Map<String, OutlierDetector> detectors = new HashMap<>();
    private Map<String, OutlierDetector> nextDetectors = new HashMap<>();

    /**
     * Hands {@code detector} the state of the previous table's detector of {@code cluster} when
     * both apply the same policy, and remembers it for the next table.
     */
    synchronized void carryOver(String cluster, OutlierDetector detector) {
        OutlierDetector previous = detectors.get(cluster);
        if (previous != null && previous.policy().equals(detector.policy())) {
            detector.inherit(previous);
        }
        nextDetectors.put(cluster, detector);
    }

    /** When the endpoint at {@code address} joined {@code cluster}; {@link Long#MIN_VALUE} for "from the start". */
    synchronized long addedAt(String cluster, String address, long nowNanos) {
        Map<String, Long> before = current.get(cluster);
        long at = before == null ? Long.MIN_VALUE : before.getOrDefault(address, nowNanos);
        next.computeIfAbsent(cluster, c -> new HashMap<>()).put(address, at);
        return at;
    }

    /** The table being built is complete: its endpoints are now the ones remembered. */
    synchronized void tableBuilt() {
        current = next;
        next = new HashMap<>();
        detectors = nextDetectors;
        nextDetectors = new HashMap<>();
    }
}
