package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RoutesTest {

    private final Project project = Project.locate(null);

    @Test
    void weightsAreParsedAsIstioReadsThem() {
        assertThat(Routes.Weights.parseOrNull("90:10")).isEqualTo(new Routes.Weights(90, 10));
        assertThat(Routes.Weights.parseOrNull(" 3 / 1 ")).isEqualTo(new Routes.Weights(3, 1));
        assertThat(Routes.Weights.parseOrNull("0:100")).isEqualTo(new Routes.Weights(0, 100));
        assertThat(Routes.Weights.parseOrNull("90")).isNull();
        assertThat(Routes.Weights.parseOrNull("a:b")).isNull();
        assertThatThrownBy(() -> new Routes.Weights(0, 0)).hasMessageContaining("not both 0");
    }

    @Test
    void weightsOrAVariantByName() {
        assertThat(Routes.summary(Routes.resolve(project, "90:10"))).isEqualTo("canary: v1 90 v2 10");
        assertThat(Routes.summary(Routes.resolve(project, "1:3"))).isEqualTo("canary: v1 1 v2 3");
        assertThat(Routes.summary(Routes.resolve(project, "70-30"))).isEqualTo("canary: v1 70 v2 30");
        assertThat(Routes.summary(Routes.resolve(project, "50-50"))).isEqualTo("canary: v1 50 v2 50");
        assertThat(Routes.resolve(project, "header").getMetadata().getName()).isEqualTo("app");
        // the file's own resource is not changed by a weights edit
        Routes.resolve(project, "10:90");
        assertThat(Routes.summary(Routes.resolve(project, "80:20"))).isEqualTo("canary: v1 80 v2 20");
    }

    @Test
    void somethingElseIsAUsageError() {
        assertThatThrownBy(() -> Routes.resolve(project, "canary"))
                .isInstanceOf(TestbedException.class)
                .hasMessageContaining("W=canary: expected weights like 90:10, or one of [100-0, 50-50, header]")
                .extracting(e -> ((TestbedException) e).exitCode()).isEqualTo(TestbedException.USAGE);
        assertThatThrownBy(() -> Routes.resolve(project, "../../pom")).isInstanceOf(TestbedException.class);
    }
}
