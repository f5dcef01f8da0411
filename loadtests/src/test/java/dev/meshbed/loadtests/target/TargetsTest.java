package dev.meshbed.loadtests.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshbed.loadtests.LoadSettings;
import dev.meshbed.loadtests.LoadTestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TargetsTest {

    @TempDir
    Path root;

    private LoadSettings settings(String... kv) {
        Map<String, String> p = new HashMap<>();
        p.put("loadtest.root", root.toString());
        for (int i = 0; i < kv.length; i += 2) {
            p.put("loadtest." + kv[i], kv[i + 1]);
        }
        return LoadSettings.from(p, Duration.ofSeconds(20), LoadSettings.Connections.KEEPALIVE);
    }

    private void write(String file, String text) throws IOException {
        Files.createDirectories(root.resolve(file).getParent());
        Files.writeString(root.resolve(file), text);
    }

    @Test
    void withoutATestbedTheMessageSaysHowToStartOne() {
        assertThatThrownBy(() -> Targets.edge(settings())).isInstanceOf(LoadTestException.class)
                .hasMessageContaining("no running testbed").hasMessageContaining("make local").hasMessageContaining("make up");
        assertThatThrownBy(() -> Targets.edge(settings("target", "http://127.0.0.1:9")))
                .hasMessageContaining("without WEIGHTS");
        Targets.Target t = Targets.edge(settings("target", "http://127.0.0.1:9/", "weights", "v1=1,v2=1"));
        assertThat(t.url()).isEqualTo("http://127.0.0.1:9");
    }

    @Test
    void theLocalTestbedGivesTheGatewayAndItsConfig() throws IOException {
        write("target/local/config/vs.yaml", """
                kind: VirtualService
                metadata: {name: app}
                spec: {http: [{route: [{destination: {host: app, subset: v1}, weight: 70}, {destination: {host: app, subset: v2}, weight: 30}]}]}
                """);
        write("target/local/local.env", "MESHBED_MODE=local\nGATEWAY_URL=http://127.0.0.1:18080\nCONFIG_DIR="
                + root.resolve("target/local/config") + "\n");
        Targets.Target t = Targets.edge(settings());
        assertThat(t.url()).isEqualTo("http://127.0.0.1:18080");
        assertThat(t.expected().weights()).containsEntry("v1", 70).containsEntry("v2", 30);
        assertThatThrownBy(() -> Targets.direct(settings())).hasMessageContaining("DirectNodePort needs the cluster");
        assertThatThrownBy(() -> Targets.edge(settings("mode", "cluster"))).hasMessageContaining("MODE=cluster: no running testbed");
    }

    @Test
    void theClusterTestbedWinsUnlessModeSaysLocal() throws IOException {
        write("target/local/local.env", "GATEWAY_URL=http://127.0.0.1:18080\nCONFIG_DIR=/nowhere\n");
        write("target/testbed/testbed.env", "MESHBED_MODE=k3s\nGATEWAY_URL=127.0.0.1:40123\nAPP_URL=127.0.0.1:40124\n");
        assertThat(RunningTestbed.find(root, Optional.empty()).orElseThrow().mode()).isEqualTo(RunningTestbed.Mode.CLUSTER);
        assertThat(RunningTestbed.find(root, Optional.of("local")).orElseThrow().gatewayUrl()).isEqualTo("http://127.0.0.1:18080");
        RunningTestbed cluster = RunningTestbed.require(root, Optional.empty());
        assertThat(cluster.gatewayUrl()).isEqualTo("http://127.0.0.1:40123");
        assertThat(cluster.appNodePortUrl()).isEqualTo("http://127.0.0.1:40124");
    }
}
