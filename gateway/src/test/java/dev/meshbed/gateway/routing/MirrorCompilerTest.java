package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.compile;
import static dev.meshbed.gateway.routing.RoutingFixtures.destinationRuleV1V2;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.route;
import static dev.meshbed.gateway.routing.RoutingFixtures.serviceEntry;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** HTTPRoute mirror, mirrorPercentage, mirrorPercent and mirrors compiled into a route's mirrors. */
class MirrorCompilerTest {

    private static final String HOST = "app.example.com";
    private static final String APP = "app.default.svc.cluster.local";

    private static TableCompiler.Result compiled(String mirrorFields) {
        return compile(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1", "10.0.1.2 v2"), destinationRuleV1V2(APP),
                virtualService("vs", HOST, """
                        - route:
                          - destination: {host: app, subset: v1}
                        """ + mirrorFields));
    }

    private static List<Mirror> mirrors(String mirrorFields) {
        return route(compiled(mirrorFields).table(), get(HOST, "/")).mirrors();
    }

    @Test
    void aMirrorWithoutPercentageTakesEveryRequest() {
        List<Mirror> m = mirrors("  mirror: {host: app, subset: v2}\n");
        assertThat(m).hasSize(1);
        assertThat(m.get(0).cluster().name()).isEqualTo("outbound|80|v2|" + APP);
        assertThat(m.get(0).percent()).isEqualTo(100);
    }

    @Test
    void mirrorPercentageOrTheDeprecatedIntegerSetTheShare() {
        assertThat(mirrors("  mirror: {host: app, subset: v2}\n  mirrorPercentage: {value: 12.5}\n").get(0).percent())
                .isEqualTo(12.5);
        assertThat(mirrors("  mirror: {host: app, subset: v2}\n  mirrorPercent: 30\n").get(0).percent())
                .isEqualTo(30);
    }

    @Test
    void mirrorsListEachWithItsOwnShare() {
        List<Mirror> m = mirrors("""
                  mirrors:
                  - destination: {host: app, subset: v2}
                    percentage: {value: 5}
                  - destination: {host: app, subset: v1}
                """);
        assertThat(m).extracting(x -> x.cluster().subset()).containsExactly("v2", "v1");
        assertThat(m).extracting(Mirror::percent).containsExactly(5.0, 100.0);
    }

    @Test
    void noMirrorNoWarning() {
        TableCompiler.Result r = compiled("  mirror: {host: app, subset: v2}\n");
        assertThat(r.table().warnings()).noneMatch(w -> w.contains("mirror"));
        assertThat(route(r.table(), get(HOST, "/")).retryPolicy().numRetries()).isEqualTo(2);
        assertThat(mirrors("")).isEmpty();
    }

    @Test
    void sampleDrawsInMillionths() {
        Mirror half = mirrors("  mirror: {host: app, subset: v2}\n  mirrorPercentage: {value: 50}\n").get(0);
        assertThat(half.sample(bound -> 499_999)).isTrue();
        assertThat(half.sample(bound -> 500_000)).isFalse();
        Mirror none = new Mirror(half.cluster(), 0);
        assertThat(none.sample(bound -> 0)).isFalse();
        assertThatThrownBy(() -> new Mirror(half.cluster(), 101)).hasMessage("percent: 101.0 (expected: 0-100)");
    }
}
