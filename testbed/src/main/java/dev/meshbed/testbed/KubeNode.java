package dev.meshbed.testbed;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The processes of a one-node Kubernetes on this host, built from its Go modules (one
 * multi-call binary, {@code scripts/kube-build.sh}) with Debian's containerd, runc and CNI
 * plugins: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd, the
 * kubelet and kube-proxy, each started in the node's network namespace ({@link KubeLayout})
 * and its own session (so that a Ctrl-C in the shell that ran {@code make up} does not reach it),
 * with its log in {@code logs/<component>.log} and its PID in {@code run/pids/}. The API server
 * also writes an audit log of the ServiceAccounts in istio-system and metallb-system
 * ({@code logs/audit.log}).
 *
 * <p>{@link KubeTeardown} undoes all of it.
 */
final class KubeNode {

    /** The components in the order they start; {@code down} stops them in reverse. */
    static final List<String> COMPONENTS = List.of("etcd", "kube-apiserver", "kube-controller-manager",
            "kube-scheduler", "containerd", "kubelet", "kube-proxy");

    /** The kernel sysctls the kubelet sets for itself (host-wide, not per namespace): saved by up, restored by down. */
    static final List<String> KUBELET_SYSCTLS = List.of("vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic",
            "kernel/panic_on_oops", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes");

    private static final Duration SHORT = Duration.ofSeconds(30);

    private final KubeLayout layout;
    private final Path binary;
    private final PrintStream out;
    private final Map<String, Process> started = new LinkedHashMap<>();

    KubeNode(KubeLayout layout, Path binary, PrintStream out) {
        this.layout = requireNonNull(layout, "layout");
        this.binary = binary;
        this.out = requireNonNull(out, "out");
    }

    KubeLayout layout() {
        return layout;
    }

    // ---- the network ---------------------------------------------------------------------------

    /**
     * The node's network namespace and the veth pair to it, the node's address, a default route
     * back to the host, forwarding and bridge netfilter inside (the host's own settings stay as
     * they are), and, for a load balancer, the host's route to its pool.
     */
    void createNetwork(boolean loadBalancer) {
        String ns = layout.netns();
        String host = layout.hostLink();
        ip("netns", "add", ns);
        ip("link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip("addr", "add", layout.hostIp() + "/24", "dev", host);
        ip("link", "set", host, "up");
        inNode("ip", "link", "set", "lo", "up");
        inNode("ip", "addr", "add", layout.nodeIp() + "/24", "dev", "eth0");
        inNode("ip", "link", "set", "eth0", "up");
        inNode("ip", "route", "add", "default", "via", layout.hostIp());
        for (String s : List.of("net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1",
                "net.ipv4.conf.all.route_localnet=1")) {
            inNode("sysctl", "-q", "-w", s);
        }
        if (loadBalancer) {
            ip("route", "add", layout.lbPool(), "via", layout.nodeIp(), "dev", host);
        }
        out.printf("  network: namespace %s, node %s on %s (host side %s), Services %s, pods %s%s%n", ns,
                layout.nodeIp(), "eth0", host + " " + layout.hostIp(), KubeLayout.SERVICE_CIDR, KubeLayout.POD_SUBNET,
                loadBalancer ? ", load balancer pool " + layout.lbPool() + " routed to the node" : "");
    }

    private void ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Exec.run(SHORT, cmd).orThrow("setting up the node's network");
    }

    /** A short command in the node's network namespace. */
    Exec.Result inNode(String... command) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=" + layout.netnsPath(), "--"));
        cmd.addAll(List.of(command));
        Exec.Result r = Exec.run(SHORT, cmd);
        r.orThrow("in the node's namespace");
        return r;
    }

    /** The kernel settings the kubelet will change, to put back on {@code down}. */
    void saveSysctls() {
        StringBuilder sb = new StringBuilder();
        for (String key : KUBELET_SYSCTLS) {
            Path p = Path.of("/proc/sys").resolve(key);
            try {
                sb.append(key).append('=').append(readProc(p)).append('\n');
            } catch (IOException e) {
                // not on this kernel: nothing to restore
            }
        }
        write(layout.run().resolve("sysctls.saved"), sb.toString());
    }

    /**
     * The kubelet's cgroup root under every mounted v1 controller (the kubelet checks it exists),
     * with cpuset's cpus and mems copied from the parent, as cpuset needs them before any task.
     */
    void createCgroups() {
        for (Path controller : cgroupControllers()) {
            Path dir = controller.resolve(layout.cgroupRoot().substring(1));
            try {
                Files.createDirectories(dir);
                for (String f : List.of("cpuset.cpus", "cpuset.mems")) {
                    Path parent = controller.resolve(f);
                    if (Files.exists(parent) && readProc(dir.resolve(f)).isBlank()) {
                        Files.writeString(dir.resolve(f), readProc(parent));
                    }
                }
            } catch (IOException e) {
                throw new TestbedException("creating the cgroup " + dir + ": " + e.getMessage(), TestbedException.FAILED);
            }
        }
    }

    /**
     * A /proc/sys (or cgroupfs) value, read in one call. Such files report a size of 0, and
     * {@link Files#readString} then reads one byte first and the rest from position 1, where
     * procfs's sysctl handlers return nothing: "1000000" would come back as "1".
     */
    static String readProc(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[4096];
            int n = in.read(buf);
            return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII).strip();
        }
    }

    /**
     * The mounted cgroup v1 hierarchies, the named one ({@code name=systemd}) included: the
     * kubelet wants its cgroup root under each.
     */
    static List<Path> cgroupControllers() {
        Path root = Path.of("/sys/fs/cgroup");
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> Files.isDirectory(p) && !Files.isSymbolicLink(p))
                    .filter(p -> Files.exists(p.resolve("tasks")))
                    .sorted().forEach(out::add);
        } catch (IOException e) {
            // no cgroup v1 hierarchies: nothing to create
        }
        return out;
    }

    // ---- configuration ---------------------------------------------------------------------------

    /** The values of the templates in resources/dev/meshbed/testbed/kube/. */
    Map<String, String> values(String k8sVersion, String pauseImage) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("NAME", layout.name());
        v.put("NODE_NAME", layout.nodeName());
        v.put("NODE_IP", layout.nodeIp());
        v.put("DATA", layout.data().toString());
        v.put("RUN", layout.run().toString());
        v.put("CONF", layout.conf().toString());
        v.put("PKI", layout.pki().toString());
        v.put("SERVICE_CIDR", KubeLayout.SERVICE_CIDR);
        v.put("CLUSTER_CIDR", KubeLayout.CLUSTER_CIDR);
        v.put("POD_SUBNET", KubeLayout.POD_SUBNET);
        v.put("BRIDGE", layout.bridge());
        v.put("CNI_BIN", cniBin().map(Path::toString).orElse("/usr/lib/cni"));
        v.put("K8S_VERSION", k8sVersion);
        v.put("PAUSE_IMAGE", pauseImage);
        return v;
    }

    /** Writes a template with {@code {{KEY}}} placeholders filled in. */
    void writeTemplate(String template, Path target, Map<String, String> values) {
        String text;
        try (InputStream in = KubeNode.class.getResourceAsStream("kube/" + template)) {
            if (in == null) {
                throw new IllegalStateException("template kube/" + template + " is missing from the classpath");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (var e : values.entrySet()) {
            text = text.replace("{{" + e.getKey() + "}}", e.getValue());
        }
        if (text.contains("{{")) {
            throw new IllegalStateException("template kube/" + template + " has a placeholder without a value: "
                    + text.substring(text.indexOf("{{"), Math.min(text.length(), text.indexOf("{{") + 30)));
        }
        write(target, text);
    }

    /** Where Debian's CNI plugins are (containernetworking-plugins), or the usual other place. */
    static Optional<Path> cniBin() {
        return Stream.of(Path.of("/usr/lib/cni"), Path.of("/opt/cni/bin"))
                .filter(p -> Files.isExecutable(p.resolve("bridge")) && Files.isExecutable(p.resolve("host-local"))
                        && Files.isExecutable(p.resolve("portmap")))
                .findFirst();
    }

    /**
     * The cluster's certificates and kubeconfigs, by kubeadm's own phases (built into the binary):
     * a CA, the API server's serving certificate (for the node's address and the kubernetes
     * Service's ClusterIP), the kubelet client and front-proxy certificates, the ServiceAccount
     * keys; kubeconfigs for an admin, the controller manager, the scheduler, the kubelet
     * ({@code system:node:<node>}, for the Node authorizer) and kube-proxy ({@code system:kube-proxy},
     * bound to {@code system:node-proxier} by the API server's default policy).
     */
    void writePki(Path kubeadmConfig) {
        kubeadm("certs", "init", "phase", "certs", "all", "--config", kubeadmConfig.toString());
        for (String which : List.of("admin", "super-admin", "controller-manager", "scheduler", "kubelet")) {
            kubeadm("kubeconfig " + which, "init", "phase", "kubeconfig", which, "--config", kubeadmConfig.toString(),
                    "--kubeconfig-dir", layout.conf().toString());
        }
        String proxy = kubeadm("kube-proxy's kubeconfig", "kubeconfig", "user", "--config", kubeadmConfig.toString(),
                "--client-name", "system:kube-proxy");
        write(layout.conf().resolve("kube-proxy.conf"), proxy.substring(proxy.indexOf("apiVersion:")));
        out.printf("  certificates and kubeconfigs in %s (kubeadm's phases)%n", layout.conf());
    }

    private String kubeadm(String what, String... args) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "kubeadm"));
        cmd.addAll(List.of(args));
        cmd.add("--v=1");
        return Exec.run(Duration.ofMinutes(1), cmd).orThrow("kubeadm (" + what + ")");
    }

    // ---- the components ----------------------------------------------------------------------------

    /** The command line of each component. */
    List<String> command(String component) {
        Path pki = layout.pki();
        Path conf = layout.conf();
        String b = binary.toString();
        return switch (component) {
            case "etcd" -> List.of(b, "etcd", "--name", layout.nodeName(), "--data-dir",
                    layout.data().resolve("etcd").toString(),
                    "--listen-client-urls", "http://127.0.0.1:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
                    "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls",
                    "http://127.0.0.1:2380", "--initial-cluster", layout.nodeName() + "=http://127.0.0.1:2380",
                    "--listen-metrics-urls", "http://127.0.0.1:2381", "--log-outputs", "stderr");
            case "kube-apiserver" -> List.of(b, "kube-apiserver", "--advertise-address", layout.nodeIp(),
                    "--secure-port", "6443", "--etcd-servers", "http://127.0.0.1:2379", "--allow-privileged=true",
                    "--authorization-mode", "Node,RBAC", "--enable-admission-plugins", "NodeRestriction",
                    "--client-ca-file", pki.resolve("ca.crt").toString(),
                    "--tls-cert-file", pki.resolve("apiserver.crt").toString(),
                    "--tls-private-key-file", pki.resolve("apiserver.key").toString(),
                    "--kubelet-client-certificate", pki.resolve("apiserver-kubelet-client.crt").toString(),
                    "--kubelet-client-key", pki.resolve("apiserver-kubelet-client.key").toString(),
                    "--kubelet-preferred-address-types", "InternalIP",
                    "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
                    "--service-account-key-file", pki.resolve("sa.pub").toString(),
                    "--service-account-signing-key-file", pki.resolve("sa.key").toString(),
                    "--service-cluster-ip-range", KubeLayout.SERVICE_CIDR,
                    "--requestheader-client-ca-file", pki.resolve("front-proxy-ca.crt").toString(),
                    "--proxy-client-cert-file", pki.resolve("front-proxy-client.crt").toString(),
                    "--proxy-client-key-file", pki.resolve("front-proxy-client.key").toString(),
                    "--requestheader-allowed-names", "front-proxy-client",
                    "--requestheader-extra-headers-prefix", "X-Remote-Extra-",
                    "--requestheader-group-headers", "X-Remote-Group",
                    "--requestheader-username-headers", "X-Remote-User",
                    "--audit-policy-file", conf.resolve("audit-policy.yaml").toString(),
                    "--audit-log-path", layout.log("audit").toString(), "--audit-log-maxsize", "100",
                    "--audit-log-maxbackup", "1",
                    "--profiling=false", "--event-ttl", "1h");
            case "kube-controller-manager" -> List.of(b, "kube-controller-manager",
                    "--kubeconfig", conf.resolve("controller-manager.conf").toString(),
                    "--authentication-kubeconfig", conf.resolve("controller-manager.conf").toString(),
                    "--authorization-kubeconfig", conf.resolve("controller-manager.conf").toString(),
                    "--bind-address", "127.0.0.1", "--client-ca-file", pki.resolve("ca.crt").toString(),
                    "--requestheader-client-ca-file", pki.resolve("front-proxy-ca.crt").toString(),
                    "--cluster-name", "meshbed-" + layout.name(),
                    "--cluster-signing-cert-file", pki.resolve("ca.crt").toString(),
                    "--cluster-signing-key-file", pki.resolve("ca.key").toString(),
                    "--root-ca-file", pki.resolve("ca.crt").toString(),
                    "--service-account-private-key-file", pki.resolve("sa.key").toString(),
                    "--use-service-account-credentials=true", "--controllers", "*,bootstrapsigner,tokencleaner",
                    "--leader-elect=false", "--allocate-node-cidrs=false", "--configure-cloud-routes=false",
                    "--profiling=false");
            case "kube-scheduler" -> List.of(b, "kube-scheduler",
                    "--kubeconfig", conf.resolve("scheduler.conf").toString(),
                    "--authentication-kubeconfig", conf.resolve("scheduler.conf").toString(),
                    "--authorization-kubeconfig", conf.resolve("scheduler.conf").toString(),
                    "--bind-address", "127.0.0.1", "--leader-elect=false", "--profiling=false");
            case "containerd" -> List.of("containerd", "--config", conf.resolve("containerd.toml").toString());
            case "kubelet" -> List.of(b, "kubelet", "--config", conf.resolve("kubelet.yaml").toString(),
                    "--kubeconfig", conf.resolve("kubelet.conf").toString(),
                    "--hostname-override", layout.nodeName(), "--node-ip", layout.nodeIp(),
                    "--root-dir", layout.data().resolve("kubelet").toString(),
                    "--cert-dir", layout.data().resolve("kubelet/pki").toString(),
                    "--node-labels", "meshbed.dev/testbed=" + layout.name());
            case "kube-proxy" -> List.of(b, "kube-proxy", "--config", conf.resolve("kube-proxy.yaml").toString());
            default -> throw new IllegalArgumentException("component: " + component);
        };
    }

    /**
     * Starts a component in the node's namespace and a session of its own, its output appended
     * to its log; records its PID.
     */
    void start(String component, List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=" + layout.netnsPath(), "--", "setsid"));
        cmd.addAll(command);
        Path log = layout.log(component);
        try {
            Files.createDirectories(log.getParent());
            Files.createDirectories(layout.pids());
            Files.writeString(log, "# " + java.time.Instant.now() + " " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            started.put(component, p);
            Files.writeString(layout.pids().resolve(component + ".pid"), p.pid() + "\n");
        } catch (IOException e) {
            throw new TestbedException("starting " + component + ": " + e.getMessage(), TestbedException.FAILED);
        }
    }

    void start(String component) {
        start(component, command(component));
    }

    /** Throws, naming the component and showing its last log lines, if one this node started has exited. */
    void checkAlive() {
        for (var e : started.entrySet()) {
            if (!e.getValue().isAlive()) {
                throw new TestbedException(e.getKey() + " exited (code " + e.getValue().exitValue() + "); the last lines "
                        + "of " + layout.log(e.getKey()) + ":" + Exec.lastLines(layout.log(e.getKey()), 15),
                        TestbedException.FAILED);
            }
        }
    }

    /** Waits until {@code file} exists (a socket), checking the components meanwhile. */
    void awaitFile(Path file, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(file)) {
            checkAlive();
            if (System.nanoTime() > deadline) {
                throw new TestbedException(what + " did not appear within " + timeout.toSeconds() + " s (" + file + ")",
                        TestbedException.FAILED);
            }
            sleep(Duration.ofMillis(200));
        }
    }

    /** The PIDs recorded for this node that still run one of its processes, by component. */
    static Map<String, Long> runningPids(KubeLayout layout) {
        Map<String, Long> running = new LinkedHashMap<>();
        for (String c : COMPONENTS) {
            Path f = layout.pids().resolve(c + ".pid");
            try {
                if (!Files.isRegularFile(f)) {
                    continue;
                }
                long pid = Long.parseLong(Files.readString(f).strip());
                if (ours(layout, pid)) {
                    running.put(c, pid);
                }
            } catch (IOException | NumberFormatException e) {
                // a broken PID file: nothing to stop through it
            }
        }
        return running;
    }

    /**
     * Whether {@code pid} runs a process of this node: its command line names one of the node's
     * folders (a recycled PID of another program does not).
     */
    static boolean ours(KubeLayout layout, long pid) {
        try {
            String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
            return cmdline.contains(layout.data() + "/") || cmdline.contains(layout.run() + "/");
        } catch (IOException e) {
            return false;
        }
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted", TestbedException.FAILED);
        }
    }

    /** Deletes a folder tree that is not a mount point anymore (the caller unmounted what was under it). */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
