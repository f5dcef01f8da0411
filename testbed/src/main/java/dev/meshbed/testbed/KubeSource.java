package dev.meshbed.testbed;

import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The one-node Kubernetes built from its Go modules, on this host ({@code make up CLUSTER=kube};
 * Linux, root): {@link KubeNode} starts it in a network namespace of its own, the images are
 * imported into its containerd, and the node's address answers from here directly (the host
 * routes to it), so the edge is {@code <node address>:31380} while the gateway's LoadBalancer is
 * pending, as on minikube. {@code LB=on} adds a load balancer ({@link KubeLoadBalancer}).
 */
final class KubeSource implements ClusterSource {

    /** Free space the node needs under /var/lib (etcd, images, the pods' layers). */
    static final long MIN_FREE_BYTES = 2L << 30;

    private final Project project;
    private final PrintStream out;
    private final Testbed.UpOptions options;
    private KubeNode node;

    KubeSource(Project project, PrintStream out, Testbed.UpOptions options) {
        this.project = project;
        this.out = out;
        this.options = options;
    }

    private KubeLayout layout(String name) {
        return KubeLayout.of(name, project.stateDir(name).resolve("kube-logs"));
    }

    @Override
    public String mode() {
        return "kube";
    }

    @Override
    public String describe() {
        KubeLayout l = layout(options.name());
        return "Kubernetes " + k8sVersion() + " built from its Go modules (" + options.kubeBinary() + "), node "
                + l.nodeName() + " at " + l.nodeIp() + " in network namespace " + l.netns() + "; load balancer: "
                + (options.loadBalancer() ? "MetalLB " + loadBalancer(l).version() + "'s controller, pool " + l.lbRange()
                        : "none (EXTERNAL-IP stays <pending>, as on minikube)");
    }

    /** The version the binary reports ({@code meshbed-kube version}), or "?" before the checks. */
    private String k8sVersion() {
        if (options.kubeBinary() == null || !Files.isExecutable(options.kubeBinary())) {
            return "?";
        }
        Exec.Result r = Exec.run(Duration.ofSeconds(20), options.kubeBinary().toString(), "version");
        String[] words = r.output().split("\\s+");
        return r.ok() && words.length > 1 ? words[1] : "?";
    }

    @Override
    public List<String> problems(Manifests.Images images) {
        List<String> problems = new ArrayList<>();
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            return List.of("CLUSTER=kube runs the cluster on this host, which needs Linux (this is "
                    + System.getProperty("os.name") + "); use k3s in Docker (make up) instead");
        }
        if (!"root".equals(System.getProperty("user.name")) && !isRoot()) {
            problems.add("CLUSTER=kube needs root (it creates a network namespace, cgroups and mounts): run it as "
                    + "root (sudo make up CLUSTER=kube)");
        }
        KubeLayout l;
        try {
            l = layout(options.name());
        } catch (TestbedException e) {
            problems.add(e.getMessage());
            return problems;
        }
        Path binary = options.kubeBinary();
        if (binary == null || !Files.isExecutable(binary)) {
            problems.add("the Kubernetes binary " + (binary == null ? "" : binary + " ") + "is missing: "
                    + "scripts/kube-build.sh builds it (make up CLUSTER=kube does, when Go is installed)");
        } else if ("?".equals(k8sVersion())) {
            problems.add(binary + " does not run (" + Exec.run(Duration.ofSeconds(20), binary.toString(), "version")
                    .output() + "): rebuild it (scripts/kube-build.sh)");
        }
        for (String tool : List.of("containerd", "containerd-shim-runc-v2", "runc", "ctr", "iptables", "ip", "nsenter",
                "setsid", "umount")) {
            if (!Exec.onPath(tool)) {
                problems.add(tool + " is not installed (Debian: apt-get install containerd runc "
                        + "containernetworking-plugins iptables conntrack iproute2 util-linux)");
            }
        }
        if (KubeNode.cniBin().isEmpty()) {
            problems.add("the CNI plugins bridge, host-local and portmap are not in /usr/lib/cni or /opt/cni/bin "
                    + "(Debian: apt-get install containernetworking-plugins)");
        }
        if (!Files.isDirectory(Path.of("/proc/sys/net/bridge"))) {
            problems.add("the kernel has no bridge netfilter (/proc/sys/net/bridge is missing): modprobe br_netfilter");
        }
        List<String> controllers = KubeNode.cgroupControllers().stream().map(p -> p.getFileName().toString()).toList();
        for (String c : List.of("cpu", "cpuacct", "cpuset", "memory", "pids")) {
            if (controllers.stream().noneMatch(x -> x.equals(c) || List.of(x.split(",")).contains(c))) {
                problems.add("the cgroup v1 controller " + c + " is not mounted under /sys/fs/cgroup (found: "
                        + controllers + "); CLUSTER=kube supports cgroup v1 hosts only so far");
            }
        }
        try {
            Files.createDirectories(KubeLayout.DATA_ROOT);
            long free = Files.getFileStore(KubeLayout.DATA_ROOT).getUsableSpace();
            if (free < MIN_FREE_BYTES) {
                problems.add("only " + (free >> 20) + " MB free under " + KubeLayout.DATA_ROOT + "; the node needs "
                        + (MIN_FREE_BYTES >> 20) + " MB (etcd, images, the pods' layers)");
            }
        } catch (IOException e) {
            problems.add("cannot use " + KubeLayout.DATA_ROOT + ": " + e.getMessage());
        }
        if (options.loadBalancer() && binary != null) {
            problems.addAll(loadBalancer(l).problems());
        }
        Map<String, Long> running = KubeNode.runningPids(l);
        if (!running.isEmpty()) {
            problems.add("a kube testbed named '" + options.name() + "' runs already (" + running + "): make status shows "
                    + "it, make down removes it");
        }
        Exec.Result routes = Exec.run(Duration.ofSeconds(10), "ip", "route", "show", "match", l.nodeIp());
        if (running.isEmpty() && routes.ok() && routes.output().lines().anyMatch(r -> !r.startsWith("default")
                && !r.contains(l.hostLink()))) {
            problems.add("this host already routes " + l.nodeIp() + " (" + routes.output().lines()
                    .filter(r -> !r.startsWith("default")).findFirst().orElse("") + "); the node's subnet "
                    + l.nodeCidr() + " must be free: pick another NAME");
        }
        return problems;
    }

    private static boolean isRoot() {
        try {
            String status = Files.readString(Path.of("/proc/self/status"));
            return status.lines().anyMatch(line -> line.startsWith("Uid:") && line.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public Started start(Path stateDir, Map<String, String> env) {
        KubeLayout l = layout(options.name());
        KubeTeardown teardown = new KubeTeardown(l, out);
        if (teardown.present()) {
            out.println("an earlier kube node '" + options.name() + "' left things behind (a crash?); removing them first:");
            teardown.run().forEach(line -> out.println("  " + line));
        }
        node = new KubeNode(l, options.kubeBinary(), out);
        long t0 = System.nanoTime();
        try {
            KubeNode.deleteTree(l.logs());
            Files.createDirectories(l.logs());
            Files.createDirectories(l.run());
            Files.createDirectories(l.conf());
        } catch (IOException e) {
            throw new TestbedException("preparing the node's folders: " + e.getMessage(), TestbedException.FAILED);
        }
        env.put("KUBE_NODE", l.nodeName());
        env.put("KUBE_NODE_IP", l.nodeIp());
        env.put("KUBE_NETNS", l.netns());
        env.put("KUBE_BINARY", options.kubeBinary().toString());
        env.put("KUBE_LOGS", l.logs().toString());
        env.put("KUBECTL", options.kubeBinary().resolveSibling("kubectl").toString());
        Path kubeconfig = stateDir.resolve("kubeconfig.yaml");
        env.put("KUBECONFIG", kubeconfig.toString());
        // written now, so that a failure from here on leaves a file that down can read
        TestbedEnv.of(env).write(stateDir.resolve(TestbedEnv.FILE_NAME), "meshbed testbed (incomplete: up has not finished)");

        node.saveSysctls();
        node.createNetwork(options.loadBalancer());
        Map<String, String> values = node.values(k8sVersion(), NodeImages.PAUSE_IMAGE);
        node.writeTemplate("kubeadm.yaml", l.conf().resolve("kubeadm.yaml"), values);
        node.writeTemplate("containerd.toml", l.conf().resolve("containerd.toml"), values);
        node.writeTemplate("cni.conflist", l.conf().resolve("cni/10-meshbed.conflist"), values);
        node.writeTemplate("kubelet.yaml", l.conf().resolve("kubelet.yaml"), values);
        node.writeTemplate("kube-proxy.yaml", l.conf().resolve("kube-proxy.yaml"), values);
        node.writeTemplate("audit-policy.yaml", l.conf().resolve("audit-policy.yaml"), values);
        KubeNode.write(l.conf().resolve("resolv.conf"), "# the meshbed kube node runs no cluster DNS: pods reach "
                + "Services by their ClusterIP or *_SERVICE_HOST\n");
        node.writePki(l.conf().resolve("kubeadm.yaml"));
        node.createCgroups();

        out.println("starting the control plane (etcd, kube-apiserver) ...");
        node.start("etcd");
        node.start("kube-apiserver");
        awaitApiServer(l, Duration.ofMinutes(2));
        bindAdmins(l);
        Testbed.writePrivate(kubeconfig, read(l.adminKubeconfig()));
        if (options.loadBalancer()) {
            try (KubernetesClient client = Testbed.client(kubeconfig)) {
                loadBalancer(l).apply(client);
            }
        }
        node.start("kube-controller-manager");
        node.start("kube-scheduler");

        out.println("starting the node (containerd, kubelet, kube-proxy) ...");
        node.start("containerd");
        node.awaitFile(l.socket(), "containerd's socket", Duration.ofSeconds(60));
        Path pause = l.data().resolve("images/pause.tar");
        NodeImages.singleBinary(options.kubeBinary().resolveSibling("pause"), "pause", NodeImages.PAUSE_IMAGE, "65535",
                pause);
        NodeImages.importTarball(l.socket(), pause, NodeImages.PAUSE_IMAGE, out);
        if (options.loadBalancer()) {
            loadBalancer(l).importImage();
        }
        node.start("kubelet");
        node.start("kube-proxy");
        out.printf("  the node's processes run (%d s); logs in %s%n", Testbed.secondsSince(t0), project.show(l.logs()));
        return new Started(kubeconfig, null);
    }

    private KubeLoadBalancer loadBalancer(KubeLayout l) {
        return new KubeLoadBalancer(l, options.kubeBinary().getParent(), out);
    }

    /** With LB=on, MetalLB's controller rolled out before the edge is resolved (a failure then names it). */
    @Override
    public void afterDeploy(KubernetesClient client) {
        if (options.loadBalancer()) {
            loadBalancer(layout(options.name())).await(client, Duration.ofMinutes(2));
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new TestbedException("reading " + p + ": " + e.getMessage(), TestbedException.FAILED);
        }
    }

    /** Until the API server's /readyz answers ok (etcd reached, its post-start hooks done). */
    private void awaitApiServer(KubeLayout l, Duration timeout) {
        long t = System.nanoTime();
        long lastNote = t;
        String last = "no answer yet";
        Config config = Config.fromKubeconfig(null, l.conf().resolve("super-admin.conf").toFile());
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Testbed.withTimeouts(config)).build()) {
            while (true) {
                node.checkAlive();
                try {
                    String r = client.raw("/readyz");
                    if (r != null && r.strip().equals("ok")) {
                        break;
                    }
                    last = r == null ? "no answer" : r.strip();
                } catch (RuntimeException e) {
                    last = DockerAccess.firstLine(e.getMessage());
                }
                if (System.nanoTime() - t > timeout.toNanos()) {
                    throw new TestbedException("kube-apiserver is not ready after " + timeout.toSeconds() + " s (last: "
                            + last + "); the last lines of its log:" + Exec.lastLines(l.log("kube-apiserver"), 15)
                            + "\n    etcd's:" + Exec.lastLines(l.log("etcd"), 8), TestbedException.FAILED);
                }
                if (System.nanoTime() - lastNote > Duration.ofSeconds(10).toNanos()) {
                    out.printf("  waiting for kube-apiserver (%d s): %s%n", Testbed.secondsSince(t), last);
                    lastNote = System.nanoTime();
                }
                KubeNode.sleep(Duration.ofMillis(300));
            }
            out.printf("  kube-apiserver ready at %s (%d s)%n", l.apiServer(), Testbed.secondsSince(t));
        }
    }

    /**
     * kubeadm's admin kubeconfig is in group kubeadm:cluster-admins, which kubeadm's init binds
     * to cluster-admin: the same binding, made with the super-admin's (system:masters) kubeconfig,
     * so that the admin goes through RBAC like any user.
     */
    private void bindAdmins(KubeLayout l) {
        Config config = Config.fromKubeconfig(null, l.conf().resolve("super-admin.conf").toFile());
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Testbed.withTimeouts(config)).build()) {
            client.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata()
                    .withName("kubeadm:cluster-admins").endMetadata()
                    .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "cluster-admin")
                    .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("Group")
                    .withName("kubeadm:cluster-admins").endSubject().build()).serverSideApply();
        }
    }

    @Override
    public void loadImages(Manifests.Images images) {
        KubeLayout l = layout(options.name());
        out.println("importing the images into the node's containerd ...");
        NodeImages.importTarball(l.socket(), project.gatewayTarball(), images.gateway(), out);
        NodeImages.importTarball(l.socket(), project.appTarball(), images.app(), out);
    }

    /** The host routes to the node's subnet (and to the load balancer's pool): its addresses answer from here. */
    @Override
    public HostPort fromHere(String clusterHost, int port, String what) {
        return new HostPort(clusterHost, port);
    }

    @Override
    public String pendingContext(boolean loadBalancer) {
        return loadBalancer ? " although MetalLB's controller runs (kubectl -n " + KubeLoadBalancer.NAMESPACE
                + " logs deploy/controller; is the pool " + layout(options.name()).lbRange() + " used up?)"
                : ": this node has no load balancer, as minikube without a tunnel (LB=on adds MetalLB's controller)";
    }

    @Override
    public void checkAlive() {
        if (node != null) {
            node.checkAlive();
        }
    }

    @Override
    public String diagnosis() {
        KubeLayout l = layout(options.name());
        StringBuilder sb = new StringBuilder();
        Map<String, Long> running = KubeNode.runningPids(l);
        List<String> dead = KubeNode.COMPONENTS.stream().filter(c -> Files.exists(l.pids().resolve(c + ".pid")))
                .filter(c -> !running.containsKey(c)).toList();
        if (!dead.isEmpty()) {
            sb.append("\n    components that exited: ").append(dead);
            for (String c : dead) {
                sb.append("\n    ").append(c).append(':').append(Exec.lastLines(l.log(c), 12));
            }
        }
        sb.append("\n    the kubelet's last log lines (").append(l.log("kubelet")).append("):")
                .append(Exec.lastLines(l.log("kubelet"), 12));
        return sb.toString();
    }

    @Override
    public boolean present(String name) {
        try {
            return new KubeTeardown(layout(name), out).present();
        } catch (TestbedException e) {
            return false; // not a name a kube node can have
        }
    }

    @Override
    public void down(String name, Optional<TestbedEnv> env) {
        KubeLayout l = layout(name);
        if (!isRoot() && new KubeTeardown(l, out).present()) {
            throw new TestbedException("kube node '" + name + "' runs as root's: removing it needs root too (sudo make "
                    + "down)", TestbedException.MISSING);
        }
        KubeTeardown teardown = new KubeTeardown(l, out);
        if (!teardown.present()) {
            out.println("nothing to remove: no kube node '" + name + "' on this host (no " + l.run() + ", "
                    + l.data() + " or network namespace " + l.netns() + ")");
        } else {
            out.printf("removing kube node '%s' ...%n", name);
            teardown.run().forEach(line -> out.println("  " + line));
        }
        List<String> left = teardown.leftovers();
        if (!left.isEmpty()) {
            throw new TestbedException("kube node '" + name + "': still on this host after down:\n  - "
                    + String.join("\n  - ", left), TestbedException.FAILED);
        }
        out.println("nothing of kube node '" + name + "' is left (processes, mounts, network namespace, interfaces, "
                + "routes, cgroups, folders); its logs stay in " + project.show(l.logs()));
    }

    /** Every kube node on this host, whatever its name (found by its folders and namespaces). */
    void downAll() {
        List<String> names = new ArrayList<>();
        for (Path root : List.of(KubeLayout.RUN_ROOT, KubeLayout.DATA_ROOT)) {
            if (Files.isDirectory(root)) {
                try (Stream<Path> s = Files.list(root)) {
                    s.map(p -> p.getFileName().toString()).filter(n -> !names.contains(n)).forEach(names::add);
                } catch (IOException e) {
                    out.println("cannot list " + root + ": " + e.getMessage());
                }
            }
        }
        if (Files.isDirectory(Path.of("/run/netns"))) {
            try (Stream<Path> s = Files.list(Path.of("/run/netns"))) {
                s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("meshbed-"))
                        .map(n -> n.substring("meshbed-".length())).filter(n -> !names.contains(n)).forEach(names::add);
            } catch (IOException e) {
                out.println("cannot list /run/netns: " + e.getMessage());
            }
        }
        for (String n : names) {
            down(n, Optional.empty());
        }
    }

    @Override
    public boolean status(String name, Optional<TestbedEnv> env) {
        KubeLayout l = layout(name);
        Map<String, Long> running = KubeNode.runningPids(l);
        List<String> expected = KubeNode.COMPONENTS;
        if (running.isEmpty()) {
            out.printf("testbed '%s': not running (no process of kube node %s)%s%n", name, l.nodeName(),
                    new KubeTeardown(l, out).present() ? "; things of it are left on this host: make down removes them"
                            : "");
            return false;
        }
        List<String> parts = new ArrayList<>();
        for (String c : expected) {
            parts.add(c + (running.containsKey(c) ? " " + running.get(c) : " NOT RUNNING"));
        }
        out.printf("testbed '%s': kube node %s at %s (namespace %s), %s%n", name, l.nodeName(), l.nodeIp(), l.netns(),
                env.flatMap(e -> e.get("LB")).map(lb -> "load balancer " + lb).orElse(""));
        out.printf("  processes: %s%n", String.join(", ", parts));
        if (running.size() < expected.size()) {
            out.printf("  logs: %s%n", project.show(l.logs()));
        }
        return true;
    }
}
