package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The manifests parse (fabric8) and agree with each other and with DESIGN.md: labels and
 * selectors, ports, targetPorts and nodePorts, the gateway's arguments and probes, the restricted
 * securityContext, the images' tags, and the routing's hosts, gateways and subsets.
 */
class ManifestsTest {

    private final Project project = Project.locate(null);
    private final Manifests.Plan plan = Manifests.plan(project, Manifests.Images.local(project));

    private Deployment deployment(String ns, String name) {
        return plan.deployments().stream()
                .filter(d -> d.getMetadata().getName().equals(name) && d.getMetadata().getNamespace().equals(ns))
                .findFirst().orElseThrow(() -> new AssertionError("no Deployment " + ns + "/" + name));
    }

    private Service gatewayService() {
        return EdgePorts.service(plan.resources(), "istio-system", "istio-ingressgateway");
    }

    private Service appService() {
        return EdgePorts.service(plan.resources(), "default", "app");
    }

    private GenericKubernetesResource istio(List<HasMetadata> resources, String kind, String name) {
        return resources.stream().filter(GenericKubernetesResource.class::isInstance)
                .map(GenericKubernetesResource.class::cast)
                .filter(r -> r.getKind().equals(kind) && r.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource r) {
        return (Map<String, Object>) r.getAdditionalProperties().get("spec");
    }

    private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }

    private static Container only(Deployment d) {
        List<Container> cs = d.getSpec().getTemplate().getSpec().getContainers();
        assertThat(cs).as(d.getMetadata().getName() + " containers").hasSize(1);
        return cs.get(0);
    }

    private static int argAfter(List<String> args, String flag) {
        int i = args.indexOf(flag);
        assertThat(i).as(flag + " in " + args).isGreaterThanOrEqualTo(0);
        return Integer.parseInt(args.get(i + 1));
    }

    // ---- parsing -----------------------------------------------------------------------------

    @Test
    void everyManifestParsesWithFabric8() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(project.manifests())) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(20);
        for (Path f : files) {
            List<HasMetadata> docs = Manifests.load(f);
            assertThat(docs).as(f.toString()).isNotEmpty();
            for (HasMetadata r : docs) {
                assertThat(r.getMetadata().getName()).as(f + ": a name").isNotBlank();
                assertThat(r.getKind()).as(f + ": a kind").isNotBlank();
            }
        }
    }

    @Test
    void thePlanAppliesNamespacesThenCrdsThenTheRestAndNotTheVariants() {
        assertThat(plan.namespaces()).extracting(n -> n.getMetadata().getName()).containsExactly("istio-system");
        assertThat(plan.crds()).extracting(c -> c.getSpec().getNames().getKind())
                .containsExactlyInAnyOrder("Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "WorkloadEntry");
        assertThat(plan.resources()).extracting(Manifests::describe).containsExactly(
                "ServiceAccount istio-system/istio-ingressgateway-service-account",
                "ClusterRole meshbed-gateway",
                "ClusterRoleBinding meshbed-gateway",
                "Service istio-system/istio-ingressgateway",
                "Deployment istio-system/istio-ingressgateway",
                "Deployment default/app-v1",
                "Deployment default/app-v2",
                "Service default/app",
                "DestinationRule default/app",
                "Gateway default/meshbed-gateway",
                "VirtualService default/app");
        // every Istio resource is of a kind (and version) the CRDs serve
        Set<String> served = new HashSet<>();
        for (CustomResourceDefinition crd : plan.crds()) {
            crd.getSpec().getVersions().forEach(v -> served.add(crd.getSpec().getGroup() + "/" + v.getName() + " "
                    + crd.getSpec().getNames().getKind()));
        }
        plan.resources().stream().filter(GenericKubernetesResource.class::isInstance)
                .forEach(r -> assertThat(served).contains(r.getApiVersion() + " " + r.getKind()));
    }

    // ---- the gateway -------------------------------------------------------------------------

    @Test
    void theGatewayDeploymentIsIstiosIngressGateway() {
        Deployment d = deployment("istio-system", "istio-ingressgateway");
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsEntry("app", "istio-ingressgateway").containsEntry("istio", "ingressgateway");
        assertThat(selects(d.getSpec().getSelector().getMatchLabels(), podLabels)).isTrue();

        PodSpec pod = d.getSpec().getTemplate().getSpec();
        ServiceAccount sa = plan.resources().stream().filter(ServiceAccount.class::isInstance)
                .map(ServiceAccount.class::cast).findFirst().orElseThrow();
        assertThat(pod.getServiceAccountName()).isEqualTo("istio-ingressgateway-service-account")
                .isEqualTo(sa.getMetadata().getName());
        assertThat(sa.getMetadata().getNamespace()).isEqualTo(d.getMetadata().getNamespace());

        Container c = only(d);
        assertThat(c.getImage()).isEqualTo("meshbed/gateway:" + project.version());
        assertThat(c.getImagePullPolicy()).isEqualTo("IfNotPresent");
        assertThat(c.getArgs()).containsSubsequence("--kubernetes").containsSubsequence("--port-map", "80=8080")
                .containsSubsequence("--status-port", "15021").containsSubsequence("--labels-file", "/etc/podinfo/labels");
        // the admin listener (config dump) keeps its loopback default: never bound off the pod's loopback
        assertThat(c.getArgs()).doesNotContain("--admin-bind", "--expose-admin");

        // the downward API labels file and the pod name
        VolumeMount podinfo = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/etc/podinfo"))
                .findFirst().orElseThrow();
        Volume v = pod.getVolumes().stream().filter(x -> x.getName().equals(podinfo.getName())).findFirst().orElseThrow();
        assertThat(v.getDownwardAPI().getItems()).anySatisfy(i -> {
            assertThat(i.getPath()).isEqualTo("labels");
            assertThat(i.getFieldRef().getFieldPath()).isEqualTo("metadata.labels");
        });
        assertThat(fieldRef(c, "POD_NAME")).isEqualTo("metadata.name");

        // probes on the status port, where --status-port listens
        int status = argAfter(c.getArgs(), "--status-port");
        for (Probe p : List.of(c.getReadinessProbe(), c.getLivenessProbe())) {
            assertThat(p.getHttpGet().getPath()).isEqualTo("/healthz/ready");
            assertThat(p.getHttpGet().getPort().getIntVal()).isEqualTo(status).isEqualTo(15021);
        }
        assertThat(c.getLivenessProbe().getInitialDelaySeconds() * 1L + c.getLivenessProbe().getPeriodSeconds()
                * c.getLivenessProbe().getFailureThreshold()).as("liveness leaves room for a slow start")
                .isGreaterThanOrEqualTo(60);
        assertLaptopResources(c);
        assertRestricted(pod, c);
    }

    @Test
    void theGatewayServiceHasTheSeedsPortTable() {
        Service s = gatewayService();
        assertThat(s.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(s.getSpec().getPorts()).extracting(p -> p.getName() + " " + p.getPort() + "->"
                + p.getTargetPort().getIntVal() + " nodePort " + p.getNodePort()).containsExactly(
                        "status-port 15021->15021 nodePort 32000",
                        "http2 80->8080 nodePort 31380",
                        "https 443->8443 nodePort 32002",
                        "tcp 31400->31400 nodePort 32003",
                        "tls 15443->15443 nodePort 32004");
        Deployment d = deployment("istio-system", "istio-ingressgateway");
        assertThat(selects(s.getSpec().getSelector(), d.getSpec().getTemplate().getMetadata().getLabels())).isTrue();
        assertThat(s.getSpec().getSelector()).isEqualTo(Map.of("app", "istio-ingressgateway", "istio", "ingressgateway"));
    }

    @Test
    void theServicesTargetPortsAreWhereTheGatewayListens() {
        Deployment d = deployment("istio-system", "istio-ingressgateway");
        Container c = only(d);
        Map<Integer, Integer> portMap = new HashMap<>(); // Gateway server port -> listen port
        for (int i = 0; i < c.getArgs().size() - 1; i++) {
            if (c.getArgs().get(i).equals("--port-map")) {
                for (String e : c.getArgs().get(i + 1).split(",")) {
                    String[] kv = e.split("=");
                    portMap.put(Integer.parseInt(kv[0]), Integer.parseInt(kv[1]));
                }
            }
        }
        Service s = gatewayService();
        ServicePort http2 = EdgePorts.port(s, "http2");
        ServicePort status = EdgePorts.port(s, "status-port");
        // Istio matches a Gateway server's port against the Service's port and listens on its targetPort
        GenericKubernetesResource gw = istio(plan.resources(), "Gateway", "meshbed-gateway");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> servers = (List<Map<String, Object>>) spec(gw).get("servers");
        @SuppressWarnings("unchecked")
        int serverPort = ((Number) ((Map<String, Object>) servers.get(0).get("port")).get("number")).intValue();
        assertThat(serverPort).isEqualTo(http2.getPort());
        assertThat(portMap).containsEntry(serverPort, http2.getTargetPort().getIntVal());
        assertThat(status.getTargetPort().getIntVal()).isEqualTo(argAfter(c.getArgs(), "--status-port"));
        // the admin listener (127.0.0.1:15000 in the pod) is neither a Service port nor a container port
        assertThat(s.getSpec().getPorts()).extracting(p -> p.getTargetPort().getIntVal()).doesNotContain(15000);
        assertThat(c.getPorts()).extracting(p -> p.getContainerPort()).doesNotContain(15000);
        // and the container declares both
        assertThat(c.getPorts()).extracting(p -> p.getContainerPort())
                .contains(http2.getTargetPort().getIntVal(), status.getTargetPort().getIntVal());
    }

    // ---- the app -----------------------------------------------------------------------------

    @Test
    void theAppRunsAsV1AndV2BehindOneNodePortService() {
        Service svc = appService();
        assertThat(svc.getSpec().getType()).isEqualTo("NodePort");
        assertThat(svc.getSpec().getPorts()).hasSize(1);
        ServicePort port = svc.getSpec().getPorts().get(0);
        assertThat(port.getName()).isEqualTo("http");
        assertThat(port.getPort()).isEqualTo(80);
        assertThat(port.getNodePort()).isBetween(30000, 32767);
        assertThat(svc.getSpec().getSelector()).isEqualTo(Map.of("app", "app"));

        for (String version : List.of("v1", "v2")) {
            Deployment d = deployment("default", "app-" + version);
            Map<String, String> labels = d.getSpec().getTemplate().getMetadata().getLabels();
            assertThat(labels).isEqualTo(Map.of("app", "app", "version", version));
            assertThat(selects(d.getSpec().getSelector().getMatchLabels(), labels)).isTrue();
            assertThat(selects(svc.getSpec().getSelector(), labels)).as("Service app selects " + version).isTrue();
            assertThat(d.getSpec().getReplicas()).as("one pod each: the NodePort split is then 50/50").isEqualTo(1);

            Container c = only(d);
            assertThat(c.getImage()).isEqualTo("meshbed/sample-app:" + project.version());
            assertThat(c.getImagePullPolicy()).isEqualTo("IfNotPresent");
            assertThat(env(c, "VERSION")).isEqualTo(version);
            assertThat(fieldRef(c, "POD_NAME")).isEqualTo("metadata.name");
            int listen = Integer.parseInt(env(c, "PORT"));
            assertThat(listen).isEqualTo(8080).isEqualTo(port.getTargetPort().getIntVal());
            assertThat(c.getPorts()).extracting(p -> p.getContainerPort()).containsExactly(listen);
            for (Probe p : List.of(c.getReadinessProbe(), c.getLivenessProbe())) {
                assertThat(p.getHttpGet().getPath()).isEqualTo("/healthz");
                assertThat(p.getHttpGet().getPort().getIntVal()).isEqualTo(listen);
            }
            assertLaptopResources(c);
            assertRestricted(d.getSpec().getTemplate().getSpec(), c);
        }
        // the app's Service does not select the gateway, nor the gateway's the app
        Map<String, String> gwLabels = deployment("istio-system", "istio-ingressgateway").getSpec().getTemplate()
                .getMetadata().getLabels();
        assertThat(selects(svc.getSpec().getSelector(), gwLabels)).isFalse();
    }

    @Test
    void nodePortsAreFixedAndDistinct() {
        List<Integer> nodePorts = new ArrayList<>();
        plan.resources().stream().filter(Service.class::isInstance).map(Service.class::cast)
                .forEach(s -> s.getSpec().getPorts().forEach(p -> nodePorts.add(p.getNodePort())));
        assertThat(nodePorts).doesNotContainNull().doesNotHaveDuplicates().allSatisfy(p -> assertThat(p).isBetween(30000, 32767));
        assertThat(EdgePorts.from(plan)).isEqualTo(new EdgePorts(80, 31380, 15021, 32000, 30080));
    }

    // ---- routing -----------------------------------------------------------------------------

    @Test
    @SuppressWarnings("unchecked")
    void theRoutingPointsAtTheAppsServiceAndSubsetsThatSelectItsPods() {
        GenericKubernetesResource gw = istio(plan.resources(), "Gateway", "meshbed-gateway");
        Map<String, String> gwSelector = (Map<String, String>) spec(gw).get("selector");
        assertThat(selects(gwSelector, deployment("istio-system", "istio-ingressgateway").getSpec().getTemplate()
                .getMetadata().getLabels())).as("the Gateway selects the gateway's pods").isTrue();

        GenericKubernetesResource dr = istio(plan.resources(), "DestinationRule", "app");
        assertThat(spec(dr).get("host")).isEqualTo(appService().getMetadata().getName());
        Map<String, Map<String, String>> subsets = new HashMap<>();
        for (Map<String, Object> s : (List<Map<String, Object>>) spec(dr).get("subsets")) {
            subsets.put((String) s.get("name"), (Map<String, String>) s.get("labels"));
        }
        assertThat(subsets).containsOnlyKeys("v1", "v2");
        subsets.forEach((name, labels) -> {
            List<String> selected = plan.deployments().stream()
                    .filter(d -> selects(labels, d.getSpec().getTemplate().getMetadata().getLabels()))
                    .map(d -> d.getMetadata().getName()).toList();
            assertThat(selected).as("subset " + name).containsExactly("app-" + name);
        });

        List<GenericKubernetesResource> routes = new ArrayList<>();
        routes.add(istio(plan.resources(), "VirtualService", "app"));
        for (Path f : variantFiles()) {
            routes.add((GenericKubernetesResource) Manifests.load(f).get(0));
        }
        routes.add(Routes.withWeights(project, new Routes.Weights(90, 10)));
        for (GenericKubernetesResource vs : routes) {
            assertThat(vs.getMetadata().getNamespace() + "/" + vs.getMetadata().getName()).isEqualTo("default/app");
            assertThat((List<String>) spec(vs).get("gateways")).containsExactly(gw.getMetadata().getName());
            for (Map<String, Object> http : (List<Map<String, Object>>) spec(vs).get("http")) {
                for (Map<String, Object> dest : (List<Map<String, Object>>) http.get("route")) {
                    Map<String, Object> d = (Map<String, Object>) dest.get("destination");
                    assertThat(d.get("host")).isEqualTo("app");
                    assertThat(subsets).containsKey((String) d.get("subset"));
                }
            }
        }
    }

    @Test
    void theVariantsSplitAsTheirNamesSay() {
        assertThat(Routes.variantNames(project)).containsExactly("100-0", "50-50", "header");
        assertThat(Routes.summary(Routes.resolve(project, "50-50"))).isEqualTo("canary: v1 50 v2 50");
        assertThat(Routes.summary(Routes.resolve(project, "100-0"))).isEqualTo("canary: v1 100 v2 0");
        assertThat(Routes.summary(Routes.resolve(project, "header")))
                .isEqualTo("jason when [{headers={end-user={exact=jason}}}]: v2; default: v1");
        assertThat(Routes.summary(istio(plan.resources(), "VirtualService", "app"))).isEqualTo("canary: v1 80 v2 20");
    }

    @Test
    void theClusterRoutesTheSameAsLocalMode() {
        List<HasMetadata> local = Manifests.loadFolder(project.manifests().resolve("local"));
        for (String[] kindName : new String[][] {{"Gateway", "meshbed-gateway"}, {"VirtualService", "app"},
                {"DestinationRule", "app"}}) {
            assertThat(spec(istio(plan.resources(), kindName[0], kindName[1])))
                    .as(kindName[0] + " in routing/ and local/").isEqualTo(spec(istio(local, kindName[0], kindName[1])));
        }
    }

    @Test
    void theGatewaysOwnStrictReaderAcceptsEveryRoute() throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(project.manifests().resolve("routing"))) {
            s.filter(p -> p.toString().endsWith(".yaml")).sorted().forEach(files::add);
        }
        try (GatewayReader reader = GatewayReader.open(project)) {
            for (Path f : files) {
                assertThat(reader.rejections(project.show(f), Files.readString(f))).as(f.toString()).isEmpty();
                assertThat(reader.resources(project.show(f), Files.readString(f))).as(f.toString()).isPositive();
            }
            String generated = io.fabric8.kubernetes.client.utils.Serialization.asYaml(
                    Routes.withWeights(project, new Routes.Weights(90, 10)));
            assertThat(reader.rejections("W=90:10", generated)).isEmpty();
        }
    }

    // ---- images ------------------------------------------------------------------------------

    @Test
    void imagesAreTheProjectVersionNeverLatest() {
        assertThat(project.version()).isNotBlank().isNotEqualTo("latest");
        Manifests.Plan registry = Manifests.plan(project, Manifests.Images.registry(project, "registry.example:5000/team/"));
        assertThat(registry.deployments()).flatExtracting(d -> d.getSpec().getTemplate().getSpec().getContainers())
                .extracting(c -> c.getImage() + " " + c.getImagePullPolicy()).containsExactly(
                        "registry.example:5000/team/meshbed/gateway:" + project.version() + " Always",
                        "registry.example:5000/team/meshbed/sample-app:" + project.version() + " Always",
                        "registry.example:5000/team/meshbed/sample-app:" + project.version() + " Always");
        assertThat(Manifests.repository("reg:5000/a/b:1.0")).isEqualTo("reg:5000/a/b");
        assertThat(Manifests.repository("reg:5000/a/b")).isEqualTo("reg:5000/a/b");
        assertThat(Manifests.tag("a/b:0.1.0-SNAPSHOT")).isEqualTo("0.1.0-SNAPSHOT");
    }

    // ---- helpers -----------------------------------------------------------------------------

    private List<Path> variantFiles() {
        try (Stream<Path> s = Files.list(project.manifests().resolve("routing/variants"))) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static String fieldRef(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .map(e -> e.getValueFrom().getFieldRef().getFieldPath())
                .orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static void assertLaptopResources(Container c) {
        var r = c.getResources();
        assertThat(r.getRequests()).containsKeys("cpu", "memory");
        assertThat(r.getLimits()).containsKeys("cpu", "memory");
        long limitMi = io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(r.getLimits().get("memory"))
                .longValue() >> 20;
        assertThat(limitMi).as(c.getName() + " memory limit (MiB)").isBetween(128L, 1024L);
    }

    /** Kubernetes' "restricted" Pod Security Standard, and the writable /tmp the JVM and Netty need. */
    private static void assertRestricted(PodSpec pod, Container c) {
        var psc = pod.getSecurityContext();
        assertThat(psc.getRunAsNonRoot()).isTrue();
        assertThat(psc.getRunAsUser()).isPositive();
        assertThat(psc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        var sc = c.getSecurityContext();
        assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
        assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
        assertThat(sc.getRunAsNonRoot()).isTrue();
        assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(sc.getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(sc.getPrivileged()).isNotEqualTo(Boolean.TRUE);
        VolumeMount tmp = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/tmp")).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + ": no /tmp"));
        assertThat(tmp.getReadOnly()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo(tmp.getName());
            assertThat(v.getEmptyDir()).isNotNull();
        });
        assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getVolumes()).allSatisfy(v -> assertThat(v.getHostPath()).isNull());
    }
}
