package dev.meshbed.loadtests;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Responses per version, as the load counts them, also over time: 250 ms buckets, so that
 * WeightShift can count each step's window and draw the shift. Thread-safe; the request path
 * is two map lookups and an increment.
 */
public final class VersionTally {

    /** A response without {@code x-version}: a failure, or something that is not a version. */
    public static final String NONE = "(no x-version)";
    static final long BUCKET_MS = 250;

    private final ConcurrentSkipListMap<Long, ConcurrentHashMap<String, LongAdder>> buckets = new ConcurrentSkipListMap<>();

    public void record(String version, long epochMillis) {
        String v = version == null || version.isEmpty() ? NONE : version;
        buckets.computeIfAbsent(epochMillis / BUCKET_MS, b -> new ConcurrentHashMap<>())
                .computeIfAbsent(v, x -> new LongAdder()).increment();
    }

    /** Every response counted. */
    public Map<String, Long> counts() {
        return counts(Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /** Responses whose bucket lies wholly within {@code [fromMillis, toMillis)}. */
    public Map<String, Long> counts(long fromMillis, long toMillis) {
        long first = fromMillis == Long.MIN_VALUE ? Long.MIN_VALUE : Math.floorDiv(fromMillis + BUCKET_MS - 1, BUCKET_MS);
        long end = toMillis == Long.MAX_VALUE ? Long.MAX_VALUE : Math.floorDiv(toMillis, BUCKET_MS);
        Map<String, Long> out = new TreeMap<>();
        for (var b : buckets.subMap(first, true, end, false).values()) {
            b.forEach((v, n) -> out.merge(v, n.sum(), Long::sum));
        }
        return out;
    }

    /** Per whole second from {@code startMillis}: counts per version, for the shift's timeline. */
    public Map<Long, Map<String, Long>> perSecond(long startMillis) {
        Map<Long, Map<String, Long>> out = new TreeMap<>();
        buckets.forEach((b, m) -> {
            long second = Math.floorDiv(b * BUCKET_MS - startMillis, 1000);
            Map<String, Long> row = out.computeIfAbsent(second, s -> new TreeMap<>());
            m.forEach((v, n) -> row.merge(v, n.sum(), Long::sum));
        });
        return out;
    }
}
