package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.compiler;
import static dev.meshbed.gateway.routing.RoutingFixtures.doc;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.request;
import static dev.meshbed.gateway.routing.RoutingFixtures.routeName;
import static dev.meshbed.gateway.routing.RoutingFixtures.snapshot;
import static dev.meshbed.gateway.routing.RoutingFixtures.table;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Route selection inside one virtual host: first match wins, match blocks ORed and their fields
 * ANDed, and every kind of HTTPMatchRequest field. Every route answers directly and is named, so
 * a request's route is identified by name ({@code default/m/<name>}); {@code null} means 404 NR.
 */
class RouteMatchingTest {

    private static final String HOST = "app.example.com";

    /** A named route with the given {@code match:} list (unindented YAML), answering directly. */
    private static String route(String name, String matchList) {
        String match = matchList == null ? "" : "  match:\n" + matchList.indent(2);
        return "- name: " + name + "\n" + match + """
                  directResponse:
                    status: 200
                    body: {string: %s}
                """.formatted(name);
    }

    /** A table with VirtualService default/m for {@link #HOST} holding {@code routes}. */
    private static RoutingTable vs(String... routes) {
        return table(gateway(), virtualService("m", HOST, String.join("", routes)));
    }

    /** The name (after {@code default/m/}) of the route {@code request} takes, or null. */
    private static String taken(RoutingTable table, RequestView request) {
        String name = routeName(table, request);
        return name == null ? null : name.substring("default/m/".length());
    }

    private static String taken(RoutingTable table, String uri, String... headers) {
        return taken(table, get(HOST, uri, headers));
    }

    // ---------------------------------------------------------------- order and combination

    @Test
    void firstMatchingRouteWinsInOrder() {
        RoutingTable t = vs(
                route("api", "- uri: {prefix: /api}"),
                route("api-v2", "- uri: {prefix: /api/v2}"), // shadowed: Istio is first-match, not longest-prefix
                route("catch-all", null));
        assertThat(taken(t, "/api/v2/items")).isEqualTo("api");
        assertThat(taken(t, "/api")).isEqualTo("api");
        assertThat(taken(t, "/other")).isEqualTo("catch-all");
        assertThat(t.listener(0).virtualHosts().find(HOST).routes()).extracting(Route::name)
                .containsExactly("default/m/api", "default/m/api-v2", "default/m/catch-all");
    }

    @Test
    void unnamedRoutesAreNamedByIndex() {
        RoutingTable t = table(gateway(), virtualService("m", HOST, """
                - match:
                  - uri: {prefix: /a}
                  directResponse: {status: 200}
                - directResponse: {status: 404}
                """));
        assertThat(routeName(t, get(HOST, "/a"))).isEqualTo("default/m/0");
        assertThat(routeName(t, get(HOST, "/b"))).isEqualTo("default/m/1");
    }

    @Test
    void noRouteMatchesIsNull() {
        RoutingTable t = vs(route("api", "- uri: {prefix: /api}"));
        assertThat(taken(t, "/other")).isNull();
    }

    @Test
    void matchBlocksAreOred() {
        RoutingTable t = vs(route("either", """
                - uri: {prefix: /a}
                - headers:
                    x-b: {exact: "yes"}
                """));
        assertThat(taken(t, "/a/1")).isEqualTo("either");
        assertThat(taken(t, "/z", "x-b", "yes")).isEqualTo("either");
        assertThat(taken(t, "/z")).isNull();
        assertThat(taken(t, "/z", "x-b", "no")).isNull();
    }

    @Test
    void conditionsWithinABlockAreAnded() {
        RoutingTable t = vs(route("both", """
                - uri: {prefix: /a}
                  method: {exact: POST}
                  headers:
                    x-b: {exact: "yes"}
                """));
        assertThat(taken(t, request(POST, HOST, "/a/1", "x-b", "yes"))).isEqualTo("both");
        assertThat(taken(t, request(POST, HOST, "/a/1"))).isNull();
        assertThat(taken(t, request(POST, HOST, "/z", "x-b", "yes"))).isNull();
        assertThat(taken(t, get(HOST, "/a/1", "x-b", "yes"))).isNull();
    }

    // ---------------------------------------------------------------- uri

    @Test
    void uriExact() {
        RoutingTable t = vs(route("exact", "- uri: {exact: /login}"));
        assertThat(taken(t, "/login")).isEqualTo("exact");
        assertThat(taken(t, "/login?next=/home")).as("the query is not part of the path").isEqualTo("exact");
        assertThat(taken(t, "/login/")).isNull();
        assertThat(taken(t, "/Login")).isNull();
        assertThat(taken(t, "/log")).isNull();
    }

    @Test
    void uriPrefix() {
        RoutingTable t = vs(route("prefix", "- uri: {prefix: /static/}"));
        assertThat(taken(t, "/static/")).isEqualTo("prefix");
        assertThat(taken(t, "/static/css/a.css?v=2")).isEqualTo("prefix");
        assertThat(taken(t, "/static")).isNull();
        assertThat(taken(t, "/STATIC/x")).isNull();
    }

    @Test
    void uriRegexIsAFullMatchOnThePathWithoutQuery() {
        RoutingTable t = vs(route("regex", "- uri: {regex: \"/items/[0-9]+\"}"));
        assertThat(taken(t, "/items/42")).isEqualTo("regex");
        assertThat(taken(t, "/items/42?sort=asc")).isEqualTo("regex");
        assertThat(taken(t, "/items/42/reviews")).as("full match, not find").isNull();
        assertThat(taken(t, "/v1/items/42")).as("anchored at the start").isNull();
        assertThat(taken(t, "/items/")).isNull();
    }

    /** Patterns that backtrack exponentially in java.util.regex route in linear time (RE2). */
    @Test
    void pathologicalRegexesRouteCorrectlyAndQuickly() {
        RoutingTable t = vs(
                route("twelve-as", "- uri: {regex: \"(.*a){12}\"}"),
                route("nested", "- headers:\n    x-token: {regex: \"(x+x+)+y\"}"),
                route("catch-all", null));
        String longA = "/" + "a".repeat(8190) + "b";
        long start = System.nanoTime();
        assertThat(taken(t, "/" + "a".repeat(12))).isEqualTo("twelve-as");
        assertThat(taken(t, "/" + "ab".repeat(12) + "/a")).isEqualTo("twelve-as");
        assertThat(taken(t, "/" + "a".repeat(11) + "b")).isEqualTo("catch-all");
        assertThat(taken(t, longA)).isEqualTo("catch-all");
        assertThat(taken(t, longA + "?q=a")).isEqualTo("catch-all");
        assertThat(taken(t, "/", "x-token", "x".repeat(4000) + "y")).isEqualTo("nested");
        assertThat(taken(t, "/", "x-token", "x".repeat(4000) + "z")).isEqualTo("catch-all");
        // java.util.regex takes seconds on the 13th request path alone, and years on the long ones.
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(2.0);
    }

    @Test
    void ignoreUriCaseAppliesToExactAndPrefix() {
        RoutingTable t = vs(
                route("exact", """
                        - uri: {exact: /Login}
                          ignoreUriCase: true
                        """),
                route("prefix", """
                        - uri: {prefix: /Static/}
                          ignoreUriCase: true
                        """));
        assertThat(taken(t, "/LOGIN")).isEqualTo("exact");
        assertThat(taken(t, "/login")).isEqualTo("exact");
        assertThat(taken(t, "/sTaTiC/a.css")).isEqualTo("prefix");
        assertThat(taken(t, "/stat")).isNull();
    }

    @Test
    void uriIsCaseSensitiveByDefault() {
        RoutingTable t = vs(route("exact", "- uri: {exact: /Login}"));
        assertThat(taken(t, "/login")).isNull();
    }

    // ---------------------------------------------------------------- authority, method, scheme

    @Test
    void authorityIsMatchedOnTheHostHeaderAsSent() {
        RoutingTable t = vs(
                route("exact", "- authority: {exact: \"app.example.com:31380\"}"),
                route("prefix", "- authority: {prefix: app.example}"));
        assertThat(taken(t, get("app.example.com:31380", "/"))).isEqualTo("exact");
        assertThat(taken(t, get("app.example.com", "/"))).isEqualTo("prefix");
        assertThat(taken(t, get("APP.example.com", "/"))).as("StringMatch is case-sensitive").isNull();
    }

    @Test
    void method() {
        RoutingTable t = vs(
                route("write", "- method: {regex: \"POST|PUT\"}"),
                route("get", "- method: {exact: GET}"));
        assertThat(taken(t, request(POST, HOST, "/"))).isEqualTo("write");
        assertThat(taken(t, get(HOST, "/"))).isEqualTo("get");
        assertThat(taken(t, request(DELETE, HOST, "/"))).isNull();
    }

    @Test
    void schemeIsHttp() {
        RoutingTable t = vs(route("https", "- scheme: {exact: https}"), route("http", "- scheme: {exact: http}"));
        assertThat(taken(t, "/")).isEqualTo("http");
    }

    // ---------------------------------------------------------------- headers

    @Test
    void headerExact() {
        RoutingTable t = vs(route("jason", """
                - headers:
                    end-user: {exact: jason}
                """));
        assertThat(taken(t, "/", "end-user", "jason")).isEqualTo("jason");
        assertThat(taken(t, "/", "End-User", "jason")).as("header names are case-insensitive").isEqualTo("jason");
        assertThat(taken(t, "/", "end-user", "Jason")).as("values are not").isNull();
        assertThat(taken(t, "/", "end-user", "jason2")).isNull();
        assertThat(taken(t, "/")).isNull();
    }

    @Test
    void headerPrefixAndRegex() {
        RoutingTable t = vs(
                route("prefix", """
                        - headers:
                            user-agent: {prefix: "Mozilla/"}
                        """),
                route("regex", """
                        - headers:
                            x-version: {regex: "v[0-9]+"}
                        """));
        assertThat(taken(t, "/", "user-agent", "Mozilla/5.0")).isEqualTo("prefix");
        assertThat(taken(t, "/", "user-agent", "curl/8")).isNull();
        assertThat(taken(t, "/", "x-version", "v12")).isEqualTo("regex");
        assertThat(taken(t, "/", "x-version", "v12b")).as("full match").isNull();
        assertThat(taken(t, "/", "x-version", "av1")).isNull();
    }

    @Test
    void headerPresence() {
        RoutingTable t = vs(route("present", """
                - headers:
                    x-debug: {}
                """));
        assertThat(taken(t, "/", "x-debug", "")).isEqualTo("present");
        assertThat(taken(t, "/", "x-debug", "anything")).isEqualTo("present");
        assertThat(taken(t, "/")).isNull();
    }

    @Test
    void repeatedHeaderIsMatchedOnItsValuesJoinedByComma() {
        RoutingTable t = vs(route("both", """
                - headers:
                    x-tag: {exact: "a,b"}
                """));
        assertThat(taken(t, "/", "x-tag", "a", "x-tag", "b")).isEqualTo("both");
        assertThat(taken(t, "/", "x-tag", "a")).isNull();
    }

    @Test
    void withoutHeadersExcludesMatchingValues() {
        RoutingTable t = vs(route("not-beta", """
                - withoutHeaders:
                    x-channel: {exact: beta}
                """));
        assertThat(taken(t, "/")).as("absent header: nothing to exclude").isEqualTo("not-beta");
        assertThat(taken(t, "/", "x-channel", "stable")).isEqualTo("not-beta");
        assertThat(taken(t, "/", "x-channel", "beta")).isNull();
    }

    @Test
    void withoutHeadersPresenceMeansTheHeaderMustBeAbsent() {
        RoutingTable t = vs(route("no-debug", """
                - withoutHeaders:
                    x-debug: {}
                """));
        assertThat(taken(t, "/")).isEqualTo("no-debug");
        assertThat(taken(t, "/", "x-debug", "")).isNull();
        assertThat(taken(t, "/", "x-debug", "1")).isNull();
    }

    @Test
    void withoutHeadersCombinesWithHeaders() {
        RoutingTable t = vs(route("internal-not-beta", """
                - headers:
                    x-internal: {}
                  withoutHeaders:
                    x-channel: {prefix: beta}
                """));
        assertThat(taken(t, "/", "x-internal", "1")).isEqualTo("internal-not-beta");
        assertThat(taken(t, "/", "x-internal", "1", "x-channel", "beta-2")).isNull();
        assertThat(taken(t, "/", "x-channel", "stable")).isNull();
    }

    /**
     * Istio translates withoutHeaders with {@code invert_match} and
     * {@code treat_missing_header_as_empty: true} (pilot route.go TranslateRouteMatch), so an
     * absent header is matched as "" before inverting: a withoutHeaders matcher that matches the
     * empty string excludes requests that lack the header.
     */
    @Test
    void withoutHeadersTreatsAnAbsentHeaderAsEmptyLikeEnvoy() {
        // Istio refuses an empty prefix; regex .* matches "" as well.
        RoutingTable t = vs(route("not-anything", """
                - withoutHeaders:
                    x-channel: {regex: ".*"}
                """), route("fallback", null));
        assertThat(taken(t, "/", "x-channel", "beta")).isEqualTo("fallback");
        assertThat(taken(t, "/")).as("absent = \"\", which .* matches, inverted: no match")
                .isEqualTo("fallback");
    }

    // ---------------------------------------------------------------- query parameters

    @Test
    void queryParamExactPrefixRegex() {
        RoutingTable t = vs(
                route("exact", """
                        - queryParams:
                            mode: {exact: dark}
                        """),
                route("prefix", """
                        - queryParams:
                            lang: {prefix: en}
                        """),
                route("regex", """
                        - queryParams:
                            id: {regex: "[0-9]+"}
                        """));
        assertThat(taken(t, "/?mode=dark")).isEqualTo("exact");
        assertThat(taken(t, "/?a=1&mode=dark&b=2")).isEqualTo("exact");
        assertThat(taken(t, "/?mode=darker")).isNull();
        assertThat(taken(t, "/?lang=en-GB")).isEqualTo("prefix");
        assertThat(taken(t, "/?lang=fr")).isNull();
        assertThat(taken(t, "/?id=123")).isEqualTo("regex");
        assertThat(taken(t, "/?id=123a")).as("full match").isNull();
        assertThat(taken(t, "/?id=a123")).as("full match").isNull();
        assertThat(taken(t, "/")).isNull();
    }

    @Test
    void queryParamNamesAreCaseSensitive() {
        RoutingTable t = vs(route("exact", """
                - queryParams:
                    mode: {exact: dark}
                """));
        assertThat(taken(t, "/?Mode=dark")).isNull();
    }

    /**
     * Envoy's route matcher parses the query with {@code Http::Utility::parseQueryString}, which
     * does not percent-decode (unlike {@code parseAndDecodeQueryString}): values are compared as
     * they appear in the request line.
     */
    @Test
    void queryParamValuesAreMatchedUndecodedLikeEnvoy() {
        RoutingTable t = vs(
                route("encoded", """
                        - queryParams:
                            q: {exact: "a%20b"}
                        """),
                route("decoded", """
                        - queryParams:
                            q: {exact: "a b"}
                        """));
        assertThat(taken(t, "/?q=a%20b")).isEqualTo("encoded");
    }

    @Test
    void queryParamExactEmptyMeansKeyPresentWithoutValue() {
        RoutingTable t = vs(route("debug", """
                - queryParams:
                    debug: {exact: ""}
                """));
        assertThat(taken(t, "/?debug")).isEqualTo("debug");
        assertThat(taken(t, "/?debug=")).isEqualTo("debug");
        assertThat(taken(t, "/?x=1&debug")).isEqualTo("debug");
        assertThat(taken(t, "/?debug=1")).isNull();
        assertThat(taken(t, "/?x=1")).isNull();
        assertThat(taken(t, "/")).isNull();
    }

    @Test
    void queryParamFirstValueCounts() {
        RoutingTable t = vs(route("first", """
                - queryParams:
                    v: {exact: "1"}
                """));
        assertThat(taken(t, "/?v=1&v=2")).isEqualTo("first");
        assertThat(taken(t, "/?v=2&v=1")).isNull();
    }

    // ---------------------------------------------------------------- port and gateways in a match block

    /** Gateways web (port 80) and alt (port 8080), both every host; VS default/m bound to both. */
    private static RoutingTable twoPorts(String routes) {
        return compiler(new ListenerSpec(18000, 80), new ListenerSpec(18080, 8080))
                .compile(snapshot(gateway("default", "web", 80, "*"), gateway("default", "alt", 8080, "*"),
                        virtualService("default", "m", List.of(HOST), List.of("web", "alt"), routes)))
                .table();
    }

    private static List<String> routesOn(RoutingTable t, int listener) {
        VirtualHost vh = t.listener(listener).virtualHosts().find(HOST);
        return vh == null ? List.of() : vh.routes().stream().map(Route::name).toList();
    }

    @Test
    void matchPortDropsTheBlockOnOtherPorts() {
        RoutingTable t = twoPorts(
                route("only-8080", "- port: 8080")
                + route("8080-or-admin", """
                        - port: 8080
                        - uri: {prefix: /admin}
                        """)
                + route("everywhere", null));
        assertThat(routesOn(t, 0)).containsExactly("default/m/8080-or-admin", "default/m/everywhere");
        assertThat(routesOn(t, 1)).containsExactly("default/m/only-8080", "default/m/8080-or-admin",
                "default/m/everywhere");
        // on port 80 the port block is gone: only /admin takes the second route
        Route onPort80 = t.listener(0).virtualHosts().find(HOST).route(get(HOST, "/x"));
        assertThat(onPort80.name()).isEqualTo("default/m/everywhere");
        assertThat(t.listener(0).virtualHosts().find(HOST).route(get(HOST, "/admin/1")).name())
                .isEqualTo("default/m/8080-or-admin");
        assertThat(t.listener(1).virtualHosts().find(HOST).route(get(HOST, "/x")).name())
                .isEqualTo("default/m/only-8080");
    }

    @Test
    void matchGatewaysKeepsTheBlockOnlyWhereThatGatewayBinds() {
        RoutingTable t = twoPorts(
                route("via-alt", """
                        - gateways: [alt]
                        """)
                + route("via-web-qualified", """
                        - gateways: [default/web]
                          uri: {prefix: /web}
                        """)
                + route("everywhere", null));
        assertThat(routesOn(t, 0)).containsExactly("default/m/via-web-qualified", "default/m/everywhere");
        assertThat(routesOn(t, 1)).containsExactly("default/m/via-alt", "default/m/everywhere");
    }

    @Test
    void routeWhoseBlocksAllDropOutIsLeftOut() {
        RoutingTable t = vs(route("elsewhere", "- port: 9999"), route("here", null));
        assertThat(t.listener(0).virtualHosts().find(HOST).routes()).extracting(Route::name)
                .containsExactly("default/m/here");
    }

    // ---------------------------------------------------------------- several VirtualServices for one host

    private static String timedVs(String namespace, String name, String creationTimestamp) {
        String d = virtualService(namespace, name, List.of(HOST), List.of("default/web"), route("r", null));
        return creationTimestamp == null ? d
                : d.replace("  namespace: " + namespace + "\n",
                        "  namespace: " + namespace + "\n  creationTimestamp: \"" + creationTimestamp + "\"\n");
    }

    @Test
    void routesOfSeveralVirtualServicesAreConcatenatedByCreationTime() {
        RoutingTable t = table(gateway(),
                timedVs("default", "a-newest", "2024-06-01T00:00:00Z"),
                timedVs("default", "b-oldest", "2023-01-01T00:00:00Z"),
                timedVs("default", "c-middle", "2024-01-01T00:00:00Z"));
        assertThat(t.listener(0).virtualHosts().find(HOST).routes()).extracting(Route::name)
                .containsExactly("default/b-oldest/r", "default/c-middle/r", "default/a-newest/r");
        assertThat(routeName(t, get(HOST, "/"))).isEqualTo("default/b-oldest/r");
    }

    /** Istio (pilot's sortConfigByCreationTime): creation time, then name, then namespace. */
    @Test
    void sameCreationTimeIsOrderedByNameThenNamespace() {
        String ts = "2024-01-01T00:00:00Z";
        RoutingTable t = table(gateway(),
                timedVs("default", "zeta", ts),
                timedVs("default", "alpha", ts),
                timedVs("beta-ns", "omega", ts));
        assertThat(t.listener(0).virtualHosts().find(HOST).routes()).extracting(Route::name)
                .containsExactly("default/alpha/r", "beta-ns/omega/r", "default/zeta/r");
    }

    @Test
    void withoutCreationTimesTheOrderIsNamespaceThenName() {
        RoutingTable t = table(gateway(),
                timedVs("default", "b", null),
                timedVs("default", "a", null));
        assertThat(t.listener(0).virtualHosts().find(HOST).routes()).extracting(Route::name)
                .containsExactly("default/a/r", "default/b/r");
    }

    @Test
    void virtualServicesForDifferentDomainsDoNotMix() {
        RoutingTable t = table(gateway(),
                virtualService("one", "one.example.com", route("r", null)),
                virtualService("two", "two.example.com", route("r", null)),
                virtualService("both", "*.example.com", route("r", null)));
        assertThat(t.listener(0).virtualHosts().find("one.example.com").routes()).extracting(Route::name)
                .containsExactly("default/one/r");
        assertThat(t.listener(0).virtualHosts().find("three.example.com").routes()).extracting(Route::name)
                .containsExactly("default/both/r");
    }

    @Test
    void vsWithTwoHostsOnAStarServerServesBothDomainsWithTheSameRoutes() {
        RoutingTable t = table(gateway(), doc("VirtualService", "default", "two", """
                hosts: [a.example.com, b.example.com]
                gateways: [web]
                http:
                - directResponse: {status: 204}
                """));
        assertThat(routeName(t, get("a.example.com", "/"))).isEqualTo("default/two/0");
        assertThat(routeName(t, get("b.example.com", "/"))).isEqualTo("default/two/0");
    }
}
