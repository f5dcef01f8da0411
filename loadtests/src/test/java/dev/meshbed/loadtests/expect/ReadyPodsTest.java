package dev.meshbed.loadtests.expect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class ReadyPodsTest {

    static KubernetesClient client;

    private void pod(String name, String version, boolean ready) {
        client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of("app", "app", "version", version)).endMetadata()
                .withNewStatus().addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .endStatus().build()).create();
    }

    @Test
    void theNodePortSplitIsTheRatioOfReadyPods() {
        assertThatThrownBy(() -> ReadyPods.of(client, "default", "app")).hasMessageContaining("no ready pod labelled app=app");
        pod("v1-a", "v1", true);
        pod("v1-b", "v1", true);
        pod("v1-c", "v1", false);
        pod("v2-a", "v2", true);
        assertThat(ReadyPods.of(client, "default", "app").weights()).containsExactly(Map.entry("v1", 2), Map.entry("v2", 1));
    }
}
