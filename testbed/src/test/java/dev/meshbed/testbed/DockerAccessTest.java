package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DockerAccessTest {

    @Test
    void ryukMustBeOffAndTheHostNamedInsideAContainer() {
        assertThat(DockerAccess.environmentProblems(Map.of(), false)).singleElement().asString()
                .contains("TESTCONTAINERS_RYUK_DISABLED=true is not set", "remove the cluster when the launcher exits");
        assertThat(DockerAccess.environmentProblems(Map.of("TESTCONTAINERS_RYUK_DISABLED", "true"), true))
                .singleElement().asString().contains("TESTCONTAINERS_HOST_OVERRIDE", "pull alpine");
        assertThat(DockerAccess.environmentProblems(Map.of("TESTCONTAINERS_RYUK_DISABLED", "TRUE",
                "TESTCONTAINERS_HOST_OVERRIDE", "localhost"), true)).isEmpty();
        assertThat(DockerAccess.environmentProblems(Map.of("TESTCONTAINERS_RYUK_DISABLED", "true"), false)).isEmpty();
    }
}
