package dev.meshbed.testbed;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.testcontainers.k3s.K3sContainer;

/**
 * k3s in Docker, through Testcontainers ({@link K3sNode}): the node's ports are published on
 * 127.0.0.1, so every address of the cluster's network is reached through its published port.
 * The k3s image is pulled first as {@link K3sPull} says ({@link ImagePull}: progress, bounded
 * time); once the node runs, its bridge netfilter setting is checked ({@link BridgeNetfilter}).
 */
final class K3sSource implements ClusterSource {

    private final Project project;
    private final PrintStream out;
    private final Testbed.UpOptions options;
    private K3sContainer k3s;
    private String bridgeHint = "";

    K3sSource(Project project, PrintStream out, Testbed.UpOptions options) {
        this.project = project;
        this.out = out;
        this.options = options;
    }

    /** The started container (null before {@link #start}). */
    K3sContainer container() {
        return k3s;
    }

    @Override
    public String mode() {
        return "k3s";
    }

    @Override
    public String describe() {
        return "k3s " + options.k3sImage() + ", ServiceLB " + (options.loadBalancer() ? "on" : "off (--disable=servicelb)");
    }

    @Override
    public List<String> problems(Manifests.Images images) {
        K3sCommandLine.cgroupRoot(options.name()); // a name that cannot be a cgroup is a usage error
        List<String> problems = new ArrayList<>(DockerAccess.environmentProblems());
        if (!problems.isEmpty()) {
            return problems;
        }
        try {
            DockerClient docker = DockerAccess.client(DockerAccess.ANSWER_TIMEOUT);
            if (options.k3sPull() == K3sPull.NEVER && !DockerAccess.imagePresent(docker, options.k3sImage())) {
                problems.add("the k3s image " + options.k3sImage() + " is not present in the local Docker engine, and "
                        + "K3S_PULL=never (--k3s-pull never) keeps the launcher from pulling it. Pull it where a "
                        + "registry answers (docker pull " + options.k3sImage() + "; docker save/load to carry it), "
                        + "name one you have (K3S_IMAGE=rancher/k3s:<tag>), or let up pull it (K3S_PULL=missing)");
            }
            for (Container c : K3sNode.find(docker, options.name())) {
                problems.add("a testbed named '" + options.name() + "' exists already: container "
                        + c.getId().substring(0, 12) + " (" + c.getStatus() + "); make status shows it, make down "
                        + "removes it");
            }
        } catch (TestbedException e) {
            problems.add(e.getMessage());
        }
        return problems;
    }

    /**
     * Pulls the k3s image as {@link Testbed.UpOptions#k3sPull()} says: when missing (the default),
     * always, or never ({@link #problems} already stopped {@code up} then if it is missing).
     *
     * @throws TestbedException ({@link TestbedException#MISSING}) when the pull fails: nothing was started
     */
    private void pullIfAsked() {
        DockerClient docker = DockerAccess.client(DockerAccess.ANSWER_TIMEOUT);
        boolean present = DockerAccess.imagePresent(docker, options.k3sImage());
        if (options.k3sPull().pulls(present)) {
            out.println(present ? "K3S_PULL=always: pulling the k3s image again"
                    : "the k3s image " + options.k3sImage() + " is not in the local Docker engine: pulling it "
                    + "(K3S_PULL=never stops instead)");
            ImagePull.pull(docker, options.k3sImage(), out);
        }
    }

    @Override
    public Started start(Path stateDir, Map<String, String> env) {
        pullIfAsked();
        EdgePorts ports = EdgePorts.from(Manifests.plan(project, Manifests.Images.local(project)));
        k3s = K3sNode.create(options.k3sImage(), options.name(), options.loadBalancer(), project.version(),
                ports.containerPorts());
        out.printf("starting k3s (usually 20-60 s; the first start on a machine also pulls k3s' own images) ...%n");
        long t = System.nanoTime();
        try {
            k3s.start();
        } catch (RuntimeException e) {
            String logs = "";
            try {
                String[] lines = k3s.getLogs().split("\n");
                logs = "\n  last k3s log lines:\n    "
                        + String.join("\n    ", List.of(lines).subList(Math.max(0, lines.length - 15), lines.length));
            } catch (RuntimeException ignored) {
                // no container, no logs
            }
            throw new TestbedException("k3s did not start: " + DockerAccess.firstLine(e.getMessage()) + logs, e);
        }
        out.printf("  k3s is up (%d s), container %s, API server https://%s:%d%n", Testbed.secondsSince(t),
                k3s.getContainerId().substring(0, 12), k3s.getHost(), k3s.getMappedPort(6443));
        checkBridgeNetfilter();
        Path kubeconfig = stateDir.resolve("kubeconfig.yaml");
        Testbed.writePrivate(kubeconfig, k3s.getKubeConfigYaml());
        env.put("K3S_CONTAINER", k3s.getContainerId());
        env.put("K3S_IMAGE", options.k3sImage());
        env.put("KUBECONFIG", kubeconfig.toString());
        return new Started(kubeconfig, null);
    }

    /** Says when bridge netfilter is off in the node, and keeps the hint for a silent edge. */
    private void checkBridgeNetfilter() {
        try {
            bridgeHint = BridgeNetfilter.hint(K3sNode.bridgeNetfilter(k3s)).orElse("");
        } catch (IOException | RuntimeException e) {
            bridgeHint = ""; // the check is a hint; its failure is not the testbed's
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted", TestbedException.FAILED);
        }
        if (!bridgeHint.isEmpty()) {
            out.println("  note: " + bridgeHint);
        }
    }

    @Override
    public String silentEdgeHint() {
        return bridgeHint;
    }

    @Override
    public void loadImages(Manifests.Images images) {
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
    }

    /** Docker publishes each of the node's ports on 127.0.0.1: the cluster host is the node itself. */
    @Override
    public HostPort fromHere(String clusterHost, int port, String what) {
        try {
            HostPort published = new HostPort("127.0.0.1", k3s.getMappedPort(port));
            out.printf("  %s: Docker publishes the node's port %d on %s%n", what, port, published);
            return published;
        } catch (IllegalArgumentException e) {
            throw new TestbedException(what + " " + port + " is not published by the k3s container",
                    TestbedException.FAILED);
        }
    }

    @Override
    public String pendingContext(boolean loadBalancer) {
        return loadBalancer ? " although ServiceLB is on (kubectl -n kube-system get pods: are the svclb pods running? "
                + "a port taken on the node keeps them pending)"
                : ": k3s runs with --disable=servicelb, as minikube has no load balancer";
    }

    @Override
    public boolean present(String name) {
        if (!DockerAccess.environmentProblems().isEmpty()) {
            return false;
        }
        try {
            return !K3sNode.find(DockerAccess.client(DockerAccess.ANSWER_TIMEOUT), name).isEmpty();
        } catch (TestbedException e) {
            return false;
        }
    }

    /**
     * Removes the containers labelled {@value K3sNode#LABEL}={@code name} ({@code name} null:
     * every testbed's), found through Docker whether or not {@code up} finished.
     */
    @Override
    public void down(String name, Optional<TestbedEnv> env) {
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
            out.println("nothing to remove: " + e.getMessage());
            return;
        }
        List<Container> found = K3sNode.find(docker, name);
        for (Container c : found) {
            boolean removed = K3sNode.remove(docker, c.getId());
            out.printf("%s k3s container %s (testbed '%s', %s, %s)%n", removed ? "removed" : "already gone:",
                    c.getId().substring(0, 12), c.getLabels().get(K3sNode.LABEL), c.getImage(), c.getStatus());
            if (name == null) {
                Testbed.deleteState(project.stateDir(c.getLabels().get(K3sNode.LABEL)));
            }
        }
        if (found.isEmpty()) {
            out.println("nothing to remove: no container labelled " + K3sNode.LABEL + (name == null ? "" : "=" + name));
        }
    }

    @Override
    public boolean status(String name, Optional<TestbedEnv> env) {
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
                    env.isPresent() ? "; " + project.show(project.stateDir(name).resolve(TestbedEnv.FILE_NAME))
                            + " is left from an earlier run (make down tidies it)" : "");
            return false;
        }
        boolean running = false;
        for (Container c : found) {
            out.printf("testbed '%s': k3s container %s, %s (%s), image %s, ServiceLB %s%n", name,
                    c.getId().substring(0, 12), c.getState(), c.getStatus(), c.getImage(),
                    c.getLabels().getOrDefault(K3sNode.LB_LABEL, "?"));
            out.printf("  published: %s%n", K3sNode.describePorts(c));
            running |= "running".equals(c.getState());
        }
        if (!running) {
            out.println("  the container is not running (stopped by a restart?): make down, then make up");
        }
        return running;
    }
}
