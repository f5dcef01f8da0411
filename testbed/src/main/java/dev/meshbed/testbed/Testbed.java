package dev.meshbed.testbed;

import static org.awaitility.Awaitility.await;

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

    /** Where {@code up} puts the cluster: the {@link ClusterSource} it starts. */
    public enum Target {
        /** A k3s node in Docker, through Testcontainers. */
        K3S,
        /** The one-node Kubernetes built from its Go modules, on this host (Linux, root). */
        KUBE,
        /** The cluster that KUBECONFIG (and its current context) names. */
        KUBECONFIG
    }

    /**
     * @param name           the testbed's name: its container label, node name and state folder
     * @param target         where the cluster comes from
     * @param loadBalancer   k3s: ServiceLB on (false: {@code --disable=servicelb}); kube: MetalLB's
     *                       controller on (false: none, a LoadBalancer stays pending)
     * @param k3sImage       the k3s image
     * @param k3sPull        whether {@code up} pulls the k3s image: when missing (the default), always, never
     * @param imageRegistry  an existing cluster: the registry the images were pushed to (null: the
     *                       cluster already has {@code meshbed/...:<version>})
     * @param rolloutTimeout how long the Deployments may take
     * @param lbWait         how long to wait for a load balancer to answer (null: 120 s with one on,
     *                       10 s with none, 60 s on an existing cluster)
     * @param edgeWait       how long the edge may take to answer once everything is rolled out
     * @param kubeBinary     kube: the multi-call binary built from the Go modules (scripts/kube-build.sh)
     */
    public record UpOptions(String name, Target target, boolean loadBalancer, String k3sImage, K3sPull k3sPull,
            String imageRegistry, Duration rolloutTimeout, Duration lbWait, Duration edgeWait, Path kubeBinary) {

        public static UpOptions k3s() {
            return new UpOptions(Project.DEFAULT_NAME, Target.K3S, true, K3sNode.DEFAULT_IMAGE, K3sPull.DEFAULT, null,
                    Duration.ofMinutes(5), null, Duration.ofSeconds(90), null);
        }

        /** The cluster built from modules, with the binary at {@code binary}; no load balancer unless asked. */
        public static UpOptions kube(Path binary) {
            return k3s().withTarget(Target.KUBE).withLoadBalancer(false).withKubeBinary(binary);
        }

        public UpOptions withTarget(Target t) {
            return new UpOptions(name, t, loadBalancer, k3sImage, k3sPull, imageRegistry, rolloutTimeout, lbWait,
                    edgeWait, kubeBinary);
        }

        public UpOptions withKubeBinary(Path binary) {
            return new UpOptions(name, target, loadBalancer, k3sImage, k3sPull, imageRegistry, rolloutTimeout, lbWait,
                    edgeWait, binary);
        }

        public UpOptions withEdgeWait(Duration d) {
            return new UpOptions(name, target, loadBalancer, k3sImage, k3sPull, imageRegistry, rolloutTimeout, lbWait,
                    d, kubeBinary);
        }

        public UpOptions withName(String n) {
            return new UpOptions(n, target, loadBalancer, k3sImage, k3sPull, imageRegistry, rolloutTimeout, lbWait,
                    edgeWait, kubeBinary);
        }

        public UpOptions withLoadBalancer(boolean lb) {
            return new UpOptions(name, target, lb, k3sImage, k3sPull, imageRegistry, rolloutTimeout, lbWait, edgeWait,
                    kubeBinary);
        }

        public UpOptions withK3sImage(String image) {
            return new UpOptions(name, target, loadBalancer, image, k3sPull, imageRegistry, rolloutTimeout, lbWait,
                    edgeWait, kubeBinary);
        }

        public UpOptions withK3sPull(K3sPull pull) {
            return new UpOptions(name, target, loadBalancer, k3sImage, pull, imageRegistry, rolloutTimeout, lbWait,
                    edgeWait, kubeBinary);
        }

        public UpOptions withCluster(String registry) {
            return new UpOptions(name, Target.KUBECONFIG, loadBalancer, k3sImage, k3sPull, registry, rolloutTimeout,
                    lbWait, edgeWait, kubeBinary);
        }

        public UpOptions withRolloutTimeout(Duration d) {
            return new UpOptions(name, target, loadBalancer, k3sImage, k3sPull, imageRegistry, d, lbWait, edgeWait,
                    kubeBinary);
        }

        public UpOptions withLbWait(Duration d) {
            return new UpOptions(name, target, loadBalancer, k3sImage, k3sPull, imageRegistry, rolloutTimeout, d,
                    edgeWait, kubeBinary);
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

    /** The source {@code up} starts its cluster from. */
    ClusterSource source(UpOptions o) {
        return switch (o.target()) {
            case K3S -> new K3sSource(project, out, o);
            case KUBE -> new KubeSource(project, out, o);
            case KUBECONFIG -> KubeconfigSource.fromEnvironment(project, out, o);
        };
    }

    public UpResult up(UpOptions o) {
        return up(source(o), o);
    }

    /** Up on the cluster {@code config} names (read from {@code kubeconfig}, recorded for the other commands). */
    UpResult upCluster(UpOptions o, Config config, String kubeconfig) {
        return up(new KubeconfigSource(project, out, o, config, kubeconfig), o);
    }

    /** The shared path: whatever the source, everything after "a cluster answers" is this. */
    UpResult up(ClusterSource source, UpOptions o) {
        long t0 = System.nanoTime();
        boolean registry = o.imageRegistry() != null && !o.imageRegistry().isBlank();
        Manifests.Images images = registry ? Manifests.Images.registry(project, o.imageRegistry())
                : Manifests.Images.local(project);
        Manifests.Plan plan = Manifests.plan(project, images);
        EdgePorts ports = EdgePorts.from(plan);
        out.printf("meshbed testbed '%s' %s: %s; images %s, %s%n", o.name(), project.version(), source.describe(),
                images.gateway(), images.app());

        // Everything that can be checked before starting anything, reported at once.
        List<String> problems = new ArrayList<>(source.problems(images));
        if (source.ownsNodes()) {
            problems.addAll(tarballProblems(images));
        }
        if (!problems.isEmpty()) {
            throw new TestbedException("cannot start the testbed; nothing was started:\n  - "
                    + String.join("\n  - ", problems), TestbedException.MISSING);
        }

        Path stateDir = project.stateDir(o.name());
        if (source.ownsNodes()) {
            deleteState(stateDir);
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MESHBED_MODE", source.mode());
        env.put("MESHBED_NAME", o.name());
        env.put("MESHBED_VERSION", project.version());
        env.put("LB", o.loadBalancer() ? "on" : "off");
        ClusterSource.Started started = source.start(stateDir, env);
        // already now, so that status and down work if a later step fails
        TestbedEnv.of(env).write(envFile(o.name()), "meshbed testbed (incomplete: up has not finished)");
        source.loadImages(images);

        Config config = Config.fromKubeconfig(started.context(), started.kubeconfig().toFile());
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(withTimeouts(config)).build()) {
            if (source.ownsNodes()) {
                awaitNode(client, source);
            }
            List<String> created = new ArrayList<>();
            deploy(client, plan, o, created, source::diagnosis);
            source.afterDeploy(client);
            if (!source.ownsNodes()) {
                env.put("MESHBED_CREATED", String.join(",", created));
            }
            IngressAddress ingress = resolveEdge(client, o, source);
            IngressResolver.Observation obs = IngressResolver.observe(client, EdgePorts.GATEWAY_NAMESPACE,
                    EdgePorts.GATEWAY_SERVICE);
            IngressAddress viaNodePort = IngressResolver.resolveNodePort(obs, IngressResolver.HTTP_PORT_NAME);
            String node = viaNodePort.host();
            HostPort gateway = source.fromHere(ingress.host(), ingress.port(),
                    ingress.path() == IngressAddress.Path.LOAD_BALANCER ? "the load balancer's port"
                            : "the gateway's nodePort");
            HostPort nodePort = ingress.path() == IngressAddress.Path.NODE_PORT ? gateway
                    : source.fromHere(node, ports.http2NodePort(), "the gateway's nodePort");
            HostPort app = source.fromHere(node, ports.appNodePort(), "the app's nodePort");
            HostPort status = ingress.path() == IngressAddress.Path.LOAD_BALANCER && !(source instanceof K3sSource)
                    ? source.fromHere(ingress.host(), ports.statusPort(), "the status port")
                    : source.fromHere(node, ports.statusNodePort(), "the status-port nodePort");
            putEdge(env, ingress, gateway, nodePort, app, status.url() + "/healthz/ready");
            env.put("INGRESS_NODE", nodeName(obs));
            probeEdge(gateway, nodePort, app, source.edgeMustAnswer(), o.edgeWait(), source.silentEdgeHint());
            TestbedEnv written = TestbedEnv.of(env);
            written.write(envFile(o.name()), header(o));
            summary(o, ingress, gateway, nodePort, app, started.kubeconfig(), t0);
            return new UpResult(written, envFile(o.name()), started.kubeconfig(), ingress, gateway, nodePort, app,
                    status.url() + "/healthz/ready", source instanceof K3sSource k ? k.container() : null);
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

    /**
     * The node Ready and the default ServiceAccount there: pods can be scheduled and admitted.
     * Progress every 10 s; a timeout says what the node reports and what the source knows
     * (a component that died, the last lines of its log).
     */
    private void awaitNode(KubernetesClient client, ClusterSource source) {
        long t = System.nanoTime();
        String[] last = {"no node registered yet"};
        long[] lastNote = {System.nanoTime()};
        try {
            await("node ready").atMost(Duration.ofMinutes(3)).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptionsMatching(e -> e instanceof KubernetesClientException)
                    .until(() -> {
                        source.checkAlive();
                        List<Node> nodes = client.nodes().list().getItems();
                        if (!nodes.isEmpty()) {
                            last[0] = Rollouts.nodeConditions(nodes);
                        }
                        if (System.nanoTime() - lastNote[0] > Duration.ofSeconds(10).toNanos()) {
                            out.printf("  waiting for the node (%d s): %s%n", secondsSince(t), last[0]);
                            lastNote[0] = System.nanoTime();
                        }
                        return nodes.stream().anyMatch(Testbed::ready)
                                && client.serviceAccounts().inNamespace("default").withName("default").get() != null;
                    });
        } catch (ConditionTimeoutException e) {
            throw new TestbedException("the node did not become Ready within 3 min: " + last[0] + source.diagnosis(),
                    TestbedException.FAILED);
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
    void deploy(KubernetesClient client, Manifests.Plan plan, UpOptions o, List<String> created,
            java.util.function.Supplier<String> diagnosis) {
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
        Rollouts.await(client, plan.deployments(), o.rolloutTimeout(), out, diagnosis);
        out.printf("  rolled out (%d s)%n", secondsSince(t));
    }

    private static boolean isOurs(HasMetadata r) {
        Map<String, String> labels = r.getMetadata().getLabels();
        return labels != null && "meshbed".equals(labels.get("app.kubernetes.io/part-of"));
    }

    /** Istio's procedure, waiting up to {@link UpOptions#effectiveLbWait()} for a load balancer to answer. */
    IngressAddress resolveEdge(KubernetesClient client, UpOptions o, ClusterSource source) {
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
            String context = source.pendingContext(o.loadBalancer());
            address = new IngressAddress(address.path(), address.host(), address.port(),
                    address.reason() + " [looked for " + secondsSince(t) + " s" + context + "]");
        }
        out.printf("  path: %s -- %s%n", address.path() == IngressAddress.Path.LOAD_BALANCER ? "LoadBalancer"
                : "NodePort", address.reason());
        out.printf("  INGRESS_HOST=%s INGRESS_PORT=%d (in the cluster's terms)%n", address.host(), address.port());
        return address;
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
     * address may just not be reachable from here, so only a warning. Either says what the source
     * found that may keep the edge silent ({@code hint}, may be empty).
     */
    private void probeEdge(HostPort gateway, HostPort nodePort, HostPort app, boolean strict, Duration wait,
            String hint) {
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
                    + last[0] + ")" + (hint == null || hint.isEmpty() ? "" : "\n  " + hint);
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

    /** The source that manages a testbed's cluster after {@code up}: by testbed.env's mode. */
    private ClusterSource sourceOf(String mode) {
        UpOptions o = UpOptions.k3s();
        return switch (mode) {
            case "kube" -> new KubeSource(project, out, o.withTarget(Target.KUBE));
            case "cluster" -> KubeconfigSource.fromEnvironment(project, out, o.withCluster(null));
            default -> new K3sSource(project, out, o);
        };
    }

    /**
     * Removes what {@code up} started, by testbed.env's mode; without the file (a crash, or a
     * removed target/), whatever of a testbed named {@code name} is found on this machine: a
     * kube node's processes and namespaces, k3s containers by label. {@code all}: every
     * testbed's. Nothing to remove is not an error.
     */
    public void down(String name, boolean all) {
        if (all) {
            new KubeSource(project, out, UpOptions.k3s().withTarget(Target.KUBE)).downAll();
            new K3sSource(project, out, UpOptions.k3s()).down(null, Optional.empty());
            deleteState(project.stateDir(name));
            return;
        }
        Optional<TestbedEnv> env = TestbedEnv.read(envFile(name));
        Optional<String> mode = env.flatMap(e -> e.get("MESHBED_MODE"));
        if (mode.isPresent()) {
            sourceOf(mode.get()).down(name, env);
        } else {
            KubeSource kube = new KubeSource(project, out, UpOptions.k3s().withTarget(Target.KUBE));
            List<String> docker = DockerAccess.environmentProblems();
            if (kube.present(name)) {
                kube.down(name, env);
            } else if (docker.isEmpty()) {
                new K3sSource(project, out, UpOptions.k3s()).down(name, env);
            } else {
                out.println("nothing to remove: no testbed.env, no kube node '" + name + "' on this host, and k3s "
                        + "containers are not looked for (" + docker.get(0) + ")");
            }
        }
        boolean hadState = Files.exists(project.stateDir(name).resolve(TestbedEnv.FILE_NAME));
        deleteState(project.stateDir(name));
        if (hadState && mode.isEmpty()) {
            out.println("removed the state left in " + project.show(project.stateDir(name)));
        }
    }

    /**
     * Whether a kube node named {@code name} is on this host, whichever clone started it (its
     * folders, namespace or link: no testbed.env needed). For callers that must leave a running
     * testbed of that name alone.
     */
    public boolean kubeNodePresent(String name) {
        return new KubeSource(project, out, UpOptions.k3s().withTarget(Target.KUBE)).present(name);
    }

    // ---- status ------------------------------------------------------------------------------

    /** What runs and where the edge is; returns whether a testbed runs. */
    public boolean status(String name) {
        Path envFile = envFile(name);
        Optional<TestbedEnv> env = TestbedEnv.read(envFile);
        Optional<String> mode = env.flatMap(e -> e.get("MESHBED_MODE"));
        ClusterSource source;
        if (mode.isPresent()) {
            source = sourceOf(mode.get());
        } else {
            KubeSource kube = new KubeSource(project, out, UpOptions.k3s().withTarget(Target.KUBE));
            source = kube.present(name) ? kube : new K3sSource(project, out, UpOptions.k3s());
        }
        if (!source.status(name, env)) {
            return false;
        }
        if (env.isEmpty()) {
            out.println("  no " + project.show(envFile) + ": up did not get far (make down, then make up)");
            return true;
        }
        TestbedEnv e = env.orElseThrow();
        try (KubernetesClient client = client(e)) {
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

    static void writePrivate(Path file, String text) {
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

    static void deleteState(Path stateDir) {
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
