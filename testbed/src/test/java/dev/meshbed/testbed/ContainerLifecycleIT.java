package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Container;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * What k3s mode relies on, shown with a container that runs here (the sample app's image, where
 * it is built) instead of k3s: the testbed's label finds and removes it from another process; its
 * ports are published on 127.0.0.1 only; and a container started through Testcontainers without
 * Ryuk outlives its JVM only when that JVM ends with {@link Runtime#halt} (the launcher's way) --
 * a normal exit lets Testcontainers' shutdown hook remove it. Skipped in one line where Docker or
 * the image is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContainerLifecycleIT {

    private final Project project = Project.locate(null);
    private final String name = "it-lifecycle-" + ProcessHandle.current().pid();
    private String skip;
    private String noImage;
    private DockerClient docker;

    @BeforeAll
    void check() {
        List<String> env = DockerAccess.environmentProblems();
        if (!env.isEmpty()) {
            skip = env.get(0);
        } else {
            try {
                docker = DockerAccess.client(Duration.ofSeconds(5));
                if (!DockerAccess.imagePresent(docker, project.appImage(null))) {
                    noImage = project.appImage(null) + " is not in Docker (make images)";
                    System.out.println("container lifecycle checks skipped: " + noImage);
                }
            } catch (TestbedException e) {
                skip = e.getMessage();
            }
        }
        if (skip != null) {
            System.out.println("container lifecycle checks skipped: " + skip);
        }
    }

    @BeforeEach
    void assumeDocker() {
        assumeTrue(skip == null, skip);
    }

    private void assumeImage() {
        assumeTrue(noImage == null, noImage);
    }

    @Test
    void theK3sContainerIsConfiguredAsDesigned() {
        EdgePorts ports = EdgePorts.from(Manifests.plan(project, Manifests.Images.local(project)));
        try (var k3s = K3sNode.create(K3sNode.DEFAULT_IMAGE, name, false, project.version(), ports.containerPorts())) {
            assertThat(k3s.getCommandParts()).containsExactly("server", "--disable=traefik", "--disable=servicelb",
                    "--tls-san=" + k3s.getHost(), "--kube-proxy-arg=masquerade-all=true",
                    "--kubelet-arg=cgroup-root=/meshbed-k3s-" + name,
                    "--kubelet-arg=eviction-hard=imagefs.available<1%", "--kubelet-arg=eviction-hard=nodefs.available<1%",
                    "--kubelet-arg=eviction-minimum-reclaim=imagefs.available=1%",
                    "--kubelet-arg=eviction-minimum-reclaim=nodefs.available=1%");
            assertThat(k3s.getEnvMap()).containsEntry(K3sCommandLine.CGROUP_ROOT_ENV, "/meshbed-k3s-" + name);
            // what the container is created with: the entrypoint that makes the cgroup root, in the
            // host's cgroup namespace (K3sContainer's choice, the reason for a root per name)
            CreateContainerCmd create = docker.createContainerCmd(K3sNode.DEFAULT_IMAGE)
                    .withHostConfig(HostConfig.newHostConfig()).withExposedPorts(ExposedPort.tcp(6443));
            for (var modifier : k3s.getCreateContainerCmdModifiers()) {
                create = modifier.modify(create);
            }
            assertThat(create.getEntrypoint()).containsExactlyElementsOf(K3sCommandLine.entrypoint());
            assertThat(create.getHostConfig().getCgroupnsMode()).isEqualTo("host");
            assertThat(k3s.getExposedPorts()).containsExactlyInAnyOrder(6443, 8443, 80, 31380, 15021, 32000, 30080);
            assertThat(k3s.getLabels()).containsEntry(K3sNode.LABEL, name).containsEntry(K3sNode.LB_LABEL, "off")
                    .containsEntry(K3sNode.VERSION_LABEL, project.version());
            assertThat(k3s.isPrivilegedMode()).isTrue();
        }
        try (var k3s = K3sNode.create(K3sNode.DEFAULT_IMAGE, name, true, project.version(), ports.containerPorts())) {
            assertThat(k3s.getCommandParts()).containsExactlyElementsOf(
                    K3sCommandLine.serverArgs(name, true, k3s.getHost()));
            assertThat(k3s.getCommandParts()).doesNotContain("--disable=servicelb");
        }
    }

    @AfterAll
    void cleanUp() {
        if (docker != null) {
            K3sNode.find(docker, name).forEach(c -> K3sNode.remove(docker, c.getId()));
        }
    }

    /** The sample app as a labelled, locally published container (what K3sNode does to k3s). */
    static GenericContainer<?> labelled(String image, String name) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image)).withEnv("VERSION", "v1")
                .withExposedPorts(8080).waitingFor(Wait.forHttp("/healthz").forPort(8080))
                .withStartupTimeout(Duration.ofSeconds(60));
        @SuppressWarnings({"unchecked", "rawtypes"})
        GenericContainer<?> marked = K3sNode.markAndPublishLocally((GenericContainer) c, name, Map.of());
        return marked;
    }

    @Test
    void labelledPublishedOnLoopbackFoundAndRemovedByLabel() throws Exception {
        assumeImage();
        try (GenericContainer<?> c = labelled(project.appImage(null), name)) {
            c.start();
            var bindings = c.getContainerInfo().getHostConfig().getPortBindings().getBindings();
            assertThat(bindings.values()).allSatisfy(bs -> assertThat(bs).allSatisfy(b ->
                    assertThat(b.getHostIp()).isEqualTo("127.0.0.1")));
            EdgeClient.Response r = EdgeClient.get("127.0.0.1", c.getMappedPort(8080), Duration.ofSeconds(5));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.version()).isEqualTo("v1");

            List<Container> found = K3sNode.find(docker, name);
            assertThat(found).extracting(Container::getId).containsExactly(c.getContainerId());
            assertThat(K3sNode.describePorts(found.get(0))).startsWith("8080->127.0.0.1:");
            assertThat(K3sNode.find(docker, null)).extracting(Container::getId).contains(c.getContainerId());

            assertThat(K3sNode.remove(docker, c.getContainerId())).isTrue();
            assertThat(K3sNode.find(docker, name)).isEmpty();
            assertThat(K3sNode.remove(docker, c.getContainerId())).as("already gone").isFalse();
        }
    }

    @Test
    void onlyAHaltedJvmLeavesItsContainerRunning() throws Exception {
        assumeImage();
        String halted = startInAnotherJvm("halt");
        assertThat(K3sNode.find(docker, name + "-halt")).extracting(Container::getId).containsExactly(halted);
        K3sNode.remove(docker, halted);

        String exited = startInAnotherJvm("exit");
        assertThat(K3sNode.find(docker, name + "-exit")).as("removed by Testcontainers' shutdown hook, " + exited)
                .isEmpty();
    }

    /** Runs {@link StartAndEnd} in a new JVM; the id of the container it started. */
    private String startInAnotherJvm(String how) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                StartAndEnd.class.getName(), project.appImage(null), name + "-" + how, how)
                .redirectErrorStream(true);
        Process p = pb.start();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        String id = out.lines().filter(l -> l.startsWith("container ")).findFirst().orElseThrow(
                () -> new AssertionError(out)).substring("container ".length()).trim();
        System.out.printf("a JVM that ended with %s: container %s %s%n", how, id.substring(0, 12),
                K3sNode.find(docker, name + "-" + how).isEmpty() ? "removed" : "still running");
        return id;
    }

    /** Starts the labelled container, then ends its JVM by {@code halt} or by {@code exit}. */
    public static final class StartAndEnd {
        public static void main(String[] args) {
            GenericContainer<?> c = labelled(args[0], args[1]);
            c.start();
            System.out.println("container " + c.getContainerId());
            System.out.flush();
            if (args[2].equals("halt")) {
                Runtime.getRuntime().halt(0);
            }
            System.exit(0);
        }
    }
}
