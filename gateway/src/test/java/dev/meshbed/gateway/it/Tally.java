package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** Requests sent through the gateway, counted by the {@code x-version} that answered. */
final class Tally {

    final Map<String, Long> byVersion = new TreeMap<>();
    final List<String> failures = new ArrayList<>();

    long v1() {
        return byVersion.getOrDefault("v1", 0L);
    }

    long v2() {
        return byVersion.getOrDefault("v2", 0L);
    }

    long total() {
        return byVersion.values().stream().mapToLong(Long::longValue).sum() + failures.size();
    }

    synchronized void add(HttpResponse<?> r) {
        if (r.statusCode() != 200) {
            failures.add(r.request().uri() + " -> " + r.statusCode() + " " + r.body());
            return;
        }
        byVersion.merge(r.headers().firstValue("x-version").orElse("(no x-version)"), 1L, Long::sum);
    }

    synchronized void fail(String what) {
        failures.add(what);
    }

    /** Every request answered 200 by v1 or v2. */
    Tally assertAllFromV1OrV2(String what) {
        assertThat(failures).as("%s: failed requests (of %d)", what, total()).isEmpty();
        assertThat(byVersion.keySet()).as("%s: versions that answered", what).isSubsetOf("v1", "v2");
        return this;
    }

    /**
     * Sends {@code n} requests made by {@code requests} (given the request index) on {@code threads}
     * threads sharing {@code client}, and counts the answers.
     */
    static Tally send(HttpClient client, int n, int threads, IntFunction<HttpRequest> requests) throws Exception {
        Tally t = new Tally();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                int worker = w;
                futures.add(pool.submit(() -> {
                    for (int i = worker; i < n; i += threads) {
                        HttpRequest req = requests.apply(i);
                        try {
                            t.add(client.send(req, BodyHandlers.ofString()));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        } catch (Exception e) {
                            t.fail(req.uri() + " -> " + e);
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
        return t;
    }

    @Override
    public synchronized String toString() {
        return byVersion + (failures.isEmpty() ? "" : ", " + failures.size() + " failed, e.g. " + failures.get(0));
    }
}
