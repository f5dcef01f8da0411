package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code up CLUSTER=kubeconfig}, {@code status}, {@code weights} and {@code down} against fabric8's
 * mock API server, with a stand-in for the controllers (Deployments become ready; a load balancer
 * answers or not). No traffic: the edge addresses lead nowhere here, which cluster mode only warns
 * about.
 */
class ClusterModeTest {

    @TempDir
    Path tmp;

    private MockApi api;
    private KubernetesClient client;
    private Project project;
    private Testbed testbed;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final ScheduledExecutorService controllers = Executors.newSingleThreadScheduledExecutor();
    private volatile String loadBalancerIp;
    private volatile boolean rollOut = true;

    @BeforeEach
    void start() throws IOException {
        Project real = Project.locate(null);
        copy(real.manifests(), tmp.resolve("manifests"));
        project = new Project(tmp, real.version());
        testbed = new Testbed(project, new PrintStream(buf, true));
        api = MockApi.start();
        client = api.client();
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-1").endMetadata().withNewStatus()
                .addNewAddress().withType("InternalIP").withAddress("127.0.0.1").endAddress().endStatus().build())
                .create();
        controllers.scheduleWithFixedDelay(this::actLikeControllers, 0, 100, TimeUnit.MILLISECONDS);
    }

    @AfterEach
    void stop() {
        System.out.println(buf);
        controllers.shutdownNow();
        api.close();
    }

    /**
     * CRDs become Established, Deployments roll out at once; the gateway's Service gets a load
     * balancer address if one is set.
     */
    private void actLikeControllers() {
        try {
            for (var crd : client.apiextensions().v1().customResourceDefinitions().list().getItems()) {
                if (crd.getStatus() == null || crd.getStatus().getConditions() == null
                        || crd.getStatus().getConditions().isEmpty()) {
                    crd.setStatus(new io.fabric8.kubernetes.api.model.apiextensions.v1
                            .CustomResourceDefinitionStatusBuilder().addNewCondition().withType("Established")
                            .withStatus("True").endCondition().build());
                    client.apiextensions().v1().customResourceDefinitions().resource(crd).updateStatus();
                }
            }
            for (Deployment d : rollOut ? client.apps().deployments().inAnyNamespace().list().getItems()
                    : java.util.List.<Deployment>of()) {
                int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
                if (d.getStatus() == null || d.getStatus().getReadyReplicas() == null) {
                    client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).resource(
                            new DeploymentBuilder(d).withNewStatus().withReplicas(replicas).withReadyReplicas(replicas)
                                    .withUpdatedReplicas(replicas).withAvailableReplicas(replicas)
                                    .withObservedGeneration(d.getMetadata().getGeneration()).endStatus().build())
                            .updateStatus();
                }
            }
            Service gw = client.services().inNamespace("istio-system").withName("istio-ingressgateway").get();
            if (gw != null && loadBalancerIp != null && (gw.getStatus() == null
                    || gw.getStatus().getLoadBalancer() == null || gw.getStatus().getLoadBalancer().getIngress() == null
                    || gw.getStatus().getLoadBalancer().getIngress().isEmpty())) {
                gw.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatusBuilder().withNewLoadBalancer()
                        .withIngress(new LoadBalancerIngressBuilder().withIp(loadBalancerIp).build()).endLoadBalancer()
                        .build());
                client.services().inNamespace("istio-system").resource(gw).updateStatus();
            }
        } catch (RuntimeException e) {
            // the next round tries again
        }
    }

    private Testbed.UpOptions options() {
        return Testbed.UpOptions.k3s().withName("mock").withCluster(null).withRolloutTimeout(Duration.ofSeconds(30))
                .withLbWait(Duration.ofSeconds(1)).withEdgeWait(Duration.ofSeconds(1));
    }

    private Testbed.UpResult up(Testbed.UpOptions o) {
        Path kubeconfig = api.kubeconfig(tmp.resolve("kube"));
        return testbed.upCluster(o, Config.fromKubeconfig(null, kubeconfig.toFile()), kubeconfig.toString());
    }

    @Test
    void upWithoutALoadBalancerTakesTheNodePortPathAndWritesTheEnvFile() {
        Testbed.UpResult r = up(options());

        assertThat(r.ingress().path()).isEqualTo(IngressAddress.Path.NODE_PORT);
        TestbedEnv env = TestbedEnv.read(testbed.envFile("mock")).orElseThrow();
        assertThat(env.values()).containsEntry("MESHBED_MODE", "cluster").containsEntry("INGRESS_PATH", "nodeport")
                .containsEntry("INGRESS_HOST", "127.0.0.1").containsEntry("INGRESS_PORT", "31380")
                .containsEntry("GATEWAY_URL", "127.0.0.1:31380").containsEntry("APP_URL", "127.0.0.1:30080")
                .containsEntry("STATUS_URL", "http://127.0.0.1:32000/healthz/ready");
        assertThat(env.require("INGRESS_REASON")).contains("EXTERNAL-IP <pending>", "the InternalIP of node node-1");
        assertThat(env.require("MESHBED_CREATED")).contains("Namespace/istio-system",
                "CustomResourceDefinition/virtualservices.networking.istio.io");
        assertThat(buf.toString()).contains("path: NodePort", "rolled out", "WARNING: the gateway does not answer");
        assertThat(client.apps().deployments().inNamespace("default").withName("app-v2").get()).isNotNull();
    }

    @Test
    void upWithALoadBalancerTakesItsAddressAndThePort() {
        loadBalancerIp = "127.0.0.1";

        Testbed.UpResult r = up(options());

        assertThat(r.ingress().path()).isEqualTo(IngressAddress.Path.LOAD_BALANCER);
        assertThat(r.gateway()).isEqualTo(new HostPort("127.0.0.1", 80));
        assertThat(r.gatewayNodePort()).isEqualTo(new HostPort("127.0.0.1", 31380));
        assertThat(r.env().values()).containsEntry("INGRESS_PATH", "loadbalancer")
                .containsEntry("STATUS_URL", "http://127.0.0.1:15021/healthz/ready");
    }

    @Test
    void weightsStatusAndDownWorkFromTheEnvFile() {
        up(options());

        testbed.weights("mock", "90:10");
        GenericKubernetesResource vs = client.genericKubernetesResources(Testbed.virtualServices())
                .inNamespace("default").withName("app").get();
        assertThat(Routes.summary(vs)).isEqualTo("canary: v1 90 v2 10");
        testbed.weights("mock", "header");
        assertThat(Routes.summary(client.genericKubernetesResources(Testbed.virtualServices()).inNamespace("default")
                .withName("app").get())).startsWith("jason when");

        buf.reset();
        assertThat(testbed.status("mock")).isTrue();
        assertThat(buf.toString()).contains("istio-system/istio-ingressgateway 1/1 ready", "EXTERNAL-IP <pending>",
                "VirtualService default/app: jason when", "edge (nodeport path): 127.0.0.1:31380");

        testbed.down("mock", false);
        assertThat(client.apps().deployments().inAnyNamespace().list().getItems()).isEmpty();
        assertThat(client.namespaces().withName("istio-system").get()).isNull();
        assertThat(Files.exists(testbed.envFile("mock"))).isFalse();
        assertThatThrownBy(() -> testbed.weights("mock", "90:10")).hasMessageContaining("make up first");
    }

    @Test
    void anExistingNamespaceAndForeignCrdsAreLeftAlone() {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("istio-system")
                .addToLabels("owner", "istio").endMetadata().build()).create();

        up(options());
        assertThat(buf.toString()).contains("kept Namespace istio-system (exists)");
        assertThat(client.namespaces().withName("istio-system").get().getMetadata().getLabels())
                .doesNotContainKey("app.kubernetes.io/part-of");

        testbed.down("mock", false);
        assertThat(client.namespaces().withName("istio-system").get()).as("not ours to delete").isNotNull();
    }

    @Test
    void aRolloutThatCannotFinishSaysWhatThePodsWaitFor() throws InterruptedException {
        controllers.shutdownNow();
        assertThat(controllers.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        Deployment d = client.apps().deployments().inNamespace("default").resource(new DeploymentBuilder()
                .withNewMetadata().withName("stuck").withNamespace("default").endMetadata().withNewSpec().withReplicas(1)
                .withNewSelector().addToMatchLabels("app", "stuck").endSelector().withNewTemplate().withNewMetadata()
                .addToLabels("app", "stuck").endMetadata().withNewSpec().addNewContainer().withName("c")
                .withImage("meshbed/gateway:0.1.0-SNAPSHOT").endContainer().endSpec().endTemplate().endSpec().build())
                .create();
        client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("stuck-1")
                .withNamespace("default").addToLabels("app", "stuck").endMetadata().withNewStatus().withPhase("Pending")
                .addNewContainerStatus().withName("c").withReady(false).withImage("meshbed/gateway:0.1.0-SNAPSHOT")
                .withNewState().withNewWaiting().withReason("ErrImagePull")
                .withMessage("pull access denied for meshbed/gateway").endWaiting().endState().endContainerStatus()
                .endStatus().build()).create();

        assertThatThrownBy(() -> Rollouts.await(client, java.util.List.of(d), Duration.ofSeconds(2),
                new PrintStream(buf, true)))
                .isInstanceOf(TestbedException.class)
                .hasMessageContaining("default/stuck 0/1")
                .hasMessageContaining("pod default/stuck-1: c waiting: ErrImagePull (pull access denied")
                .hasMessageContaining("the launcher imports the Jib tarballs");
        assertThat(Map.of("printed", buf.toString())).extractingByKey("printed").asString()
                .contains("rollout   0 s: default/stuck 0/1");
    }

    // ---- a cluster of its own (as k3s and kube are: the edge must answer), standing in for one ----------

    @Test
    void aSilentEdgeFailsUpWithWhatTheSourceFoundThatMayKeepItSilent() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        String hint = BridgeNetfilter.hint(null).orElseThrow();

        assertThatThrownBy(() -> testbed.up(ownCluster(new HostPort("127.0.0.1", closed), hint), options()))
                .isInstanceOfSatisfying(TestbedException.class, e -> assertThat(e.exitCode()).isEqualTo(1))
                .hasMessageStartingWith("the gateway does not answer through 127.0.0.1:" + closed + " within 1 s")
                .hasMessageEndingWith("\n  " + hint);
    }

    @Test
    void aSilentEdgeWithoutAHintSaysWhatItSaidBefore() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }

        assertThatThrownBy(() -> testbed.up(ownCluster(new HostPort("127.0.0.1", closed), ""), options()))
                .hasMessageStartingWith("the gateway does not answer through 127.0.0.1:" + closed)
                .hasMessageNotContaining("\n");
    }

    @Test
    void aRolloutTimeoutOnTheSharedUpPathShowsTheNodesConditions() {
        rollOut = false; // CRDs still become Established; the Deployments never get ready
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-2").endMetadata().withNewStatus()
                .addNewCondition().withType("Ready").withStatus("False").withReason("KubeletNotReady")
                .withMessage("container runtime is down").endCondition()
                .addNewCondition().withType("MemoryPressure").withStatus("False").withReason("KubeletHasSufficientMemory")
                .endCondition()
                .addNewCondition().withType("DiskPressure").withStatus("True").withReason("KubeletHasDiskPressure")
                .withMessage("kubelet has disk pressure").endCondition().endStatus().build()).create();

        assertThatThrownBy(() -> testbed.up(ownCluster(new HostPort("127.0.0.1", 9), ""),
                options().withRolloutTimeout(Duration.ofSeconds(2))))
                .isInstanceOf(TestbedException.class)
                .hasMessageContaining("the rollouts did not finish within 2 s")
                .hasMessageContaining("\n    nodes: ")
                .hasMessageContaining("node-2: Ready=False (KubeletNotReady: container runtime is down), "
                        + "DiskPressure=True (KubeletHasDiskPressure: kubelet has disk pressure)")
                .hasMessageNotContaining("MemoryPressure");
    }

    /**
     * The mock API server as a cluster of its own, reached at {@code edge} from here, with
     * {@code hint} as what it found that may keep the edge silent (k3s: bridge netfilter off).
     */
    private ClusterSource ownCluster(HostPort edge, String hint) {
        Path kubeconfig = api.kubeconfig(tmp.resolve("own"));
        return new ClusterSource() {
            @Override
            public String mode() {
                return "stand-in";
            }

            @Override
            public String describe() {
                return "the mock API server as a cluster of its own";
            }

            @Override
            public java.util.List<String> problems(Manifests.Images images) {
                return java.util.List.of();
            }

            @Override
            public Started start(Path stateDir, Map<String, String> env) {
                return new Started(kubeconfig, null);
            }

            @Override
            public void loadImages(Manifests.Images images) {
            }

            @Override
            public boolean ownsNodes() {
                return false; // no Ready node to wait for, no tarballs to check
            }

            @Override
            public HostPort fromHere(String clusterHost, int port, String what) {
                return edge;
            }

            @Override
            public String silentEdgeHint() {
                return hint;
            }

            @Override
            public String pendingContext(boolean loadBalancer) {
                return "";
            }

            @Override
            public void down(String name, java.util.Optional<TestbedEnv> env) {
            }

            @Override
            public boolean status(String name, java.util.Optional<TestbedEnv> env) {
                return false;
            }

            @Override
            public boolean present(String name) {
                return false;
            }
        };
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
