package dev.meshbed.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/** Shared YAML for reader tests: good documents to surround a bad one, and line markers. */
final class YamlFixtures {

    /** Marks the line a rejection is expected to point at. */
    static final String MARK = "# <--";

    static final String BEFORE = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: before
            spec:
              hosts: [before.example.com]
              http:
              - route:
                - destination:
                    host: before
            """;

    static final String AFTER = """
            apiVersion: networking.istio.io/v1alpha3
            kind: DestinationRule
            metadata:
              name: after
            spec:
              host: after
            """;

    private YamlFixtures() {
    }

    /** A file holding a good document, {@code document}, and another good document. */
    static String surround(String document) {
        return BEFORE + "---\n" + document + "---\n" + AFTER;
    }

    /** The 1-based line of the only line containing {@code marker}. */
    static int lineOf(String text, String marker) {
        List<String> lines = text.lines().toList();
        int found = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(marker)) {
                assertThat(found).as("marker %s appears once", marker).isEqualTo(-1);
                found = i + 1;
            }
        }
        assertThat(found).as("marker %s present", marker).isPositive();
        return found;
    }

    static int markedLine(String text) {
        return lineOf(text, MARK);
    }

    /**
     * Reads {@code document} between two good ones and asserts it was rejected for exactly one
     * problem, at the line marked {@link #MARK}, while the others were accepted.
     */
    static void assertOnlyRejection(IstioYamlReader reader, String document, String field, String message) {
        String file = surround(document);
        ParsedSource parsed = reader.read("routes.yaml", file);
        assertSurroundingAccepted(parsed);
        assertThat(parsed.rejections()).as("rejections").hasSize(1);
        Rejection rejection = parsed.rejections().get(0);
        assertThat(rejection.field()).as("field").isEqualTo(field);
        assertThat(rejection.message()).as("message").isEqualTo(message);
        assertThat(rejection.origin()).as("origin").isEqualTo(new Origin("routes.yaml", markedLine(file)));
    }

    /** Reads {@code document} between two good ones and asserts all three were accepted. */
    static void assertAccepted(IstioYamlReader reader, String document) {
        ParsedSource parsed = reader.read("routes.yaml", surround(document));
        assertThat(parsed.rejections()).as("rejections").isEmpty();
        assertThat(parsed.resources()).hasSize(3);
    }

    /** The surrounding documents were accepted, whatever happened to the one in the middle. */
    static void assertSurroundingAccepted(ParsedSource parsed) {
        assertThat(parsed.unreadable()).isFalse();
        assertThat(parsed.resources()).extracting(IstioResource::name).containsExactly("before", "after");
    }
}
