package dev.meshbed.loadtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadSettingsTest {

    private static LoadSettings of(Map<String, String> p) {
        return LoadSettings.from(p, Duration.ofSeconds(20), LoadSettings.Connections.KEEPALIVE);
    }

    @Test
    void defaultsGiveTheVerdictItsPower() {
        LoadSettings s = of(Map.of());
        assertThat(s.plannedRequests()).as("the power test's request count").isEqualTo(4000);
        assertThat(s.model()).isEqualTo(LoadSettings.Model.OPEN);
        assertThat(s.confidence()).isEqualTo(0.99);
        assertThat(s.describeLoad()).isEqualTo("open model, 200 users/s for 20 s (about 4000 requests), keep-alive connections");
    }

    @Test
    void valuesAreChecked() {
        assertThat(of(Map.of("loadtest.confidence", "95")).confidence()).isEqualTo(0.95);
        assertThat(of(Map.of("loadtest.model", "closed", "loadtest.connections", "new")).describeLoad())
                .isEqualTo("closed model, 16 concurrent users for 20 s, a new connection per request");
        assertThatThrownBy(() -> of(Map.of("loadtest.rate", "0"))).hasMessage("RATE: 0 (expected: users per second > 0)");
        assertThatThrownBy(() -> of(Map.of("loadtest.duration", "ten"))).hasMessage("DURATION: ten (expected: seconds > 0)");
        assertThatThrownBy(() -> of(Map.of("loadtest.model", "wave"))).hasMessage("MODEL: wave (expected: open or closed)");
        assertThatThrownBy(() -> of(Map.of("loadtest.connections", "some")))
                .hasMessage("CONNECTIONS: some (expected: keepalive or new)");
        assertThatThrownBy(() -> of(Map.of("loadtest.confidence", "100"))).hasMessageContaining("CONFIDENCE: 100");
        assertThatThrownBy(() -> of(Map.of("loadtest.users", "2.5"))).hasMessageContaining("whole number");
        assertThatThrownBy(() -> of(Map.of("loadtest.target", "127.0.0.1:8080"))).hasMessageContaining("expected: a URL such as http://127.0.0.1:18080");
        assertThatThrownBy(() -> of(Map.of("loadtest.mode", "remote"))).hasMessage("MODE: remote (expected: local or cluster)");
    }

    @Test
    void theTallyCountsWindowsOfWholeBuckets() {
        VersionTally t = new VersionTally();
        t.record("v1", 1000);
        t.record("v2", 1100);
        t.record(null, 1300);
        t.record("v1", 2000);
        assertThat(t.counts()).containsEntry("v1", 2L).containsEntry("v2", 1L).containsEntry(VersionTally.NONE, 1L);
        assertThat(t.counts(1000, 1250)).containsOnlyKeys("v1", "v2");
        assertThat(t.counts(1001, 2250)).as("the bucket cut by the window's start (v2 at 1100) is left out")
                .containsOnlyKeys(VersionTally.NONE, "v1");
        assertThat(t.perSecond(1000)).containsOnlyKeys(0L, 1L);
    }
}
