package dev.meshbed.testbed;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.core.ConditionTimeoutException;
import org.testcontainers.k3s.K3sContainer;

/**
 * The testbed's commands: {@code up} (k3s through Testcontainers, or the cluster KUBECONFIG
 * names), {@code down}, {@code status} and {@code weights}. What {@code up} found goes to
 * {@code target/testbed/testbed.env} ({@link TestbedEnv}), which the other commands read.
 *
 * <p>{@code up} in k3s mode returns with the cluster running. The launcher's {@code main} then
 * ends the JVM without its shutdown hooks (see {@link TestbedMain}): without Ryuk, Testcontainers
 * removes a session's containers in a JVM shutdown hook, and this cluster must outlive the JVM.
 * In-JVM callers (the k3s suite) keep that hook as a safety net and call {@link #down} themselves.
 */
public final class Testbed {

    /** Where {@code up} puts the cluster. */
    public enum Target {
        /** A k3s node in Docker, through Testcontainers. */
        K3S,
        /** The cluster that KUBECONFIG (and its current context) names. */
        KUBECONFIG
    }

    /**
     * @param name           the testbed's name: its container label and state folder
     * @param target         k3s or an existing cluster
     * @param loadBalancer   k3s: ServiceLB on (false: {@code --disable=servicelb}, a LoadBalancer stays pending)
     * @param k3sImage       the k3s image (must be present locally)
     * @param imageRegistry  an existing cluster: the registry the images were pushed to (null: the
     *                       cluster already has {@code meshbed/...:<version>})
     * @param rolloutTimeout how long the Deployments may take
     * @param lbWait         how long to wait for a load balancer to answer (null: 120 s with ServiceLB
     *                       on, 10 s with it off, 60 s on an existing cluster)
     * @param edgeWait       how long the edge may take to answer once everything is rolled out
     */
    public record UpOptions(String name, Target target, boolean loadBalancer, String k3sImage, String imageRegistry,
            Duration rolloutTimeout, Duration lbWait, Duration edgeWait) {

        public static UpOptions k3s() {
            return new UpOptions(Project.DEFAULT_NAME, Target.K3S, true, K3sNode.DEFAULT_IMAGE, null,
                    Duration.ofMinutes(5), null, Duration.ofSeconds(90));
        }

        public UpOptions withEdgeWait(Duration d) {
            return new UpOptions(name, target, loadBalancer, k3sImage, imageRegistry, rolloutTimeout, lbWait, d);
        }

        public UpOptions withName(String n) {
            return new UpOptions(n, target, loadBalancer, k3sImage, imageRegistry, rolloutTimeout, lbWait, edgeWait);
        }

        public UpOptions withLoadBalancer(boolean lb) {
            return new UpOptions(name, target, lb, k3sImage, imageRegistry, rolloutTimeout, lbWait, edgeWait);
        }

        public UpOptions withK3sImage(String image) {
            return new UpOptions(name, target, loadBalancer, image, imageRegistry, rolloutTimeout, lbWait, edgeWait);
        }

        public UpOptions withCluster(String registry) {
            return new UpOptions(name, Target.KUBECONFIG, loadBalancer, k3sImage, registry, rolloutTimeout, lbWait, edgeWait);
        }

        public UpOptions withRolloutTimeout(Duration d) {
            return new UpOptions(name, target, loadBalancer, k3sImage, imageRegistry, d, lbWait, edgeWait);
        }

        public UpOptions withLbWait(Duration d) {
            return new UpOptions(name, target, loadBalancer, k3sImage, imageRegistry, rolloutTimeout, d, edgeWait);
        }

        Duration effectiveLbWait() {
            if (lbWait != null) {
                return lbWait;
            }
            if (target == Target.KUBECONFIG) {
                return Duration.ofSeconds(60);
            }
            return loadBalancer ? Duration.ofSeconds(120) : Duration.ofSeconds(10);
        }
    }

    /**
     * What {@code up} started and found.
     *
     * @param gateway         the gateway from here, by the path Istio's procedure chose
     * @param gatewayNodePort the gateway from here through its http2 nodePort (31380), whatever the path
     * @param app             the app's own NodePort from here: no proxy on the way
     * @param status          the gateway's readiness URL from here
     * @param container       the k3s container (null on an existing cluster)
     */
    public record UpResult(TestbedEnv env, Path envFile, Path kubeconfig, IngressAddress ingress, HostPort gateway,
            HostPort gatewayNodePort, HostPort app, String status, K3sContainer container) {
    }

    private final Project project;
    private final PrintStream out;

    public Testbed(Project project, PrintStream out) {
        this.project = project;
        this.out = out;
    }

    public Path envFile(String name) {
        return project.stateDir(name).resolve(TestbedEnv.FILE_NAME);
    }

    // ---- up ----------------------------------------------------------------------------------

    public UpResult up(UpOptions o) {
        if (o.target() == Target.K3S) {
            return upK3s(o);
        }
        String kubeconfig = System.getenv("KUBECONFIG");
        if ((kubeconfig == null || kubeconfig.isBlank())
                && !Files.isRegularFile(Path.of(System.getProperty("user.home"), ".kube", "config"))) {
            throw new TestbedException("CLUSTER=kubeconfig: KUBECONFIG is not set and there is no ~/.kube/config",
                    TestbedException.MISSING);
        }
        if (kubeconfig != null && !kubeconfig.isBlank() && java.util.Arrays.stream(kubeconfig.split(File.pathSeparator))
                .noneMatch(f -> Files.isRegularFile(Path.of(f)))) {
            throw new TestbedException("CLUSTER=kubeconfig: KUBECONFIG=" + kubeconfig + " names no existing file",
                    TestbedException.MISSING);
        }
        return upCluster(o, Config.autoConfigure(null), kubeconfig != null && !kubeconfig.isBlank() ? kubeconfig
                : Path.of(System.getProperty("user.home"), ".kube", "config").toString());
    }

    private UpResult upK3s(UpOptions o) {
        long t0 = System.nanoTime();
        Manifests.Images images = Manifests.Images.local(project);
        Manifests.Plan plan = Manifests.plan(project, images);
        EdgePorts ports = EdgePorts.from(plan);
        out.printf("meshbed testbed '%s' %s: k3s %s, ServiceLB %s; images %s, %s%n", o.name(), project.version(),
                o.k3sImage(), o.loadBalancer() ? "on" : "off (--disable=servicelb)", images.gateway(), images.app());

        // Everything that can be checked before starting anything, reported at once.
        List<String> problems = new ArrayList<>(DockerAccess.environmentProblems());
        problems.addAll(tarballProblems(images));
        if (DockerAccess.environmentProblems().isEmpty()) {
            try {
                DockerClient docker = DockerAccess.client(DockerAccess.ANSWER_TIMEOUT);
                if (!DockerAccess.imagePresent(docker, o.k3sImage())) {
                    problems.add("the k3s image " + o.k3sImage() + " is not present in the local Docker engine, and the "
                            + "launcher does not pull it (pulling needs a registry and takes minutes). On a machine that "
                            + "reaches Docker Hub: docker pull " + o.k3sImage() + " (or name one you have: "
                            + "K3S_IMAGE=rancher/k3s:<tag>)");
                }
                for (Container c : K3sNode.find(docker, o.name())) {
                    problems.add("a testbed named '" + o.name() + "' exists already: container "
                            + c.getId().substring(0, 12) + " (" + c.getStatus() + "); make status shows it, make down "
                            + "removes it");
                }
            } catch (TestbedException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new TestbedException("cannot start the testbed; nothing was started:\n  - "
                    + String.join("\n  - ", problems), TestbedException.MISSING);
        }

        Path stateDir = project.stateDir(o.name());
        deleteState(stateDir);
        K3sContainer k3s = K3sNode.create(o.k3sImage(), o.name(), o.loadBalancer(), project.version(),
                ports.containerPorts());
        out.printf("starting k3s (usually 20-60 s; the first start on a machine also pulls k3s' own images) ...%n");
        long t = System.nanoTime();
        try {
            k3s.start();
        } catch (RuntimeException e) {
            String logs = "";
            try {
                String all = k3s.getLogs();
                String[] lines = all.split("\n");
                logs = "\n  last k3s log lines:\n    "
                        + String.join("\n    ", List.of(lines).subList(Math.max(0, lines.length - 15), lines.length));
            } catch (RuntimeException ignored) {
                // no container, no logs
            }
            throw new TestbedException("k3s did not start: " + DockerAccess.firstLine(e.getMessage()) + logs, e);
        }
        out.printf("  k3s is up (%d s), container %s, API server https://%s:%d%n", secondsSince(t),
                k3s.getContainerId().substring(0, 12), k3s.getHost(), k3s.getMappedPort(6443));
        Path kubeconfig = stateDir.resolve("kubeconfig.yaml");
        writePrivate(kubeconfig, k3s.getKubeConfigYaml());
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MESHBED_MODE", "k3s");
        env.put("MESHBED_NAME", o.name());
        env.put("MESHBED_VERSION", project.version());
        env.put("K3S_CONTAINER", k3s.getContainerId());
        env.put("K3S_IMAGE", o.k3sImage());
        env.put("LB", o.loadBalancer() ? "on" : "off");
        env.put("KUBECONFIG", kubeconfig.toString());
        // already now, so that status and down work if a later step fails
        TestbedEnv.of(env).write(envFile(o.name()), "meshbed testbed (incomplete: up has not finished)");

        out.println("importing the images into k3s' containerd ...");
        try {
            K3sNode.importImage(k3s, project.gatewayTarball(), images.gateway(), out);
            K3sNode.importImage(k3s, project.appTarball(), images.app(), out);
        } catch (IOException e) {
            throw new TestbedException("importing the images: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted", TestbedException.FAILED);
        }

        try (KubernetesClient client = client(kubeconfig)) {
            awaitNode(client);
            deploy(client, plan, o, new ArrayList<>());
            IngressAddress ingress = resolveEdge(client, o);
            IngressResolver.Observation obs = IngressResolver.observe(client, EdgePorts.GATEWAY_NAMESPACE,
                    EdgePorts.GATEWAY_SERVICE);
            HostPort gateway = published(k3s, ingress.port(), ingress.path() == IngressAddress.Path.LOAD_BALANCER
                    ? "the port the load balancer listens on" : "the nodePort");
            HostPort nodePort = published(k3s, ports.http2NodePort(), "the http2 nodePort");
            HostPort app = published(k3s, ports.appNodePort(), "the app's nodePort");
            String status = published(k3s, ports.statusNodePort(), "the status-port nodePort").url()
                    + "/healthz/ready";
            out.printf("  from this machine: Docker publishes the node's port %d on %s%n", ingress.port(), gateway);
            putEdge(env, ingress, gateway, nodePort, app, status);
            env.put("INGRESS_NODE", nodeName(obs));
            probeEdge(gateway, nodePort, app, true, o.edgeWait());
            TestbedEnv written = TestbedEnv.of(env);
            written.write(envFile(o.name()), header(o));
            summary(o, ingress, gateway, nodePort, app, kubeconfig, t0);
            return new UpResult(written, envFile(o.name()), kubeconfig, ingress, gateway, nodePort, app, status, k3s);
        }
    }

    /** Up on the cluster {@code config} names (read from {@code kubeconfig}, recorded for the other commands). */
    UpResult upCluster(UpOptions o, Config config, String kubeconfig) {
        long t0 = System.nanoTime();
        boolean registry = o.imageRegistry() != null && !o.imageRegistry().isBlank();
        Manifests.Images images = registry ? Manifests.Images.registry(project, o.imageRegistry())
                : Manifests.Images.local(project);
        Manifests.Plan plan = Manifests.plan(project, images);
        out.printf("meshbed testbed '%s' %s on the cluster KUBECONFIG names: %s (context %s); images %s, %s (%s)%n",
                o.name(), project.version(), config.getMasterUrl(),
                config.getCurrentContext() == null ? "-" : config.getCurrentContext().getName(), images.gateway(),
                images.app(), registry ? "pulled from the registry, imagePullPolicy Always"
                        : "IfNotPresent: the nodes must have them already (kind load docker-image, minikube image "
                                + "load, k3d image import), or pass IMAGE_REGISTRY");
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(withTimeouts(config)).build()) {
            try {
                var v = client.getKubernetesVersion();
                out.println("  the API server answers" + (v == null || v.getGitVersion() == null ? ""
                        : ": Kubernetes " + v.getGitVersion()));
            } catch (KubernetesClientException e) {
                throw new TestbedException("the cluster does not answer at " + config.getMasterUrl() + ": "
                        + Applier.message(e), TestbedException.MISSING);
            }
            List<String> created = new ArrayList<>();
            deploy(client, plan, o, created);
            IngressAddress ingress = resolveEdge(client, o);
            IngressResolver.Observation obs = IngressResolver.observe(client, EdgePorts.GATEWAY_NAMESPACE,
                    EdgePorts.GATEWAY_SERVICE);
            IngressAddress viaNodePort = IngressResolver.resolveNodePort(obs, IngressResolver.HTTP_PORT_NAME);
            EdgePorts ports = EdgePorts.from(plan);
            HostPort gateway = new HostPort(ingress.host(), ingress.port());
            HostPort nodePort = new HostPort(viaNodePort.host(), viaNodePort.port());
            HostPort app = new HostPort(viaNodePort.host(), ports.appNodePort());
            String status = (ingress.path() == IngressAddress.Path.LOAD_BALANCER
                    ? new HostPort(ingress.host(), ports.statusPort())
                    : new HostPort(viaNodePort.host(), ports.statusNodePort())).url() + "/healthz/ready";
            Map<String, String> env = new LinkedHashMap<>();
            env.put("MESHBED_MODE", "cluster");
            env.put("MESHBED_NAME", o.name());
            env.put("MESHBED_VERSION", project.version());
            env.put("KUBECONFIG", kubeconfig);
            env.put("KUBE_CONTEXT", config.getCurrentContext() == null ? "" : config.getCurrentContext().getName());
            env.put("IMAGE_REGISTRY", registry ? o.imageRegistry() : "");
            env.put("MESHBED_CREATED", String.join(",", created));
            putEdge(env, ingress, gateway, nodePort, app, status);
            env.put("INGRESS_NODE", nodeName(obs));
            probeEdge(gateway, nodePort, app, false, o.edgeWait());
            TestbedEnv written = TestbedEnv.of(env);
            written.write(envFile(o.name()), header(o));
            summary(o, ingress, gateway, nodePort, app, Path.of(kubeconfig.split(File.pathSeparator)[0]), t0);
            return new UpResult(written, envFile(o.name()), Path.of(kubeconfig.split(File.pathSeparator)[0]), ingress,
                    gateway, nodePort, app, status, null);
        }
    }

    private List<String> tarballProblems(Manifests.Images images) {
        List<String> problems = new ArrayList<>();
        check(problems, project.gatewayTarball(), images.gateway());
        check(problems, project.appTarball(), images.app());
        return problems;
    }

    private void check(List<String> problems, Path tarball, String image) {
        if (!Files.isRegularFile(tarball)) {
            problems.add(project.show(tarball) + " is missing: build the image tarballs first (make images)");
            return;
        }
        try {
            List<String> names = ImageTarball.imageNames(tarball);
            if (!names.isEmpty() && !ImageTarball.holds(names, image)) {
                problems.add(project.show(tarball) + " holds " + names + ", not " + image
                        + ": rebuild it (make images)");
            }
        } catch (IOException e) {
            problems.add(project.show(tarball) + " cannot be read as an image tarball: " + e.getMessage());
        }
    }

    /** The node Ready and the default ServiceAccount there: pods can be scheduled and admitted. */
    private void awaitNode(KubernetesClient client) {
        long t = System.nanoTime();
        try {
            await("node ready").atMost(Duration.ofMinutes(2)).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptionsMatching(e -> e instanceof KubernetesClientException)
                    .until(() -> client.nodes().list().getItems().stream().anyMatch(Testbed::ready)
                            && client.serviceAccounts().inNamespace("default").withName("default").get() != null);
        } catch (ConditionTimeoutException e) {
            throw new TestbedException("the k3s node did not become Ready within 2 min", TestbedException.FAILED);
        }
        out.printf("  node ready (%d s)%n", secondsSince(t));
    }

    private static boolean ready(Node n) {
        return n.getStatus() != null && n.getStatus().getConditions() != null && n.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /**
     * Applies the plan and waits for the rollouts. On an existing cluster, a Namespace or CRD that
     * exists already is left as it is (Istio's own CRDs stay Istio's); {@code created} collects
     * what this run created, for {@code down}.
     */
    void deploy(KubernetesClient client, Manifests.Plan plan, UpOptions o, List<String> created) {
        long t = System.nanoTime();
        out.println("applying manifests/ (" + String.join(", ", Manifests.FOLDERS) + ") ...");
        Applier applier = new Applier(client, plan.crds(), out);
        boolean existing = o.target() == Target.KUBECONFIG;
        for (Namespace ns : plan.namespaces()) {
            if (existing && client.namespaces().withName(ns.getMetadata().getName()).get() != null) {
                out.println("  kept Namespace " + ns.getMetadata().getName() + " (exists)");
                continue;
            }
            applier.apply(ns);
            created.add("Namespace/" + ns.getMetadata().getName());
        }
        List<CustomResourceDefinition> crds = new ArrayList<>();
        for (CustomResourceDefinition crd : plan.crds()) {
            CustomResourceDefinition live = existing ? client.apiextensions().v1().customResourceDefinitions()
                    .withName(crd.getMetadata().getName()).get() : null;
            if (live != null && !isOurs(live)) {
                out.println("  kept CustomResourceDefinition " + crd.getMetadata().getName()
                        + " (exists, not meshbed's: Istio's?)");
                continue;
            }
            crds.add(crd);
            if (live == null) {
                created.add("CustomResourceDefinition/" + crd.getMetadata().getName());
            }
        }
        applier.applyCrds(crds, Duration.ofSeconds(60));
        plan.resources().forEach(applier::apply);
        out.printf("  applied (%d s); waiting for the rollouts (up to %d s) ...%n", secondsSince(t),
                o.rolloutTimeout().toSeconds());
        Rollouts.await(client, plan.deployments(), o.rolloutTimeout(), out);
        out.printf("  rolled out (%d s)%n", secondsSince(t));
    }

    private static boolean isOurs(HasMetadata r) {
        Map<String, String> labels = r.getMetadata().getLabels();
        return labels != null && "meshbed".equals(labels.get("app.kubernetes.io/part-of"));
    }

    /** Istio's procedure, waiting up to {@link UpOptions#effectiveLbWait()} for a load balancer to answer. */
    IngressAddress resolveEdge(KubernetesClient client, UpOptions o) {
        Duration wait = o.effectiveLbWait();
        long t = System.nanoTime();
        out.println("resolving the ingress address (Istio's \"Determining the ingress IP and ports\") ...");
        IngressAddress address = IngressResolver.resolve(client, EdgePorts.GATEWAY_NAMESPACE, EdgePorts.GATEWAY_SERVICE,
                IngressResolver.HTTP_PORT_NAME);
        Service svc = client.services().inNamespace(EdgePorts.GATEWAY_NAMESPACE).withName(EdgePorts.GATEWAY_SERVICE)
                .get();
        boolean isLb = "LoadBalancer".equals(svc.getSpec().getType());
        long lastNote = System.nanoTime();
        while (isLb && address.path() != IngressAddress.Path.LOAD_BALANCER
                && System.nanoTime() - t < wait.toNanos()) {
            if (System.nanoTime() - lastNote > Duration.ofSeconds(10).toNanos()) {
                out.printf("  EXTERNAL-IP still <pending> after %d s (waiting up to %d s)%n", secondsSince(t),
                        wait.toSeconds());
                lastNote = System.nanoTime();
            }
            sleep(Duration.ofSeconds(1));
            address = IngressResolver.resolve(client, EdgePorts.GATEWAY_NAMESPACE, EdgePorts.GATEWAY_SERVICE,
                    IngressResolver.HTTP_PORT_NAME);
        }
        if (address.path() == IngressAddress.Path.NODE_PORT && isLb) {
            String context = o.target() == Target.K3S
                    ? (o.loadBalancer() ? " although ServiceLB is on (kubectl -n kube-system get pods: are the svclb "
                            + "pods running? a port taken on the node keeps them pending)"
                            : ": k3s runs with --disable=servicelb, as minikube has no load balancer")
                    : "";
            address = new IngressAddress(address.path(), address.host(), address.port(),
                    address.reason() + " [looked for " + secondsSince(t) + " s" + context + "]");
        }
        out.printf("  path: %s -- %s%n", address.path() == IngressAddress.Path.LOAD_BALANCER ? "LoadBalancer"
                : "NodePort", address.reason());
        out.printf("  INGRESS_HOST=%s INGRESS_PORT=%d (in the cluster's terms)%n", address.host(), address.port());
        return address;
    }

    private static HostPort published(K3sContainer k3s, int containerPort, String what) {
        try {
            return new HostPort("127.0.0.1", k3s.getMappedPort(containerPort));
        } catch (IllegalArgumentException e) {
            throw new TestbedException(what + " " + containerPort + " is not published by the k3s container",
                    TestbedException.FAILED);
        }
    }

    private static void putEdge(Map<String, String> env, IngressAddress ingress, HostPort gateway, HostPort nodePort,
            HostPort app, String status) {
        env.put("INGRESS_PATH", ingress.path().id());
        env.put("INGRESS_REASON", ingress.reason());
        env.put("INGRESS_CLUSTER_HOST", ingress.host());
        env.put("INGRESS_CLUSTER_PORT", String.valueOf(ingress.port()));
        env.put("INGRESS_HOST", gateway.host());
        env.put("INGRESS_PORT", String.valueOf(gateway.port()));
        env.put("GATEWAY_URL", gateway.address());
        env.put("NODEPORT_HOST", nodePort.host());
        env.put("NODEPORT_PORT", String.valueOf(nodePort.port()));
        env.put("NODEPORT_URL", nodePort.address());
        env.put("APP_HOST", app.host());
        env.put("APP_PORT", String.valueOf(app.port()));
        env.put("APP_URL", app.address());
        env.put("STATUS_URL", status);
    }

    private static String nodeName(IngressResolver.Observation obs) {
        return obs.gatewayPods().stream().map(p -> p.getSpec() == null ? null : p.getSpec().getNodeName())
                .filter(n -> n != null).findFirst().orElse("");
    }

    /**
     * Asks the edge until it answers with a version (the gateway's table and the app's endpoints
     * may trail the rollout by a moment). k3s: a silent edge fails {@code up}; an existing cluster's
     * address may just not be reachable from here, so only a warning.
     */
    private void probeEdge(HostPort gateway, HostPort nodePort, HostPort app, boolean strict, Duration wait) {
        long t = System.nanoTime();
        String[] last = {"no answer"};
        try {
            await("the edge").atMost(wait).pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        try {
                            EdgeClient.Response r = EdgeClient.get(gateway.host(), gateway.port(), Duration.ofSeconds(3));
                            last[0] = "HTTP " + r.status() + (r.version() == null ? "" : " from " + r.version());
                            return r.status() == 200 && r.version() != null;
                        } catch (IOException e) {
                            last[0] = e.toString();
                            return false;
                        }
                    });
            out.printf("  the gateway answers through %s: %s (%d s)%n", gateway, last[0], secondsSince(t));
        } catch (ConditionTimeoutException e) {
            String msg = "the gateway does not answer through " + gateway + " within " + wait.toSeconds() + " s (last: "
                    + last[0] + ")";
            if (strict) {
                throw new TestbedException(msg, TestbedException.FAILED);
            }
            out.println("  WARNING: " + msg + "; the address may not be reachable from this machine");
        }
        for (var e : List.of(Map.entry("through the nodePort", nodePort), Map.entry("the app's own NodePort", app))) {
            try {
                EdgeClient.Response r = EdgeClient.get(e.getValue().host(), e.getValue().port(), Duration.ofSeconds(3));
                out.printf("  %s %s: HTTP %d%s%n", e.getKey(), e.getValue(), r.status(),
                        r.version() == null ? "" : " from " + r.version());
            } catch (IOException ex) {
                out.printf("  WARNING: %s %s does not answer: %s%n", e.getKey(), e.getValue(), ex);
            }
        }
    }

    private String header(UpOptions o) {
        return "meshbed testbed '" + o.name() + "', written by `up` at " + Instant.now() + "\n"
                + "shell: . " + project.show(envFile(o.name())) + " && curl -s http://$GATEWAY_URL/\n"
                + "INGRESS_HOST/INGRESS_PORT (= GATEWAY_URL): the gateway from this machine, by the path Istio's procedure "
                + "took (INGRESS_PATH, INGRESS_REASON);\n"
                + "INGRESS_CLUSTER_HOST/PORT: the same in the cluster's terms; NODEPORT_URL: the gateway through its "
                + "nodePort; APP_URL: the app's own NodePort (no proxy)";
    }

    private void summary(UpOptions o, IngressAddress ingress, HostPort gateway, HostPort nodePort, HostPort app,
            Path kubeconfig, long t0) {
        String downArgs = Project.DEFAULT_NAME.equals(o.name()) ? "" : " NAME=" + o.name();
        out.printf("%nmeshbed testbed '%s' is up (%d s).%n", o.name(), secondsSince(t0));
        String row = "  %-24s %s%n";
        out.printf(row, "gateway (" + (ingress.path() == IngressAddress.Path.LOAD_BALANCER ? "LoadBalancer" : "NodePort")
                + " path):", "curl http://" + gateway + "/");
        out.printf(row, "gateway via its nodePort:", "curl http://" + nodePort + "/");
        out.printf(row, "app's own NodePort:", "curl http://" + app + "/   (no proxy: the split follows the pod count)");
        out.printf(row, "kubectl:", "export KUBECONFIG=" + kubeconfig);
        out.printf(row, "all of the above:", ". " + project.show(envFile(o.name())));
        out.printf(row, "next:", "make weights W=90:10" + downArgs + " | make status" + downArgs + " | make down"
                + downArgs);
    }

    // ---- down --------------------------------------------------------------------------------

    /**
     * Removes what {@code up} started: k3s, the containers labelled {@value K3sNode#LABEL}={@code name}
     * (all testbeds' with {@code all}), found through Docker whether or not {@code up} finished;
     * an existing cluster, the resources {@code up} applied. Nothing to remove is not an error.
     */
    public void down(String name, boolean all) {
        Path envFile = envFile(name);
        Optional<TestbedEnv> env = TestbedEnv.read(envFile);
        if (!all && env.isPresent() && "cluster".equals(env.get().get("MESHBED_MODE").orElse(""))) {
            downCluster(name, env.get());
            deleteState(project.stateDir(name));
            return;
        }
        List<String> problems = DockerAccess.environmentProblems();
        if (!problems.isEmpty()) {
            throw new TestbedException(String.join("; ", problems), TestbedException.MISSING);
        }
        DockerClient docker;
        try {
            docker = DockerAccess.client(DockerAccess.ANSWER_TIMEOUT);
        } catch (TestbedException e) {
            if (env.isPresent()) {
                throw new TestbedException(e.getMessage() + "; cannot remove k3s container "
                        + env.get().get("K3S_CONTAINER").orElse("?"), TestbedException.MISSING);
            }
            out.println("nothing to remove: " + e.getMessage() + ", and there is no " + project.show(envFile));
            return;
        }
        List<Container> found = K3sNode.find(docker, all ? null : name);
        for (Container c : found) {
            boolean removed = K3sNode.remove(docker, c.getId());
            out.printf("%s k3s container %s (testbed '%s', %s, %s)%n", removed ? "removed" : "already gone:",
                    c.getId().substring(0, 12), c.getLabels().get(K3sNode.LABEL), c.getImage(), c.getStatus());
            if (all) {
                deleteState(project.stateDir(c.getLabels().get(K3sNode.LABEL)));
            }
        }
        if (found.isEmpty()) {
            out.println("nothing to remove: no container labelled " + K3sNode.LABEL + (all ? "" : "=" + name));
        }
        boolean hadState = Files.exists(project.stateDir(name));
        deleteState(project.stateDir(name));
        if (hadState && found.isEmpty()) {
            out.println("removed the state left in " + project.show(project.stateDir(name)));
        }
    }

    private void downCluster(String name, TestbedEnv env) {
        Config config = kubeconfigConfig(env);
        Manifests.Plan plan = Manifests.plan(project, Manifests.Images.local(project));
        List<String> created = List.of(env.get("MESHBED_CREATED").orElse("").split(","));
        out.printf("removing testbed '%s' from %s ...%n", name, config.getMasterUrl());
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(withTimeouts(config)).build()) {
            Applier applier = new Applier(client, plan.crds(), out);
            List<HasMetadata> resources = new ArrayList<>(plan.resources());
            java.util.Collections.reverse(resources);
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

    // ---- status ------------------------------------------------------------------------------

    /** What runs and where the edge is; returns whether a testbed runs. */
    public boolean status(String name) {
        Path envFile = envFile(name);
        Optional<TestbedEnv> env = TestbedEnv.read(envFile);
        boolean cluster = env.isPresent() && "cluster".equals(env.get().get("MESHBED_MODE").orElse(""));
        boolean running = cluster;
        if (!cluster) {
            List<String> problems = DockerAccess.environmentProblems();
            if (!problems.isEmpty()) {
                throw new TestbedException(String.join("; ", problems), TestbedException.MISSING);
            }
            DockerClient docker;
            try {
                docker = DockerAccess.client(DockerAccess.ANSWER_TIMEOUT);
            } catch (TestbedException e) {
                out.println("testbed '" + name + "': unknown -- " + e.getMessage());
                return false;
            }
            List<Container> found = K3sNode.find(docker, name);
            if (found.isEmpty()) {
                out.printf("testbed '%s': not running (no container labelled %s=%s)%s%n", name, K3sNode.LABEL, name,
                        env.isPresent() ? "; " + project.show(envFile) + " is left from an earlier run (make down "
                                + "tidies it)" : "");
                return false;
            }
            for (Container c : found) {
                out.printf("testbed '%s': k3s container %s, %s (%s), image %s, ServiceLB %s%n", name,
                        c.getId().substring(0, 12), c.getState(), c.getStatus(), c.getImage(),
                        c.getLabels().getOrDefault(K3sNode.LB_LABEL, "?"));
                out.printf("  published: %s%n", K3sNode.describePorts(c));
                running |= "running".equals(c.getState());
            }
            if (!running) {
                out.println("  the container is not running (stopped by a restart?): make down, then make up");
                return false;
            }
            if (env.isEmpty()) {
                out.println("  no " + project.show(envFile) + ": up did not get far (make down, then make up)");
                return true;
            }
        }
        TestbedEnv e = env.orElseThrow();
        try (KubernetesClient client = client(e)) {
            if (cluster) {
                out.printf("testbed '%s' on the cluster at %s%n", name, client.getMasterUrl());
            }
            out.println("  deployments: " + Rollouts.state(client,
                    Manifests.plan(project, Manifests.Images.local(project)).deployments()).line());
            Service svc = client.services().inNamespace(EdgePorts.GATEWAY_NAMESPACE)
                    .withName(EdgePorts.GATEWAY_SERVICE).get();
            if (svc != null) {
                var ingress = svc.getStatus() == null || svc.getStatus().getLoadBalancer() == null ? null
                        : svc.getStatus().getLoadBalancer().getIngress();
                String external = ingress == null || ingress.isEmpty() ? "<pending>"
                        : ingress.get(0).getIp() != null ? ingress.get(0).getIp() : ingress.get(0).getHostname();
                out.printf("  Service %s/%s: %s, EXTERNAL-IP %s%n", EdgePorts.GATEWAY_NAMESPACE,
                        EdgePorts.GATEWAY_SERVICE, svc.getSpec().getType(), external);
            }
            GenericKubernetesResource vs = client.genericKubernetesResources(virtualServices())
                    .inNamespace(Routes.NAMESPACE).withName(Routes.NAME).get();
            out.println("  VirtualService " + Routes.NAMESPACE + "/" + Routes.NAME + ": "
                    + (vs == null ? "missing" : Routes.summary(vs)));
        } catch (KubernetesClientException ex) {
            out.println("  the API server does not answer: " + Applier.message(ex));
        }
        out.printf("  edge (%s path): %s -- %s%n", e.get("INGRESS_PATH").orElse("?"), e.get("GATEWAY_URL").orElse("?"),
                probeOnce(e.get("INGRESS_HOST").orElse(null), e.get("INGRESS_PORT").orElse(null)));
        out.printf("  gateway nodePort:  %s -- %s%n", e.get("NODEPORT_URL").orElse("?"),
                probeOnce(e.get("NODEPORT_HOST").orElse(null), e.get("NODEPORT_PORT").orElse(null)));
        out.printf("  app NodePort:      %s -- %s%n", e.get("APP_URL").orElse("?"),
                probeOnce(e.get("APP_HOST").orElse(null), e.get("APP_PORT").orElse(null)));
        out.printf("  why this path:     %s%n", e.get("INGRESS_REASON").orElse("?"));
        out.printf("  export KUBECONFIG=%s   (or: . %s)%n", e.get("KUBECONFIG").orElse("?"), project.show(envFile));
        return true;
    }

    private static String probeOnce(String host, String port) {
        if (host == null || port == null) {
            return "unknown";
        }
        try {
            EdgeClient.Response r = EdgeClient.get(host, Integer.parseInt(port), Duration.ofSeconds(3));
            return "HTTP " + r.status() + (r.version() == null ? "" : " from " + r.version());
        } catch (IOException | NumberFormatException ex) {
            return "no answer (" + ex.getMessage() + ")";
        }
    }

    // ---- weights -----------------------------------------------------------------------------

    /**
     * Replaces VirtualService default/app in the running testbed: {@code 90:10}, or a variant name
     * ({@code 50-50}, {@code 100-0}, {@code header}).
     */
    public GenericKubernetesResource weights(String name, String spec) {
        TestbedEnv env = TestbedEnv.read(envFile(name)).orElseThrow(() -> new TestbedException(
                "no testbed '" + name + "' is up (no " + project.show(envFile(name)) + "): make up first",
                TestbedException.FAILED));
        GenericKubernetesResource vs = Routes.resolve(project, spec);
        try (KubernetesClient client = client(env)) {
            return applyRoute(client, vs);
        }
    }

    /** Applies a VirtualService from {@link Routes} and says what now routes. */
    public GenericKubernetesResource applyRoute(KubernetesClient client, GenericKubernetesResource vs) {
        List<CustomResourceDefinition> crds = Manifests.loadFolder(project.manifests().resolve("crds")).stream()
                .filter(CustomResourceDefinition.class::isInstance).map(CustomResourceDefinition.class::cast).toList();
        HasMetadata applied = new Applier(client, crds, out).apply(vs);
        out.println("VirtualService " + Routes.NAMESPACE + "/" + Routes.NAME + " now routes: " + Routes.summary(vs)
                + " (the gateway applies it within a second)");
        return (GenericKubernetesResource) applied;
    }

    /** Istio's VirtualService, as a generic resource (v1, the version the CRDs store). */
    public static ResourceDefinitionContext virtualServices() {
        return new ResourceDefinitionContext.Builder().withGroup("networking.istio.io").withVersion("v1")
                .withKind("VirtualService").withPlural("virtualservices").withNamespaced(true).build();
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** A client for a kubeconfig file, with short timeouts and one retry. */
    public static KubernetesClient client(Path kubeconfig) {
        try {
            Config c = Config.fromKubeconfig(Files.readString(kubeconfig, StandardCharsets.UTF_8));
            return new KubernetesClientBuilder().withConfig(withTimeouts(c)).build();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + kubeconfig, e);
        }
    }

    /**
     * A client for the cluster a testbed.env names: its KUBECONFIG (the first file) and
     * KUBE_CONTEXT, with short timeouts and one retry.
     */
    public static KubernetesClient client(TestbedEnv env) {
        return new KubernetesClientBuilder().withConfig(withTimeouts(kubeconfigConfig(env))).build();
    }

    private static Config kubeconfigConfig(TestbedEnv env) {
        String path = env.require("KUBECONFIG").split(File.pathSeparator)[0];
        String context = env.get("KUBE_CONTEXT").filter(s -> !s.isBlank()).orElse(null);
        return Config.fromKubeconfig(context, new File(path));
    }

    static Config withTimeouts(Config c) {
        return new ConfigBuilder(c).withRequestTimeout(20_000).withConnectionTimeout(5_000)
                .withRequestRetryBackoffLimit(1).build();
    }

    private static void writePrivate(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    private static void deleteState(Path stateDir) {
        try {
            Files.deleteIfExists(stateDir.resolve(TestbedEnv.FILE_NAME));
            Files.deleteIfExists(stateDir.resolve("kubeconfig.yaml"));
            if (Files.isDirectory(stateDir)) {
                try (var s = Files.list(stateDir)) {
                    if (s.findAny().isEmpty()) {
                        Files.delete(stateDir);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cleaning " + stateDir, e);
        }
    }

    static long secondsSince(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos).toSeconds();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted", TestbedException.FAILED);
        }
    }

    /** The deployments of the plan, for callers that wait on them. */
    public List<Deployment> deployments() {
        return Manifests.plan(project, Manifests.Images.local(project)).deployments();
    }
}
