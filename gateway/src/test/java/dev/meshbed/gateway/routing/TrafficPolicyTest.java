package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.compile;
import static dev.meshbed.gateway.routing.RoutingFixtures.doc;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.onlyCluster;
import static dev.meshbed.gateway.routing.RoutingFixtures.route;
import static dev.meshbed.gateway.routing.RoutingFixtures.routeTo;
import static dev.meshbed.gateway.routing.RoutingFixtures.serviceEntry;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.testing.TestCertificates;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DestinationRule traffic policy compiled into clusters: circuit breakers, outlier detection and
 * TLS origination with Istio's defaults, subset over rule, and a warning for what is not applied.
 */
class TrafficPolicyTest {

    private static final String APP = "app.default.svc.cluster.local";

    private static TableCompiler.Result withRule(String ruleSpec) {
        return compile(gateway(),
                serviceEntry("app", APP, 80, "10.0.0.1 v1", "10.0.0.2 v2"),
                doc("DestinationRule", "default", "app", ruleSpec),
                virtualService("app", "app.example.com", routeTo("app", "v1")));
    }

    private static Cluster cluster(TableCompiler.Result r) {
        return onlyCluster(route(r.table(), get("app.example.com", "/")));
    }

    @Test
    void withoutConnectionPoolEveryCircuitBreakerIsIstiosMaximum() {
        Cluster c = cluster(withRule("""
                host: app
                subsets:
                - {name: v1, labels: {version: v1}}
                """));
        assertThat(c.limits()).isEqualTo(ConnectionLimits.DEFAULTS);
        assertThat(c.limits().maxConnections()).isEqualTo(4_294_967_295L);
        assertThat(c.outlier()).isNull();
        assertThat(c.tls()).isNull();
    }

    @Test
    void connectionPoolLimitsApplyAndTheSubsetsOwnPolicyWins() {
        TableCompiler.Result r = withRule("""
                host: app
                trafficPolicy:
                  connectionPool:
                    tcp: {maxConnections: 100}
                subsets:
                - name: v1
                  labels: {version: v1}
                  trafficPolicy:
                    connectionPool:
                      tcp: {maxConnections: 1, idleTimeout: 30s}
                      http: {http1MaxPendingRequests: 2, maxRequestsPerConnection: 3, idleTimeout: 5s,
                             http2MaxRequests: 10}
                """);
        ConnectionLimits l = cluster(r).limits();
        assertThat(l).isEqualTo(new ConnectionLimits(1, 2, 3, 5_000));
        assertThat(r.table().warnings()).anyMatch(w -> w.contains("http.http2MaxRequests is not applied"));
    }

    @Test
    void outlierDetectionTakesIstiosDefaultsForWhatItOmits() {
        Cluster c = cluster(withRule("""
                host: app
                trafficPolicy:
                  outlierDetection:
                    consecutiveGatewayErrors: 3
                subsets:
                - {name: v1, labels: {version: v1}}
                """));
        assertThat(c.outlier().policy()).isEqualTo(new OutlierPolicy(5, 3, 10_000, 30_000, 300_000, 10, 0));
    }

    @Test
    void outlierDetectionAsWritten() {
        TableCompiler.Result r = withRule("""
                host: app
                trafficPolicy:
                  outlierDetection:
                    consecutive5xxErrors: 1
                    interval: 1s
                    baseEjectionTime: 3m
                    maxEjectionPercent: 100
                    minHealthPercent: 50
                    splitExternalLocalOriginErrors: true
                subsets:
                - {name: v1, labels: {version: v1}}
                """);
        assertThat(cluster(r).outlier().policy()).isEqualTo(new OutlierPolicy(1, 0, 1_000, 180_000, 300_000, 100, 50));
        assertThat(r.table().warnings()).anyMatch(w -> w.contains("splitExternalLocalOriginErrors is not applied"));
    }

    @Test
    void ejectionsSurviveAConfigChangeThatLeavesTheClusterAlone() {
        String rule = doc("DestinationRule", "default", "app", """
                host: app
                trafficPolicy:
                  outlierDetection: {consecutive5xxErrors: 1, maxEjectionPercent: 100}
                subsets:
                - {name: v1, labels: {version: v1}}
                - {name: v2, labels: {version: v2}}
                """);
        String se = serviceEntry("app", APP, 80, "10.0.0.1 v1", "10.0.0.3 v1", "10.0.0.2 v2");
        TableCompiler compiler = RoutingFixtures.compiler();
        Cluster before = onlyCluster(route(compiler.compile(RoutingFixtures.snapshot(gateway(), se, rule,
                virtualService("app", "app.example.com", routeTo("app", "v1")))).table(), get("app.example.com", "/")));
        Endpoint first = before.endpoints().get(0);
        before.reportAttempt(first, 503);
        assertThat(before.outlier().isEjected(first)).isTrue();

        // another VirtualService arrives: a new table, the same cluster
        Cluster after = onlyCluster(route(compiler.compile(RoutingFixtures.snapshot(gateway(), se, rule,
                virtualService("app", "app.example.com", routeTo("app", "v1")),
                virtualService("other", "other.example.com", routeTo("app", "v2")))).table(),
                get("app.example.com", "/")));
        assertThat(after).isNotSameAs(before);
        Endpoint same = after.endpoints().get(0);
        assertThat(same.addressText()).isEqualTo(first.addressText());
        assertThat(after.outlier().isEjected(same)).isTrue();
        assertThat(after.outlier().available()).extracting(Endpoint::addressText).containsExactly("10.0.0.3:80");
        assertThat(after.outlier().states().get(0).ejections()).isEqualTo(1);
    }

    @Test
    void balancingExtrasNotAppliedAreWarnedAboutOnce() {
        TableCompiler.Result r = withRule("""
                host: app
                trafficPolicy:
                  loadBalancer:
                    simple: ROUND_ROBIN
                    localityLbSetting: {enabled: true}
                subsets:
                - {name: v1, labels: {version: v1}}
                """);
        assertThat(r.table().warnings()).filteredOn(w -> w.contains("localityLbSetting")).hasSize(1);
    }

    @Test
    void istioMutualIsNeverSentAsPlaintext() {
        TableCompiler.Result r = withRule("""
                host: app
                trafficPolicy:
                  tls: {mode: ISTIO_MUTUAL}
                subsets:
                - {name: v1, labels: {version: v1}}
                """);
        Cluster c = cluster(r);
        assertThat(c.defined()).isFalse();
        assertThat(c.undefinedReason()).contains("ISTIO_MUTUAL").contains("certificates");
        assertThat(r.table().warnings()).anyMatch(w -> w.contains("ISTIO_MUTUAL") && w.contains("never as plaintext"));
    }

    @Test
    void unreadableFilesAndSecretsAreRefusedNotWeakened(@TempDir Path dir) {
        // MUTUAL without clientCertificate and privateKey is Istio's rejection (IstioRulesTest)
        assertThat(cluster(withRule("""
                host: app
                trafficPolicy:
                  tls: {mode: SIMPLE, caCertificates: %s}
                subsets:
                - {name: v1, labels: {version: v1}}
                """.formatted(dir.resolve("missing.pem")))).undefinedReason())
                .contains("caCertificates").contains("not a readable file");
        assertThat(cluster(withRule("""
                host: app
                trafficPolicy:
                  tls: {mode: SIMPLE, credentialName: app-ca}
                subsets:
                - {name: v1, labels: {version: v1}}
                """)).undefinedReason()).contains("credentialName app-ca");
    }

    @Test
    void simpleTlsWithACaFileBuildsAClientContextAndSniDefaultsToTheHost(@TempDir Path dir) throws Exception {
        TestCertificates.Issued ca = TestCertificates.ca(dir, "ca");
        Cluster c = cluster(withRule("""
                host: app
                trafficPolicy:
                  tls: {mode: SIMPLE, caCertificates: %s}
                subsets:
                - name: v1
                  labels: {version: v1}
                  trafficPolicy:
                    tls: {mode: SIMPLE, caCertificates: %s, sni: v1.app.test, subjectAltNames: [app.test]}
                """.formatted(ca.certificateFile(), ca.certificateFile())));
        assertThat(c.defined()).isTrue();
        assertThat(c.tls().mode()).isEqualTo("SIMPLE");
        assertThat(c.tls().sni()).isEqualTo("v1.app.test");
        assertThat(c.tls().describe()).contains("subjectAltNames: [app.test]");

        Cluster plain = cluster(withRule("""
                host: app
                trafficPolicy:
                  tls: {mode: SIMPLE, caCertificates: %s}
                subsets:
                - name: v1
                  labels: {version: v1}
                  trafficPolicy:
                    tls: {mode: DISABLE}
                """.formatted(ca.certificateFile())));
        assertThat(plain.tls()).isNull();
        Cluster byHost = cluster(withRule("""
                host: app
                trafficPolicy:
                  tls: {mode: SIMPLE, caCertificates: %s}
                subsets:
                - {name: v1, labels: {version: v1}}
                """.formatted(ca.certificateFile())));
        assertThat(byHost.tls().sni()).isEqualTo(APP);
    }

    @Test
    void aWarmupWithoutAUsableDurationIsRejectedByName() {
        dev.meshbed.gateway.config.ParsedSource parsed = new dev.meshbed.gateway.config.IstioYamlReader().read(
                "dr.yaml", doc("DestinationRule", "default", "app", """
                        host: app
                        trafficPolicy:
                          loadBalancer:
                            simple: ROUND_ROBIN
                            warmup: {duration: soon, aggression: 0}
                        """));
        assertThat(parsed.rejections()).extracting(dev.meshbed.gateway.config.Rejection::describe)
                .anyMatch(m -> m.contains("spec.trafficPolicy.loadBalancer.warmup.duration: \"soon\" is not a duration"))
                .anyMatch(m -> m.contains("spec.trafficPolicy.loadBalancer.warmup.aggression: 0.0 (expected: > 0)"));
    }

    @Test
    void sanMatchingIsExactOrOneWildcardLabel() {
        assertThat(UpstreamTls.matches("app.test", "APP.test")).isTrue();
        assertThat(UpstreamTls.matches("*.app.test", "v1.app.test")).isTrue();
        assertThat(UpstreamTls.matches("*.app.test", "a.v1.app.test")).isFalse();
        assertThat(UpstreamTls.matches("*.app.test", "app.test")).isFalse();
        assertThat(UpstreamTls.matches("127.0.0.1", "127.0.0.1")).isTrue();
    }
}
