package dev.meshbed.gateway.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.GatewayMain;
import dev.meshbed.gateway.admin.AdminAddress;
import dev.meshbed.gateway.config.IstioKind;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionNames;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The cluster manifests under {@code manifests/crds} and {@code manifests/gateway}, read as the
 * API server would get them: the CRDs match Istio's names and versions and {@link IstioKind}, and
 * the ClusterRole grants exactly what the Kubernetes source uses, and the gateway's Service
 * publishes its status port but never its admin listener.
 */
class ClusterManifestsTest {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** Surefire runs in the module directory (gateway/); the manifests sit beside it. */
    private static final Path MANIFESTS =
            Path.of(System.getProperty("basedir", ".")).resolve("../manifests").normalize();

    private static final List<String> CATEGORIES = List.of("istio-io", "networking-istio-io");
    private static final Set<String> READ = Set.of("get", "list", "watch");
    private static final Set<String> WRITE_EVENTS = Set.of("create", "patch");
    private static final String ROLE = "meshbed-gateway";
    private static final String SERVICE_ACCOUNT = "istio-ingressgateway-service-account";
    private static final String NAMESPACE = "istio-system";

    /** Istio's short names (crd-all.gen.yaml). */
    private static final Map<IstioKind, String> SHORT_NAMES = new EnumMap<>(Map.of(
            IstioKind.GATEWAY, "gw",
            IstioKind.VIRTUAL_SERVICE, "vs",
            IstioKind.DESTINATION_RULE, "dr",
            IstioKind.SERVICE_ENTRY, "se",
            IstioKind.WORKLOAD_ENTRY, "we"));

    /** Istio's printer columns, name and JSONPath, in Istio's order (crd-all.gen.yaml). */
    private static final Map<IstioKind, List<String>> COLUMNS = new EnumMap<>(Map.of(
            IstioKind.GATEWAY, List.of(),
            IstioKind.VIRTUAL_SERVICE, List.of("Gateways .spec.gateways", "Hosts .spec.hosts",
                    "Age .metadata.creationTimestamp"),
            IstioKind.DESTINATION_RULE, List.of("Host .spec.host", "Age .metadata.creationTimestamp"),
            IstioKind.SERVICE_ENTRY, List.of("Hosts .spec.hosts", "Location .spec.location",
                    "Resolution .spec.resolution", "Age .metadata.creationTimestamp"),
            IstioKind.WORKLOAD_ENTRY, List.of("Age .metadata.creationTimestamp", "Address .spec.address")));

    private record Grant(String apiGroup, String resource, String verb) {
    }

    // --- CustomResourceDefinitions -------------------------------------------------------------

    @Test
    void oneCrdFilePerIstioKind() {
        Map<String, CustomResourceDefinition> byKind = crds();
        assertThat(crdFiles()).hasSize(IstioKind.values().length);
        assertThat(byKind.keySet()).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(IstioKind.values()).map(IstioKind::kindName).toList());
    }

    @Test
    void crdNamesMatchIstioAndIstioKind() {
        Map<String, CustomResourceDefinition> byKind = crds();
        for (IstioKind kind : IstioKind.values()) {
            CustomResourceDefinition crd = byKind.get(kind.kindName());
            CustomResourceDefinitionNames names = crd.getSpec().getNames();
            assertThat(crd.getApiVersion()).isEqualTo("apiextensions.k8s.io/v1");
            assertThat(crd.getMetadata().getName()).isEqualTo(kind.plural() + "." + IstioKind.GROUP);
            assertThat(crd.getSpec().getGroup()).isEqualTo(IstioKind.GROUP);
            assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
            assertThat(names.getKind()).isEqualTo(kind.kindName());
            assertThat(names.getListKind()).isEqualTo(kind.kindName() + "List");
            assertThat(names.getPlural()).isEqualTo(kind.plural());
            assertThat(names.getSingular()).isEqualTo(kind.kindName().toLowerCase(Locale.ROOT));
            assertThat(names.getShortNames()).as(kind.kindName()).containsExactly(SHORT_NAMES.get(kind));
            assertThat(names.getCategories()).as(kind.kindName()).containsExactlyElementsOf(CATEGORIES);
        }
    }

    @Test
    void everyCrdServesTheThreeVersionsAndStoresOnlyV1() {
        List<String> versions = IstioKind.API_VERSIONS.stream()
                .map(v -> v.substring(IstioKind.GROUP.length() + 1)).toList();
        for (CustomResourceDefinition crd : crds().values()) {
            List<CustomResourceDefinitionVersion> vs = crd.getSpec().getVersions();
            assertThat(vs).extracting(CustomResourceDefinitionVersion::getName).as(crd.getMetadata().getName())
                    .containsExactlyInAnyOrderElementsOf(versions);
            assertThat(vs).allSatisfy(v -> assertThat(v.getServed()).as(v.getName() + " served").isTrue());
            assertThat(vs).filteredOn(CustomResourceDefinitionVersion::getStorage)
                    .extracting(CustomResourceDefinitionVersion::getName).containsExactly("v1");
            assertThat(crd.getSpec().getConversion()).as("no conversion: one schema").isNull();
        }
    }

    @Test
    void allVersionsShareOneOpenSchemaWithTheStatusSubresource() {
        for (CustomResourceDefinition crd : crds().values()) {
            List<CustomResourceDefinitionVersion> vs = crd.getSpec().getVersions();
            JSONSchemaProps schema = vs.get(0).getSchema().getOpenAPIV3Schema();
            assertThat(vs).allSatisfy(v -> {
                assertThat(v.getSchema().getOpenAPIV3Schema()).as(v.getName()).isEqualTo(schema);
                assertThat(v.getSubresources()).as(v.getName()).isNotNull();
                assertThat(v.getSubresources().getStatus()).as(v.getName() + " status subresource").isNotNull();
                assertThat(v.getSubresources().getScale()).isNull();
            });
            assertThat(schema.getType()).isEqualTo("object");
            assertThat(schema.getProperties()).containsOnlyKeys("spec", "status");
            for (String field : List.of("spec", "status")) {
                JSONSchemaProps props = schema.getProperties().get(field);
                assertThat(props.getType()).as(field).isEqualTo("object");
                assertThat(props.getXKubernetesPreserveUnknownFields()).as(field).isTrue();
            }
        }
    }

    @Test
    void printerColumnsAreIstiosInEveryVersion() {
        Map<String, CustomResourceDefinition> byKind = crds();
        for (IstioKind kind : IstioKind.values()) {
            for (CustomResourceDefinitionVersion v : byKind.get(kind.kindName()).getSpec().getVersions()) {
                List<CustomResourceColumnDefinition> columns =
                        v.getAdditionalPrinterColumns() == null ? List.of() : v.getAdditionalPrinterColumns();
                assertThat(columns).extracting(c -> c.getName() + " " + c.getJsonPath())
                        .as(kind + " " + v.getName()).containsExactlyElementsOf(COLUMNS.get(kind));
                assertThat(columns).allSatisfy(c -> assertThat(c.getType())
                        .isEqualTo(c.getName().equals("Age") ? "date" : "string"));
            }
        }
    }

    @Test
    void eachCrdFileSaysWhyItsSchemaIsOpen() throws IOException {
        for (Path file : crdFiles()) {
            String text = Files.readString(file);
            assertThat(text).as(file.toString()).startsWith("#");
            String header = text.lines().takeWhile(l -> l.startsWith("#")).collect(Collectors.joining("\n"));
            assertThat(header).as(file.toString()).contains("x-kubernetes-preserve-unknown-fields")
                    .contains("Event");
        }
    }

    // --- RBAC ---------------------------------------------------------------------------------------

    @Test
    void clusterRoleGrantsExactlyWhatTheKubernetesSourceUses() {
        ClusterRole role = one(rbac(), ClusterRole.class);
        assertThat(role.getMetadata().getName()).isEqualTo(ROLE);
        assertThat(role.getAggregationRule()).isNull();

        Set<Grant> expected = new HashSet<>();
        for (IstioKind kind : IstioKind.values()) {
            READ.forEach(verb -> expected.add(new Grant(IstioKind.GROUP, kind.plural(), verb)));
        }
        for (String core : List.of("services", "pods")) {
            READ.forEach(verb -> expected.add(new Grant("", core, verb)));
        }
        READ.forEach(verb -> expected.add(new Grant("discovery.k8s.io", "endpointslices", verb)));
        for (String group : List.of("", "events.k8s.io")) {
            WRITE_EVENTS.forEach(verb -> expected.add(new Grant(group, "events", verb)));
        }

        List<Grant> granted = new ArrayList<>();
        for (PolicyRule rule : role.getRules()) {
            assertThat(rule.getNonResourceURLs()).as("non-resource URLs").isNullOrEmpty();
            assertThat(rule.getResourceNames()).as("resource names").isNullOrEmpty();
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        granted.add(new Grant(group, resource, verb));
                    }
                }
            }
        }
        assertThat(granted).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void bindingGivesTheRoleToTheGatewayServiceAccount() {
        List<HasMetadata> objects = rbac();
        ServiceAccount account = one(objects, ServiceAccount.class);
        ClusterRole role = one(objects, ClusterRole.class);
        ClusterRoleBinding binding = one(objects, ClusterRoleBinding.class);
        assertThat(objects).hasSize(3);

        assertThat(account.getMetadata().getName()).isEqualTo(SERVICE_ACCOUNT);
        assertThat(account.getMetadata().getNamespace()).isEqualTo(NAMESPACE);

        assertThat(binding.getRoleRef().getApiGroup()).isEqualTo("rbac.authorization.k8s.io");
        assertThat(binding.getRoleRef().getKind()).isEqualTo("ClusterRole");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies((Subject s) -> {
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getName()).isEqualTo(account.getMetadata().getName());
            assertThat(s.getNamespace()).isEqualTo(account.getMetadata().getNamespace());
        });

        assertThat(objects).allSatisfy(o -> assertThat(o.getMetadata().getLabels())
                .as(o.getKind()).containsEntry("app", "istio-ingressgateway")
                .containsEntry("app.kubernetes.io/part-of", "meshbed"));
    }

    @Test
    void theServiceAccountsNamespaceHasItsOwnFile() {
        Namespace ns = read(MANIFESTS.resolve("gateway/namespace.yaml"), Namespace.class);
        assertThat(ns.getKind()).isEqualTo("Namespace");
        assertThat(ns.getMetadata().getName()).isEqualTo(NAMESPACE);
    }

    // --- the status port and the admin listener ------------------------------------------------

    @Test
    void theServicePublishesTheStatusPortAndNeverTheAdminListener() {
        Deployment d = read(MANIFESTS.resolve("gateway/workload.yaml"), Deployment.class);
        Service s = read(MANIFESTS.resolve("gateway/service.yaml"), Service.class);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        // the container's arguments as the gateway reads them, defaults included
        CommandSpec spec = new CommandLine(new GatewayMain()).getCommandSpec();
        new CommandLine(spec).parseArgs(c.getArgs().toArray(String[]::new));
        int statusPort = spec.findOption("--status-port").getValue();
        int adminPort = spec.findOption("--admin-port").getValue();
        String adminBind = spec.findOption("--admin-bind").getValue();
        boolean exposeAdmin = spec.findOption("--expose-admin").getValue();

        AdminAddress admin = AdminAddress.of(adminBind, adminPort, exposeAdmin);
        assertThat(admin.reachableFromOtherHosts()).as("the admin listener %s, off the pod's loopback", admin).isFalse();
        assertThat(exposeAdmin).as("--expose-admin").isFalse();
        assertThat(c.getPorts()).extracting(p -> p.getContainerPort()).as("container ports")
                .contains(statusPort).doesNotContain(adminPort);
        assertThat(s.getSpec().getPorts()).extracting(p -> p.getTargetPort().getIntVal()).as("the Service's targetPorts")
                .doesNotContain(adminPort);
        ServicePort status = s.getSpec().getPorts().stream().filter(p -> p.getName().equals("status-port"))
                .findFirst().orElseThrow();
        assertThat(status.getTargetPort().getIntVal()).as("status-port's targetPort").isEqualTo(statusPort);
        for (Probe p : List.of(c.getReadinessProbe(), c.getLivenessProbe())) {
            assertThat(p.getHttpGet().getPort().getIntVal()).as("probe port").isEqualTo(statusPort);
            assertThat(p.getHttpGet().getPath()).isEqualTo("/healthz/ready");
        }
    }

    // --- reading --------------------------------------------------------------------------------------

    private static List<Path> crdFiles() {
        try (Stream<Path> files = Files.list(MANIFESTS.resolve("crds"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, CustomResourceDefinition> crds() {
        return crdFiles().stream().map(f -> read(f, CustomResourceDefinition.class))
                .collect(Collectors.toMap(c -> c.getSpec().getNames().getKind(), c -> c));
    }

    private static List<HasMetadata> rbac() {
        Object parsed;
        try (InputStream in = Files.newInputStream(MANIFESTS.resolve("gateway/rbac.yaml"))) {
            parsed = SERIALIZATION.unmarshal(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(parsed).as("rbac.yaml holds several documents").isInstanceOf(List.class);
        List<HasMetadata> out = new ArrayList<>();
        for (Object o : (List<?>) parsed) {
            assertThat(o).isInstanceOf(HasMetadata.class);
            out.add((HasMetadata) o);
        }
        return out;
    }

    private static <T extends KubernetesResource> T read(Path file, Class<T> type) {
        try (InputStream in = Files.newInputStream(file)) {
            return SERIALIZATION.unmarshal(in, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
        List<T> matching = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(matching).as(type.getSimpleName()).hasSize(1);
        return matching.get(0);
    }
}
