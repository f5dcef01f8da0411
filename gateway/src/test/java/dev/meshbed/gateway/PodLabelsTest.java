package dev.meshbed.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodLabelsTest {

    @TempDir
    Path dir;

    @Test
    void readsTheDownwardApiLabelsFile() throws Exception {
        Path file = dir.resolve("labels");
        Files.writeString(file, "app=\"istio-ingressgateway\"\nistio=\"ingressgateway\"\n"
                + "pod-template-hash=\"5d8f\"\nodd=\"a \\\"quoted\\\" \\\\ value\"\n");
        assertThat(PodLabels.resolve(file, Map.of("POD_LABELS", "ignored=yes"))).containsExactly(
                Map.entry("app", "istio-ingressgateway"), Map.entry("istio", "ingressgateway"),
                Map.entry("pod-template-hash", "5d8f"), Map.entry("odd", "a \"quoted\" \\ value"));
    }

    @Test
    void fallsBackToTheEnvironmentThenToTheDefault() {
        Path missing = dir.resolve("none");
        assertThat(PodLabels.resolve(missing, Map.of("POD_LABELS", "istio=edge, app=gw")))
                .containsExactly(Map.entry("istio", "edge"), Map.entry("app", "gw"));
        assertThat(PodLabels.resolve(missing, Map.of())).isEqualTo(Map.of("istio", "ingressgateway"));
        assertThatThrownBy(() -> PodLabels.resolve(missing, Map.of("POD_LABELS", "oops")))
                .hasMessage("POD_LABELS: oops (expected: key=value,...)");
    }
}
