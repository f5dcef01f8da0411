package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.compile;
import static dev.meshbed.gateway.routing.RoutingFixtures.destinationRuleV1V2;
import static dev.meshbed.gateway.routing.RoutingFixtures.forward;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.route;
import static dev.meshbed.gateway.routing.RoutingFixtures.serviceEntry;
import static dev.meshbed.gateway.routing.RoutingFixtures.table;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirect;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Compilation of fault, headers, rewrite, corsPolicy and redirect.prefixRewrite into RouteFilters. */
class RouteFiltersTest {

    private static final String HOST = "app.example.com";
    private static final String APP = "app.default.svc.cluster.local";

    private static RoutingTable tableOf(String http) {
        return table(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1", "10.0.1.2 v2"), destinationRuleV1V2(APP),
                virtualService("vs", HOST, http));
    }

    private static Route only(String http, String path) {
        Route r = route(tableOf(http), get(HOST, path));
        assertThat(r).isNotNull();
        return r;
    }

    private static Route only(String http) {
        return only(http, "/");
    }

    private static List<String> warnings(String http) {
        return compile(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1"), destinationRuleV1V2(APP),
                virtualService("vs", HOST, http)).table().warnings();
    }

    // ---------------------------------------------------------------- fault

    @Test
    void faultPercentagesBecomePartsPerMillionAsIstioTranslatesThem() {
        FaultPolicy f = only("""
                - fault:
                    delay: {fixedDelay: 250ms, percentage: {value: 12.5}}
                    abort: {httpStatus: 418, percentage: {value: 0.0001}}
                  route:
                  - destination: {host: app}
                """).filters().fault();
        assertThat(f).isEqualTo(new FaultPolicy(250, 125_000, 418, 1));
    }

    @Test
    void deprecatedIntPercentIsPerHundredAndPercentageWins() {
        assertThat(only("""
                - fault:
                    delay: {fixedDelay: 1s, percent: 30}
                  route:
                  - destination: {host: app}
                """).filters().fault()).isEqualTo(new FaultPolicy(1000, 300_000, 0, 0));
        assertThat(only("""
                - fault:
                    delay: {fixedDelay: 1s, percent: 30, percentage: {value: 50}}
                  route:
                  - destination: {host: app}
                """).filters().fault().delayPerMillion()).isEqualTo(500_000);
    }

    @Test
    void noPercentageInjectsNothingAsIstioDocuments() {
        FaultPolicy f = only("""
                - fault:
                    delay: {fixedDelay: 1s}
                    abort: {httpStatus: 503}
                  route:
                  - destination: {host: app}
                """).filters().fault();
        assertThat(f.hasDelay()).isFalse();
        assertThat(f.hasAbort()).isFalse();
        RandomSource never = bound -> {
            throw new AssertionError("no draw expected");
        };
        assertThat(f.drawDelay(never)).isFalse();
        assertThat(f.drawAbort(never)).isFalse();
    }

    @Test
    void drawsAreAgainstOneMillionAndCertainOutcomesDrawNothing() {
        FaultPolicy f = new FaultPolicy(10, 250_000, 503, FaultPolicy.MILLION);
        assertThat(f.drawDelay(RoutingFixtures.constant(249_999))).isTrue();
        assertThat(f.drawDelay(RoutingFixtures.constant(250_000))).isFalse();
        RoutingFixtures.ScriptedRandom none = new RoutingFixtures.ScriptedRandom();
        assertThat(f.drawAbort(none)).isTrue();
        assertThat(none.bounds).isEmpty();
    }

    @Test
    void grpcAbortIsLeftOutWithAWarning() {
        // an exponentialDelay is Istio's rejection (IstioRulesTest), not a warning
        String http = """
                - fault:
                    abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}
                  route:
                  - destination: {host: app}
                """;
        assertThat(only(http).filters().fault()).isNull();
        assertThat(warnings(http)).anySatisfy(w -> assertThat(w)
                .contains("grpcStatus UNAVAILABLE is not applied").contains("HTTP/1.1"));
    }

    @Test
    void appliedFieldsAreNoLongerWarnedAsIgnored() {
        assertThat(warnings("""
                - fault:
                    abort: {httpStatus: 503, percentage: {value: 1}}
                  headers:
                    request: {set: {x-a: b}}
                  rewrite: {uri: /v2}
                  corsPolicy: {allowOrigins: [{exact: "https://a.example"}]}
                  route:
                  - destination: {host: app}
                """)).noneSatisfy(w -> assertThat(w).contains("not supported"));
        assertThat(warnings("""
                - retries: {attempts: 2}
                  route:
                  - destination: {host: app}
                """)).noneSatisfy(w -> assertThat(w).contains("not supported"));
        assertThat(warnings("""
                - mirror: {host: app}
                  route:
                  - destination: {host: app}
                """)).noneSatisfy(w -> assertThat(w).contains("not supported"));
    }

    @Test
    void routeWithoutFiltersSharesTheEmptyOne() {
        assertThat(only("""
                - route:
                  - destination: {host: app}
                """).filters()).isSameAs(RouteFilters.NONE);
    }

    // ---------------------------------------------------------------- headers

    @Test
    void headerOperationsRemoveFirstThenSetThenAddSortedByName() {
        Route r = only("""
                - headers:
                    request:
                      set: {x-b: "2", x-a: "1"}
                      add: {x-c: "3"}
                      remove: [x-a, X-Gone]
                    response:
                      set: {server: meshbed}
                  route:
                  - destination: {host: app}
                """);
        HttpHeaders h = new DefaultHttpHeaders().add("x-a", "old").add("x-gone", "1").add("x-c", "0");
        r.filters().headers().request().apply(h);
        assertThat(h.getAll("x-a")).containsExactly("1");
        assertThat(h.get("x-b")).isEqualTo("2");
        assertThat(h.getAll("x-c")).containsExactly("0", "3");
        assertThat(h.contains("x-gone")).isFalse();
        assertThat(r.filters().headers().describe()).isEqualTo(Map.of(
                "request", Map.of("remove", List.of("x-a", "x-gone"), "set", Map.of("x-a", "1", "x-b", "2"),
                        "add", Map.of("x-c", "3")),
                "response", Map.of("set", Map.of("server", "meshbed"))));
    }

    @Test
    void authorityAndHostAreAHostRewriteNotHeadersAndSetWinsOverAdd() {
        Route r = only("""
                - headers:
                    request:
                      add: {host: added.example}
                      set: {":authority": set.example}
                  route:
                  - destination: {host: app}
                """);
        assertThat(r.filters().authority()).isEqualTo("set.example");
        assertThat(r.filters().headers().request().isEmpty()).isTrue();
    }

    @Test
    void emptyValuesAreNotWrittenAsEnvoyDropsThem() {
        HttpHeaders h = new DefaultHttpHeaders().add("x-keep", "v");
        only("""
                - headers:
                    request: {set: {x-keep: ""}, add: {x-new: ""}}
                  route:
                  - destination: {host: app}
                """).filters().headers().request().apply(h);
        assertThat(h.get("x-keep")).isEqualTo("v");
        assertThat(h.contains("x-new")).isFalse();
    }

    @Test
    void destinationHeadersSitOnTheirWeightedEntry() {
        Route r = only("""
                - route:
                  - destination: {host: app, subset: v1}
                    weight: 90
                    headers:
                      request: {set: {x-canary: "no"}}
                      response: {add: {x-served-by: v1}}
                  - destination: {host: app, subset: v2}
                    weight: 10
                    headers:
                      request: {set: {x-canary: "yes", host: canary.example}}
                """);
        WeightedClusters wc = forward(r);
        assertThat(wc.weighted()).isTrue();
        assertThat(r.filters().destinationHeaders()).isTrue();
        assertThat(r.filters().isEmpty()).isFalse();
        WeightedClusters.Entry v2 = wc.pickEntry(RoutingFixtures.constant(95));
        assertThat(v2.cluster().subset()).isEqualTo("v2");
        assertThat(v2.headers().authority()).isEqualTo("canary.example");
        HttpHeaders h = new DefaultHttpHeaders();
        v2.headers().request().apply(h);
        assertThat(h.get("x-canary")).isEqualTo("yes");
        assertThat(wc.pickEntry(RoutingFixtures.constant(3)).headers().response().describe())
                .isEqualTo(Map.of("add", Map.of("x-served-by", "v1")));
    }

    // ---------------------------------------------------------------- rewrite

    private static String rewritten(Route r, String pathAndQuery) {
        return r.filters().pathRewrite().apply(pathAndQuery, get(HOST, pathAndQuery));
    }

    @Test
    void uriRewriteReplacesTheMatchedPrefixAndKeepsTheQuery() {
        Route r = only("""
                - match: [{uri: {prefix: /api/v1}}]
                  rewrite: {uri: /v2}
                  route:
                  - destination: {host: app}
                """, "/api/v1/users");
        assertThat(rewritten(r, "/api/v1/users?id=3")).isEqualTo("/v2/users?id=3");
        assertThat(rewritten(r, "/api/v1")).isEqualTo("/v2");
    }

    @Test
    void uriRewriteReplacesTheWholePathAfterAnExactOrRegexMatch() {
        Route exact = only("""
                - match: [{uri: {exact: /old}}]
                  rewrite: {uri: /new}
                  route:
                  - destination: {host: app}
                """, "/old");
        assertThat(rewritten(exact, "/old?x=1")).isEqualTo("/new?x=1");
        Route regex = only("""
                - match: [{uri: {regex: "/o.d/.*"}}]
                  rewrite: {uri: /new}
                  route:
                  - destination: {host: app}
                """, "/old/a/b");
        assertThat(rewritten(regex, "/old/a/b")).isEqualTo("/new");
    }

    @Test
    void uriRewriteWithoutAUriMatchReplacesTheLeadingSlashAsIstioDefaultPrefixDoes() {
        Route r = only("""
                - rewrite: {uri: /v2}
                  route:
                  - destination: {host: app}
                """, "/users");
        assertThat(rewritten(r, "/users")).isEqualTo("/v2users");
    }

    @Test
    void uriRewriteFollowsTheMatchBlockThatMatched() {
        String http = """
                - match:
                  - uri: {prefix: /long/prefix}
                  - uri: {exact: /exact}
                  - headers: {x-any: {}}
                  rewrite: {uri: /r}
                  route:
                  - destination: {host: app}
                """;
        Route r = only(http, "/long/prefix/x");
        assertThat(rewritten(r, "/long/prefix/x")).isEqualTo("/r/x");
        assertThat(rewritten(r, "/exact")).isEqualTo("/r");
        assertThat(r.filters().pathRewrite().apply("/other", get(HOST, "/other", "x-any", "1"))).isEqualTo("/rother");
    }

    @Test
    void uriRegexRewriteSubstitutesGroupsInThePathOnly() {
        Route r = only("""
                - match: [{uri: {prefix: /service}}]
                  rewrite:
                    uriRegexRewrite: {match: "^/service/([^/]+)(/.*)$", rewrite: "\\\\2/instance/\\\\1"}
                  route:
                  - destination: {host: app}
                """, "/service/foo/v1/api");
        assertThat(rewritten(r, "/service/foo/v1/api?q=/service/x/y")).isEqualTo("/v1/api/instance/foo?q=/service/x/y");
    }

    @Test
    void regexSubstitutionSyntaxIsRe2s() {
        assertThat(PathRewrite.re2jReplacement("\\1-$-\\\\")).isEqualTo("$1-\\$-\\\\");
        assertThatThrownBy(() -> PathRewrite.re2jReplacement("\\x")).hasMessageContaining("invalid escape \\x");
    }

    @Test
    void anInvalidRewriteRegexRejectsTheVirtualService() {
        TableCompiler.Result result = compile(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1"),
                virtualService("vs", HOST, """
                        - rewrite:
                            uriRegexRewrite: {match: "/a", rewrite: "\\\\q"}
                          route:
                          - destination: {host: app}
                        """));
        assertThat(result.crossReferenceProblems()).anySatisfy(rej -> assertThat(rej.message())
                .contains("cannot be compiled").contains("invalid escape \\q"));
        assertThat(result.table().listener(0).virtualHosts().find(HOST)).as("the VirtualService is left out").isNull();
    }

    // ---------------------------------------------------------------- redirect prefixRewrite

    @Test
    void redirectPrefixRewriteFromTheModelsAdditionalProperties() {
        HTTPRedirect model = new HTTPRedirect();
        model.setAdditionalProperty("prefixRewrite", "/new");
        RequestMatcher block = new RequestMatcher(null,
                List.of(RequestMatcher.Condition.uri(StringMatcher.prefix("/old", false))));
        RouteAction action = RouteFiltersCompiler.withPrefixRewrite(
                new RouteAction.Redirect(302, null, "moved.example", 0, null), model, List.of(block));
        assertThat(((RouteAction.Redirect) action).location(get(HOST, "/old/page?a=1")))
                .isEqualTo("http://moved.example/new/page?a=1");
        HTTPRedirect both = new HTTPRedirect();
        both.setUri("/x");
        both.setAdditionalProperty("prefixRewrite", "/new");
        assertThatThrownBy(() -> RouteFiltersCompiler.withPrefixRewrite(
                new RouteAction.Redirect(301, null, null, 0, "/x"), both, List.of(block)))
                .hasMessage("redirect: uri and prefixRewrite are both set (expected: one of them)");
        assertThat(RouteFiltersCompiler.withPrefixRewrite(new RouteAction.Redirect(301, null, null, 0, "/x"),
                new HTTPRedirect(), List.of(block))).isEqualTo(new RouteAction.Redirect(301, null, null, 0, "/x"));
    }

    // ---------------------------------------------------------------- CORS

    @Test
    void corsPolicyAsIstioTranslatesIt() {
        CorsPolicy c = only("""
                - corsPolicy:
                    allowOrigins: [{exact: "https://a.example"}, {prefix: "https://b."}, {regex: "https://.*\\\\.c\\\\.example"}]
                    allowMethods: [GET, POST]
                    allowHeaders: [x-a, x-b]
                    exposeHeaders: [x-version]
                    maxAge: 24h
                    allowCredentials: true
                  route:
                  - destination: {host: app}
                """).filters().cors();
        assertThat(c.allowMethods()).isEqualTo("GET,POST");
        assertThat(c.allowHeaders()).isEqualTo("x-a,x-b");
        assertThat(c.exposeHeaders()).isEqualTo("x-version");
        assertThat(c.maxAge()).isEqualTo("86400");
        assertThat(c.allowCredentials()).isTrue();
        assertThat(c.forwardNotMatchingPreflights()).isTrue();
        assertThat(c.originAllowed("https://a.example")).isTrue();
        assertThat(c.originAllowed("https://a.example.evil")).isFalse();
        assertThat(c.originAllowed("https://b.anything")).isTrue();
        assertThat(c.originAllowed("https://x.c.example")).isTrue();
        assertThat(c.originAllowed("https://x.d.example")).isFalse();
    }

    @Test
    void unmatchedPreflightsIgnoreStopsForwardingAndUnsetCredentialsAreFalse() {
        CorsPolicy c = only("""
                - corsPolicy:
                    allowOrigins: [{exact: "*"}]
                    unmatchedPreflights: IGNORE
                  route:
                  - destination: {host: app}
                """).filters().cors();
        assertThat(c.forwardNotMatchingPreflights()).isFalse();
        assertThat(c.allowCredentials()).isFalse();
        assertThat(c.allowMethods()).isNull();
        assertThat(c.originAllowed("https://anyone.example")).as("a matcher accepting * accepts all").isTrue();
    }

    @Test
    void corsOnARedirectOrDirectResponseIsIgnoredWithAWarningAsEnvoysFilterSkipsThem() {
        String http = """
                - directResponse: {status: 200, body: {string: ok}}
                  corsPolicy: {allowOrigins: [{exact: "https://a.example"}]}
                """;
        assertThat(only(http).filters().cors()).isNull();
        assertThat(warnings(http)).anySatisfy(w -> assertThat(w).contains("spec.http[0].corsPolicy: has no effect"));
    }

    @Test
    void filtersAreDescribedForTheConfigDump() {
        Route r = only("""
                - fault:
                    abort: {httpStatus: 503, percentage: {value: 50}}
                  rewrite: {uri: /v2, authority: inner.example}
                  route:
                  - destination: {host: app}
                """);
        assertThat(r.filters().describe()).isEqualTo(Map.of(
                "fault", Map.of("abort", Map.of("http_status", 503, "percentage", 50.0)),
                "prefix_rewrite", "/v2",
                "host_rewrite_literal", "inner.example"));
    }
}
