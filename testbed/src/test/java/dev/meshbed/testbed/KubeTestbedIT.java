package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * {@code make up CLUSTER=kube}: the one-node Kubernetes built from its Go modules, no load
 * balancer, so EXTERNAL-IP stays pending and the edge is the node's address and nodePort 31380
 * (the minikube case, for real), with {@link ClusterEdgeChecks}; and what only a real cluster
 * shows: the gateway in its pod as its ServiceAccount, within the project's RBAC (the API server's
 * audit log has no 403 for it); the CRDs serving v1beta1 and v1alpha3 objects that the gateway
 * reads back; a rejected VirtualService as a Warning Event in {@code kubectl describe}; how long an
 * API write takes to reach the edge; and a rolling restart of v2 under load, with its failed
 * requests counted. {@code down} then removes everything (it fails if anything is left).
 */
class KubeTestbedIT extends ClusterEdgeChecks {

    static final String GATEWAY_SA = "system:serviceaccount:istio-system:istio-ingressgateway-service-account";

    @Override
    String name() {
        return "it-kube";
    }

    @Override
    String skipReason() {
        return KubeSuite.skipReason();
    }

    @Override
    Testbed.UpOptions options() {
        return Testbed.UpOptions.kube(KubeSuite.binary()).withName(name());
    }

    @Override
    String suite() {
        return "real-cluster suite (no load balancer)";
    }

    private Path logs() {
        return project.stateDir(name()).resolve("kube-logs");
    }

    private static ResourceDefinitionContext virtualServices(String version) {
        return new ResourceDefinitionContext.Builder().withGroup("networking.istio.io").withVersion(version)
                .withKind("VirtualService").withPlural("virtualservices").withNamespaced(true).build();
    }

    /** A VirtualService for {@code host} sending everything to {@code subset}, at API version {@code version}. */
    private static GenericKubernetesResource hostRoute(String name, String version, String host, String subset) {
        return new GenericKubernetesResourceBuilder().withApiVersion("networking.istio.io/" + version)
                .withKind("VirtualService").withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .addToAdditionalProperties("spec", Map.of("hosts", List.of(host), "gateways", List.of("meshbed-gateway"),
                        "http", List.of(Map.of("route", List.of(Map.of("destination",
                                Map.of("host", "app", "subset", subset)))))))
                .build();
    }

    private Map<String, Integer> sampleHost(String host, int n) {
        return EdgeClient.sample(up.gateway().host(), up.gateway().port(), n, Map.of("Host", host), TIMEOUT);
    }

    @Test
    @Order(0)
    void theNodeIsOnThisHostAndItsAddressAnswersDirectly() {
        assertThat(up.env().values()).containsEntry("MESHBED_MODE", "kube").containsKeys("KUBE_NODE_IP", "KUBECTL");
        assertThat(up.gateway().host()).isEqualTo(up.env().get("KUBE_NODE_IP").orElseThrow());
        assertThat(client.getKubernetesVersion().getGitVersion()).startsWith("v1.34.");
        assertThat(client.nodes().list().getItems()).hasSize(1);
    }

    @Test
    @Order(10)
    void theCrdsServeV1beta1AndV1alpha3ObjectsThatTheGatewayReads() {
        client.genericKubernetesResources(virtualServices("v1beta1")).inNamespace("default")
                .resource(hostRoute("it-beta", "v1beta1", "beta.meshbed.test", "v2")).create();
        client.genericKubernetesResources(virtualServices("v1alpha3")).inNamespace("default")
                .resource(hostRoute("it-alpha", "v1alpha3", "alpha.meshbed.test", "v1")).create();
        // stored as v1 and read back at every served version
        assertThat(client.genericKubernetesResources(virtualServices("v1")).inNamespace("default").withName("it-beta")
                .get()).isNotNull();
        assertThat(client.genericKubernetesResources(virtualServices("v1alpha3")).inNamespace("default")
                .withName("it-beta").get().getApiVersion()).isEqualTo("networking.istio.io/v1alpha3");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> sampleHost("beta.meshbed.test", 10).equals(Map.of("v2", 10))
                        && sampleHost("alpha.meshbed.test", 10).equals(Map.of("v1", 10)));
        client.genericKubernetesResources(virtualServices("v1")).inNamespace("default").withName("it-beta").delete();
        client.genericKubernetesResources(virtualServices("v1")).inNamespace("default").withName("it-alpha").delete();
    }

    @Test
    @Order(11)
    void aRejectedVirtualServiceIsAWarningEventInKubectlDescribe() {
        // a header match named in capitals: Istio's webhook refuses it (Envoy lowercases header
        // names, so it could never match); an undefined subset would be accepted (503 NC at request time)
        client.genericKubernetesResources(virtualServices("v1")).inNamespace("default")
                .resource(new GenericKubernetesResourceBuilder().withApiVersion("networking.istio.io/v1")
                        .withKind("VirtualService").withNewMetadata().withName("it-broken").withNamespace("default")
                        .endMetadata()
                        .addToAdditionalProperties("spec", Map.of("hosts", List.of("broken.meshbed.test"),
                                "gateways", List.of("meshbed-gateway"),
                                "http", List.of(Map.of(
                                        "match", List.of(Map.of("headers", Map.of("End-User", Map.of("exact", "jason")))),
                                        "route", List.of(Map.of("destination", Map.of("host", "app", "subset", "v2")))))))
                        .build()).create();
        String kubectl = up.env().get("KUBECTL").orElseThrow();
        String[] describe = {""};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            describe[0] = Exec.run(Duration.ofSeconds(30), kubectl, "--kubeconfig", up.kubeconfig().toString(),
                    "describe", "virtualservice", "it-broken", "-n", "default").output();
            return describe[0].contains("Rejected");
        });
        System.out.println("kubectl describe virtualservice it-broken:\n" + describe[0]);
        assertThat(describe[0]).contains("Warning", "Rejected", "End-User", "lowercase");
        client.genericKubernetesResources(virtualServices("v1")).inNamespace("default").withName("it-broken").delete();
    }

    @Test
    @Order(12)
    void anApiWriteReachesTheEdgeWithinAFewSeconds() {
        route("100:0");
        awaitAll("v1");
        List<Long> millis = new ArrayList<>();
        for (String[] step : List.of(new String[] {"0:100", "v2"}, new String[] {"100:0", "v1"},
                new String[] {"0:100", "v2"}, new String[] {"100:0", "v1"}, new String[] {"0:100", "v2"})) {
            long t = System.nanoTime();
            route(step[0]);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
                try {
                    return step[1].equals(EdgeClient.get(up.gateway().host(), up.gateway().port(), TIMEOUT).version());
                } catch (IOException e) {
                    return false;
                }
            });
            millis.add(Duration.ofNanos(System.nanoTime() - t).toMillis());
        }
        millis.sort(Long::compare);
        System.out.printf("convergence on the real API server (write to the first answer of the new version, "
                + "5 writes): min %d ms, median %d ms, max %d ms%n", millis.get(0), millis.get(2), millis.get(4));
        route("80:20");
    }

    @Test
    @Order(13)
    void theGatewayRunsAsItsServiceAccountWithinTheProjectsRbac() throws IOException {
        Pod pod = client.pods().inNamespace("istio-system").withLabel("istio", "ingressgateway").list().getItems().get(0);
        assertThat(pod.getSpec().getServiceAccountName()).isEqualTo("istio-ingressgateway-service-account");
        Map<String, Integer> calls = new TreeMap<>();
        List<String> forbidden = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(logs().resolve("audit.log"))) {
            JsonNode e = json.readTree(line);
            if (!GATEWAY_SA.equals(e.path("user").path("username").asText())) {
                continue;
            }
            String call = e.path("verb").asText() + " " + e.path("objectRef").path("resource").asText();
            calls.merge(call, 1, Integer::sum);
            int code = e.path("responseStatus").path("code").asInt();
            if (code == 403) {
                forbidden.add(call + " in " + e.path("objectRef").path("namespace").asText("(cluster)") + ": "
                        + e.path("responseStatus").path("message").asText());
            }
        }
        System.out.println("the gateway's API calls (audit log): " + calls);
        assertThat(forbidden).as("calls of the gateway the API server forbade").isEmpty();
        assertThat(calls.keySet()).as("the gateway read its resources as its ServiceAccount")
                .contains("list virtualservices", "watch virtualservices", "list endpointslices", "create events");
    }

    @Test
    @Order(14)
    void aRollingRestartOfV2UnderLoadIsCounted() throws Exception {
        route("50:50");
        awaitBoth();
        AtomicBoolean running = new AtomicBoolean(true);
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int i = 0; i < 4; i++) {
            pool.submit(() -> {
                while (running.get()) {
                    String key;
                    try {
                        EdgeClient.Response r = EdgeClient.get(up.gateway().host(), up.gateway().port(), TIMEOUT);
                        key = r.status() == 200 && r.version() != null ? r.version() : "HTTP " + r.status();
                    } catch (IOException e) {
                        key = "error: " + e.getClass().getSimpleName();
                    }
                    outcomes.merge(key, 1, Integer::sum);
                }
            });
        }
        Thread.sleep(2000);
        long t = System.nanoTime();
        String kubectl = up.env().get("KUBECTL").orElseThrow();
        Exec.run(Duration.ofSeconds(30), kubectl, "--kubeconfig", up.kubeconfig().toString(), "rollout", "restart",
                "deployment/app-v2", "-n", "default").orThrow("kubectl rollout restart");
        Exec.run(Duration.ofMinutes(3), kubectl, "--kubeconfig", up.kubeconfig().toString(), "rollout", "status",
                "deployment/app-v2", "-n", "default", "--timeout=170s").orThrow("kubectl rollout status");
        long rollout = Duration.ofNanos(System.nanoTime() - t).toMillis();
        Thread.sleep(3000);
        running.set(false);
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        int total = outcomes.values().stream().mapToInt(Integer::intValue).sum();
        int failed = total - outcomes.getOrDefault("v1", 0) - outcomes.getOrDefault("v2", 0);
        System.out.printf("rolling restart of app-v2 under load at the edge (4 clients, 50:50, rollout %d ms): %d "
                + "requests, %d failed (%.2f %%): %s%n", rollout, total, failed, 100.0 * failed / total, new TreeMap<>(outcomes));
        // measured, not yet required to be zero (the gateway's drain and retries come with the next issue)
        assertThat(outcomes.getOrDefault("v2", 0)).as("v2 served before and after its restart").isPositive();
        assertThat(total).isGreaterThan(100);
        route("80:20");
    }

    @Test
    @Order(20)
    void upAfterACrashRecovers() {
        KubeLayout layout = KubeLayout.of(name(), logs());
        Map<String, Long> pids = KubeNode.runningPids(layout);
        assertThat(pids).containsOnlyKeys(KubeNode.COMPONENTS);
        pids.values().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        await().atMost(Duration.ofSeconds(20)).until(() -> KubeNode.runningPids(layout).isEmpty());
        assertThat(testbed.status(name())).as("status after the crash").isFalse();

        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        Testbed again = new Testbed(project, new java.io.PrintStream(buf, true));
        up = again.up(options());
        System.out.print(buf);
        assertThat(buf.toString()).contains("left things behind (a crash?); removing them first");
        ClusterTier.assertShare(sample(up.gateway()), "v2", 0.20, "gateway after a crash and up again");
    }

    private void awaitBoth() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
            Map<String, Integer> s = EdgeClient.sample(up.gateway().host(), up.gateway().port(), 20, Map.of(), TIMEOUT);
            return s.containsKey("v1") && s.containsKey("v2");
        });
    }
}
