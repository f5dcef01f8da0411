package dev.meshbed.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshbed.gateway.routing.RouteAction;
import dev.meshbed.gateway.routing.RoutingTable;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figure (printed, not asserted against a size or time): the gateway with 500 VirtualServices
 * (each its own host, bound to the Gateway, 80/20 over subsets v1/v2) and 5,000 endpoints (50
 * Services x 100 Pods in one EndpointSlice each, half v1, half v2; addresses 10.0.S.P, never
 * dialled) in the mock API server.
 *
 * <p>Method: everything is written to the mock API server first; then the used heap is read after
 * full collections ({@code System.gc()} three times, 100 ms apart, MemoryMXBean) before any
 * gateway, with a first gateway running (first table installed), after it stopped, with a second
 * gateway running and after it stopped. The first gateway pays one-time costs (Jackson's
 * deserializers for the model classes and the like); the figure is the second gateway's reading
 * minus the reading after the first stopped: what the gateway holds for this configuration, its
 * informers' caches (5,000 Pods, 50 slices, ...), the
 * converted Istio resources and the routing table, plus the small fixed cost of one more gateway
 * (classes are already loaded by then, so metaspace is not in the figure; thread stacks and direct
 * buffers are not heap). Limits: one JVM with the test and the mock server in it (their garbage is
 * collected, their live data is in both readings and cancels out); System.gc() is a request, and
 * right after the start some transient data can still be reachable (one reading once came out twice
 * as high), hence the 500 ms pause and the smallest of three readings with the gateway running. The
 * build time is the gateway's own log line ("routing table vN installed in X ms"), read from
 * stderr: read from the informers' caches, convert, validate, compile and swap.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KubernetesMemoryIT {

    private static final int SERVICES = 50;
    private static final int PODS_PER_SERVICE = 100;
    private static final int VIRTUAL_SERVICES = 500;
    private static final Pattern INSTALLED = Pattern.compile(
            "routing table v(\\d+) installed in (\\d+) ms: (\\d+) gateways, (\\d+) virtual services");

    @TempDir
    Path work;

    @Test
    void fiveHundredVirtualServicesAndFiveThousandEndpoints() throws Exception {
        try (MockCluster cluster = MockCluster.start()) {
            long loadStart = System.nanoTime();
            load(cluster);
            long loadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - loadStart);

            // Two gateways, one after the other: the first pays one-time costs (Jackson's deserializers
            // for the model classes, pools, JIT'd code's heap side); the second gives the figure.
            long before = usedHeapAfterGc();
            Figures first = runGateway(cluster, work);
            long afterFirst = usedHeapAfterGc();
            Figures second = runGateway(cluster, work);
            long afterSecond = usedHeapAfterGc();

            double mb = 1024 * 1024;
            long held = second.withGateway - afterFirst;
            System.out.printf("%n=== cluster mode memory: %d VirtualServices (own host each, 80/20), %d DestinationRules, "
                            + "%d Services, %d EndpointSlices, %d Pods = %d endpoints ===%n", VIRTUAL_SERVICES, SERVICES,
                    SERVICES, SERVICES, SERVICES * PODS_PER_SERVICE, SERVICES * PODS_PER_SERVICE);
            System.out.printf("  written to the mock API server in %d ms (4 writers)%n", loadMillis);
            System.out.printf("  used heap after GC (max heap %.0f MB):%n", Runtime.getRuntime().maxMemory() / mb);
            System.out.printf("    before any gateway %.1f MB; 1st gateway running %.1f MB, stopped %.1f MB; "
                            + "2nd gateway running %.1f MB, stopped %.1f MB%n", before / mb, first.withGateway / mb,
                    afterFirst / mb, second.withGateway / mb, afterSecond / mb);
            System.out.printf("  held by the gateway for this configuration (2nd running - 1st stopped): %.1f MB "
                    + "(= %.0f bytes per endpoint if all of it were endpoints)%n", held / mb,
                    (double) held / (SERVICES * PODS_PER_SERVICE));
            System.out.printf("  one-time cost left after the 1st gateway stopped: %.1f MB; left after the 2nd: %.1f MB "
                    + "more%n", (afterFirst - before) / mb, (afterSecond - afterFirst) / mb);
            for (Figures f : List.of(first, second)) {
                System.out.printf("  %s gateway: start to ready (informers listed and synced, first table) %d ms; first "
                                + "table build (its log line) %d ms; rebuilds after editing one VirtualService %s ms%n",
                        f == first ? "1st" : "2nd", f.readyMillis, f.firstBuildMillis, f.rebuildMillis);
            }
            System.out.println();
            assertThat(afterSecond - afterFirst).as("heap left behind by the 2nd gateway (bytes) against what it held")
                    .isLessThan(held / 2);
        }
    }

    /** What one gateway run measured. */
    private record Figures(long withGateway, long readyMillis, long firstBuildMillis, List<Long> rebuildMillis) {
    }

    /**
     * Starts the gateway, checks its table, measures, rebuilds, stops it. A method of its own, so
     * that nothing of the gateway stays reachable from the test's stack once it returns.
     */
    private static Figures runGateway(MockCluster cluster, Path work) throws Exception {
        StderrTee tee = StderrTee.install();
        KubeGateway g = null;
        try {
            long start = System.nanoTime();
            g = KubeGateway.start(cluster.client(), List.of(), KubeGateway.INGRESS_LABELS, work);
            KubeGateway gw = g;
            gw.awaitReady();
            long readyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            checkTable(gw.gateway().table());
            // readiness turns on when the table is installed; its log line follows a moment later
            await("the first \"routing table v1 installed\" log line").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(10)).until(() -> !tee.installs().isEmpty());
            long firstBuildMillis = tee.installs().get(0)[1];
            assertThat(tee.installs().get(0)[3]).as("virtual services in the first table").isEqualTo(VIRTUAL_SERVICES);

            // transient garbage of the start (the list responses on their way through the informers)
            // can still be reachable for a moment: settle, then take the smallest of three readings
            Thread.sleep(500);
            long withGateway = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                withGateway = Math.min(withGateway, usedHeapAfterGc());
            }

            // rebuilds after a one-resource change (the other 499 VirtualServices are cached)
            List<Long> rebuildMillis = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int installsBefore = tee.installs().size();
                int w1 = 50 + i;
                cluster.apply(vs(7, w1, 100 - w1));
                await("rebuild " + (i + 1)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                        .until(() -> tee.installs().size() > installsBefore
                                && weightOf(gw.gateway().table(), "h7.example.com") == w1);
                rebuildMillis.add(tee.installs().get(tee.installs().size() - 1)[1]);
                Thread.sleep(150);
            }
            return new Figures(withGateway, readyMillis, firstBuildMillis, rebuildMillis);
        } finally {
            tee.uninstall();
            if (g != null) {
                g.close();
            }
        }
    }

    private static void checkTable(RoutingTable table) {
        assertThat(table.listener(0).virtualHosts().all()).as("virtual hosts").hasSize(VIRTUAL_SERVICES);
        assertThat(table.clusters()).as("clusters").hasSize(2 * SERVICES);
        assertThat(table.clusters().values()).as("endpoints per subset")
                .allSatisfy(c -> assertThat(c.endpoints()).hasSize(PODS_PER_SERVICE / 2));
        assertThat(table.clusters().values().stream().mapToInt(c -> c.endpoints().size()).sum())
                .as("endpoints in all").isEqualTo(SERVICES * PODS_PER_SERVICE);
        assertThat(table.rejections()).as("rejections").isEmpty();
        assertThat(table.listener(0).virtualHosts().find("h123.example.com").routes().get(0).name())
                .isEqualTo("default/vs-123/split");
    }

    /** Writes the configuration, 4 writers at a time. */
    private static void load(MockCluster cluster) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> work = new ArrayList<>();
            work.add(pool.submit(() -> cluster.apply(MockCluster.resource("gateway.yaml", "ns", MockCluster.NS))));
            for (int s = 0; s < SERVICES; s++) {
                int svc = s;
                work.add(pool.submit(() -> {
                    String name = service(svc);
                    cluster.service(MockCluster.NS, name, 80);
                    cluster.apply(MockCluster.resource("memory-destination-rule.yaml", "svc", name));
                    List<Endpoint> endpoints = new ArrayList<>();
                    for (int p = 0; p < PODS_PER_SERVICE; p++) {
                        String pod = name + "-" + p;
                        cluster.createPod(MockCluster.NS, pod,
                                Map.of("app", name, "version", p < PODS_PER_SERVICE / 2 ? "v1" : "v2"));
                        endpoints.add(MockCluster.endpoint("10.0." + svc + "." + p, MockCluster.NS, pod, true));
                    }
                    cluster.createSlice(MockCluster.slice(MockCluster.NS, name + "-slice", name, 8080, endpoints));
                    return null;
                }));
            }
            for (int v = 0; v < VIRTUAL_SERVICES; v++) {
                int i = v;
                work.add(pool.submit(() -> cluster.apply(vs(i, 80, 20))));
            }
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static String service(int s) {
        return String.format("svc-%02d", s);
    }

    private static String vs(int i, int w1, int w2) {
        return MockCluster.resource("memory-virtual-service.yaml", "name", "vs-" + i, "host", "h" + i + ".example.com",
                "svc", service(i % SERVICES), "w1", w1, "w2", w2);
    }

    private static int weightOf(RoutingTable table, String host) {
        var vh = table.listener(0).virtualHosts().find(host);
        if (vh == null || !(vh.routes().get(0).action() instanceof RouteAction.Forward f)) {
            return -1;
        }
        return f.clusters().entries().get(0).weight();
    }

    static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Copies stderr (where slf4j-simple writes, looking System.err up on every line) to a buffer too. */
    static final class StderrTee extends OutputStream {
        private final PrintStream original;
        private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

        private StderrTee(PrintStream original) {
            this.original = original;
        }

        static StderrTee install() {
            StderrTee tee = new StderrTee(System.err);
            System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
            return tee;
        }

        void uninstall() {
            System.setErr(original);
        }

        @Override
        public synchronized void write(int b) {
            original.write(b);
            copy.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            original.write(b, off, len);
            copy.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            original.flush();
        }

        /** Every "routing table vN installed in X ms: G gateways, V virtual services" so far: {N, X, G, V}. */
        synchronized List<long[]> installs() {
            List<long[]> out = new ArrayList<>();
            Matcher m = INSTALLED.matcher(copy.toString(StandardCharsets.UTF_8));
            while (m.find()) {
                out.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4))});
            }
            return out;
        }
    }
}
