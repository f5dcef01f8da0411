package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.compile;
import static dev.meshbed.gateway.routing.RoutingFixtures.compiler;
import static dev.meshbed.gateway.routing.RoutingFixtures.doc;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.routeName;
import static dev.meshbed.gateway.routing.RoutingFixtures.snapshot;
import static dev.meshbed.gateway.routing.RoutingFixtures.table;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Virtual host selection: Envoy's domain search (exact, longest {@code *.suffix}, {@code *}) and
 * how Istio turns Gateway server hosts and VirtualService hosts into domains.
 */
class HostMatchingTest {

    /** A route that answers directly, so that no service is needed. */
    private static final String DIRECT = """
            - directResponse:
                status: 200
                body: {string: ok}
            """;

    private static VirtualHost vh(String domain) {
        return new VirtualHost(domain, List.of());
    }

    private static String domainFound(VirtualHosts hosts, String host) {
        VirtualHost vh = hosts.find(host);
        return vh == null ? null : vh.domain();
    }

    // ---------------------------------------------------------------- VirtualHosts lookup: exact, longest *.suffix, *

    private final VirtualHosts lookup = new VirtualHosts(List.of(
            vh("*.example.com"), vh("app.example.com"), vh("*"), vh("*.b.example.com")));

    @Test
    void exactDomainBeatsWildcards() {
        assertThat(domainFound(lookup, "app.example.com")).isEqualTo("app.example.com");
    }

    @Test
    void suffixWildcardBeatsStar() {
        assertThat(domainFound(lookup, "other.example.com")).isEqualTo("*.example.com");
        assertThat(domainFound(lookup, "deep.other.example.com")).isEqualTo("*.example.com");
    }

    @Test
    void longestSuffixWins() {
        assertThat(domainFound(lookup, "x.b.example.com")).isEqualTo("*.b.example.com");
    }

    @Test
    void longestSuffixWinsWhateverTheInsertionOrder() {
        List<VirtualHost> list = new ArrayList<>(List.of(vh("*.com"), vh("*.example.com"), vh("*.b.example.com")));
        for (int i = 0; i < 3; i++) {
            Collections.rotate(list, 1);
            VirtualHosts rotated = new VirtualHosts(list);
            assertThat(domainFound(rotated, "x.b.example.com")).as("order %s", list).isEqualTo("*.b.example.com");
            assertThat(domainFound(rotated, "x.example.com")).isEqualTo("*.example.com");
            assertThat(domainFound(rotated, "x.com")).isEqualTo("*.com");
        }
    }

    @Test
    void wildcardDoesNotMatchItsOwnSuffix() {
        // "*.example.com" covers "a.example.com", never "example.com"; "*.b.example.com" not "b.example.com"
        assertThat(domainFound(lookup, "example.com")).isEqualTo("*");
        assertThat(domainFound(lookup, "b.example.com")).isEqualTo("*.example.com");
    }

    @Test
    void starCatchesEverythingElse() {
        assertThat(domainFound(lookup, "unrelated.org")).isEqualTo("*");
        assertThat(domainFound(lookup, "")).isEqualTo("*");
    }

    @Test
    void unknownHostWithoutStarIsNull() {
        VirtualHosts noStar = new VirtualHosts(List.of(vh("app.example.com"), vh("*.example.com")));
        assertThat(noStar.find("unrelated.org")).isNull();
        assertThat(noStar.find("example.com")).isNull();
        assertThat(VirtualHosts.empty().find("app.example.com")).isNull();
    }

    @Test
    void allKeepsEveryHost() {
        assertThat(lookup.all()).extracting(VirtualHost::domain)
                .containsExactly("*.example.com", "app.example.com", "*", "*.b.example.com");
    }

    // ---------------------------------------------------------------- the host a request is matched on

    @Test
    void portAndCaseAreIgnored() {
        assertThat(get("App.Example.COM:31380", "/").host()).isEqualTo("app.example.com");
        assertThat(get("App.Example.COM:31380", "/").authority()).isEqualTo("App.Example.COM:31380");
    }

    @Test
    void ipv6LiteralKeepsItsBrackets() {
        assertThat(get("[::1]:8080", "/").host()).isEqualTo("[::1]");
        assertThat(get("[::1]", "/").host()).isEqualTo("[::1]");
    }

    @Test
    void absoluteFormTargetGivesHostAndPath() {
        RequestView r = get(null, "http://App.example.com:8080/a/b?x=1");
        assertThat(r.host()).isEqualTo("app.example.com");
        assertThat(r.path()).isEqualTo("/a/b");
        assertThat(r.queryParam("x")).isEqualTo("1");
    }

    /**
     * RFC 9112 §3.2.2 (RFC 7230 §5.4): "When a proxy receives a request with an absolute-form of
     * request-target, the proxy MUST ignore the received Host header field (if any) and instead
     * replace it with the host information of the request-target." Envoy's HTTP/1 codec does so
     * (headers.setHost(absolute_url.hostAndPort())).
     */
    @Test
    void absoluteFormTargetOverridesTheHostHeader() {
        RequestView r = get("b.example.com", "http://a.example.com:8080/p");
        assertThat(r.host()).isEqualTo("a.example.com");
        assertThat(r.authority()).isEqualTo("a.example.com:8080");
    }

    @Test
    void absoluteFormTargetWithQueryButNoPath() {
        RequestView r = get(null, "http://a.example.com?x=1");
        assertThat(r.host()).isEqualTo("a.example.com");
        assertThat(r.path()).isEqualTo("/");
        assertThat(r.queryParam("x")).isEqualTo("1");
    }

    @Test
    void noHostHeaderGivesEmptyHost() {
        assertThat(get(null, "/").host()).isEmpty();
    }

    // ---------------------------------------------------------------- domains compiled from VirtualServices

    private final RoutingTable fourDomains = table(gateway(),
            virtualService("exact", "app.example.com", DIRECT),
            virtualService("suffix", "*.example.com", DIRECT),
            virtualService("longer-suffix", "*.b.example.com", DIRECT),
            virtualService("star", "*", DIRECT));

    @Test
    void exactThenLongestSuffixThenStar() {
        assertThat(routeName(fourDomains, get("app.example.com", "/"))).isEqualTo("default/exact/0");
        assertThat(routeName(fourDomains, get("other.example.com", "/"))).isEqualTo("default/suffix/0");
        assertThat(routeName(fourDomains, get("x.b.example.com", "/"))).isEqualTo("default/longer-suffix/0");
        assertThat(routeName(fourDomains, get("example.com", "/"))).isEqualTo("default/star/0");
        assertThat(routeName(fourDomains, get("elsewhere.org", "/"))).isEqualTo("default/star/0");
    }

    @Test
    void portInHostIsIgnored() {
        assertThat(routeName(fourDomains, get("app.example.com:31380", "/"))).isEqualTo("default/exact/0");
        assertThat(routeName(fourDomains, get("other.example.com:80", "/"))).isEqualTo("default/suffix/0");
    }

    @Test
    void hostIsCaseInsensitive() {
        assertThat(routeName(fourDomains, get("APP.Example.Com", "/"))).isEqualTo("default/exact/0");
    }

    @Test
    void vsHostIsCaseInsensitive() {
        RoutingTable t = table(gateway(), virtualService("upper", "App.Example.com", DIRECT));
        assertThat(t.listener(0).virtualHosts().all()).extracting(VirtualHost::domain)
                .containsExactly("app.example.com");
        assertThat(routeName(t, get("app.example.COM", "/"))).isEqualTo("default/upper/0");
    }

    @Test
    void unknownHostWithoutStarIsNotRouted() {
        RoutingTable t = table(gateway(), virtualService("exact", "app.example.com", DIRECT),
                virtualService("suffix", "*.example.com", DIRECT));
        assertThat(t.listener(0).virtualHosts().find("elsewhere.org")).isNull();
        assertThat(t.listener(0).virtualHosts().find("example.com")).isNull();
        assertThat(routeName(t, get("elsewhere.org", "/"))).isNull();
    }

    // ---------------------------------------------------------------- Gateway server hosts [namespace/]host

    /** Gateway istio-system/gw: "./" (its own namespace), "*\/" (any) and "team-a/" hosts. */
    private final String namespacedGateway = doc("Gateway", "istio-system", "gw", """
            selector: {istio: ingressgateway}
            servers:
            - port: {number: 80, name: http, protocol: HTTP}
              hosts: ["./own.example.com", "*/any.example.com", "team-a/team.example.com", "plain.example.com"]
            """);

    private String vsIn(String namespace, String name) {
        return virtualService(namespace, name,
                List.of("own.example.com", "any.example.com", "team.example.com", "plain.example.com"),
                List.of("istio-system/gw"), DIRECT);
    }

    @Test
    void namespaceSelectorsOfServerHosts() {
        RoutingTable t = table(namespacedGateway, vsIn("default", "in-default"),
                vsIn("istio-system", "in-istio-system"),
                vsIn("team-a", "in-team-a"));
        // "*/" and no namespace: any namespace, in snapshot order (namespace/name)
        assertThat(t.listener(0).virtualHosts().find("any.example.com").routes()).extracting(Route::name)
                .containsExactly("default/in-default/0", "istio-system/in-istio-system/0", "team-a/in-team-a/0");
        assertThat(t.listener(0).virtualHosts().find("plain.example.com").routes()).extracting(Route::name)
                .containsExactly("default/in-default/0", "istio-system/in-istio-system/0", "team-a/in-team-a/0");
        // "./": the Gateway's own namespace only
        assertThat(t.listener(0).virtualHosts().find("own.example.com").routes()).extracting(Route::name)
                .containsExactly("istio-system/in-istio-system/0");
        // "team-a/": that namespace only
        assertThat(t.listener(0).virtualHosts().find("team.example.com").routes()).extracting(Route::name)
                .containsExactly("team-a/in-team-a/0");
    }

    @Test
    void otherNamespaceHostExcludesVirtualServiceOfDefault() {
        String gw = doc("Gateway", "default", "web", """
                selector: {istio: ingressgateway}
                servers:
                - port: {number: 80, name: http, protocol: HTTP}
                  hosts: ["other-ns/app.example.com"]
                """);
        TableCompiler.Result result = compile(gw, virtualService("app", "app.example.com", DIRECT));
        assertThat(result.table().listener(0).virtualHosts().all()).isEmpty();
        assertThat(routeName(result.table(), get("app.example.com", "/"))).isNull();
        assertThat(result.table().warnings()).anySatisfy(w -> assertThat(w)
                .contains("VirtualService default/app").contains("match no host").contains("not served"));
    }

    @Test
    void vsStarOnServerHostGivesTheServerHost() {
        RoutingTable t = table(gateway("default", "web", 80, "foo.com"), virtualService("all", "*", DIRECT));
        assertThat(t.listener(0).virtualHosts().all()).extracting(VirtualHost::domain).containsExactly("foo.com");
        assertThat(routeName(t, get("foo.com", "/"))).isEqualTo("default/all/0");
        assertThat(routeName(t, get("bar.com", "/"))).isNull();
    }

    @Test
    void wildcardServerHostKeepsTheNarrowerVsHost() {
        RoutingTable t = table(gateway("default", "web", 80, "*.example.com"),
                virtualService("app", "app.example.com", DIRECT),
                virtualService("narrow", "*.b.example.com", DIRECT),
                virtualService("broad", "*.com", DIRECT));
        assertThat(t.listener(0).virtualHosts().all()).extracting(VirtualHost::domain)
                .containsExactlyInAnyOrder("app.example.com", "*.b.example.com", "*.example.com");
    }

    @Test
    void wildcardServerHostDoesNotTakeItsBareSuffix() {
        TableCompiler.Result result = compile(gateway("default", "web", 80, "*.example.com"),
                virtualService("bare", "example.com", DIRECT));
        assertThat(result.table().listener(0).virtualHosts().all()).isEmpty();
        assertThat(result.table().warnings()).anyMatch(w -> w.contains("VirtualService default/bare"));
    }

    // ---------------------------------------------------------------- which VirtualServices and Gateways apply

    @Test
    void virtualServicesNotBoundToTheGatewayAreNotServed() {
        TableCompiler.Result result = compile(gateway(),
                virtualService("default", "no-gateways", List.of("a.example.com"), null, DIRECT),
                virtualService("default", "other-gateway", List.of("b.example.com"), List.of("other"), DIRECT),
                virtualService("default", "mesh-only", List.of("c.example.com"), List.of("mesh"), DIRECT),
                virtualService("default", "other-namespace", List.of("d.example.com"), List.of("prod/web"),
                        DIRECT),
                virtualService("default", "bound", List.of("e.example.com"), List.of("mesh", "web"), DIRECT));
        RoutingTable t = result.table();
        assertThat(t.listener(0).virtualHosts().all()).extracting(VirtualHost::domain)
                .containsExactly("e.example.com");
        for (String host : List.of("a.example.com", "b.example.com", "c.example.com", "d.example.com")) {
            assertThat(routeName(t, get(host, "/"))).as(host).isNull();
        }
        assertThat(routeName(t, get("e.example.com", "/"))).isEqualTo("default/bound/0");
        assertThat(t.warnings()).anySatisfy(w -> assertThat(w)
                .contains("VirtualService default/no-gateways").contains("mesh only"));
        assertThat(t.warnings()).anySatisfy(w -> assertThat(w)
                .contains("VirtualService default/other-gateway").contains("default/other"));
        assertThat(t.warnings()).anySatisfy(w -> assertThat(w)
                .contains("VirtualService default/other-namespace").contains("prod/web"));
        assertThat(t.warnings()).noneMatch(w -> w.contains("default/mesh-only") || w.contains("default/bound"));
    }

    @Test
    void shortGatewayNameIsRelativeToTheVirtualServiceNamespace() {
        RoutingTable t = table(gateway("istio-system", "web", 80, "*"),
                virtualService("default", "short", List.of("a.example.com"), List.of("web"), DIRECT),
                virtualService("istio-system", "same-ns", List.of("b.example.com"), List.of("web"), DIRECT),
                virtualService("default", "qualified", List.of("c.example.com"), List.of("istio-system/web"),
                        DIRECT));
        assertThat(t.listener(0).virtualHosts().all()).extracting(VirtualHost::domain)
                .containsExactlyInAnyOrder("b.example.com", "c.example.com");
    }

    /**
     * Istio still binds the legacy FQDN form of a gateway reference (pilot resolveGatewayName:
     * {@code name.ns.svc.cluster.local} and {@code name.ns} → {@code ns/name}), and meshbed's
     * validator accepts it; the binding should honour it too.
     */
    @Test
    void legacyFqdnGatewayReferenceBindsLikeIstio() {
        RoutingTable t = table(gateway("istio-system", "web", 80, "*"),
                virtualService("default", "fqdn", List.of("a.example.com"),
                        List.of("web.istio-system.svc.cluster.local"), DIRECT),
                virtualService("default", "ns-qualified", List.of("b.example.com"), List.of("web.istio-system"),
                        DIRECT));
        assertThat(t.listener(0).virtualHosts().all()).extracting(VirtualHost::domain)
                .containsExactlyInAnyOrder("a.example.com", "b.example.com");
    }

    @Test
    void gatewayWhoseSelectorDoesNotMatchIsIgnoredWithAWarning() {
        String other = doc("Gateway", "default", "other", """
                selector: {istio: egressgateway}
                servers:
                - port: {number: 80, name: http, protocol: HTTP}
                  hosts: ["*"]
                """);
        TableCompiler.Result result = compile(other,
                virtualService("default", "app", List.of("app.example.com"), List.of("other"), DIRECT));
        RoutingTable t = result.table();
        assertThat(t.listener(0).virtualHosts().all()).isEmpty();
        assertThat(t.listener(0).problem()).contains("no Gateway selects this gateway");
        assertThat(t.warnings()).anySatisfy(w -> assertThat(w)
                .contains("Gateway default/other").contains("does not match").contains("not served here"));
    }

    @Test
    void gatewayWithoutSelectorAppliesToEveryGateway() {
        String any = doc("Gateway", "default", "web", """
                servers:
                - port: {number: 80, name: http, protocol: HTTP}
                  hosts: ["*"]
                """);
        RoutingTable t = table(any, virtualService("app", "app.example.com", DIRECT));
        assertThat(routeName(t, get("app.example.com", "/"))).isEqualTo("default/app/0");
    }

    @Test
    void oneVirtualServiceOnTwoGatewaysOfOnePortIsServedOnce() {
        RoutingTable t = table(gateway("default", "web", 80, "*"), gateway("default", "web2", 80, "*"),
                virtualService("default", "app", List.of("app.example.com"), List.of("web", "web2"), DIRECT));
        assertThat(t.listener(0).virtualHosts().find("app.example.com").routes()).hasSize(1);
    }

    // ---------------------------------------------------------------- listeners and Gateway ports

    private final String twoPorts = gateway("default", "web", 80, "a.example.com")
            + "---\n" + gateway("default", "alt", 8080, "b.example.com");

    private final String bothBound = virtualService("default", "app",
            List.of("a.example.com", "b.example.com"), List.of("web", "alt"), DIRECT);

    @Test
    void solePortListenerServesTheOneHttpPort() {
        RoutingTable t = table(gateway("default", "web", 8080, "*"), virtualService("app", "a.example.com", DIRECT));
        assertThat(t.listener(0).problem()).isNull();
        assertThat(t.listener(0).gatewayPort()).isEqualTo(8080);
        assertThat(routeName(t, get("a.example.com", "/"))).isEqualTo("default/app/0");
    }

    @Test
    void severalHttpPortsWithASolePortListenerIsAListenerProblem() {
        RoutingTable t = compiler().compile(snapshot(twoPorts, bothBound)).table();
        assertThat(t.listener(0).problem()).contains("several Gateway HTTP ports [80, 8080]");
        assertThat(t.listener(0).virtualHosts().all()).isEmpty();
    }

    @Test
    void listenerForAGatewayPortServesOnlyThatPortsServer() {
        RoutingTable t = compiler(new ListenerSpec(18080, 8080), new ListenerSpec(18000, 80))
                .compile(snapshot(twoPorts, bothBound)).table();
        RoutingTable.Listener alt = t.listener(0);
        assertThat(alt.problem()).isNull();
        assertThat(alt.gatewayPort()).isEqualTo(8080);
        assertThat(alt.virtualHosts().all()).extracting(VirtualHost::domain).containsExactly("b.example.com");
        assertThat(alt.virtualHosts().find("a.example.com")).isNull();
        RoutingTable.Listener web = t.listener(1);
        assertThat(web.gatewayPort()).isEqualTo(80);
        assertThat(web.virtualHosts().all()).extracting(VirtualHost::domain).containsExactly("a.example.com");
    }

    @Test
    void listenerForAPortNoGatewayServesHasAProblem() {
        RoutingTable t = compiler(new ListenerSpec(19090, 9090)).compile(snapshot(twoPorts, bothBound)).table();
        assertThat(t.listener(0).problem())
                .contains("no selected Gateway has an HTTP server on port 9090").contains("[80, 8080]");
        assertThat(t.listener(0).virtualHosts().find("a.example.com")).isNull();
    }

    @Test
    void noGatewayAtAll() {
        RoutingTable t = compiler().compile(snapshot(virtualService("app", "a.example.com", DIRECT))).table();
        assertThat(t.listener(0).problem()).contains("no Gateway selects this gateway");
    }
}
