package dev.meshbed.testbed;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The YAML under {@code manifests/} as fabric8 objects, and what {@code up} applies in which order:
 * {@code crds/}, {@code gateway/}, {@code apps/}, {@code routing/} (not {@code routing/variants/},
 * which {@code weights} applies by name). Istio kinds come back as {@link GenericKubernetesResource}s.
 */
public final class Manifests {

    /** The folders {@code up} applies, in this order. */
    public static final List<String> FOLDERS = List.of("crds", "gateway", "apps", "routing");

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private Manifests() {
    }

    /**
     * What {@code up} applies: Namespaces first, then the CRDs (to be Established before any
     * resource of theirs), then everything else in folder and file order.
     */
    public record Plan(List<Namespace> namespaces, List<CustomResourceDefinition> crds, List<HasMetadata> resources) {

        /** The Deployments among {@link #resources}. */
        public List<Deployment> deployments() {
            return resources.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).toList();
        }

        /** Everything, in apply order. */
        public List<HasMetadata> all() {
            List<HasMetadata> out = new ArrayList<>(namespaces);
            out.addAll(crds);
            out.addAll(resources);
            return out;
        }
    }

    /** How the images are named and pulled: as imported into k3s, or from a registry. */
    public record Images(String gateway, String app, String pullPolicy) {

        /** {@code meshbed/...:<version>}, IfNotPresent: imported into the node (k3s) or loaded by hand. */
        public static Images local(Project project) {
            return new Images(project.gatewayImage(null), project.appImage(null), "IfNotPresent");
        }

        /**
         * {@code <registry>/meshbed/...:<version>}, Always: a snapshot tag is pushed again and again,
         * and IfNotPresent would keep a node's stale copy.
         */
        public static Images registry(Project project, String registry) {
            return new Images(project.gatewayImage(registry), project.appImage(registry), "Always");
        }
    }

    public static Plan plan(Project project, Images images) {
        List<Namespace> namespaces = new ArrayList<>();
        List<CustomResourceDefinition> crds = new ArrayList<>();
        List<HasMetadata> rest = new ArrayList<>();
        for (String folder : FOLDERS) {
            for (HasMetadata r : loadFolder(project.manifests().resolve(folder))) {
                if (r instanceof Namespace ns) {
                    namespaces.add(ns);
                } else if (r instanceof CustomResourceDefinition crd) {
                    crds.add(crd);
                } else {
                    if (r instanceof Deployment d) {
                        setImages(d, images);
                    }
                    rest.add(r);
                }
            }
        }
        return new Plan(List.copyOf(namespaces), List.copyOf(crds), List.copyOf(rest));
    }

    /** The {@code *.yaml} files directly in {@code folder}, in name order, each with all its documents. */
    public static List<HasMetadata> loadFolder(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new TestbedException("no folder " + folder, TestbedException.USAGE);
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> Files.isRegularFile(p) && (p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<HasMetadata> out = new ArrayList<>();
        for (Path f : files) {
            out.addAll(load(f));
        }
        return out;
    }

    /** All documents of one YAML file. */
    public static List<HasMetadata> load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return flatten(SERIALIZATION.unmarshal(in), file);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        } catch (RuntimeException e) {
            if (e instanceof TestbedException) {
                throw e;
            }
            throw new TestbedException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<HasMetadata> flatten(Object parsed, Path file) {
        List<HasMetadata> out = new ArrayList<>();
        if (parsed == null) {
            return out;
        }
        if (parsed instanceof KubernetesList list) {
            out.addAll(list.getItems());
        } else if (parsed instanceof List<?> list) {
            for (Object o : list) {
                out.addAll(flatten(o, file));
            }
        } else if (parsed instanceof HasMetadata r) {
            out.add(r);
        } else {
            throw new TestbedException(file + ": not a Kubernetes resource: " + parsed.getClass().getSimpleName(),
                    TestbedException.USAGE);
        }
        return out;
    }

    /** Points the containers that run meshbed's images at {@code images}. */
    static void setImages(Deployment d, Images images) {
        d.getSpec().getTemplate().getSpec().getContainers().forEach(c -> {
            String repo = repository(c.getImage());
            if (repo.endsWith(Project.GATEWAY_IMAGE)) {
                c.setImage(images.gateway());
                c.setImagePullPolicy(images.pullPolicy());
            } else if (repo.endsWith(Project.APP_IMAGE)) {
                c.setImage(images.app());
                c.setImagePullPolicy(images.pullPolicy());
            }
        });
    }

    /** {@code reg:5000/a/b:tag} → {@code reg:5000/a/b}. */
    static String repository(String image) {
        if (image == null) {
            return "";
        }
        int at = image.indexOf('@');
        String s = at >= 0 ? image.substring(0, at) : image;
        int colon = s.lastIndexOf(':');
        return colon > s.lastIndexOf('/') ? s.substring(0, colon) : s;
    }

    /** {@code a/b:tag} → {@code tag}; {@code ""} without a tag. */
    static String tag(String image) {
        String repo = repository(image);
        String rest = image.substring(repo.length());
        return rest.startsWith(":") ? rest.substring(1).replaceFirst("@.*", "") : "";
    }

    /** {@code Kind namespace/name} (cluster-scoped: {@code Kind name}). */
    public static String describe(HasMetadata r) {
        String ns = r.getMetadata().getNamespace();
        return r.getKind() + " " + (ns == null ? "" : ns + "/") + r.getMetadata().getName();
    }
}
