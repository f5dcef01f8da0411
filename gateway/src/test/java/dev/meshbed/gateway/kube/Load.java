package dev.meshbed.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * Client threads, each on a keep-alive connection of its own, sending GETs with a chosen Host
 * through the gateway; every answer is kept with the times it was sent and received.
 */
final class Load implements AutoCloseable {

    /** One answer: when it was sent and received (System.nanoTime), and {@link Http1.Response#outcome()} or the exception. */
    record Sample(long sentNanos, long receivedNanos, String outcome) {
    }

    private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final ExecutorService pool;
    private final List<Future<?>> workers = new ArrayList<>();

    /** Starts {@code threads} threads sending until {@link #stop()}; returns once each has a connection open. */
    static Load start(KubeGateway gateway, int threads, String host, String pathPrefix) throws InterruptedException {
        Load load = new Load(threads);
        CountDownLatch started = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            int worker = t;
            load.workers.add(load.pool.submit(() -> {
                try (Http1 c = gateway.connect()) {
                    started.countDown();
                    for (int i = 0; !load.stop.get(); i++) {
                        long sent = System.nanoTime();
                        String outcome;
                        try {
                            outcome = c.get(pathPrefix + worker + "/" + i, host).outcome();
                        } catch (Exception e) {
                            outcome = e.toString();
                        }
                        load.samples.add(new Sample(sent, System.nanoTime(), outcome));
                    }
                }
            }));
        }
        assertThat(started.await(10, TimeUnit.SECONDS)).as("load threads started").isTrue();
        return load;
    }

    /** Sends {@code n} requests on {@code threads} threads and returns the answers. */
    static List<Sample> send(KubeGateway gateway, int n, int threads, String host, String pathPrefix)
            throws Exception {
        Load load = new Load(threads);
        try {
            for (int t = 0; t < threads; t++) {
                int worker = t;
                load.workers.add(load.pool.submit(() -> {
                    try (Http1 c = gateway.connect()) {
                        for (int i = worker; i < n; i += threads) {
                            long sent = System.nanoTime();
                            String outcome;
                            try {
                                outcome = c.get(pathPrefix + i, host).outcome();
                            } catch (Exception e) {
                                outcome = e.toString();
                            }
                            load.samples.add(new Sample(sent, System.nanoTime(), outcome));
                        }
                    }
                }));
            }
            return load.stop();
        } finally {
            load.close();
        }
    }

    private Load(int threads) {
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "kube-it-load");
            t.setDaemon(true);
            return t;
        });
    }

    /** Answers so far. */
    List<Sample> samples() {
        return new ArrayList<>(samples);
    }

    /** Stops the threads (each finishes its request in flight) and returns all answers. */
    List<Sample> stop() throws Exception {
        stop.set(true); // an open-ended run stops; a fixed-count run ends by itself
        for (Future<?> f : workers) {
            f.get(60, TimeUnit.SECONDS);
        }
        return samples();
    }

    /** Answers counted by outcome, e.g. {v1=812, v2=188}. */
    static Map<String, Long> count(List<Sample> samples) {
        Map<String, Long> out = new TreeMap<>();
        samples.forEach(s -> out.merge(s.outcome(), 1L, Long::sum));
        return out;
    }

    static long count(List<Sample> samples, String outcome) {
        return samples.stream().filter(s -> s.outcome().equals(outcome)).count();
    }

    static List<Sample> where(List<Sample> samples, Predicate<Sample> p) {
        return samples.stream().filter(p).toList();
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
    }
}
