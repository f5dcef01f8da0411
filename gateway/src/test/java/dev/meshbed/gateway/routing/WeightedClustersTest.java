package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.compile;
import static dev.meshbed.gateway.routing.RoutingFixtures.constant;
import static dev.meshbed.gateway.routing.RoutingFixtures.destinationRuleV1V2;
import static dev.meshbed.gateway.routing.RoutingFixtures.forward;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.route;
import static dev.meshbed.gateway.routing.RoutingFixtures.serviceEntry;
import static dev.meshbed.gateway.routing.RoutingFixtures.table;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import dev.meshbed.gateway.config.ConfigStore;
import dev.meshbed.gateway.config.IstioYamlReader;
import dev.meshbed.gateway.config.ParsedSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Envoy's weighted_clusters as Istio configures them: a draw in [0, sum of weights) mapped onto
 * consecutive intervals; weight 0 dropped when there are other destinations; a lone destination
 * takes everything.
 */
class WeightedClustersTest {

    private static Cluster cluster(String subset) {
        return Cluster.of("app.default.svc.cluster.local", 80, subset, List.of(), new LoadBalancers.Random(), 1000,
                ClusterStats.NOOP);
    }

    private static final Cluster A = cluster("a");
    private static final Cluster B = cluster("b");
    private static final Cluster C = cluster("c");

    private static WeightedClusters weights(Object... clusterWeightPairs) {
        List<WeightedClusters.Entry> entries = new ArrayList<>();
        for (int i = 0; i < clusterWeightPairs.length; i += 2) {
            entries.add(new WeightedClusters.Entry((Cluster) clusterWeightPairs[i],
                    (Integer) clusterWeightPairs[i + 1]));
        }
        return new WeightedClusters(entries);
    }

    /** A source that must not be asked. */
    private static final RandomSource NEVER = bound -> {
        throw new AssertionError("no draw expected (bound " + bound + ")");
    };

    // ---------------------------------------------------------------- interval mapping

    @Test
    void eightyTwentyMapsDrawsOntoIntervals() {
        WeightedClusters w = weights(A, 80, B, 20);
        for (int draw = 0; draw < 100; draw++) {
            assertThat(w.pick(constant(draw))).as("draw %d", draw).isSameAs(draw < 80 ? A : B);
        }
    }

    @Test
    void drawIsBoundedBySumOfWeights() {
        RoutingFixtures.ScriptedRandom random = new RoutingFixtures.ScriptedRandom(0, 0);
        weights(A, 80, B, 20).pick(random);
        weights(A, 3, B, 4).pick(random);
        assertThat(random.bounds).containsExactly(100, 7);
    }

    @Test
    void weightsNeedNotSumToOneHundred() {
        WeightedClusters w = weights(A, 3, B, 4);
        assertThat(w.pick(constant(2))).isSameAs(A);
        assertThat(w.pick(constant(3))).isSameAs(B);
        assertThat(w.pick(constant(6))).isSameAs(B);
        assertThat(w.share(w.entries().get(0))).isCloseTo(3.0 / 7, within(1e-12));
    }

    @Test
    void equalWeightsOneOneOne() {
        WeightedClusters w = weights(A, 1, B, 1, C, 1);
        assertThat(w.pick(constant(0))).isSameAs(A);
        assertThat(w.pick(constant(1))).isSameAs(B);
        assertThat(w.pick(constant(2))).isSameAs(C);
        assertThat(w.entries()).allSatisfy(e -> assertThat(w.share(e)).isCloseTo(1.0 / 3, within(1e-12)));
    }

    @Test
    void zeroWeightGetsNothingWhenThereAreOthers() {
        WeightedClusters w = weights(A, 0, B, 50, C, 50);
        for (int draw = 0; draw < 100; draw++) {
            assertThat(w.pick(constant(draw))).as("draw %d", draw).isSameAs(draw < 50 ? B : C);
        }
        assertThat(w.share(w.entries().get(0))).isZero();
        assertThat(w.share(w.entries().get(1))).isEqualTo(0.5);
    }

    @Test
    void zeroWeightInTheMiddleIsSkipped() {
        WeightedClusters w = weights(A, 1, B, 0, C, 1);
        assertThat(w.pick(constant(0))).isSameAs(A);
        assertThat(w.pick(constant(1))).isSameAs(C);
    }

    @Test
    void singleDestinationGetsEverythingWhateverItsWeight() {
        for (int weight : new int[] {0, 1, 20, 100}) {
            WeightedClusters w = weights(A, weight);
            assertThat(w.pick(NEVER)).isSameAs(A);
            assertThat(w.share(w.entries().get(0))).isEqualTo(1.0);
        }
    }

    @Test
    void severalDestinationsLeftWithOneNonZeroNeedNoDraw() {
        WeightedClusters w = weights(A, 0, B, 7);
        assertThat(w.pick(NEVER)).isSameAs(B);
        assertThat(w.share(w.entries().get(1))).isEqualTo(1.0);
    }

    @Test
    void entriesKeepZeroWeightsInConfiguredOrder() {
        WeightedClusters w = weights(A, 0, B, 50, C, 50);
        assertThat(w.entries()).extracting(WeightedClusters.Entry::cluster).containsExactly(A, B, C);
        assertThat(w.entries()).extracting(WeightedClusters.Entry::weight).containsExactly(0, 50, 50);
    }

    @Test
    void sharesOfEightyTwenty() {
        WeightedClusters w = weights(A, 80, B, 20);
        assertThat(w.share(w.entries().get(0))).isEqualTo(0.8);
        assertThat(w.share(w.entries().get(1))).isEqualTo(0.2);
    }

    @Test
    void invalidWeightsAreRefused() {
        assertThatThrownBy(() -> new WeightedClusters(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> weights(A, 0, B, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sum of weights: 0");
        assertThatThrownBy(() -> new WeightedClusters.Entry(A, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- the split over many requests

    /**
     * 100,000 independent picks at 80/20. The count for the first destination is binomial
     * (n = 100,000, p = 0.8): the observed share has standard deviation sqrt(p(1-p)/n) ≈ 0.001265.
     * We allow 5 standard deviations (≈ 0.0063): a correct implementation fails this test with
     * probability ≈ 5.7e-7 (two-sided normal tail at 5 sigma), while a split off by a single
     * percentage point (0.79 or 0.81) fails it essentially always.
     */
    @Test
    void eightyTwentySplitHoldsStatistically() {
        WeightedClusters w = weights(A, 80, B, 20);
        RandomSource random = RandomSource.threadLocal();
        int n = 100_000;
        int first = 0;
        for (int i = 0; i < n; i++) {
            if (w.pick(random) == A) {
                first++;
            }
        }
        double p = 0.8;
        double sigma = Math.sqrt(p * (1 - p) / n);
        double observed = (double) first / n;
        assertThat(Math.abs(observed - p)).as("observed share %s, 5 sigma = %s", observed, 5 * sigma)
                .isLessThan(5 * sigma);
    }

    // ---------------------------------------------------------------- from YAML

    private static final String HOST = "app.default.svc.cluster.local";

    private static final String[] SERVICE = {
        serviceEntry("app", HOST, 80, "10.0.1.1 v1", "10.0.1.2 v2"),
        destinationRuleV1V2(HOST),
    };

    private static String[] with(String... documents) {
        List<String> all = new ArrayList<>(List.of(gateway()));
        all.addAll(List.of(SERVICE));
        all.addAll(List.of(documents));
        return all.toArray(String[]::new);
    }

    @Test
    void weightsFromAVirtualService() {
        RoutingTable t = table(with(virtualService("split", "app.example.com", """
                - route:
                  - destination: {host: app, subset: v1}
                    weight: 80
                  - destination: {host: app, subset: v2}
                    weight: 20
                """)));
        WeightedClusters w = forward(route(t, get("app.example.com", "/")));
        assertThat(w.entries()).extracting(e -> e.cluster().name(), WeightedClusters.Entry::weight)
                .containsExactly(
                        tuple("outbound|80|v1|" + HOST, 80),
                        tuple("outbound|80|v2|" + HOST, 20));
        assertThat(w.pick(constant(79)).subset()).isEqualTo("v1");
        assertThat(w.pick(constant(80)).subset()).isEqualTo("v2");
    }

    @Test
    void lonelyDestinationWithoutWeightTakesEverything() {
        RoutingTable t = table(with(virtualService("one", "app.example.com", """
                - route:
                  - destination: {host: app, subset: v2}
                """)));
        WeightedClusters w = forward(route(t, get("app.example.com", "/")));
        assertThat(w.entries()).singleElement().satisfies(e -> assertThat(e.weight()).isZero());
        assertThat(w.pick(NEVER).subset()).isEqualTo("v2");
        assertThat(w.share(w.entries().get(0))).isEqualTo(1.0);
    }

    @Test
    void zeroWeightDestinationFromYamlGetsNothing() {
        RoutingTable t = table(with(virtualService("dark", "app.example.com", """
                - route:
                  - destination: {host: app, subset: v1}
                    weight: 100
                  - destination: {host: app, subset: v2}
                    weight: 0
                """)));
        WeightedClusters w = forward(route(t, get("app.example.com", "/")));
        assertThat(w.pick(NEVER).subset()).isEqualTo("v1");
        assertThat(w.share(w.entries().get(1))).isZero();
    }

    /**
     * Validation accepts any non-negative int32 weight (Istio does too, and Envoy accepts sums up
     * to 2^32-1), but a sum above Integer.MAX_VALUE makes WeightedClusters throw inside
     * TableCompiler.compile: the whole table fails to build, for every VirtualService.
     */
    @Test
    void aWeightSumBeyondIntIsRejectedWithoutBreakingTheTable() {
        String[] docs = with(
                virtualService("huge", "huge.example.com", """
                        - route:
                          - destination: {host: app, subset: v1}
                            weight: 2147483647
                          - destination: {host: app, subset: v2}
                            weight: 1
                        """),
                virtualService("fine", "fine.example.com", """
                        - route:
                          - destination: {host: app, subset: v1}
                        """));
        ParsedSource parsed = new IstioYamlReader().read("test.yaml", String.join("---\n", docs));
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.field()).isEqualTo("spec.http[0].route");
            assertThat(r.message()).isEqualTo("sum of weights: 2147483648 (expected: <= 2147483647)");
        });
        RoutingTable t = new TableCompiler(new TableCompiler.Options(Map.of("istio", "ingressgateway"),
                List.of(new ListenerSpec(0, 0)), ClusterStats.Factory.NOOP, 1000))
                .compile(new ConfigStore().propose(List.of(parsed))).table();
        assertThat(t.listener(0).virtualHosts().find("fine.example.com")).isNotNull();
        assertThat(t.listener(0).virtualHosts().find("huge.example.com")).isNull();
    }
}
