package dev.meshbed.testbed;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The k3s node: one privileged container of {@code rancher/k3s} through Testcontainers'
 * {@link K3sContainer}, labelled {@value #LABEL}={@code <name>} so that {@code down} and
 * {@code status} find it from any process, its ports published on 127.0.0.1 only, started as
 * {@link K3sCommandLine} says.
 */
public final class K3sNode {

    /** The label that marks the testbed's containers; its value is the testbed's name. */
    public static final String LABEL = "dev.meshbed.testbed";
    public static final String VERSION_LABEL = "dev.meshbed.testbed.version";
    public static final String LB_LABEL = "dev.meshbed.testbed.lb";
    /**
     * A recent k3s (v1.32+ also imports tarballs dropped into its images folder while running;
     * the launcher imports with ctr either way). Settable: {@code K3S_IMAGE=rancher/k3s:<tag>};
     * pulled when missing unless {@code K3S_PULL=never}.
     */
    public static final String DEFAULT_IMAGE = "rancher/k3s:v1.34.1-k3s1";

    private static final String IMAGES_DIR = "/var/lib/rancher/k3s/meshbed-images/";
    /** k3s's own containerd (k3s-io/k3s#213); its ctr finds it alone too, but say it. */
    private static final String CONTAINERD = "/run/k3s/containerd/containerd.sock";

    private K3sNode() {
    }

    /**
     * A k3s container, not started: {@code k3s server} with the flags of {@link K3sCommandLine}
     * (ServiceLB on, or off: {@code --disable=servicelb}, as on minikube a LoadBalancer stays
     * pending; masquerade-all; a kubelet cgroup root of its own, created by the entrypoint; low
     * eviction thresholds); the given container ports published on random ports of 127.0.0.1
     * (besides the API server's 6443). Testcontainers never pulls it: the launcher does, with
     * progress, or says why not ({@link K3sPull}).
     *
     * @throws TestbedException ({@link TestbedException#USAGE}) for a name not usable in a cgroup path
     */
    public static K3sContainer create(String image, String name, boolean loadBalancer, String version,
            List<Integer> ports) {
        String cgroupRoot = K3sCommandLine.cgroupRoot(name);
        K3sContainer k3s = new K3sContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("rancher/k3s"));
        // Replacing the command drops K3sContainer's own flags: serverArgs has traefik off and the
        // API server's certificate naming the host the kubeconfig points at.
        k3s.withCommand(K3sCommandLine.serverArgs(name, loadBalancer, k3s.getHost()).toArray(String[]::new));
        k3s.withEnv(K3sCommandLine.CGROUP_ROOT_ENV, cgroupRoot);
        k3s.withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint(K3sCommandLine.entrypoint()));
        k3s.withImagePullPolicy(imageName -> false);
        k3s.addExposedPorts(ports.stream().mapToInt(Integer::intValue).toArray());
        k3s.withStartupTimeout(Duration.ofMinutes(3));
        return markAndPublishLocally(k3s, name, nodeLabels(version, loadBalancer));
    }

    /** The k3s node's labels besides {@value #LABEL}: the launcher's version, ServiceLB on or off. */
    static Map<String, String> nodeLabels(String version, boolean loadBalancer) {
        return Map.of(VERSION_LABEL, version, LB_LABEL, loadBalancer ? "on" : "off");
    }

    /**
     * Labels a container as testbed {@code name} (so that {@link #find} sees it from any process)
     * and publishes every exposed port on 127.0.0.1 only, a random host port each, never on all
     * interfaces.
     */
    public static <T extends GenericContainer<T>> T markAndPublishLocally(T container, String name,
            Map<String, String> moreLabels) {
        container.withLabel(LABEL, name);
        moreLabels.forEach(container::withLabel);
        container.withCreateContainerCmdModifier(cmd -> {
            Ports bindings = new Ports();
            for (ExposedPort p : cmd.getExposedPorts()) {
                bindings.bind(p, Ports.Binding.bindIp("127.0.0.1"));
            }
            cmd.getHostConfig().withPortBindings(bindings);
        });
        return container;
    }

    /**
     * Imports an image tarball into the node's containerd (namespace k8s.io, where the kubelet
     * looks): checked to be for the node's platform, copied into the container,
     * {@code ctr -n k8s.io images import}, checked, removed.
     */
    public static void importImage(K3sContainer k3s, Path tarball, String image, PrintStream out)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        Optional<String> node = nodePlatform(k3s);
        Optional<String> problem = platformProblem(tarball, image, ImageTarball.platform(tarball), node);
        if (problem.isPresent()) {
            throw new TestbedException(problem.get(), TestbedException.FAILED);
        }
        String inContainer = IMAGES_DIR + Manifests.repository(image).replaceAll(".*/", "") + ".tar";
        k3s.copyFileToContainer(MountableFile.forHostPath(tarball), inContainer);
        ExecResult r = k3s.execInContainer("ctr", "-a", CONTAINERD, "-n", "k8s.io", "images", "import", inContainer);
        k3s.execInContainer("rm", "-f", inContainer);
        String output = (r.getStdout() + r.getStderr()).trim();
        if (r.getExitCode() != 0) {
            throw new TestbedException("ctr images import " + tarball + " failed (exit " + r.getExitCode() + "): "
                    + output, TestbedException.FAILED);
        }
        ExecResult list = k3s.execInContainer("ctr", "-a", CONTAINERD, "-n", "k8s.io", "images", "ls", "-q");
        List<String> present = List.of(list.getStdout().split("\\s+"));
        if (!ImageTarball.holds(present, image)) {
            throw new TestbedException("after importing " + tarball + " the node has no " + image + " (ctr said: "
                    + output + "). Was the tarball built for another version, or for another platform than the "
                    + "node's (" + node.orElse("unknown") + ")? make images builds for the Docker engine's "
                    + "architecture; PLATFORM=linux/arm64 (or linux/amd64) names one", TestbedException.FAILED);
        }
        out.printf("  imported %s (%d s)%n", image, Duration.ofNanos(System.nanoTime() - start).toSeconds());
    }

    /**
     * Why a tarball cannot run on the node: built for {@code built}, the node is {@code node}
     * (both as {@code linux/arm64}); empty when they match or either is not known.
     */
    static Optional<String> platformProblem(Path tarball, String image, Optional<String> built, Optional<String> node) {
        if (built.isEmpty() || node.isEmpty() || built.get().equals(node.get())) {
            return Optional.empty();
        }
        return Optional.of(tarball + " holds " + image + " for " + built.get() + ", but the k3s node is " + node.get()
                + ": its containers would not start (exec format error). Rebuild the images for the node: "
                + "make images (it builds for the Docker engine's architecture), or PLATFORM=" + node.get()
                + " make images");
    }

    /** The node's platform ({@code linux/arm64}), from {@code uname -m} in it; empty if it does not say. */
    static Optional<String> nodePlatform(K3sContainer k3s) throws IOException, InterruptedException {
        ExecResult r = k3s.execInContainer("uname", "-m");
        return r.getExitCode() == 0 ? Platforms.ofArchitecture(r.getStdout()) : Optional.empty();
    }

    /**
     * The node's {@value BridgeNetfilter#PROC_FILE}: its value, or null when the file is missing
     * (no {@code br_netfilter} on the Docker host).
     */
    static String bridgeNetfilter(K3sContainer k3s) throws IOException, InterruptedException {
        ExecResult r = k3s.execInContainer("cat", BridgeNetfilter.PROC_FILE);
        return r.getExitCode() == 0 ? r.getStdout().trim() : null;
    }

    /** The testbed's containers ({@code name} null: every testbed's), running or not. */
    public static List<Container> find(DockerClient docker, String name) {
        var cmd = docker.listContainersCmd().withShowAll(true);
        cmd = name == null ? cmd.withLabelFilter(List.of(LABEL)) : cmd.withLabelFilter(Map.of(LABEL, name));
        return cmd.exec();
    }

    /** Stops and removes a container and its anonymous volumes; false if it was already gone. */
    public static boolean remove(DockerClient docker, String containerId) {
        try {
            docker.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** {@code 80->127.0.0.1:49153, ...} for a listed container. */
    public static String describePorts(Container c) {
        Map<Integer, String> byPrivate = new LinkedHashMap<>();
        if (c.getPorts() != null) {
            for (var p : c.getPorts()) {
                if (p.getPrivatePort() != null && p.getPublicPort() != null) {
                    byPrivate.put(p.getPrivatePort(), (p.getIp() == null ? "" : p.getIp()) + ":" + p.getPublicPort());
                }
            }
        }
        List<String> parts = new ArrayList<>();
        for (Integer port : new TreeSet<>(byPrivate.keySet())) {
            parts.add(port + "->" + byPrivate.get(port));
        }
        return parts.isEmpty() ? "(no published ports)" : String.join(", ", parts);
    }
}
