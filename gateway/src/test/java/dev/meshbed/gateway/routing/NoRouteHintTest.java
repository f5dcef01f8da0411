package dev.meshbed.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.config.ConfigSnapshot;
import dev.meshbed.gateway.config.IstioYamlReader;
import dev.meshbed.gateway.config.ParsedSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NoRouteHintTest {

    private static final String TYPO_GATEWAY = """
            apiVersion: nertowkring.istio.io/v1alpha3
            kind: Gateway
            metadata: {name: gw}
            spec:
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["*"]
            """;

    private static ConfigSnapshot snapshot(String yaml) {
        ParsedSource parsed = new IstioYamlReader().read("gw.yaml", yaml);
        return ConfigSnapshot.of(1, parsed.resources(), parsed.rejections());
    }

    @Test
    void aMistypedGatewayIsNamedByThe404Hint() {
        String text = NoRouteHint.describe(snapshot(TYPO_GATEWAY));
        assertThat(text).isEqualTo("404 NR: no Gateway is applied; 1 resource was rejected: Gateway default/gw"
                + " (gw.yaml:1): apiVersion: nertowkring.istio.io/v1alpha3 is not an API version of Gateway"
                + " (did you mean \"networking.istio.io/v1alpha3\"?) (see /config_dump)");
    }

    @Test
    void aTableWithAGatewayAndNoRejectionsHasNoHint() {
        String text = NoRouteHint.describe(snapshot(TYPO_GATEWAY.replace("nertowkring", "networking")));
        assertThat(text).isNull();
        assertThat(NoRouteHint.of(snapshot(TYPO_GATEWAY.replace("nertowkring", "networking")), System::nanoTime))
                .isSameAs(NoRouteHint.none());
        assertThat(NoRouteHint.none().report()).isFalse();
    }

    @Test
    void anEmptyConfigurationSaysThereIsNoGateway() {
        assertThat(NoRouteHint.describe(ConfigSnapshot.of(1, List.of(), List.of())))
                .isEqualTo("404 NR: no Gateway is applied (see /config_dump)");
    }

    @Test
    void theHintIsLoggedAtMostOncePerTenSeconds() {
        AtomicLong now = new AtomicLong(1_000);
        NoRouteHint hint = NoRouteHint.of(snapshot(TYPO_GATEWAY), now::get);
        assertThat(hint.report()).as("first 404").isTrue();
        assertThat(hint.report()).as("right after").isFalse();
        now.addAndGet(TimeUnit.SECONDS.toNanos(10) - 1);
        assertThat(hint.report()).as("just under 10 s").isFalse();
        now.addAndGet(1);
        assertThat(hint.report()).as("10 s later").isTrue();
    }
}
