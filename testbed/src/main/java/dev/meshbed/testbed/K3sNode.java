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
import java.util.TreeSet;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The k3s node: one privileged container of {@code rancher/k3s} through Testcontainers'
 * {@link K3sContainer}, labelled {@value #LABEL}={@code <name>} so that {@code down} and
 * {@code status} find it from any process, its ports published on 127.0.0.1 only.
 */
public final class K3sNode {

    /** The label that marks the testbed's containers; its value is the testbed's name. */
    public static final String LABEL = "dev.meshbed.testbed";
    public static final String VERSION_LABEL = "dev.meshbed.testbed.version";
    public static final String LB_LABEL = "dev.meshbed.testbed.lb";
    /**
     * A recent k3s (v1.32+ also imports tarballs dropped into its images folder while running;
     * the launcher imports with ctr either way). Settable: {@code K3S_IMAGE=rancher/k3s:<tag>}.
     */
    public static final String DEFAULT_IMAGE = "rancher/k3s:v1.34.1-k3s1";

    private static final String IMAGES_DIR = "/var/lib/rancher/k3s/meshbed-images/";
    /** k3s's own containerd (k3s-io/k3s#213); its ctr finds it alone too, but say it. */
    private static final String CONTAINERD = "/run/k3s/containerd/containerd.sock";

    private K3sNode() {
    }

    /**
     * A k3s container, not started: ServiceLB on, or off ({@code --disable=servicelb}, as on
     * minikube: a LoadBalancer stays pending); the given container ports published on random
     * ports of 127.0.0.1 (besides the API server's 6443).
     */
    public static K3sContainer create(String image, String name, boolean loadBalancer, String version,
            List<Integer> ports) {
        K3sContainer k3s = new K3sContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("rancher/k3s"));
        List<String> command = new ArrayList<>(List.of("server", "--disable=traefik"));
        if (!loadBalancer) {
            command.add("--disable=servicelb");
        }
        // Replacing the command drops K3sContainer's own flags: traefik stays off (above), and the
        // API server's certificate must name the host the kubeconfig points at.
        command.add("--tls-san=" + k3s.getHost());
        k3s.withCommand(command.toArray(String[]::new));
        k3s.addExposedPorts(ports.stream().mapToInt(Integer::intValue).toArray());
        k3s.withStartupTimeout(Duration.ofMinutes(3));
        return markAndPublishLocally(k3s, name, Map.of(VERSION_LABEL, version, LB_LABEL, loadBalancer ? "on" : "off"));
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
     * looks): copied into the container, {@code ctr -n k8s.io images import}, checked, removed.
     */
    public static void importImage(K3sContainer k3s, Path tarball, String image, PrintStream out)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
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
                    + "node's? (Jib builds linux/amd64 unless told otherwise)", TestbedException.FAILED);
        }
        out.printf("  imported %s (%d s)%n", image, Duration.ofNanos(System.nanoTime() - start).toSeconds());
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
