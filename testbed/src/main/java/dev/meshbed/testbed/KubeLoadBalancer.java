package dev.meshbed.testbed;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code LB=on} for the kube node: a load balancer the way bare-metal clusters get one, MetalLB.
 * Its controller (built by scripts/kube-build.sh from MetalLB's Go module, at the version pinned
 * there) runs as a pod in {@code metallb-system} from MetalLB's own manifest
 * ({@code metallb-native.yaml} of that module): its CRDs, ServiceAccount and RBAC as they are, its
 * Deployment with the image imported here and the webhook off. An {@code IPAddressPool} of
 * {@link KubeLayout#lbRange()} and an {@code L2Advertisement} make it assign each LoadBalancer
 * Service an address, which kube-proxy then forwards.
 *
 * <p>MetalLB's speaker (which would answer ARP for those addresses on the node's network) does
 * not run: the host routes the pool to the node instead ({@link KubeNode#createNetwork}), which is
 * what the announcement achieves on a real network.
 */
final class KubeLoadBalancer {

    static final String NAMESPACE = "metallb-system";
    static final String IMAGE_REPOSITORY = "meshbed/metallb-controller";

    /** The parts of MetalLB's manifest the controller needs (the speaker's and the webhook's are left out). */
    private static final Set<String> KEEP = Set.of("Namespace/metallb-system", "ServiceAccount/controller",
            "Role/controller", "RoleBinding/controller", "ClusterRole/metallb-system:controller",
            "ClusterRoleBinding/metallb-system:controller", "Secret/metallb-webhook-cert", "Deployment/controller");

    private final KubeLayout layout;
    private final Path binaryDir;
    private final PrintStream out;

    KubeLoadBalancer(KubeLayout layout, Path binaryDir, PrintStream out) {
        this.layout = layout;
        this.binaryDir = binaryDir;
        this.out = out;
    }

    /** What kube-build.sh put beside the Kubernetes binary: MetalLB's version, controller and manifest. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        for (String f : List.of("metallb-controller", "metallb-native.yaml", "metallb.version")) {
            if (!Files.isRegularFile(binaryDir.resolve(f))) {
                problems.add("LB=on: " + binaryDir.resolve(f) + " is missing (scripts/kube-build.sh builds MetalLB's "
                        + "controller beside the Kubernetes binary)");
            }
        }
        return problems;
    }

    String version() {
        try {
            return Files.readString(binaryDir.resolve("metallb.version")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    String image() {
        return IMAGE_REPOSITORY + ":" + version();
    }

    /** The controller's image, imported into the node's containerd. */
    void importImage() {
        Path tar = layout.data().resolve("images/metallb-controller.tar");
        NodeImages.singleBinary(binaryDir.resolve("metallb-controller"), "controller", image(), "65534", tar);
        NodeImages.importTarball(layout.socket(), tar, image(), out);
    }

    /** MetalLB's manifest, trimmed and adapted, then the pool: applied, not waited for. */
    void apply(KubernetesClient client) {
        List<HasMetadata> objects = manifest();
        List<CustomResourceDefinition> crds = objects.stream().filter(CustomResourceDefinition.class::isInstance)
                .map(CustomResourceDefinition.class::cast).toList();
        for (HasMetadata o : objects) {
            if (!(o instanceof CustomResourceDefinition)) {
                apply(client, o);
            }
        }
        crds.forEach(crd -> apply(client, crd));
        for (CustomResourceDefinition crd : crds) {
            client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                    .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions() != null
                            && c.getStatus().getConditions().stream().anyMatch(x -> "Established".equals(x.getType())
                                    && "True".equals(x.getStatus())), 60, TimeUnit.SECONDS);
        }
        apply(client, new GenericKubernetesResourceBuilder().withApiVersion("metallb.io/v1beta1")
                .withKind("IPAddressPool").withNewMetadata().withName("meshbed").withNamespace(NAMESPACE).endMetadata()
                .addToAdditionalProperties("spec", Map.of("addresses", List.of(layout.lbRange()))).build());
        apply(client, new GenericKubernetesResourceBuilder().withApiVersion("metallb.io/v1beta1")
                .withKind("L2Advertisement").withNewMetadata().withName("meshbed").withNamespace(NAMESPACE).endMetadata()
                .addToAdditionalProperties("spec", Map.of("ipAddressPools", List.of("meshbed"))).build());
        out.printf("  MetalLB %s: controller applied from its own manifest, pool %s%n", version(), layout.lbRange());
    }

    private void apply(KubernetesClient client, HasMetadata o) {
        try {
            if (o instanceof GenericKubernetesResource g) {
                client.genericKubernetesResources(g.getApiVersion(), g.getKind()).resource(g).forceConflicts()
                        .serverSideApply();
            } else {
                client.resource(o).fieldManager(Applier.FIELD_MANAGER).forceConflicts().serverSideApply();
            }
        } catch (KubernetesClientException e) {
            throw new TestbedException("applying MetalLB's " + Manifests.describe(o) + ": " + Applier.message(e),
                    TestbedException.FAILED);
        }
    }

    /** The objects of MetalLB's manifest the controller needs, its Deployment adapted. */
    List<HasMetadata> manifest() {
        List<HasMetadata> kept = new ArrayList<>();
        Object parsed;
        try (InputStream in = Files.newInputStream(binaryDir.resolve("metallb-native.yaml"))) {
            parsed = new KubernetesSerialization().unmarshal(in);
        } catch (IOException e) {
            throw new TestbedException("reading MetalLB's manifest: " + e.getMessage(), TestbedException.FAILED);
        }
        List<?> all = parsed instanceof List<?> l ? l : List.of(parsed);
        for (Object x : all) {
            if (!(x instanceof HasMetadata o) || o instanceof DaemonSet || o instanceof ValidatingWebhookConfiguration) {
                continue;
            }
            String key = o.getKind() + "/" + o.getMetadata().getName();
            if (o instanceof CustomResourceDefinition || KEEP.contains(key)) {
                if (o instanceof Deployment d) {
                    adapt(d);
                }
                kept.add(o);
            }
        }
        return kept;
    }

    /** The image imported here (never pulled), and the webhook off: no webhook Service or configuration is applied. */
    void adapt(Deployment d) {
        var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        c.setImage(image());
        c.setImagePullPolicy("IfNotPresent");
        List<String> args = new ArrayList<>(c.getArgs());
        args.add("--webhook-mode=disabled");
        c.setArgs(args);
    }

    /** Until the controller's Deployment is rolled out. */
    void await(KubernetesClient client, Duration timeout) {
        Deployment d = (Deployment) manifest().stream().filter(Deployment.class::isInstance).findFirst().orElseThrow();
        Rollouts.await(client, List.of(d), timeout, out);
    }
}
