package dev.meshbed.loadtests.expect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.loadtests.shift.ConfigDirWeights;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class VirtualServiceWeightsTest {

    static final Path LOCAL = Path.of(System.getProperty("loadtest.root", "..")).resolve("manifests/local");
    static KubernetesClient client;

    @TempDir
    Path dir;

    private Path copyLocal() throws IOException {
        try (var files = Files.list(LOCAL)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    @Test
    void theShippedLocalConfigSplits80To20() throws IOException {
        ExpectedSplit s = VirtualServiceWeights.fromConfigDir(copyLocal());
        assertThat(s.weights()).containsExactly(Map.entry("v1", 80), Map.entry("v2", 20));
        assertThat(s.source()).contains("VirtualService default/app").contains("route canary");
    }

    @Test
    void theCatchAllRouteCountsNotTheHeaderRouteBeforeIt() throws IOException {
        Files.writeString(dir.resolve("vs.yaml"), """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app, namespace: default}
                spec:
                  hosts: ["*"]
                  http:
                  - match: [{headers: {end-user: {exact: jason}}}]
                    route: [{destination: {host: app, subset: v2}}]
                  - route:
                    - {destination: {host: app, subset: blue}, weight: 3}
                    - {destination: {host: app, subset: green}, weight: 1}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: app, namespace: default}
                spec:
                  host: app.default.svc.cluster.local
                  subsets:
                  - {name: blue, labels: {version: v1}}
                  - {name: green, labels: {version: v2}}
                """);
        // versions by the subsets' version labels, as x-version names them
        assertThat(VirtualServiceWeights.fromConfigDir(dir).weights()).containsExactly(Map.entry("v1", 3), Map.entry("v2", 1));
    }

    @Test
    void aLoneDestinationGetsEverything() throws IOException {
        Files.writeString(dir.resolve("vs.yaml"), """
                kind: VirtualService
                metadata: {name: app}
                spec: {http: [{route: [{destination: {host: app, subset: v2}}]}]}
                """);
        assertThat(VirtualServiceWeights.fromConfigDir(dir).weights()).containsExactly(Map.entry("v2", 100));
    }

    @Test
    void badConfigIsNamed() throws IOException {
        Files.writeString(dir.resolve("vs.yaml"), """
                kind: VirtualService
                metadata: {name: app}
                spec: {http: [{route: [{destination: {host: app, subset: v1}, weight: abc}, {destination: {host: app, subset: v2}, weight: 20}]}]}
                """);
        assertThatThrownBy(() -> VirtualServiceWeights.fromConfigDir(dir)).isInstanceOf(LoadTestException.class)
                .hasMessageContaining("http[0].route[0].weight: \"abc\" (expected: a whole number >= 0)");

        Files.writeString(dir.resolve("vs.yaml"), """
                kind: VirtualService
                metadata: {name: app}
                spec: {http: [{match: [{uri: {prefix: /a}}], route: [{destination: {host: app}}]}]}
                """);
        assertThatThrownBy(() -> VirtualServiceWeights.fromConfigDir(dir))
                .hasMessageContaining("has no http route without a match");

        Files.writeString(dir.resolve("vs.yaml"), "kind: VirtualService\nspec: [unclosed\n");
        assertThatThrownBy(() -> VirtualServiceWeights.fromConfigDir(dir)).hasMessageContaining("does not parse");

        Files.delete(dir.resolve("vs.yaml"));
        assertThatThrownBy(() -> VirtualServiceWeights.fromConfigDir(dir)).hasMessageContaining("no VirtualService in");
    }

    @Test
    void weightShiftRewritesTheFileTheGatewayWatches() throws IOException {
        copyLocal();
        ConfigDirWeights changer = new ConfigDirWeights(dir);
        changer.apply(ExpectedSplit.parse("v1=10,v2=90"));
        assertThat(VirtualServiceWeights.fromConfigDir(dir).weights()).containsExactly(Map.entry("v1", 10), Map.entry("v2", 90));
        assertThat(Files.readString(dir.resolve("virtual-service.yaml"))).contains("meshbed-gateway").contains("weight: 90");
        assertThatThrownBy(() -> changer.apply(ExpectedSplit.parse("v1=10,v3=90")))
                .hasMessageContaining("routes to v2, which the new weights {v1=10, v3=90} do not name");
    }

    @Test
    void fromTheClusterAsMakeUpCreatesIt() {
        GenericKubernetesResource vs = client.getKubernetesSerialization().unmarshal("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: app, namespace: default}
                spec:
                  hosts: ["*"]
                  gateways: [istio-system/meshbed-gateway]
                  http:
                  - route:
                    - {destination: {host: app, subset: v1}, weight: 90}
                    - {destination: {host: app, subset: v2}, weight: 10}
                """, GenericKubernetesResource.class);
        client.genericKubernetesResources(VirtualServiceWeights.VIRTUAL_SERVICE).inNamespace("default").resource(vs).create();

        ExpectedSplit s = VirtualServiceWeights.fromCluster(client, "default", "app");
        assertThat(s.weights()).containsExactly(Map.entry("v1", 90), Map.entry("v2", 10));
        assertThat(s.source()).contains("the cluster");

        new dev.meshbed.loadtests.shift.ClusterWeights(client, "default", "app").apply(ExpectedSplit.parse("v1=50,v2=50"));
        assertThat(VirtualServiceWeights.fromCluster(client, "default", "app").weights())
                .containsExactly(Map.entry("v1", 50), Map.entry("v2", 50));

        assertThatThrownBy(() -> VirtualServiceWeights.fromCluster(client, "default", "nope"))
                .hasMessageContaining("VirtualService default/nope does not exist in the cluster");
    }
}
