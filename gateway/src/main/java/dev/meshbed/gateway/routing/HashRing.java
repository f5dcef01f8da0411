package dev.meshbed.gateway.routing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Envoy's ring hash: every endpoint is placed on a 64-bit ring many times, a key goes to the
 * first endpoint clockwise from its own hash. Adding or removing an endpoint moves only about
 * 1/n of the keys ("soft" affinity, as Istio's docs warn).
 */
final class HashRing {

    private final long[] points;
    private final int[] owners;

    /**
     * @param endpointKeys a stable name per endpoint (its address), in endpoint order
     * @param minimumRingSize Envoy's minimum_ring_size (default 1024)
     */
    HashRing(String[] endpointKeys, int minimumRingSize) {
        int n = endpointKeys.length;
        int perEndpoint = Math.max(1, (minimumRingSize + n - 1) / n);
        long[][] entries = new long[n * perEndpoint][];
        int k = 0;
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < perEndpoint; r++) {
                entries[k++] = new long[] {hash(endpointKeys[i] + "_" + r), i};
            }
        }
        Arrays.sort(entries, (a, b) -> Long.compareUnsigned(a[0], b[0]));
        points = new long[entries.length];
        owners = new int[entries.length];
        for (int i = 0; i < entries.length; i++) {
            points[i] = entries[i][0];
            owners[i] = (int) entries[i][1];
        }
    }

    int size() {
        return points.length;
    }

    /** Index of the endpoint that owns {@code hash}. */
    int lookup(long hash) {
        int lo = 0;
        int hi = points.length - 1;
        if (Long.compareUnsigned(hash, points[hi]) > 0) {
            return owners[0]; // wrap around
        }
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(points[mid], hash) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return owners[lo];
    }

    /** 64-bit FNV-1a over UTF-8, finished with MurmurHash3's fmix64 for avalanche. */
    static long hash(String key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
