package dev.meshbed.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FieldPathTest {

    @Test
    void buildsPathsWithJsonNamesIndexesAndQuotedKeys() {
        String path = FieldPath.field(FieldPath.index(FieldPath.field("spec", "http"), 0), "route");
        assertThat(path).isEqualTo("spec.http[0].route");
        assertThat(FieldPath.field("", "spec")).isEqualTo("spec");
        assertThat(FieldPath.field("spec.match[0].headers", "x-user")).isEqualTo("spec.match[0].headers.x-user");
        assertThat(FieldPath.field("labels", "app.kubernetes.io/name")).isEqualTo("labels[\"app.kubernetes.io/name\"]");
        assertThat(FieldPath.field("labels", "say \"hi\"")).isEqualTo("labels[\"say \\\"hi\\\"\"]");
    }

    @Test
    void parsesWhatItBuilds() {
        assertThat(FieldPath.parse("spec.http[0].route[12].weight"))
                .isEqualTo(List.of("spec", "http", 0, "route", 12, "weight"));
        assertThat(FieldPath.parse("spec.labels[\"app.kubernetes.io/name\"].x"))
                .isEqualTo(List.of("spec", "labels", "app.kubernetes.io/name", "x"));
        assertThat(FieldPath.parse("labels[\"say \\\"hi\\\"\"]")).isEqualTo(List.of("labels", "say \"hi\""));
        assertThat(FieldPath.parse("")).isEmpty();
        assertThat(FieldPath.parse("spec.http[oops")).isEqualTo(List.of("spec", "http"));
    }
}
