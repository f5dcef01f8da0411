package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.destinationRuleV1V2;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.route;
import static dev.meshbed.gateway.routing.RoutingFixtures.serviceEntry;
import static dev.meshbed.gateway.routing.RoutingFixtures.table;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Route timeouts, direct responses and redirects. */
class RouteActionsTest {

    private static final String HOST = "app.example.com";
    private static final String APP = "app.default.svc.cluster.local";

    private static Route only(String http) {
        RoutingTable t = table(gateway(), serviceEntry("app", APP, 80, "10.0.1.1 v1"), destinationRuleV1V2(APP),
                virtualService("vs", HOST, http));
        Route r = route(t, get(HOST, "/"));
        assertThat(r).isNotNull();
        return r;
    }

    // ---------------------------------------------------------------- timeouts

    private static long timeoutOf(String timeout) {
        return only("""
                - timeout: %s
                  route:
                  - destination: {host: app}
                """.formatted(timeout)).timeoutMillis();
    }

    @Test
    void timeoutIsParsed() {
        assertThat(timeoutOf("1.5s")).isEqualTo(1500);
        assertThat(timeoutOf("250ms")).isEqualTo(250);
        assertThat(timeoutOf("2m")).isEqualTo(120_000);
        assertThat(timeoutOf("1m30s")).isEqualTo(90_000);
    }

    @Test
    void zeroOrAbsentTimeoutIsDisabled() {
        assertThat(timeoutOf("0s")).isZero();
        assertThat(only("""
                - route:
                  - destination: {host: app}
                """).timeoutMillis()).isZero();
    }

    @Test
    void negativeTimeoutIsRefusedByRoute() {
        assertThatThrownBy(() -> new Route("r", List.of(), new RouteAction.DirectResponse(200, ""), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- direct responses

    @Test
    void directResponseWithStringBody() {
        Route r = only("""
                - directResponse:
                    status: 503
                    body: {string: "down for maintenance"}
                """);
        assertThat(r.action()).isEqualTo(new RouteAction.DirectResponse(503, "down for maintenance"));
    }

    @Test
    void directResponseWithBytesBody() {
        Route r = only("""
                - directResponse:
                    status: 200
                    body: {bytes: "aGVsbG8="}
                """);
        assertThat(r.action()).isEqualTo(new RouteAction.DirectResponse(200, "hello"));
    }

    @Test
    void directResponseWithoutBody() {
        assertThat(only("- directResponse: {status: 404}\n").action())
                .isEqualTo(new RouteAction.DirectResponse(404, ""));
    }

    @Test
    void directResponseStatusMustBeAnHttpStatus() {
        assertThatThrownBy(() -> new RouteAction.DirectResponse(100, "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RouteAction.DirectResponse(600, "")).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- redirects

    private static RouteAction.Redirect redirect(String spec) {
        RouteAction action = only("- redirect: " + spec + "\n").action();
        assertThat(action).isInstanceOf(RouteAction.Redirect.class);
        return (RouteAction.Redirect) action;
    }

    @Test
    void redirectDefaultsTo301() {
        assertThat(redirect("{uri: /new}").status()).isEqualTo(301);
        assertThat(redirect("{uri: /new, redirectCode: 302}").status()).isEqualTo(302);
    }

    @Test
    void redirectKeepsTheRequestPort() {
        RouteAction.Redirect r = redirect("{uri: /new}");
        assertThat(r.location(get("app.example.com:31380", "/old"))).isEqualTo("http://app.example.com:31380/new");
        assertThat(r.location(get("app.example.com", "/old"))).isEqualTo("http://app.example.com/new");
    }

    @Test
    void redirectWithoutUriKeepsPathAndQuery() {
        RouteAction.Redirect r = redirect("{authority: other.example.com}");
        assertThat(r.location(get("app.example.com:31380", "/old/x?a=1&b=2")))
                .as("a new authority drops the request port").isEqualTo("http://other.example.com/old/x?a=1&b=2");
    }

    @Test
    void redirectToAPort() {
        RouteAction.Redirect r = redirect("{port: 8080}");
        assertThat(r.location(get("app.example.com:31380", "/p"))).isEqualTo("http://app.example.com:8080/p");
        assertThat(r.location(get("app.example.com", "/p"))).isEqualTo("http://app.example.com:8080/p");
    }

    @Test
    void redirectToTheProtocolDefaultPortDropsThePort() {
        RouteAction.Redirect r = redirect("{scheme: https, derivePort: FROM_PROTOCOL_DEFAULT}");
        assertThat(r.port()).isEqualTo(-1);
        assertThat(r.location(get("app.example.com:31380", "/p"))).isEqualTo("https://app.example.com/p");
    }

    @Test
    void redirectWithSchemeAuthorityAndUri() {
        RouteAction.Redirect r = redirect("{scheme: https, authority: secure.example.com, uri: /login}");
        assertThat(r.location(get("app.example.com:31380", "/old"))).isEqualTo("https://secure.example.com/login");
    }

    @Test
    void redirectOfAnIpv6HostKeepsItsBrackets() {
        RouteAction.Redirect r = new RouteAction.Redirect(301, null, null, 0, "/new");
        assertThat(r.location(get("[::1]:8080", "/old"))).isEqualTo("http://[::1]:8080/new");
        assertThat(r.location(get("[::1]", "/old"))).isEqualTo("http://[::1]/new");
    }

    /**
     * Istio sets Envoy's {@code path_redirect} from {@code redirect.uri} and never
     * {@code strip_query}; Envoy then keeps the request's query string ("if request uri is
     * /old-path-1?bar=1, users will be redirected to /new-path-1?bar=1", RedirectAction docs).
     */
    @Test
    void redirectUriKeepsTheRequestQueryLikeEnvoy() {
        RouteAction.Redirect r = redirect("{uri: /new}");
        assertThat(r.location(get("app.example.com", "/old?bar=1"))).isEqualTo("http://app.example.com/new?bar=1");
    }

    @Test
    void redirectStatusMustBeThreeHundreds() {
        assertThatThrownBy(() -> new RouteAction.Redirect(200, null, null, 0, "/")).isInstanceOf(
                IllegalArgumentException.class);
    }
}
