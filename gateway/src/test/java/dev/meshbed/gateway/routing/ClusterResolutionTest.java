package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.compile;
import static dev.meshbed.gateway.routing.RoutingFixtures.destinationRuleV1V2;
import static dev.meshbed.gateway.routing.RoutingFixtures.doc;
import static dev.meshbed.gateway.routing.RoutingFixtures.forward;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.onlyCluster;
import static dev.meshbed.gateway.routing.RoutingFixtures.route;
import static dev.meshbed.gateway.routing.RoutingFixtures.routeTo;
import static dev.meshbed.gateway.routing.RoutingFixtures.serviceEntry;
import static dev.meshbed.gateway.routing.RoutingFixtures.table;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.config.IstioKind;
import dev.meshbed.gateway.config.Rejection;
import dev.meshbed.gateway.config.ResourceKey;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * From route destinations to clusters: names, host resolution, subsets and their endpoints
 * (inline and WorkloadEntries), endpoint ports, and the destinations that cannot be served.
 */
class ClusterResolutionTest {

    private static final String APP = "app.default.svc.cluster.local";
    private static final String REVIEWS = "reviews.default.svc.cluster.local";

    /** The cluster the route for {@code host}/ takes, the table having exactly one destination there. */
    private static Cluster clusterFor(RoutingTable t, String host) {
        return onlyCluster(route(t, get(host, "/")));
    }

    private static List<String> addresses(Cluster c) {
        return c.endpoints().stream().map(Endpoint::addressText).toList();
    }

    // ---------------------------------------------------------------- names and hosts

    @Test
    void clusterNameFollowsIstio() {
        RoutingTable t = table(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1", "10.0.1.2 v2"),
                destinationRuleV1V2(APP), virtualService("vs", "app.example.com", routeTo("app", "v1")));
        Cluster c = clusterFor(t, "app.example.com");
        assertThat(c.name()).isEqualTo("outbound|80|v1|app.default.svc.cluster.local");
        assertThat(c.host()).isEqualTo(APP);
        assertThat(c.port()).isEqualTo(80);
        assertThat(c.subset()).isEqualTo("v1");
        assertThat(c.defined()).isTrue();
        assertThat(t.clusters()).containsKey("outbound|80|v1|app.default.svc.cluster.local");
    }

    @Test
    void clusterWithoutSubsetHasAnEmptySubsetInItsName() {
        RoutingTable t = table(gateway(), serviceEntry("app", APP, 80, "10.0.1.1"),
                virtualService("vs", "app.example.com", routeTo("app", null)));
        Cluster c = clusterFor(t, "app.example.com");
        assertThat(c.name()).isEqualTo("outbound|80||app.default.svc.cluster.local");
        assertThat(c.subset()).isEmpty();
    }

    @Test
    void shortHostResolvesInTheVirtualServiceNamespace() {
        RoutingTable t = table(gateway(), serviceEntry("app", APP, 80, "10.0.1.1"),
                virtualService("short", "short.example.com", routeTo("app", null)),
                virtualService("fqdn", "fqdn.example.com", routeTo(APP, null)),
                virtualService("upper", "upper.example.com", routeTo("App.Default.svc.cluster.local", null)));
        assertThat(clusterFor(t, "short.example.com").name()).isEqualTo("outbound|80||" + APP);
        assertThat(clusterFor(t, "fqdn.example.com")).isSameAs(clusterFor(t, "short.example.com"));
        assertThat(clusterFor(t, "upper.example.com")).isSameAs(clusterFor(t, "short.example.com"));
    }

    @Test
    void shortHostFromAnotherNamespaceDoesNotFindTheServiceOfDefault() {
        TableCompiler.Result result = compile(gateway("default", "web", 80, "*"),
                serviceEntry("app", APP, 80, "10.0.1.1"),
                virtualService("team-a", "vs", List.of("app.example.com"), List.of("default/web"),
                        routeTo("app", null)));
        Cluster c = clusterFor(result.table(), "app.example.com");
        assertThat(c.name()).isEqualTo("outbound|0||app.team-a.svc.cluster.local");
        assertThat(c.defined()).isFalse();
        assertThat(result.crossReferenceProblems()).isEmpty();
    }

    @Test
    void routesNamingTheSameDestinationShareOneCluster() {
        RoutingTable t = table(gateway(), serviceEntry("app", APP, 80, "10.0.1.1"),
                virtualService("a", "a.example.com", routeTo("app", null)),
                virtualService("b", "b.example.com", routeTo(APP, null)));
        assertThat(clusterFor(t, "a.example.com")).isSameAs(clusterFor(t, "b.example.com"));
        assertThat(t.clusters()).containsOnlyKeys("outbound|80||" + APP);
    }

    @Test
    void connectTimeoutFromTheDestinationRuleElseTheDefault() {
        RoutingTable t = table(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1", "10.0.1.2 v2"),
                doc("DestinationRule", "default", "app", """
                        host: app
                        trafficPolicy:
                          connectionPool:
                            tcp: {connectTimeout: 250ms}
                        subsets:
                        - name: v1
                          labels: {version: v1}
                        - name: v2
                          labels: {version: v2}
                          trafficPolicy:
                            connectionPool:
                              tcp: {connectTimeout: 2s}
                        """),
                serviceEntry("other", "other.default.svc.cluster.local", 80, "10.0.9.1"),
                virtualService("v1", "v1.example.com", routeTo("app", "v1")),
                virtualService("v2", "v2.example.com", routeTo("app", "v2")),
                virtualService("other", "other.example.com", routeTo("other", null)));
        assertThat(clusterFor(t, "v1.example.com").connectTimeoutMillis()).isEqualTo(250);
        assertThat(clusterFor(t, "v2.example.com").connectTimeoutMillis()).isEqualTo(2000);
        assertThat(clusterFor(t, "other.example.com").connectTimeoutMillis()).isEqualTo(10_000);
    }

    // ---------------------------------------------------------------- subsets and endpoints

    @Test
    void subsetSelectsInlineEndpointsByLabels() {
        RoutingTable t = table(gateway(),
                serviceEntry("app", APP, 80, "10.0.1.1 v1", "10.0.1.2 v2", "10.0.1.3 v1", "10.0.1.4"),
                destinationRuleV1V2(APP),
                virtualService("v1", "v1.example.com", routeTo("app", "v1")),
                virtualService("v2", "v2.example.com", routeTo("app", "v2")),
                virtualService("all", "all.example.com", routeTo("app", null)));
        assertThat(addresses(clusterFor(t, "v1.example.com"))).containsExactly("10.0.1.1:80", "10.0.1.3:80");
        assertThat(addresses(clusterFor(t, "v2.example.com"))).containsExactly("10.0.1.2:80");
        assertThat(addresses(clusterFor(t, "all.example.com")))
                .containsExactly("10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80", "10.0.1.4:80");
        assertThat(clusterFor(t, "v1.example.com").endpoints()).allSatisfy(e -> {
            assertThat(e.labels()).containsEntry("version", "v1");
            assertThat(e.source()).isEqualTo("ServiceEntry default/app");
        });
    }

    private static final String REVIEWS_ENTRY = doc("ServiceEntry", "default", "reviews", """
            hosts: [reviews.default.svc.cluster.local]
            location: MESH_INTERNAL
            resolution: STATIC
            ports:
            - {number: 80, name: http, protocol: HTTP, targetPort: 8080}
            workloadSelector:
              labels: {app: reviews}
            """);

    private static String workload(String namespace, String name, String address, String labels, String ports) {
        return doc("WorkloadEntry", namespace, name, "address: " + address + "\nlabels: " + labels + "\n"
                + (ports == null ? "" : "ports: " + ports + "\n"));
    }

    @Test
    void subsetSelectsWorkloadEntriesOfTheServiceEntry() {
        RoutingTable t = table(gateway(), REVIEWS_ENTRY, destinationRuleV1V2(REVIEWS),
                workload("default", "reviews-v1", "10.0.2.1", "{app: reviews, version: v1}", null),
                workload("default", "reviews-v2", "10.0.2.2", "{app: reviews, version: v2}", null),
                workload("default", "ratings-v1", "10.0.2.3", "{app: ratings, version: v1}", null),
                // a ServiceEntry selects WorkloadEntries of its own namespace only
                workload("team-a", "reviews-v1", "10.0.2.4", "{app: reviews, version: v1}", null),
                virtualService("v1", "v1.example.com", routeTo("reviews", "v1")),
                virtualService("all", "all.example.com", routeTo("reviews", null)));
        Cluster v1 = clusterFor(t, "v1.example.com");
        assertThat(addresses(v1)).containsExactly("10.0.2.1:8080");
        assertThat(v1.endpoints().get(0).source()).isEqualTo("WorkloadEntry default/reviews-v1");
        assertThat(addresses(clusterFor(t, "all.example.com"))).containsExactly("10.0.2.1:8080", "10.0.2.2:8080");
    }

    @Test
    void endpointPortIsTheNamedPortElseTargetPortElseServicePort() {
        String plain = doc("ServiceEntry", "default", "plain", """
                hosts: [plain.default.svc.cluster.local]
                location: MESH_INTERNAL
                resolution: STATIC
                ports:
                - {number: 80, name: http, protocol: HTTP}
                workloadSelector:
                  labels: {app: plain}
                """);
        RoutingTable t = table(gateway(), REVIEWS_ENTRY, plain,
                workload("default", "named", "10.0.2.1", "{app: reviews}", "{http: 9081}"),
                workload("default", "unnamed", "10.0.2.2", "{app: reviews}", null),
                workload("default", "plain", "10.0.3.1", "{app: plain}", null),
                virtualService("reviews", "reviews.example.com", routeTo("reviews", null)),
                virtualService("plain", "plain.example.com", routeTo("plain", null)));
        assertThat(addresses(clusterFor(t, "reviews.example.com"))).containsExactly("10.0.2.1:9081", "10.0.2.2:8080");
        assertThat(addresses(clusterFor(t, "plain.example.com"))).containsExactly("10.0.3.1:80");
    }

    @Test
    void inlineEndpointNamedPortWins() {
        String entry = doc("ServiceEntry", "default", "app", """
                hosts: [app.default.svc.cluster.local]
                location: MESH_INTERNAL
                resolution: STATIC
                ports:
                - {number: 80, name: http, protocol: HTTP, targetPort: 8080}
                endpoints:
                - address: 10.0.1.1
                  ports: {http: 18081}
                - address: 10.0.1.2
                """);
        RoutingTable t = table(gateway(), entry, virtualService("vs", "app.example.com", routeTo("app", null)));
        assertThat(addresses(clusterFor(t, "app.example.com"))).containsExactly("10.0.1.1:18081", "10.0.1.2:8080");
    }

    @Test
    void subsetMatchingNoEndpointIsADefinedClusterWithoutEndpoints() {
        TableCompiler.Result result = compile(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1"),
                destinationRuleV1V2(APP), virtualService("vs", "app.example.com", routeTo("app", "v2")));
        assertThat(result.crossReferenceProblems()).isEmpty();
        Cluster c = clusterFor(result.table(), "app.example.com");
        assertThat(c.defined()).isTrue();
        assertThat(c.endpoints()).isEmpty();
        assertThat(c.pick(get("app.example.com", "/"), new RoutingFixtures.RecordingContext())).isNull(); // 503 UH
    }

    @Test
    void endpointsWithoutLabelsAreSelectedByNoSubset() {
        TableCompiler.Result result = compile(gateway(), serviceEntry("app", APP, 80, "10.0.1.1", "10.0.1.2"),
                destinationRuleV1V2(APP), virtualService("vs", "app.example.com", routeTo("app", "v1")));
        assertThat(clusterFor(result.table(), "app.example.com").endpoints()).isEmpty();
    }

    // ---------------------------------------------------------------- destinations that cannot be served

    @Test
    void subsetNoDestinationRuleDefinesIsAWarningAnd503NC() {
        TableCompiler.Result result = compile(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1"),
                virtualService("vs", "app.example.com", """
                        - route:
                          - destination: {host: app}
                            weight: 90
                          - destination: {host: app, subset: v3}
                            weight: 10
                        """));
        // Istio's webhook accepts it; Envoy answers 503 NC until the subset is defined.
        assertThat(result.crossReferenceProblems()).isEmpty();
        assertThat(result.table().warnings()).singleElement().satisfies(w -> assertThat(w).isEqualTo(
                new ResourceKey(IstioKind.VIRTUAL_SERVICE, "default", "vs") + " (test.yaml:" + w.split("test.yaml:")[1]
                        .split("\\)")[0] + "): spec.http[0].route[1].destination.subset: no DestinationRule defines"
                        + " subsets for " + APP + " (requests answer 503 NC)"));
        WeightedClusters w = forward(route(result.table(), get("app.example.com", "/")));
        Cluster undefined = w.entries().get(1).cluster();
        assertThat(undefined.name()).isEqualTo("outbound|80|v3|" + APP);
        assertThat(undefined.defined()).isFalse();
        assertThat(undefined.undefinedReason()).contains("subset not defined");
        assertThat(undefined.pick(get("app.example.com", "/"), new RoutingFixtures.RecordingContext())).isNull();
        assertThat(w.entries().get(0).cluster().defined()).isTrue();
    }

    @Test
    void subsetTheDestinationRuleLacksNamesTheRuleAndItsSubsets() {
        TableCompiler.Result result = compile(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1"),
                destinationRuleV1V2(APP), virtualService("vs", "app.example.com", routeTo("app", "v3")));
        assertThat(result.crossReferenceProblems()).isEmpty();
        assertThat(result.table().warnings()).singleElement().satisfies(w -> assertThat(w).endsWith(
                ": spec.http[0].route[0].destination.subset: \"v3\" is not defined by DestinationRule"
                        + " default/dr-app-default-svc-cluster-local (subsets: v1, v2) (requests answer 503 NC)"));
        assertThat(clusterFor(result.table(), "app.example.com").defined()).isFalse();
    }

    @Test
    void unknownHostIsAnUndefinedClusterAndAWarningNotAProblem() {
        TableCompiler.Result result = compile(gateway(),
                virtualService("vs", "app.example.com", routeTo("nowhere", null)));
        assertThat(result.crossReferenceProblems()).isEmpty();
        Cluster c = clusterFor(result.table(), "app.example.com");
        assertThat(c.defined()).isFalse();
        assertThat(c.host()).isEqualTo("nowhere.default.svc.cluster.local");
        assertThat(c.undefinedReason()).contains("no ServiceEntry defines host nowhere.default.svc.cluster.local");
        assertThat(result.table().warnings()).anySatisfy(w -> assertThat(w)
                .contains("VirtualService default/vs").contains("spec.http[0].route[0].destination.host")
                .contains("503 NC"));
    }

    private static final String MULTI_PORT = doc("ServiceEntry", "default", "multi", """
            hosts: [multi.default.svc.cluster.local]
            location: MESH_INTERNAL
            resolution: STATIC
            ports:
            - {number: 80, name: http, protocol: HTTP}
            - {number: 9090, name: http-admin, protocol: HTTP}
            endpoints:
            - address: 10.0.4.1
            """);

    @Test
    void destinationWithoutPortOnAMultiPortServiceIsAProblem() {
        TableCompiler.Result result = compile(gateway(), MULTI_PORT,
                virtualService("vs", "app.example.com", routeTo("multi", null)));
        List<Rejection> problems = result.crossReferenceProblems();
        assertThat(problems).singleElement().satisfies(r -> {
            assertThat(r.field()).isEqualTo("spec.http[0].route[0].destination.port");
            assertThat(r.message()).contains("several ports (80, 9090)");
        });
        assertThat(clusterFor(result.table(), "app.example.com").defined()).isFalse();
    }

    @Test
    void destinationWithAPortOfAMultiPortService() {
        RoutingTable t = table(gateway(), MULTI_PORT, virtualService("vs", "app.example.com", """
                - route:
                  - destination:
                      host: multi
                      port: {number: 9090}
                """));
        Cluster c = clusterFor(t, "app.example.com");
        assertThat(c.name()).isEqualTo("outbound|9090||multi.default.svc.cluster.local");
        assertThat(addresses(c)).containsExactly("10.0.4.1:9090");
    }

    @Test
    void destinationPortTheServiceLacksIsAProblem() {
        TableCompiler.Result result = compile(gateway(), MULTI_PORT, virtualService("vs", "app.example.com", """
                - route:
                  - destination:
                      host: multi
                      port: {number: 8443}
                """));
        assertThat(result.crossReferenceProblems()).singleElement().satisfies(r -> {
            assertThat(r.field()).isEqualTo("spec.http[0].route[0].destination.port.number");
            assertThat(r.message()).contains("8443");
        });
        assertThat(clusterFor(result.table(), "app.example.com").defined()).isFalse();
    }

    /**
     * Istio merges the DestinationRules of one host in one namespace (pilot mergeDestinationRule:
     * unique subsets are concatenated, the first top-level trafficPolicy is kept, else the next
     * one's is taken), as the shared reference notes ("DR merge: duplicate subset names -> first
     * wins"). A subset defined by the second rule is therefore defined.
     */
    @Test
    void destinationRulesOfOneHostAreMergedLikeIstio() {
        TableCompiler.Result result = compile(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1", "10.0.1.2 v2"),
                doc("DestinationRule", "default", "app-v1", """
                        host: app
                        subsets:
                        - name: v1
                          labels: {version: v1}
                        """),
                doc("DestinationRule", "default", "app-v2", """
                        host: app
                        trafficPolicy:
                          loadBalancer: {simple: ROUND_ROBIN}
                        subsets:
                        - name: v2
                          labels: {version: v2}
                        """),
                virtualService("vs", "app.example.com", routeTo("app", "v2")));
        assertThat(result.crossReferenceProblems()).isEmpty();
        Cluster c = clusterFor(result.table(), "app.example.com");
        assertThat(c.defined()).isTrue();
        assertThat(addresses(c)).containsExactly("10.0.1.2:80");
        assertThat(c.loadBalancer().describe()).isEqualTo("ROUND_ROBIN");
    }

    @Test
    void wildcardDestinationRuleDefinesSubsetsWhenNoExactOneDoes() {
        RoutingTable t = table(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1", "10.0.1.2 v2"),
                doc("DestinationRule", "default", "all", """
                        host: "*.default.svc.cluster.local"
                        subsets:
                        - name: v2
                          labels: {version: v2}
                        """),
                virtualService("vs", "app.example.com", routeTo("app", "v2")));
        assertThat(addresses(clusterFor(t, "app.example.com"))).containsExactly("10.0.1.2:80");
    }
}
