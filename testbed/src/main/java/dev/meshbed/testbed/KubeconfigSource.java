package dev.meshbed.testbed;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.File;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster KUBECONFIG (and its current context) names: kind, minikube, k3d, a real one. The
 * launcher starts nothing, imports nothing (the nodes pull from {@code IMAGE_REGISTRY}, or have
 * the images already), and on {@code down} removes only what {@code up} created.
 */
final class KubeconfigSource implements ClusterSource {

    private final Project project;
    private final PrintStream out;
    private final Testbed.UpOptions options;
    private final Config config;
    private final String kubeconfig;

    /**
     * @param config     the cluster (null: {@code Config.autoConfigure}, once the checks pass)
     * @param kubeconfig the KUBECONFIG it was read from, recorded for the other commands
     */
    KubeconfigSource(Project project, PrintStream out, Testbed.UpOptions options, Config config, String kubeconfig) {
        this.project = project;
        this.out = out;
        this.options = options;
        this.config = config;
        this.kubeconfig = kubeconfig;
    }

    /** The source for {@code up}: KUBECONFIG, else ~/.kube/config. */
    static KubeconfigSource fromEnvironment(Project project, PrintStream out, Testbed.UpOptions options) {
        String env = System.getenv("KUBECONFIG");
        String file = env != null && !env.isBlank() ? env
                : Path.of(System.getProperty("user.home"), ".kube", "config").toString();
        return new KubeconfigSource(project, out, options, null, file);
    }

    private Config config() {
        return config != null ? config : Config.autoConfigure(null);
    }

    private boolean registry() {
        return options.imageRegistry() != null && !options.imageRegistry().isBlank();
    }

    @Override
    public String mode() {
        return "cluster";
    }

    @Override
    public String describe() {
        Config c = config();
        return "the cluster KUBECONFIG names: " + c.getMasterUrl() + " (context "
                + (c.getCurrentContext() == null ? "-" : c.getCurrentContext().getName()) + "); images "
                + (registry() ? "pulled from " + options.imageRegistry() + ", imagePullPolicy Always"
                        : "IfNotPresent: the nodes must have them already (kind load docker-image, minikube image load, "
                                + "k3d image import), or pass IMAGE_REGISTRY");
    }

    @Override
    public List<String> problems(Manifests.Images images) {
        if (config != null) {
            return List.of();
        }
        String env = System.getenv("KUBECONFIG");
        if ((env == null || env.isBlank())
                && !Files.isRegularFile(Path.of(System.getProperty("user.home"), ".kube", "config"))) {
            return List.of("CLUSTER=kubeconfig: KUBECONFIG is not set and there is no ~/.kube/config");
        }
        if (env != null && !env.isBlank()
                && Arrays.stream(env.split(File.pathSeparator)).noneMatch(f -> Files.isRegularFile(Path.of(f)))) {
            return List.of("CLUSTER=kubeconfig: KUBECONFIG=" + env + " names no existing file");
        }
        return List.of();
    }

    @Override
    public Started start(Path stateDir, Map<String, String> env) {
        Config c = config();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Testbed.withTimeouts(c)).build()) {
            var v = client.getKubernetesVersion();
            out.println("  the API server answers" + (v == null || v.getGitVersion() == null ? ""
                    : ": Kubernetes " + v.getGitVersion()));
        } catch (KubernetesClientException e) {
            throw new TestbedException("the cluster does not answer at " + c.getMasterUrl() + ": "
                    + Applier.message(e), TestbedException.MISSING);
        }
        String context = c.getCurrentContext() == null ? "" : c.getCurrentContext().getName();
        env.put("KUBECONFIG", kubeconfig);
        env.put("KUBE_CONTEXT", context);
        env.put("IMAGE_REGISTRY", registry() ? options.imageRegistry() : "");
        return new Started(Path.of(kubeconfig.split(File.pathSeparator)[0]), context.isEmpty() ? null : context);
    }

    @Override
    public void loadImages(Manifests.Images images) {
        // the nodes pull them, or have them
    }

    @Override
    public boolean ownsNodes() {
        return false;
    }

    /** The cluster's addresses are used as they are: whether they answer from here depends on the cluster. */
    @Override
    public HostPort fromHere(String clusterHost, int port, String what) {
        return new HostPort(clusterHost, port);
    }

    @Override
    public boolean edgeMustAnswer() {
        return false;
    }

    @Override
    public String pendingContext(boolean loadBalancer) {
        return "";
    }

    @Override
    public boolean present(String name) {
        return false; // nothing on this machine: only testbed.env knows the cluster
    }

    /** Deletes what {@code up} applied; Namespaces and CRDs only where {@code up} created them. */
    @Override
    public void down(String name, Optional<TestbedEnv> env) {
        if (env.isEmpty()) {
            out.println("nothing to remove: no testbed.env names a cluster for testbed '" + name + "'");
            return;
        }
        Manifests.Plan plan = Manifests.plan(project, Manifests.Images.local(project));
        List<String> created = List.of(env.get().get("MESHBED_CREATED").orElse("").split(","));
        try (KubernetesClient client = Testbed.client(env.get())) {
            out.printf("removing testbed '%s' from %s ...%n", name, client.getMasterUrl());
            Applier applier = new Applier(client, plan.crds(), out);
            List<HasMetadata> resources = new ArrayList<>(plan.resources());
            Collections.reverse(resources);
            resources.forEach(applier::delete);
            for (CustomResourceDefinition crd : plan.crds()) {
                if (created.contains("CustomResourceDefinition/" + crd.getMetadata().getName())) {
                    applier.delete(crd);
                }
            }
            for (Namespace ns : plan.namespaces()) {
                if (created.contains("Namespace/" + ns.getMetadata().getName())) {
                    applier.delete(ns);
                }
            }
        }
        out.println("removed.");
    }

    @Override
    public boolean status(String name, Optional<TestbedEnv> env) {
        if (env.isEmpty()) {
            out.printf("testbed '%s': not running (no testbed.env)%n", name);
            return false;
        }
        out.printf("testbed '%s' on the cluster KUBECONFIG=%s names%n", name, env.get().get("KUBECONFIG").orElse("?"));
        return true;
    }
}
