package dev.meshbed.testbed.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.command.TopContainerResponse;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.Volume;
import dev.meshbed.testbed.Project;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * The Jib-built images under Docker (scripts/images.sh builds them): the gateway image configured
 * from a mounted local-mode directory, in front of two sample-app containers (VERSION=v1, v2) that it
 * reaches by network alias; everything reached from here through ports published on 127.0.0.1 only.
 * Every container runs as the Deployments will run them: a read-only root file system with a
 * writable /tmp (an emptyDir there; a tmpfs here, exec allowed as an emptyDir is).
 *
 * <p>Runs where a Docker engine answers and both images are present locally; otherwise it says why
 * in one line and skips. Reports each image's user, size and start time (container start to its
 * first 200) in the test output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ImagesIT {

    private static final String CONFIG_MOUNT = "/etc/meshbed/config";
    private static final int GATEWAY_PORT = 8080;
    private static final int STATUS_PORT = 15021;
    /** As an emptyDir: writable and executable (Netty loads its native transport from here). */
    private static final String TMP_LIKE_EMPTYDIR = "rw,exec,nosuid,nodev,size=64m";
    /** What {@code docker run --tmpfs /tmp} mounts. */
    private static final String TMP_DOCKER_DEFAULT = "rw,noexec,nosuid,size=65536k";
    /** Requests for the split; at 80/20 the v1 share's standard error is 0.63 %. */
    private static final int SPLIT_REQUESTS = 4000;
    /** Two-sided 99.9 % confidence: a correct gateway fails this check once in a thousand runs. */
    private static final double Z_999 = 3.2905;

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private final List<String> report = new ArrayList<>();
    private final List<GenericContainer<?>> started = new ArrayList<>();

    private String gatewayImage;
    private String appImage;
    private DockerClient docker;
    private Network network;
    private LocalModeConfig config;
    private final Map<String, GenericContainer<?>> apps = new LinkedHashMap<>();
    private GenericContainer<?> gateway;

    @BeforeAll
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void startImages() {
        Project project = Project.locate(null);
        gatewayImage = project.gatewayImage(null);
        appImage = project.appImage(null);
        ImagesPreflight.Result preflight = ImagesPreflight.check(List.of(gatewayImage, appImage));
        if (preflight.skipReason() != null) {
            System.out.println("images suite skipped: " + preflight.skipReason());
            if ("true".equalsIgnoreCase(System.getenv().getOrDefault("CI", ""))) {
                throw new AssertionError("the images suite cannot run, and CI=true requires it (.ci/run starts "
                        + "Docker): " + preflight.skipReason());
            }
            Assumptions.abort(preflight.skipReason());
        }
        docker = preflight.docker();
        ImagesPreflight.removeLeftovers(docker);

        Path configDir = Path.of("target", "images-it", "config-" + ProcessHandle.current().pid()).toAbsolutePath();
        config = LocalModeConfig.write(project.manifests().resolve("local"), configDir);
        network = Network.builder()
                .createNetworkCmdModifier(cmd -> cmd.withLabels(labels()))
                .build();

        for (String version : config.versions()) {
            GenericContainer<?> app = container(appImage, TMP_LIKE_EMPTYDIR)
                    .withNetworkAliases(LocalModeConfig.alias(version))
                    .withEnv("VERSION", version)
                    .withEnv("POD_NAME", podName(version))
                    .withExposedPorts(LocalModeConfig.APP_PORT);
            start(app, new FirstOk(LocalModeConfig.APP_PORT, "/healthz"), "sample-app " + version);
            apps.put(version, app);
        }
        gateway = gateway(TMP_LIKE_EMPTYDIR);
        start(gateway, new FirstOk(GATEWAY_PORT, "/images-it/first"), "gateway (first 200 through it)");
        report.add(String.format("gateway %s", transport(gateway)));
    }

    @AfterAll
    void stopAndReport() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).stop();
        }
        if (network != null) {
            network.close();
        }
        if (!report.isEmpty()) {
            System.out.println();
            report.forEach(line -> System.out.println("images: " + line));
            System.out.println();
        }
    }

    @Test
    void theSplitThroughTheGatewayFollowsTheWeights() throws Exception {
        assertThat(config.weights().keySet())
                .as("the VirtualService's subsets are the WorkloadEntries' versions")
                .isSubsetOf(config.versions());
        URI base = URI.create("http://127.0.0.1:" + gateway.getMappedPort(GATEWAY_PORT));
        Map<String, Integer> counts = new TreeMap<>();
        Map<String, String> instances = new TreeMap<>();
        Map<Integer, Integer> otherStatus = new TreeMap<>();
        for (int i = 0; i < SPLIT_REQUESTS; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/split/" + i))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                otherStatus.merge(r.statusCode(), 1, Integer::sum);
                continue;
            }
            String version = r.headers().firstValue("x-version").orElse("(none)");
            counts.merge(version, 1, Integer::sum);
            instances.putIfAbsent(version, r.body());
        }
        assertThat(otherStatus).as("responses other than 200, by status").isEmpty();
        assertThat(counts.keySet()).as("versions that answered").isSubsetOf(config.versions());
        instances.forEach((version, body) -> assertThat(body)
                .as("the body of a %s answer names the version and the pod (VERSION, POD_NAME)", version)
                .contains("\"version\":\"" + version + "\"", "\"instance\":\"" + podName(version) + "\""));

        StringBuilder line = new StringBuilder("split through the gateway image, " + SPLIT_REQUESTS + " requests:");
        for (String subset : config.weights().keySet()) {
            int k = counts.getOrDefault(subset, 0);
            double p = config.share(subset);
            line.append(String.format(" %s %d (%.1f %%, weight %.1f %%)", subset, k, 100.0 * k / SPLIT_REQUESTS,
                    100 * p));
        }
        // One binomial z-test on the first subset's share (with two subsets the other is its complement).
        String first = config.weights().keySet().stream().sorted().findFirst().orElseThrow();
        double p = config.share(first);
        double observed = (double) counts.getOrDefault(first, 0) / SPLIT_REQUESTS;
        if (p == 0 || p == 1) {
            assertThat(observed).as("share of %s", first).isEqualTo(p);
            line.append("; all-or-nothing weights, observed exactly");
        } else {
            double z = (observed - p) / Math.sqrt(p * (1 - p) / SPLIT_REQUESTS);
            line.append(String.format("; %s share %.4f vs %.4f, z = %.2f (|z| < %.2f at 99.9 %% confidence)", first,
                    observed, p, z, Z_999));
            assertThat(Math.abs(z)).as(line.toString()).isLessThan(Z_999);
        }
        report.add(line.toString());
    }

    @Test
    void theImagesRunAsTheirNonRootUserOnAReadOnlyRoot() {
        List<GenericContainer<?>> all = new ArrayList<>(apps.values());
        all.add(gateway);
        for (GenericContainer<?> c : all) {
            String image = c.getDockerImageName();
            InspectImageResponse info = docker.inspectImageCmd(image).exec();
            String user = info.getConfig().getUser();
            assertThat(user).as("%s's configured user", image).isNotBlank().doesNotStartWith("0").isNotEqualTo("root");
            assertThat(user).as("%s's user is numeric (runAsNonRoot can check it)", image).matches("\\d+(:\\d+)?");
            // ps on the Docker host, as `docker top` runs it (it needs the pid column)
            TopContainerResponse top = docker.topContainerCmd(c.getContainerId()).withPsArgs("-o pid,uid,comm").exec();
            int uid = List.of(top.getTitles()).indexOf("UID");
            assertThat(uid).as("docker top's columns %s", List.of(top.getTitles())).isNotNegative();
            assertThat(top.getProcesses()).as("processes in %s", image).isNotEmpty();
            for (String[] process : top.getProcesses()) {
                assertThat(process[uid]).as("uid of %s in %s", String.join(" ", process), image)
                        .isNotEqualTo("0").isNotEqualTo("root");
            }
            assertThat(c.getContainerInfo().getHostConfig().getReadonlyRootfs())
                    .as("%s runs with a read-only root", image).isTrue();
        }
    }

    @Test
    void withAnExecutableTmpTheGatewayUsesANativeTransport() {
        assertThat(transport(gateway)).as("the gateway's transport with /tmp as an emptyDir").doesNotContain(" via nio");
    }

    @Test
    void withDockersDefaultNoexecTmpfsTheGatewayStillServes() {
        // `docker run --read-only --tmpfs /tmp`: Netty cannot load its native transport from a noexec
        // /tmp and falls back to NIO; the gateway must still serve. (An emptyDir is not noexec.)
        GenericContainer<?> noexec = gateway(TMP_DOCKER_DEFAULT);
        start(noexec, new FirstOk(GATEWAY_PORT, "/images-it/noexec"), "gateway, noexec /tmp (first 200 through it)");
        report.add("gateway with a noexec /tmp: " + transport(noexec));
        noexec.stop();
    }

    @Test
    void theSampleAppReadsVersionPortAndPodNameFromTheEnvironment() throws Exception {
        int port = 9090;
        GenericContainer<?> app = container(appImage, TMP_LIKE_EMPTYDIR)
                .withEnv("VERSION", "v9")
                .withEnv("PORT", String.valueOf(port))
                .withEnv("POD_NAME", "env-check")
                .withExposedPorts(port);
        start(app, new FirstOk(port, "/healthz"), "sample-app on PORT=" + port);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.getMappedPort(port) + "/env-check")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-version")).hasValue("v9");
        assertThat(r.body()).contains("\"version\":\"v9\"", "\"instance\":\"env-check\"");
        app.stop();
    }

    private GenericContainer<?> gateway(String tmpfs) {
        // The bind is added to the create command directly: Testcontainers' withFileSystemBind first
        // checks that mounts work by running alpine, which it cannot pull here.
        Bind configBind = new Bind(config.dir().toString(), new Volume(CONFIG_MOUNT), AccessMode.ro);
        return container(gatewayImage, tmpfs)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withBinds(configBind))
                .withCommand("--config", CONFIG_MOUNT, "--port", String.valueOf(GATEWAY_PORT))
                .withExposedPorts(GATEWAY_PORT, STATUS_PORT);
    }

    /** A container of the suite: never pulled, on the suite's network, read-only root, ports on 127.0.0.1. */
    private GenericContainer<?> container(String image, String tmpfs) {
        return new GenericContainer<>(DockerImageName.parse(image))
                .withImagePullPolicy(name -> false)
                .withNetwork(network)
                .withTmpFs(Map.of("/tmp", tmpfs))
                .withLabels(labels())
                .withCreateContainerCmdModifier(ImagesIT::loopbackOnlyReadOnly);
    }

    private static void loopbackOnlyReadOnly(CreateContainerCmd cmd) {
        Ports bindings = new Ports();
        for (ExposedPort p : cmd.getExposedPorts()) {
            bindings.bind(p, Ports.Binding.bindIp("127.0.0.1"));
        }
        cmd.getHostConfig().withPortBindings(bindings).withPublishAllPorts(false).withReadonlyRootfs(true);
    }

    /** Starts {@code c}, waiting for {@code firstOk}, and reports its image's user and size and its start time. */
    private void start(GenericContainer<?> c, FirstOk firstOk, String what) {
        c.waitingFor(firstOk.withStartupTimeout(Duration.ofSeconds(90)));
        started.add(c);
        c.start();
        Instant startedAt = Instant.parse(c.getContainerInfo().getState().getStartedAt());
        long ms = Duration.between(startedAt, firstOk.firstOk()).toMillis();
        InspectImageResponse image = docker.inspectImageCmd(c.getDockerImageName()).exec();
        report.add(String.format("%-40s user %-12s size %5.1f MB   %s: container start to first 200 in %d ms",
                c.getDockerImageName(), image.getConfig().getUser(), image.getSize() / 1e6, what, ms));
    }

    /** How the gateway says it listens ("via io_uring", "via epoll", "via nio (...)"). */
    private static String transport(GenericContainer<?> gateway) {
        return gateway.getLogs().lines()
                .filter(l -> l.contains(" listening on "))
                .map(l -> l.replaceFirst(".* listening on ", "listening on "))
                .findFirst().orElse("(no 'listening on' line in its log)");
    }

    private static String podName(String version) {
        return "app-" + version + "-pod";
    }

    private static Map<String, String> labels() {
        return Map.of(ImagesPreflight.PID_LABEL, String.valueOf(ProcessHandle.current().pid()));
    }
}
