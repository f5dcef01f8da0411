package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.compile;
import static dev.meshbed.gateway.routing.RoutingFixtures.doc;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.route;
import static dev.meshbed.gateway.routing.RoutingFixtures.serviceEntry;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshbed.gateway.routing.RetryPolicy.RetryOn;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** HTTPRoute.retries compiled as Istio translates it for Envoy, and the decisions the policy makes. */
class RetryPolicyCompilerTest {

    private static final String HOST = "app.example.com";
    private static final String APP = "app.default.svc.cluster.local";

    private static TableCompiler.Result compiled(String retries, String... more) {
        List<String> docs = new ArrayList<>(List.of(gateway(), serviceEntry("app", APP, 80, "10.0.1.1", "10.0.1.2"),
                virtualService("vs", HOST, (retries == null ? "" : "- retries: " + retries + "\n  ") + (retries == null
                        ? "- " : "") + "route:\n  - destination: {host: app}\n")));
        docs.addAll(List.of(more));
        return compile(docs.toArray(String[]::new));
    }

    private static RetryPolicy policy(String retries, String... more) {
        Route r = route(compiled(retries, more).table(), get(HOST, "/"));
        assertThat(r).isNotNull();
        return r.retryPolicy();
    }

    @Test
    void noRetriesIsIstiosDefault() {
        RetryPolicy p = policy(null);
        assertThat(p.numRetries()).isEqualTo(2);
        assertThat(p.retryOn()).containsExactlyInAnyOrder(RetryOn.CONNECT_FAILURE, RetryOn.RETRIABLE_STATUS_CODES);
        assertThat(p.retriableStatusCodes()).containsExactly(503);
        assertThat(p.notApplicable()).hasSize(3).anyMatch(s -> s.startsWith("refused-stream"))
                .anyMatch(s -> s.startsWith("unavailable")).anyMatch(s -> s.startsWith("cancelled"));
        assertThat(p.previousHosts()).isTrue();
        assertThat(p.perTryTimeoutMillis()).isZero();
        assertThat(p.backoffBaseMillis()).isEqualTo(25);
        assertThat(p.backoffMaxMillis()).isEqualTo(250);
        assertThat(p.retriesConnectFailure()).isTrue();
        assertThat(p.retriesReset()).isFalse();
        assertThat(p.retriesPerTryTimeout()).isFalse();
        assertThat(p.retriesStatus(503)).isTrue();
        assertThat(p.retriesStatus(502)).isFalse();
        assertThat(p.retriesStatus(500)).isFalse();
    }

    @Test
    void attemptsZeroDisables() {
        RetryPolicy p = policy("{attempts: 0}");
        assertThat(p.enabled()).isFalse();
        assertThat(p.numRetries()).isZero();
    }

    @Test
    void attemptsWithoutRetryOnKeepTheDefaultConditions() {
        RetryPolicy p = policy("{attempts: 4, perTryTimeout: 250ms, backoff: 10ms}");
        assertThat(p.numRetries()).isEqualTo(4);
        assertThat(p.perTryTimeoutMillis()).isEqualTo(250);
        assertThat(p.retriableStatusCodes()).containsExactly(503);
        assertThat(p.backoffBaseMillis()).isEqualTo(10);
        assertThat(p.backoffMaxMillis()).isEqualTo(100);
    }

    @Test
    void retryOnReplacesTheConditionsAndNumbersAreStatusCodes() {
        RetryPolicy p = policy("{attempts: 3, retryOn: \"gateway-error,409,reset,418\"}");
        assertThat(p.retryOn()).containsExactlyInAnyOrder(RetryOn.GATEWAY_ERROR, RetryOn.RESET,
                RetryOn.RETRIABLE_STATUS_CODES);
        assertThat(p.retriableStatusCodes()).containsExactly(409, 418);
        assertThat(p.retryOnText()).isEqualTo("gateway-error,reset,retriable-status-codes");
        assertThat(p.retriesStatus(502)).isTrue();
        assertThat(p.retriesStatus(504)).isTrue();
        assertThat(p.retriesStatus(500)).isFalse();
        assertThat(p.retriesStatus(418)).isTrue();
        assertThat(p.retriesStatus(503)).isTrue();
        assertThat(p.retriesReset()).isTrue();
        assertThat(p.retriesConnectFailure()).isTrue();
        assertThat(p.retriesPerTryTimeout()).isTrue();
    }

    @Test
    void fiveXxRetriesEveryServerErrorAndEveryFailure() {
        RetryPolicy p = policy("{attempts: 1, retryOn: 5xx}");
        assertThat(p.retriesStatus(500)).isTrue();
        assertThat(p.retriesStatus(599)).isTrue();
        assertThat(p.retriesStatus(404)).isFalse();
        assertThat(p.retriesStatus(409)).isFalse();
        assertThat(p.retriesReset()).isTrue();
        assertThat(p.retriesConnectFailure()).isTrue();
        assertThat(p.retriesPerTryTimeout()).isTrue();
        assertThat(p.retriableStatusCodes()).isEmpty();
    }

    @Test
    void connectFailureAloneRetriesNeitherResetsNorTimeouts() {
        RetryPolicy p = policy("{attempts: 1, retryOn: \"connect-failure,retriable-4xx\"}");
        assertThat(p.retriesConnectFailure()).isTrue();
        assertThat(p.retriesReset()).isFalse();
        assertThat(p.retriesPerTryTimeout()).isFalse();
        assertThat(p.retriesStatus(409)).isTrue();
        assertThat(p.retriesStatus(503)).isFalse();
    }

    @Test
    void grpcConditionsAreAcceptedAsNotApplicable() {
        RetryPolicy p = policy("{attempts: 2, retryOn: \"deadline-exceeded,internal,resource-exhausted,5xx\"}");
        assertThat(p.retryOn()).containsExactly(RetryOn.FIVE_XX);
        assertThat(p.notApplicable()).hasSize(3).allMatch(s -> s.contains("gRPC status"));
    }

    @Test
    void remoteLocalitiesAreWarnedAbout() {
        // an unknown retryOn token is Istio's rejection (IstioRulesTest), not a warning
        TableCompiler.Result r = compiled("{attempts: 2, retryOn: \"5xx\", retryRemoteLocalities: true}");
        assertThat(r.table().warnings())
                .anyMatch(w -> w.contains("spec.http[0].retries: retryRemoteLocalities ignored"))
                .noneMatch(w -> w.contains("retries not supported"));
    }

    @Test
    void consistentHashKeepsRetriesOnTheHashedHostUnlessToldOtherwise() {
        String dr = doc("DestinationRule", "default", "app", """
                host: app
                trafficPolicy:
                  loadBalancer:
                    consistentHash: {httpHeaderName: x-user}
                """);
        assertThat(policy(null, dr).previousHosts()).isFalse();
        assertThat(policy("{attempts: 1}", dr).previousHosts()).isFalse();
        assertThat(policy("{attempts: 1, retryIgnorePreviousHosts: true}", dr).previousHosts()).isTrue();
        assertThat(policy("{attempts: 1, retryIgnorePreviousHosts: false}").previousHosts()).isFalse();
    }

    @Test
    void backoffIsFullJitterUnderAnExponentialCeiling() {
        RetryPolicy p = policy("{attempts: 5}");
        List<Integer> bounds = new ArrayList<>();
        RandomSource top = bound -> {
            bounds.add(bound);
            return bound - 1;
        };
        assertThat(p.backoffMillis(1, top)).isEqualTo(24);
        assertThat(p.backoffMillis(2, top)).isEqualTo(74);
        assertThat(p.backoffMillis(3, top)).isEqualTo(174);
        assertThat(p.backoffMillis(4, top)).isEqualTo(249); // capped at 10 x base
        assertThat(p.backoffMillis(40, top)).isEqualTo(249);
        assertThat(bounds).containsExactly(25, 75, 175, 250, 250);
        assertThat(p.backoffMillis(3, bound -> 0)).isZero();
    }

    @Test
    void policyRefusesNonsense() {
        Set<RetryOn> none = EnumSet.noneOf(RetryOn.class);
        assertThatThrownBy(() -> new RetryPolicy(-1, 0, none, new int[0], true, 25, List.of()))
                .hasMessage("numRetries: -1 (expected: >= 0)");
        assertThatThrownBy(() -> new RetryPolicy(1, 0, none, new int[0], true, 0, List.of()))
                .hasMessage("backoffMillis: 0 (expected: >= 1)".replace("backoffMillis", "backoffBaseMillis"));
        assertThatThrownBy(() -> RetryPolicy.DISABLED.backoffMillis(0, b -> 0))
                .hasMessage("retry: 0 (expected: >= 1)");
    }
}
