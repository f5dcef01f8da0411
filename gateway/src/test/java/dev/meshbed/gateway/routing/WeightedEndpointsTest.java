package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.doc;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.onlyCluster;
import static dev.meshbed.gateway.routing.RoutingFixtures.route;
import static dev.meshbed.gateway.routing.RoutingFixtures.routeTo;
import static dev.meshbed.gateway.routing.RoutingFixtures.snapshot;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * WorkloadEntry weights and slow start in the balancers, as Envoy weighs endpoints. Random draws
 * use a seeded source; each share is checked within 4.5 standard deviations of its expectation
 * (a false failure about once in 150,000 runs were the source not seeded).
 */
class WeightedEndpointsTest {

    private static final int N = 20_000;
    private final AtomicLong now = new AtomicLong(TimeUnit.SECONDS.toNanos(1000));

    private static Endpoint endpoint(int port, long weight) {
        return new Endpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), Map.of(), "test", weight);
    }

    private static RandomSource seeded(long seed) {
        java.util.Random r = new java.util.Random(seed);
        return r::nextInt;
    }

    private static Map<Endpoint, Integer> tally(LoadBalancer lb, Endpoint[] eps, int n, RandomSource random) {
        RoutingFixtures.RecordingContext ctx = new RoutingFixtures.RecordingContext(random);
        RequestView req = get("app", "/");
        Map<Endpoint, Integer> out = new HashMap<>();
        for (int i = 0; i < n; i++) {
            out.merge(lb.pick(eps, req, ctx), 1, Integer::sum);
        }
        return out;
    }

    /** 4.5 standard deviations of a share p over n draws. */
    private static double tolerance(double p, int n) {
        return 4.5 * Math.sqrt(p * (1 - p) / n);
    }

    @Test
    void roundRobinGivesEachEndpointItsWeightedShareToWithinAFewPicks() {
        Endpoint a = endpoint(1, 3);
        Endpoint b = endpoint(2, 1);
        Map<Endpoint, Integer> t = tally(new LoadBalancers.RoundRobin(), new Endpoint[] {a, b}, 4_000, seeded(1));
        assertThat(t.get(a)).isCloseTo(3_000, within(5));
        assertThat(t.get(b)).isCloseTo(1_000, within(5));
        // and no long runs: in any 8 consecutive picks b appears at least once
        LoadBalancers.RoundRobin rr = new LoadBalancers.RoundRobin();
        RoutingFixtures.RecordingContext ctx = new RoutingFixtures.RecordingContext();
        int sinceB = 0;
        for (int i = 0; i < 1_000; i++) {
            sinceB = rr.pick(new Endpoint[] {a, b}, get("app", "/"), ctx) == b ? 0 : sinceB + 1;
            assertThat(sinceB).isLessThan(8);
        }
    }

    @Test
    void equalWeightsKeepPlainRoundRobin() {
        Endpoint a = endpoint(1, 2);
        Endpoint b = endpoint(2, 2);
        LoadBalancers.RoundRobin rr = new LoadBalancers.RoundRobin();
        RoutingFixtures.RecordingContext ctx = new RoutingFixtures.RecordingContext();
        assertThat(List.of(rr.pick(new Endpoint[] {a, b}, get("a", "/"), ctx), rr.pick(new Endpoint[] {a, b},
                get("a", "/"), ctx))).containsExactly(a, b);
    }

    @Test
    void leastRequestWeighsEndpointsAndTheirRequestsInFlight() {
        Endpoint a = endpoint(1, 3);
        Endpoint b = endpoint(2, 1);
        Map<Endpoint, Integer> t = tally(new LoadBalancers.LeastRequest(), new Endpoint[] {a, b}, N, seeded(2));
        assertThat(t.get(a) / (double) N).isCloseTo(0.75, within(tolerance(0.75, N)));

        // two requests in flight on a: 3/3 against 1/1, an even split
        a.requestStarted();
        a.requestStarted();
        Map<Endpoint, Integer> busy = tally(new LoadBalancers.LeastRequest(), new Endpoint[] {a, b}, N, seeded(3));
        assertThat(busy.get(a) / (double) N).isCloseTo(0.5, within(tolerance(0.5, N)));
    }

    @Test
    void randomDoesNotWeighEndpointsAsEnvoysDoesNot() {
        Endpoint a = endpoint(1, 9);
        Endpoint b = endpoint(2, 1);
        Map<Endpoint, Integer> t = tally(new LoadBalancers.Random(), new Endpoint[] {a, b}, N, seeded(4));
        assertThat(t.get(a) / (double) N).isCloseTo(0.5, within(tolerance(0.5, N)));
    }

    @Test
    void slowStartRampsANewEndpointFromTenPercentToItsFullWeight() {
        SlowStart slow = new SlowStart(10_000, 1.0, 10);
        Endpoint old = endpoint(1, 1);
        Endpoint fresh = endpoint(2, 1);
        fresh.addedAtNanos(now.get());
        assertThat(slow.factor(old, now.get())).isEqualTo(1.0);
        assertThat(slow.factor(fresh, now.get())).isCloseTo(0.1, within(1e-9)); // max(1 s, 1 s) / 10 s
        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        assertThat(slow.factor(fresh, now.get())).isCloseTo(0.5, within(1e-9));
        Map<Endpoint, Integer> t = tally(new LoadBalancers.RoundRobin(slow, now::get), new Endpoint[] {old, fresh},
                3_000, seeded(5));
        assertThat(t.get(fresh)).isCloseTo(1_000, within(5)); // 0.5 against 1: a third
        assertThat(new SlowStart(10_000, 2.0, 10).factor(fresh, now.get()))
                .isCloseTo(Math.sqrt(0.5), within(1e-9)); // aggression 2: faster at first
        assertThat(new SlowStart(10_000, 1.0, 60).factor(fresh, now.get())).isCloseTo(0.6, within(1e-9));
        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        assertThat(slow.factor(fresh, now.get())).isEqualTo(1.0);
        Map<Endpoint, Integer> lr = tally(new LoadBalancers.LeastRequest(slow, now::get),
                new Endpoint[] {old, fresh}, N, seeded(6));
        assertThat(lr.get(fresh) / (double) N).isCloseTo(0.5, within(tolerance(0.5, N)));
    }

    private static final String WORKLOADS = """
            hosts: [app.default.svc.cluster.local]
            location: MESH_INTERNAL
            resolution: STATIC
            ports:
            - {number: 80, name: http, protocol: HTTP}
            workloadSelector: {labels: {app: app}}
            """;

    private static String workload(String name, String address, Integer weight) {
        return doc("WorkloadEntry", "default", name, "address: " + address + "\nlabels: {app: app}\n"
                + (weight == null ? "" : "weight: " + weight + "\n"));
    }

    @Test
    void workloadEntryWeightsAndWarmupCompileAndOnlyEndpointsThatJoinLaterRamp() {
        String rule = doc("DestinationRule", "default", "app", """
                host: app
                trafficPolicy:
                  loadBalancer:
                    simple: ROUND_ROBIN
                    warmup: {duration: 60s, aggression: 2, minimumPercent: 20}
                """);
        TableCompiler compiler = RoutingFixtures.compiler();
        RoutingTable first = compiler.compile(snapshot(gateway(), doc("ServiceEntry", "default", "app", WORKLOADS),
                workload("a", "10.0.0.1", 3), workload("b", "10.0.0.2", null), rule,
                virtualService("app", "app.example.com", routeTo("app", null)))).table();
        Cluster c1 = onlyCluster(route(first, get("app.example.com", "/")));
        assertThat(c1.endpoints()).extracting(Endpoint::weight).containsExactly(3L, 1L);
        assertThat(c1.endpoints()).allMatch(e -> e.addedAtNanos() == Long.MIN_VALUE);
        assertThat(c1.loadBalancer().describe()).isEqualTo("ROUND_ROBIN, warmup 60000ms (aggression 2.0, minimumPercent 20.0)");

        RoutingTable second = compiler.compile(snapshot(gateway(), doc("ServiceEntry", "default", "app", WORKLOADS),
                workload("a", "10.0.0.1", 3), workload("b", "10.0.0.2", null), workload("c", "10.0.0.3", 0), rule,
                virtualService("app", "app.example.com", routeTo("app", null)))).table();
        Cluster c2 = onlyCluster(route(second, get("app.example.com", "/")));
        assertThat(c2.endpoints()).extracting(Endpoint::weight).containsExactly(3L, 1L, 1L);
        assertThat(c2.endpoints().subList(0, 2)).allMatch(e -> e.addedAtNanos() == Long.MIN_VALUE);
        assertThat(c2.endpoints().get(2).addedAtNanos()).isNotEqualTo(Long.MIN_VALUE);
    }
}
