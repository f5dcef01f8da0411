package dev.meshbed.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.regex.Matcher;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RegexesTest {

    @Test
    void translatesRe2NamedGroups() {
        Matcher m = Regexes.compile("/reviews/(?P<id>[0-9]+)").matcher("/reviews/42");
        assertThat(m.matches()).isTrue();
        assertThat(m.group("id")).isEqualTo("42");
    }

    @Test
    void keepsGroupNumberingWhenTheNameIsNotValidInJava() {
        Matcher m = Regexes.compile("(?P<first_name>[a-z]+)-(?P<n>[0-9])").matcher("ab-1");
        assertThat(m.matches()).isTrue();
        assertThat(m.group(1)).isEqualTo("ab");
        assertThat(m.group(2)).isEqualTo("1");
        assertThat(m.group("n")).isEqualTo("1");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // pattern | input | whole-input match expected
        "[[:alpha:]]+          | abc    | true",
        "[[:alpha:]]+          | :      | false",
        "[[:^digit:]]+         | abc    | true",
        "[[:^digit:]]+         | a1     | false",
        "[[:word:]]+           | a_1    | true",
        "[a[]+                 | a[a    | true",
        "[]a]+                 | ]a     | true",
        "[^]a]                 | b      | true",
        "[a&&b]+               | a&b    | true",
        "/api/{id}             | /api/{id} | true",
        "a{2,3}                | aaa    | true",
        "a{2,3}                | a      | false",
        "a{,3}                 | a{,3}  | true",
        "\\101                 | A      | true",
        "a\\0b                 | a\u0000b | true",
        "a+?b                  | aab    | true",
        "\\p{L}+               | héllo  | true",
        "\\Q*+?\\E             | *+?    | true",
        "(?i)get              | GET    | true",
        "(?:ab)+               | abab   | true",
        "[\\d]+                | 123    | true",
    })
    void readsPatternsTheWayRe2Does(String pattern, String input, boolean matches) {
        assertThat(Regexes.compile(pattern).matcher(input).matches()).isEqualTo(matches);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "(a)\\1        | backreferences are not supported (RE2)",
        "(?P<x>a)\\k<x> | backreferences are not supported (RE2)",
        "a(?=b)        | lookaround assertions are not supported (RE2)",
        "a(?!b)        | lookaround assertions are not supported (RE2)",
        "(?<=a)b       | lookaround assertions are not supported (RE2)",
        "(?<!a)b       | lookaround assertions are not supported (RE2)",
        "(?>a)         | atomic groups are not supported (RE2)",
        "a++           | possessive quantifiers are not supported (RE2)",
        "a{2}+         | possessive quantifiers are not supported (RE2)",
        "a(b           | Unclosed group",
        "[[:nope:]]    | invalid character class range [:nope:]",
    })
    void rejectsWhatRe2Rejects(String pattern, String description) {
        assertThatThrownBy(() -> Regexes.compile(pattern))
                .isInstanceOf(PatternSyntaxException.class)
                .extracting(e -> ((PatternSyntaxException) e).getDescription())
                .isEqualTo(description);
    }

    @Test
    void translateLeavesCommonPatternsAlone() {
        assertThat(Regexes.translate("^/api/v[0-9]+/.*$")).isEqualTo("^/api/v[0-9]+/.*$");
        assertThat(Regexes.translate("(?P<id>\\d+)")).isEqualTo("(?<id>\\d+)");
    }
}
