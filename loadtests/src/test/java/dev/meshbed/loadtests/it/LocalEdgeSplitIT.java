package dev.meshbed.loadtests.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short local EdgeSplit of {@code make test}, and its siblings: real Gatling runs (in this JVM)
 * against v1, v2 and the gateway on 127.0.0.1, read back from what they leave: the exit code, the
 * verdict beside the report, and the report's per-version rows.
 */
@TestMethodOrder(MethodOrderer.MethodName.class) // WeightShift, which rewrites the weights, last
class LocalEdgeSplitIT {

    @TempDir
    static Path root;
    static InProcessTestbed testbed;

    @BeforeAll
    static void start() throws Exception {
        testbed = InProcessTestbed.start(root);
    }

    @AfterAll
    static void stop() throws Exception {
        testbed.close();
    }

    private Path results() {
        return Path.of("target/gatling-it").toAbsolutePath();
    }

    @Test
    void edgeSplitAtTheVirtualServiceWeightsPasses() throws Exception {
        GatlingRun run = GatlingRun.run("EdgeSplit", results(),
                Map.of("root", root.toString(), "rate", "200", "duration", "10"));

        assertThat(run.exitCode()).as("Gatling's exit code").isZero();
        JsonNode v = run.verdict();
        assertThat(v.path("verdict").asText()).isEqualTo("PASS");
        assertThat(v.path("requests").asLong()).isBetween(1900L, 2100L);
        assertThat(v.path("versions").findValuesAsText("version")).containsExactly("v1", "v2");
        assertThat(v.path("versions").get(0).path("expected_share").asDouble()).isEqualTo(0.8);
        assertThat(v.path("report").asText()).endsWith("index.html");
        assertThat(Files.readString(run.folder().orElseThrow().resolve("verdict.txt"))).startsWith("EdgeSplit ")
                .contains("PASS at 99.9% confidence").contains("index.html");
        assertThat(run.folder().orElseThrow().resolve("index.html")).isRegularFile();
        // the report: a row per version with the verdict's counts, the real requests silent, so the
        // global count is the responses plus the one verdict row, not twice the responses
        Map<String, Long> rows = run.reportRows();
        long v1 = v.path("versions").get(0).path("count").asLong();
        long v2 = v.path("versions").get(1).path("count").asLong();
        assertThat(rows).containsEntry("x-version=v1", v1).containsEntry("x-version=v2", v2)
                .containsEntry("split verdict", 1L).containsEntry("All Requests", v1 + v2 + 1).hasSize(4);
    }

    @Test
    void aSplitOffTheExpectedWeightsFailsTheRun() throws Exception {
        GatlingRun run = GatlingRun.run("EdgeSplit", results(),
                Map.of("root", root.toString(), "rate", "200", "duration", "4", "weights", "v1=50,v2=50"));

        assertThat(run.exitCode()).as("Gatling's exit code: a failed assertion").isNotZero();
        JsonNode v = run.verdict();
        assertThat(v.path("verdict").asText()).isEqualTo("FAIL");
        assertThat(v.path("p_value").asDouble()).isLessThan(0.01);
        assertThat(v.path("max_deviation_points").asDouble()).isGreaterThan(20);
    }

    @Test
    void aTargetWithoutXVersionStopsBeforeAnyLoad() throws Exception {
        Path results = results().resolve("no-x-version");
        GatlingRun run = GatlingRun.run("EdgeSplit", results,
                Map.of("root", root.toString(), "target", testbed.statusUrl(), "weights", "v1=80,v2=20",
                        "path", "/healthz/ready"));

        assertThat(run.exitCode()).isNotZero();
        assertThat(run.crash()).contains("answers without an x-version header");
        assertThat(run.folder()).as("no run folder: nothing was sent").isEmpty();
    }

    @Test
    void directNodePortCountsWhatAnswersAConnectionAtATime() throws Exception {
        // no kube-proxy here: aimed at v1 itself, every new connection reaches v1
        GatlingRun run = GatlingRun.run("DirectNodePort", results(),
                Map.of("root", root.toString(), "target", testbed.v1Url(), "weights", "v1=1", "rate", "100",
                        "duration", "3"));

        assertThat(run.exitCode()).isZero();
        JsonNode v = run.verdict();
        assertThat(v.path("verdict").asText()).isEqualTo("PASS");
        assertThat(v.path("test").asText()).isEqualTo("single version");
        assertThat(v.path("requests").asLong()).isBetween(250L, 350L);
    }

    @Test
    void weightShiftFollowsEachStepWithoutAFailedRequest() throws Exception {
        String before = Files.readString(testbed.configDir.resolve("virtual-service.yaml"));
        try {
            GatlingRun run = GatlingRun.run("WeightShift", results(),
                    Map.of("root", root.toString(), "rate", "150", "duration", "12", "steps", "100-0,50-50,0-100"));

            assertThat(run.exitCode()).isZero();
            JsonNode v = run.verdict();
            assertThat(v.path("verdict").asText()).isEqualTo("PASS");
            assertThat(v.path("failed_requests").asLong()).isZero();
            assertThat(v.path("steps").findValuesAsText("weights")).containsExactly("100-0", "50-50", "0-100");
            for (JsonNode step : v.path("steps")) {
                assertThat(step.path("verdict").path("requests").asLong()).as("step %s", step.path("weights"))
                        .isGreaterThan(200);
            }
            // 100-0 then 0-100: the first step's window has v1 only, the last one v2 only
            assertThat(v.path("steps").get(0).path("verdict").path("versions").get(1).path("count").asLong()).isZero();
            assertThat(v.path("steps").get(2).path("verdict").path("versions").get(0).path("count").asLong()).isZero();
        } finally {
            Files.writeString(testbed.configDir.resolve("virtual-service.yaml"), before);
        }
    }
}
