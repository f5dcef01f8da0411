package dev.meshbed.testbed.images;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Network;
import dev.meshbed.testbed.DockerAccess;
import dev.meshbed.testbed.TestbedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the images suite checks before it starts anything, each quickly, so that it skips with one
 * line instead of hanging: the environment Testcontainers reads only from the process environment
 * (failsafe sets it in testbed/pom.xml), a Docker engine that answers, and both images present
 * locally (never pulled). Also removes what an earlier, killed run left behind: with Ryuk off, only
 * a JVM shutdown hook removes containers.
 */
final class ImagesPreflight {

    /** On every container and network of the suite: the pid of the JVM that made it. */
    static final String PID_LABEL = "dev.meshbed.testbed.images.pid";

    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(20);

    private ImagesPreflight() {
    }

    /** The result: the Docker client, or why the suite cannot run here. */
    record Result(DockerClient docker, String skipReason) {
    }

    static Result check(List<String> images) {
        Map<String, String> env = System.getenv();
        if (!"true".equalsIgnoreCase(env.getOrDefault("TESTCONTAINERS_RYUK_DISABLED", "").trim())) {
            return skip("TESTCONTAINERS_RYUK_DISABLED=true is not in the environment (failsafe sets it in "
                    + "testbed/pom.xml): Testcontainers would start Ryuk, whose image is not pulled here");
        }
        if (Files.exists(Path.of("/.dockerenv")) && env.getOrDefault("TESTCONTAINERS_HOST_OVERRIDE", "").isBlank()) {
            return skip("TESTCONTAINERS_HOST_OVERRIDE is not set and /.dockerenv exists: Testcontainers would pull "
                    + "alpine to find its gateway (failsafe sets it in testbed/pom.xml)");
        }
        DockerClient docker;
        try {
            docker = DockerAccess.client(ANSWER_TIMEOUT);
        } catch (TestbedException e) {
            return skip(e.getMessage());
        }
        for (String image : images) {
            if (!DockerAccess.imagePresent(docker, image)) {
                return skip("the image " + image + " is not in Docker (build it: scripts/images.sh, or make images)");
            }
        }
        return new Result(docker, null);
    }

    private static Result skip(String reason) {
        return new Result(null, reason);
    }

    /** Removes the suite's containers and networks whose JVM is gone. */
    static void removeLeftovers(DockerClient docker) {
        List<Container> containers = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(List.of(PID_LABEL)).exec();
        for (Container c : containers) {
            if (gone(c.getLabels().get(PID_LABEL))) {
                docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
                System.out.println("images: removed container " + c.getId().substring(0, 12)
                        + " left behind by an earlier run");
            }
        }
        for (Network n : docker.listNetworksCmd().exec()) {
            Map<String, String> labels = n.getLabels();
            if (labels != null && labels.containsKey(PID_LABEL) && gone(labels.get(PID_LABEL))) {
                try {
                    docker.removeNetworkCmd(n.getId()).exec();
                } catch (RuntimeException e) {
                    // still in use by a container of another run: its own cleanup removes it
                }
            }
        }
    }

    private static boolean gone(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(p -> !p.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
