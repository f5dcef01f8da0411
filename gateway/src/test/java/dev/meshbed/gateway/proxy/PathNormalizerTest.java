package dev.meshbed.gateway.proxy;

import static dev.meshbed.gateway.proxy.PathNormalization.BASE;
import static dev.meshbed.gateway.proxy.PathNormalization.DECODE_AND_MERGE_SLASHES;
import static dev.meshbed.gateway.proxy.PathNormalization.MERGE_SLASHES;
import static dev.meshbed.gateway.proxy.PathNormalization.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Path normalisation per level, with the cases of Envoy's own path_utility_test and Istio's table. */
class PathNormalizerTest {

    @ParameterizedTest(name = "BASE: {0} -> {1}")
    @CsvSource(delimiter = ' ', value = {
        "/xyz /xyz",
        "/x/y/z /x/y/z",
        "/a/b/../c /a/c",
        "/a/b/./c /a/b/c",
        "/a/b/../../../../c /c",
        "/a/..\\c /c",
        "/%c0%af /%c0%af",
        "/%5c%25 /%5c%25",
        "/a/b/%2E%2E/c /a/c",
        "/a/b/%2E./c /a/c",
        "/a/b/%2E/c /a/b/c",
        "/a/b/%2e%2e/c /a/c",
        "/../a/b /a/b",
        "/./a/b /a/b",
        "/A/B/C /A/B/C",
        "/a/%2F%2f/c /a/%2F%2f/c",
        "/public/../admin /admin",
        "/public/%2e%2e/admin /admin",
        "/%61dmin/%7Eme /admin/~me",
        "/a/b/.. /a/",
        "/a/. /a/",
        "/.. /",
        "/ /",
        "/a//b /a//b",
        "/%252e%252e/admin /%252e%252e/admin",
        "/public%2F..%2Fadmin /public%2F..%2Fadmin",
    })
    void base(String in, String out) {
        assertThat(PathNormalizer.normalize(in, BASE)).isEqualTo(out);
    }

    @ParameterizedTest(name = "MERGE_SLASHES: {0} -> {1}")
    @CsvSource(delimiter = ' ', value = {
        "//a//b/ /a/b/",
        "/a///b/c /a/b/c",
        "/a//../b /a/b",
        "/admin/%2e%2e//x /x",
        "/a%2F%2Fb /a%2F%2Fb",
    })
    void mergeSlashes(String in, String out) {
        assertThat(PathNormalizer.normalize(in, MERGE_SLASHES)).isEqualTo(out);
    }

    @ParameterizedTest(name = "DECODE_AND_MERGE_SLASHES: {0} -> {1}")
    @CsvSource(delimiter = ' ', value = {
        "/a%2fb /a/b",
        "/a%2F%2Fb /a/b",
        "/a%5cb /a/b",
        "/public%2F..%2Fadmin /admin",
        "/a%2525 /a%2525",
    })
    void decodeAndMergeSlashes(String in, String out) {
        assertThat(PathNormalizer.normalize(in, DECODE_AND_MERGE_SLASHES)).isEqualTo(out);
    }

    @Test
    void noneLeavesEverythingAlone() {
        assertThat(PathNormalizer.normalize("/public/../admin", NONE)).isEqualTo("/public/../admin");
        assertThat(PathNormalizer.normalize("/a%00b", NONE)).isEqualTo("/a%00b");
    }

    @ParameterizedTest(name = "rejected: {0}")
    @ValueSource(strings = {"/xyz/.%00../abc", "/xyz/%00.%00./abc", "/xyz/AAAAA%%0000/abc", "/a%zz", "/a%4", "/a%",
        "/%0g"})
    void nulAndMalformedEscapesAreRejectedAtEveryNormalizingLevel(String path) {
        for (PathNormalization level : new PathNormalization[] {BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES}) {
            assertThatThrownBy(() -> PathNormalizer.normalize(path, level)).as("%s at %s", path, level)
                    .isInstanceOf(PathNormalizer.InvalidPath.class).hasMessageStartingWith("path: ");
        }
    }

    @Test
    void theMessageNamesTheProblem() {
        assertThatThrownBy(() -> PathNormalizer.normalize("/a%00", BASE)).hasMessage("path: %00 is not allowed");
        assertThatThrownBy(() -> PathNormalizer.normalize("/a%zz", BASE))
                .hasMessage("path: malformed escape \"%zz\" (expected: % and two hex digits)");
    }

    @Test
    void optionValuesParseAndAWrongOneNamesTheChoices() {
        assertThat(PathNormalization.parse("--path-normalization", "merge_slashes")).isEqualTo(MERGE_SLASHES);
        assertThat(PathNormalization.parse("--path-normalization", "DECODE_AND_MERGE_SLASHES"))
                .isEqualTo(DECODE_AND_MERGE_SLASHES);
        assertThatThrownBy(() -> PathNormalization.parse("--path-normalization", "FULL"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--path-normalization: FULL (expected: one of NONE, BASE, MERGE_SLASHES, "
                        + "DECODE_AND_MERGE_SLASHES)");
    }
}
