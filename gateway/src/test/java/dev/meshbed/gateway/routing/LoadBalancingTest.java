package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.constant;
import static dev.meshbed.gateway.routing.RoutingFixtures.doc;
import static dev.meshbed.gateway.routing.RoutingFixtures.fromSource;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.onlyCluster;
import static dev.meshbed.gateway.routing.RoutingFixtures.route;
import static dev.meshbed.gateway.routing.RoutingFixtures.routeTo;
import static dev.meshbed.gateway.routing.RoutingFixtures.serviceEntry;
import static dev.meshbed.gateway.routing.RoutingFixtures.table;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.meshbed.gateway.routing.RoutingFixtures.RecordingContext;
import dev.meshbed.gateway.routing.RoutingFixtures.ScriptedRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * DestinationRule load balancing: the policy a cluster gets (default, simple, subset and port
 * overrides, consistent hash) and how each policy picks.
 */
class LoadBalancingTest {

    private static final String APP = "app.default.svc.cluster.local";

    /** Three v1 endpoints, sorted by address: index 0, 1, 2. */
    private static final String[] V1 = {"10.0.1.1 v1", "10.0.1.2 v1", "10.0.1.3 v1"};

    /** v1 endpoints 10.0.1.1-3, v2 endpoint 10.0.1.4. */
    private static String entry() {
        return serviceEntry("app", APP, 80, V1[0], V1[1], V1[2], "10.0.1.4 v2");
    }

    /** A DestinationRule for app with subsets v1/v2 and {@code trafficPolicy} (unindented YAML, may be empty). */
    private static String rule(String trafficPolicy, String v1Policy, String v2Policy) {
        return doc("DestinationRule", "default", "app", "host: app\n"
                + (trafficPolicy == null ? "" : "trafficPolicy:\n" + trafficPolicy.indent(2))
                + "subsets:\n"
                + "- name: v1\n  labels: {version: v1}\n"
                + (v1Policy == null ? "" : "  trafficPolicy:\n" + v1Policy.indent(4))
                + "- name: v2\n  labels: {version: v2}\n"
                + (v2Policy == null ? "" : "  trafficPolicy:\n" + v2Policy.indent(4)));
    }

    private static Cluster v1Cluster(String trafficPolicy) {
        RoutingTable t = table(gateway(), entry(), rule(trafficPolicy, null, null),
                virtualService("vs", "app.example.com", routeTo("app", "v1")));
        return onlyCluster(route(t, get("app.example.com", "/")));
    }

    private static String pick(Cluster c, RequestView request, LoadBalancer.Context context) {
        Endpoint e = c.pick(request, context);
        return e == null ? null : e.addressText();
    }

    private static String pick(Cluster c, RandomSource random) {
        return pick(c, get("app.example.com", "/"), new RecordingContext(random));
    }

    // ---------------------------------------------------------------- which policy

    @Test
    void defaultIsLeastRequest() {
        assertThat(v1Cluster(null).loadBalancer().describe()).isEqualTo("LEAST_REQUEST");
        assertThat(v1Cluster("connectionPool: {tcp: {connectTimeout: 1s}}").loadBalancer().describe())
                .isEqualTo("LEAST_REQUEST");
    }

    @Test
    void noDestinationRuleIsLeastRequest() {
        RoutingTable t = table(gateway(), entry(), virtualService("vs", "app.example.com", routeTo("app", null)));
        assertThat(onlyCluster(route(t, get("app.example.com", "/"))).loadBalancer().describe())
                .isEqualTo("LEAST_REQUEST");
    }

    @Test
    void simplePolicies() {
        assertThat(v1Cluster("loadBalancer: {simple: ROUND_ROBIN}").loadBalancer().describe()).isEqualTo("ROUND_ROBIN");
        assertThat(v1Cluster("loadBalancer: {simple: RANDOM}").loadBalancer().describe()).isEqualTo("RANDOM");
        assertThat(v1Cluster("loadBalancer: {simple: LEAST_REQUEST}").loadBalancer().describe())
                .isEqualTo("LEAST_REQUEST");
        assertThat(v1Cluster("loadBalancer: {simple: LEAST_CONN}").loadBalancer().describe())
                .isEqualTo("LEAST_REQUEST");
    }

    @Test
    void subsetPolicyOverridesTheTopLevelOne() {
        RoutingTable t = table(gateway(), entry(),
                rule("loadBalancer: {simple: ROUND_ROBIN}", null, "loadBalancer: {simple: RANDOM}"),
                virtualService("v1", "v1.example.com", routeTo("app", "v1")),
                virtualService("v2", "v2.example.com", routeTo("app", "v2")),
                virtualService("all", "all.example.com", routeTo("app", null)));
        assertThat(onlyCluster(route(t, get("v1.example.com", "/"))).loadBalancer().describe())
                .as("v1 inherits the top level").isEqualTo("ROUND_ROBIN");
        assertThat(onlyCluster(route(t, get("v2.example.com", "/"))).loadBalancer().describe())
                .as("v2 overrides it").isEqualTo("RANDOM");
        assertThat(onlyCluster(route(t, get("all.example.com", "/"))).loadBalancer().describe())
                .isEqualTo("ROUND_ROBIN");
    }

    private static final String TWO_PORTS = doc("ServiceEntry", "default", "app", """
            hosts: [app.default.svc.cluster.local]
            location: MESH_INTERNAL
            resolution: STATIC
            ports:
            - {number: 80, name: http, protocol: HTTP}
            - {number: 9090, name: http-admin, protocol: HTTP}
            endpoints:
            - {address: 10.0.1.1, labels: {version: v1}}
            - {address: 10.0.1.2, labels: {version: v1}}
            """);

    private static String byPort(int port) {
        return """
                - route:
                  - destination:
                      host: app
                      subset: v1
                      port: {number: %d}
                """.formatted(port);
    }

    private static Map<Integer, String> policiesByPort(String trafficPolicy, String v1Policy) {
        RoutingTable t = table(gateway(), TWO_PORTS, rule(trafficPolicy, v1Policy, null),
                virtualService("p80", "p80.example.com", byPort(80)),
                virtualService("p9090", "p9090.example.com", byPort(9090)));
        return Map.of(
                80, onlyCluster(route(t, get("p80.example.com", "/"))).loadBalancer().describe(),
                9090, onlyCluster(route(t, get("p9090.example.com", "/"))).loadBalancer().describe());
    }

    @Test
    void portLevelSettingsApplyToTheirPortOnly() {
        assertThat(policiesByPort("""
                loadBalancer: {simple: RANDOM}
                portLevelSettings:
                - port: {number: 80}
                  loadBalancer: {simple: ROUND_ROBIN}
                """, null)).containsEntry(80, "ROUND_ROBIN").containsEntry(9090, "RANDOM");
    }

    @Test
    void subsetPortLevelSettingsBeatTheSubsetAndTheRule() {
        assertThat(policiesByPort("""
                loadBalancer: {simple: RANDOM}
                portLevelSettings:
                - port: {number: 9090}
                  loadBalancer: {simple: RANDOM}
                """, """
                loadBalancer: {simple: LEAST_REQUEST}
                portLevelSettings:
                - port: {number: 9090}
                  loadBalancer: {simple: ROUND_ROBIN}
                """)).containsEntry(80, "LEAST_REQUEST").containsEntry(9090, "ROUND_ROBIN");
    }

    /**
     * Istio's DestinationRule docs: "Traffic settings specified at the destination-level will not
     * be inherited when overridden by port-level settings, i.e. default values will be applied to
     * fields omitted in port-level traffic policies" (pilot GetPortLevelTrafficPolicy copies
     * connectionPool, loadBalancer, outlierDetection and tls from the port-level entry, nil or
     * not). A port-level entry that only sets connectionPool therefore resets the balancer of
     * that port to the default (LEAST_REQUEST).
     */
    @Test
    void portLevelSettingsDoNotInheritTheDestinationLevelBalancer() {
        assertThat(policiesByPort("""
                loadBalancer: {simple: ROUND_ROBIN}
                portLevelSettings:
                - port: {number: 80}
                  connectionPool: {tcp: {connectTimeout: 1s}}
                """, null)).containsEntry(9090, "ROUND_ROBIN").containsEntry(80, "LEAST_REQUEST");
    }

    // ---------------------------------------------------------------- simple policies pick

    @Test
    void roundRobinCycles() {
        Cluster c = v1Cluster("loadBalancer: {simple: ROUND_ROBIN}");
        RecordingContext ctx = new RecordingContext(bound -> {
            throw new AssertionError("round robin draws nothing");
        });
        List<String> picks = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            picks.add(pick(c, get("app.example.com", "/"), ctx));
        }
        assertThat(picks).containsExactly("10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80",
                "10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80", "10.0.1.1:80");
    }

    @Test
    void randomTakesTheDrawnIndex() {
        Cluster c = v1Cluster("loadBalancer: {simple: RANDOM}");
        ScriptedRandom random = new ScriptedRandom(2, 0, 1);
        assertThat(pick(c, random)).isEqualTo("10.0.1.3:80");
        assertThat(pick(c, random)).isEqualTo("10.0.1.1:80");
        assertThat(pick(c, random)).isEqualTo("10.0.1.2:80");
        assertThat(random.bounds).containsExactly(3, 3, 3);
    }

    @Test
    void leastRequestPrefersTheEndpointWithFewerActiveRequests() {
        Cluster c = v1Cluster(null);
        Endpoint busy = c.endpoints().get(0);
        busy.requestStarted();
        busy.requestStarted();
        assertThat(busy.activeRequests()).isEqualTo(2);
        // two choices: (busy, idle) and (idle, busy) both give the idle one
        assertThat(pick(c, new ScriptedRandom(0, 1))).isEqualTo("10.0.1.2:80");
        assertThat(pick(c, new ScriptedRandom(1, 0))).isEqualTo("10.0.1.2:80");
        assertThat(pick(c, new ScriptedRandom(2, 0))).isEqualTo("10.0.1.3:80");
        // both choices on the busy one: it is taken
        assertThat(pick(c, new ScriptedRandom(0, 0))).isEqualTo("10.0.1.1:80");
        // ties keep the first choice
        assertThat(pick(c, new ScriptedRandom(2, 1))).isEqualTo("10.0.1.3:80");
        busy.requestEnded();
        busy.requestEnded();
        assertThat(pick(c, new ScriptedRandom(0, 1))).as("idle again: tie, first choice").isEqualTo("10.0.1.1:80");
    }

    @Test
    void leastRequestAvoidsABusyEndpointOverManyPicks() {
        Cluster c = v1Cluster(null);
        c.endpoints().get(0).requestStarted();
        Map<String, Integer> counts = new HashMap<>();
        RecordingContext ctx = new RecordingContext();
        for (int i = 0; i < 3000; i++) {
            counts.merge(pick(c, get("app.example.com", "/"), ctx), 1, Integer::sum);
        }
        // the busy endpoint wins only when both choices land on it (1/9 of picks, about 333 of 3000;
        // 600 is more than 15 standard deviations away)
        assertThat(counts.getOrDefault("10.0.1.1:80", 0)).isLessThan(600);
        assertThat(counts.get("10.0.1.2:80")).isGreaterThan(1000);
        assertThat(counts.get("10.0.1.3:80")).isGreaterThan(1000);
    }

    @Test
    void singleEndpointNeedsNoDraw() {
        RoutingTable t = table(gateway(), entry(), rule(null, null, null),
                virtualService("vs", "app.example.com", routeTo("app", "v2")));
        Cluster c = onlyCluster(route(t, get("app.example.com", "/")));
        RandomSource never = bound -> {
            throw new AssertionError("no draw expected");
        };
        assertThat(pick(c, never)).isEqualTo("10.0.1.4:80");
    }

    // ---------------------------------------------------------------- consistent hash

    @Test
    void hashByHeaderSticks() {
        Cluster c = v1Cluster("loadBalancer: {consistentHash: {httpHeaderName: X-User}}");
        assertThat(c.loadBalancer().describe()).startsWith("consistentHash httpHeaderName: x-user");
        RecordingContext ctx = new RecordingContext(bound -> {
            throw new AssertionError("a hashed pick draws nothing");
        });
        for (String user : List.of("alice", "bob", "carol")) {
            String first = pick(c, get("app.example.com", "/", "x-user", user), ctx);
            for (int i = 0; i < 1000; i++) {
                assertThat(pick(c, get("app.example.com", "/", "X-User", user), ctx)).isEqualTo(first);
            }
        }
        assertThat(ctx.cookies).isEmpty();
    }

    @Test
    void hashByHeaderSpreadsDifferentValues() {
        Cluster c = v1Cluster("loadBalancer: {consistentHash: {httpHeaderName: x-user}}");
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            counts.merge(pick(c, get("app.example.com", "/", "x-user", "user-" + i), new RecordingContext()), 1,
                    Integer::sum);
        }
        assertThat(counts).containsOnlyKeys("10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80");
        // a ring of ~1024 points spreads keys close to evenly; 15% is far below a third
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isGreaterThan(450));
    }

    @Test
    void hashWithoutKeyFallsBackToRandom() {
        Cluster c = v1Cluster("loadBalancer: {consistentHash: {httpHeaderName: x-user}}");
        assertThatCode(() -> pick(c, RandomSource.threadLocal())).doesNotThrowAnyException();
        assertThat(pick(c, new ScriptedRandom(1))).isEqualTo("10.0.1.2:80");
        assertThat(pick(c, new ScriptedRandom(2))).isEqualTo("10.0.1.3:80");
    }

    @Test
    void hashBySourceIp() {
        Cluster c = v1Cluster("loadBalancer: {consistentHash: {useSourceIp: true}}");
        assertThat(c.loadBalancer().describe()).startsWith("consistentHash useSourceIp");
        String first = pick(c, fromSource("192.168.7.7", "app.example.com", "/"), new RecordingContext());
        for (int i = 0; i < 1000; i++) {
            assertThat(pick(c, fromSource("192.168.7.7", "app.example.com", "/x" + i), new RecordingContext()))
                    .isEqualTo(first);
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            seen.add(pick(c, fromSource("10.1." + (i / 200) + "." + (i % 200), "app.example.com", "/"),
                    new RecordingContext()));
        }
        assertThat(seen).containsExactlyInAnyOrder("10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80");
    }

    @Test
    void hashByQueryParameter() {
        Cluster c = v1Cluster("loadBalancer: {consistentHash: {httpQueryParameterName: session}}");
        String first = pick(c, get("app.example.com", "/?session=s-1"), new RecordingContext());
        for (int i = 0; i < 100; i++) {
            assertThat(pick(c, get("app.example.com", "/p?a=" + i + "&session=s-1"), new RecordingContext()))
                    .isEqualTo(first);
        }
    }

    @Test
    void hashByPresentCookieSticksAndSetsNoCookie() {
        Cluster c = v1Cluster("loadBalancer: {consistentHash: {httpCookie: {name: session, ttl: 3600s}}}");
        RecordingContext ctx = new RecordingContext();
        String first = pick(c, get("app.example.com", "/", "cookie", "other=1; session=abc"), ctx);
        for (int i = 0; i < 1000; i++) {
            assertThat(pick(c, get("app.example.com", "/", "cookie", "session=abc"), ctx)).isEqualTo(first);
        }
        assertThat(ctx.cookies).isEmpty();
    }

    @Test
    void absentCookieWithTtlIsGeneratedSetAndThenSticks() {
        Cluster c = v1Cluster("loadBalancer: {consistentHash: {httpCookie: {name: session, path: /, ttl: 3600s}}}");
        RecordingContext first = new RecordingContext(bound -> {
            throw new AssertionError("a generated cookie is hashed, not drawn");
        });
        String endpoint = pick(c, get("app.example.com", "/"), first);
        assertThat(first.cookies).singleElement().satisfies(setCookie -> assertThat(setCookie)
                .matches("session=[0-9a-f]+; Path=/; Max-Age=3600; HttpOnly"));
        String value = first.cookies.get(0).substring("session=".length(), first.cookies.get(0).indexOf(';'));

        RecordingContext later = new RecordingContext();
        for (int i = 0; i < 1000; i++) {
            assertThat(pick(c, get("app.example.com", "/", "cookie", "session=" + value), later)).isEqualTo(endpoint);
        }
        assertThat(later.cookies).as("the cookie is only set once").isEmpty();
    }

    @Test
    void generatedCookiesDifferAndSpread() {
        Cluster c = v1Cluster("loadBalancer: {consistentHash: {httpCookie: {name: session, ttl: 60s}}}");
        Set<String> values = new HashSet<>();
        Set<String> endpoints = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            RecordingContext ctx = new RecordingContext();
            endpoints.add(pick(c, get("app.example.com", "/"), ctx));
            values.add(ctx.cookies.get(0));
        }
        assertThat(values).hasSize(200);
        assertThat(endpoints).hasSize(3);
    }

    @Test
    void zeroTtlGivesASessionCookie() {
        Cluster c = v1Cluster("loadBalancer: {consistentHash: {httpCookie: {name: session, ttl: 0s}}}");
        RecordingContext ctx = new RecordingContext();
        pick(c, get("app.example.com", "/"), ctx);
        assertThat(ctx.cookies).singleElement().satisfies(setCookie -> assertThat(setCookie)
                .matches("session=[0-9a-f]+; HttpOnly"));
    }

    @Test
    void absentCookieWithoutTtlFallsBackWithoutSettingOne() {
        Cluster c = v1Cluster("loadBalancer: {consistentHash: {httpCookie: {name: session}}}");
        RecordingContext ctx = new RecordingContext(constant(2));
        assertThat(pick(c, get("app.example.com", "/"), ctx)).isEqualTo("10.0.1.3:80");
        assertThat(ctx.cookies).isEmpty();
    }

    @Test
    void subsetWithoutEndpointsPicksNothingWhateverThePolicy() {
        for (String policy : List.of("loadBalancer: {simple: ROUND_ROBIN}", "loadBalancer: {simple: RANDOM}",
                "loadBalancer: {consistentHash: {httpHeaderName: x-user}}")) {
            RoutingTable t = table(gateway(), serviceEntry("app", APP, 80, V1),
                    rule(policy, null, null), virtualService("vs", "app.example.com", routeTo("app", "v2")));
            Cluster c = onlyCluster(route(t, get("app.example.com", "/")));
            assertThat(c.endpoints()).isEmpty();
            assertThat(c.pick(get("app.example.com", "/", "x-user", "a"), new RecordingContext())).as(policy).isNull();
        }
    }
}
