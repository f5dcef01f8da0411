package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApplierTest {

    private final Project project = Project.locate(null);
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(buf, true);
    private MockApi api;

    @BeforeEach
    void start() {
        api = MockApi.start();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void appliesThePlanServerSideAndAppliesAgainWithoutConflict() {
        Manifests.Plan plan = Manifests.plan(project, Manifests.Images.local(project));
        Applier applier = new Applier(api.client(), plan.crds(), out);
        plan.namespaces().forEach(applier::apply);
        plan.crds().forEach(applier::apply);
        plan.resources().forEach(applier::apply);
        plan.resources().forEach(applier::apply); // idempotent

        Deployment gw = api.client().apps().deployments().inNamespace("istio-system").withName("istio-ingressgateway").get();
        assertThat(gw.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("meshbed/gateway:" + project.version());
        GenericKubernetesResource vs = api.client().genericKubernetesResources(Testbed.virtualServices())
                .inNamespace("default").withName("app").get();
        assertThat(Routes.summary(vs)).isEqualTo("canary: v1 80 v2 20");
        assertThat(buf.toString()).contains("applied Deployment istio-system/istio-ingressgateway",
                "applied VirtualService default/app", "applied CustomResourceDefinition virtualservices.networking.istio.io");
    }
}
