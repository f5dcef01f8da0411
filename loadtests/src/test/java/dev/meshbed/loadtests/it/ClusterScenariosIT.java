package dev.meshbed.loadtests.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meshbed.testbed.KubeAvailability;
import dev.meshbed.testbed.Project;
import dev.meshbed.testbed.Testbed;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The cluster Gatling scenarios, for real: EdgeSplit, DirectNodePort, Fallback and WeightShift
 * against the one-node Kubernetes built from its Go modules (a testbed of its own name, so that a
 * running {@code make up} is left alone), read back from their verdicts. Part of the real-cluster
 * tier: skipped with one line where that cluster cannot run, and a failure in CI.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterScenariosIT {

    static final String NAME = "it-kube-load";

    // found upwards from the module (GatlingRun clears the loadtest.* properties after each run)
    private final Project project = Project.locate(null);
    private Testbed testbed;
    private String skip;

    @BeforeAll
    void up() {
        KubeAvailability kube = KubeAvailability.check(project);
        skip = kube.skipReason();
        if (skip != null) {
            System.out.println("real-cluster Gatling scenarios skipped: " + skip);
            return;
        }
        testbed = new Testbed(project, System.out);
        testbed.down(NAME, false);
        testbed.up(Testbed.UpOptions.kube(kube.binary().orElseThrow()).withName(NAME));
    }

    @BeforeEach
    void assumeCluster() {
        if (skip != null && "true".equalsIgnoreCase(System.getenv().getOrDefault("CI", ""))) {
            fail("the real-cluster Gatling scenarios cannot run, and CI=true requires them: " + skip);
        }
        assumeTrue(skip == null, () -> "real-cluster Gatling scenarios skipped: " + skip);
    }

    @AfterAll
    void down() {
        if (testbed != null) {
            testbed.down(NAME, false);
        }
    }

    private GatlingRun run(String simulation, Map<String, String> settings) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(settings);
        all.put("root", project.root().toString());
        all.put("testbed", NAME);
        all.put("mode", "cluster");
        GatlingRun run = GatlingRun.run(simulation, Path.of("target/gatling-it").toAbsolutePath(), all);
        run.folder().ifPresent(f -> System.out.println(simulation + ": " + readVerdictLine(f)));
        return run;
    }

    private static String readVerdictLine(Path folder) {
        try {
            return java.nio.file.Files.readString(folder.resolve("verdict.txt")).strip();
        } catch (java.io.IOException e) {
            return "(no verdict.txt: " + e.getMessage() + ")";
        }
    }

    @Test
    @Order(1)
    void edgeSplitThroughNodePort31380PassesAtTheVirtualServiceWeights() throws Exception {
        GatlingRun run = run("EdgeSplit", Map.of("rate", "200", "duration", "10"));
        assertThat(run.exitCode()).as("Gatling's exit code").isZero();
        JsonNode v = run.verdict();
        assertThat(v.path("verdict").asText()).isEqualTo("PASS");
        assertThat(v.path("target").asText()).contains(":31380");
        assertThat(v.path("versions").get(0).path("expected_share").asDouble()).isEqualTo(0.8);
        assertThat(v.path("requests").asLong()).isBetween(1800L, 2200L);
    }

    @Test
    @Order(2)
    void directNodePortFollowsThePodCountWithNewConnections() throws Exception {
        GatlingRun run = run("DirectNodePort", Map.of("rate", "100", "duration", "10", "connections", "new"));
        assertThat(run.exitCode()).as("Gatling's exit code").isZero();
        JsonNode v = run.verdict();
        assertThat(v.path("verdict").asText()).isEqualTo("PASS");
        assertThat(v.path("target").asText()).contains(":30080");
        assertThat(v.path("versions").get(0).path("expected_share").asDouble()).as("one v1 pod of two").isEqualTo(0.5);
    }

    @Test
    @Order(3)
    void directNodePortJudgedAgainstTheWeightsFails() throws Exception {
        GatlingRun run = run("DirectNodePort", Map.of("rate", "100", "duration", "10", "connections", "new",
                "weights", "v1=80,v2=20"));
        assertThat(run.exitCode()).as("Gatling's exit code: the verdict fails the run").isNotZero();
        assertThat(run.verdict().path("verdict").asText()).isEqualTo("FAIL");
    }

    @Test
    @Order(4)
    void fallbackResolvesTheNodePortPathAndPasses() throws Exception {
        GatlingRun run = run("Fallback", Map.of("rate", "200", "duration", "10"));
        assertThat(run.exitCode()).as("Gatling's exit code").isZero();
        assertThat(run.verdict().path("verdict").asText()).isEqualTo("PASS");
        assertThat(readVerdictLine(run.folder().orElseThrow())).startsWith("Fallback ");
    }

    @Test
    @Order(5)
    void weightShiftThroughTheApiPassesEveryStepWithoutAFailedRequest() throws Exception {
        GatlingRun run = run("WeightShift", Map.of("rate", "150", "duration", "24", "steps", "100-0,50-50,0-100"));
        assertThat(run.exitCode()).as("Gatling's exit code").isZero();
        JsonNode v = run.verdict();
        assertThat(v.path("verdict").asText()).isEqualTo("PASS");
        assertThat(v.path("failed_requests").asLong()).isZero();
        assertThat(v.path("steps").findValuesAsText("weights")).containsExactly("100-0", "50-50", "0-100");
    }
}
