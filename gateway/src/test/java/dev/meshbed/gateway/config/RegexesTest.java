package dev.meshbed.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RegexesTest {

    @ParameterizedTest
    @CsvSource(delimiter = '~', value = {
        // pattern ~ input (\n for a newline) ~ whole-input match expected
        "/reviews/(?P<id>[0-9]+) ~ /reviews/42 ~ true",
        "/reviews/(?P<id>[0-9]+) ~ /reviews/42/x ~ false",
        "/reviews/(?<id>[0-9]+)  ~ /reviews/7 ~ true",
        "/items/[0-9]+           ~ /items/42x ~ false",
        "/items/[0-9]+           ~ x/items/42 ~ false",
        "^/api/v[0-9]+/.*$       ~ /api/v2/a/b ~ true",
        "^/api/v[0-9]+/.*$       ~ /api/v/a ~ false",
        ".*[[:alpha:]]+Mobile.*  ~ Mozilla/5.0 (iPhone) AppleMobile/15E148 ~ true",
        ".*[[:alpha:]]+Mobile.*  ~ Mozilla/5.0 (iPhone) Mobile/15E148 ~ false",
        "[[:alpha:]]+            ~ abc    ~ true",
        "[[:alpha:]]+            ~ :      ~ false",
        "[[:^digit:]]+           ~ abc    ~ true",
        "[[:^digit:]]+           ~ a1     ~ false",
        "[[:word:]]+             ~ a_1    ~ true",
        "[a[]+                   ~ a[a    ~ true",
        "[]a]+                   ~ ]a     ~ true",
        "[^]a]                   ~ b      ~ true",
        "[a&&b]+                 ~ a&b    ~ true",
        "/api/{id}               ~ /api/{id} ~ true",
        "a{2,3}                  ~ aaa    ~ true",
        "a{2,3}                  ~ a      ~ false",
        "a{2,3}                  ~ aaaa   ~ false",
        "a{,3}                   ~ a{,3}  ~ true",
        "\\101                   ~ A      ~ true",
        "a\\0b                   ~ a\u0000b ~ true",
        "a+?b                    ~ aab    ~ true",
        "\\p{L}+                 ~ héllo  ~ true",
        "\\pL+                   ~ héllo  ~ true",
        "\\Q*+?\\E               ~ *+?    ~ true",
        "(?i)get                 ~ GET    ~ true",
        "(?i)straße              ~ STRASSE ~ false",
        "(?i)k                   ~ \u212A ~ true",
        "GET|POST                ~ POST   ~ true",
        "GET|POST                ~ GETPOST ~ false",
        "(?:ab)+                 ~ abab   ~ true",
        "[\\d]+                  ~ 123    ~ true",
        "\\bfoo\\b.*             ~ foo bar ~ true",
        "\\bfoo\\b.*             ~ foobar ~ false",
        "a\\B.*                  ~ ab     ~ true",
        "a\\B.*                  ~ a b    ~ false",
        ".                       ~ \\n     ~ false",
        "(?s).                   ~ \\n     ~ true",
        "a$                      ~ a      ~ true",
        "(?m)a$\\n^b             ~ a\\nb   ~ true",
        "a$\\nb                  ~ a\\nb   ~ false",
        "\\Aab\\z                ~ ab     ~ true",
        "(a|aa)*b                ~ aaaab  ~ true",
        "x*                      ~ ''     ~ true",
        "[^a]                    ~ \uD83D\uDE00 ~ true",
        "..                      ~ \uD83D\uDE00 ~ false",
    })
    void readsPatternsTheWayRe2Does(String pattern, String escapedInput, boolean matches) {
        String input = escapedInput.replace("\\n", "\n");
        Re2Pattern compiled = Regexes.compile(pattern);
        assertThat(compiled.matches(input)).as("DFA").isEqualTo(matches);
        assertThat(compiled.re2j().matches(input)).as("RE2/J's own NFA").isEqualTo(matches);
    }

    /**
     * Patterns that take java.util.regex exponential time, on a path of 8 KiB that keeps the most
     * states alive and fails only at its last byte: well under a millisecond a match.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '~', value = {
        "(.*a){12}       ~ a",
        "/(a|aa)*b       ~ a",
        "/(x+x+)+y       ~ x",
        "/(a*)*b         ~ a",
        "/(\\w+\\s?)*$   ~ a",
        "(.*a){1,1000}b  ~ a",
        "/((a+)+){20}\\d ~ a",
    })
    void pathologicalPatternsMatchLongPathsInUnderAMillisecond(String pattern, char fill) {
        String path = "/" + String.valueOf(fill).repeat(8190) + "!";
        Re2Pattern compiled = Regexes.compile(pattern);
        int warmup = 1_000;
        int iterations = 1_000;
        boolean matched = false;
        for (int i = 0; i < warmup; i++) {
            matched |= compiled.matches(path);
        }
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            matched |= compiled.matches(path);
        }
        double microsPerMatch = (System.nanoTime() - start) / 1e3 / iterations;
        System.out.printf("RE2 DFA: %-20s on a %d-byte path: %.1f us/match (RE2/J's NFA: %.1f us, java.util.regex: %s)%n",
                pattern, path.length(), microsPerMatch, nfaMicros(compiled, path), javaRegex(pattern, path));
        assertThat(matched).isEqualTo(compiled.re2j().matches(path)).isFalse();
        assertThat(microsPerMatch).isLessThan(1_000.0);
    }

    private static double nfaMicros(Re2Pattern compiled, String path) {
        long start = System.nanoTime();
        compiled.re2j().matches(path);
        return (System.nanoTime() - start) / 1e3;
    }

    /** java.util.regex on the same path, given up after 100 ms (it would take years on some). */
    private static String javaRegex(String pattern, String path) {
        long deadline = System.nanoTime() + 100_000_000L;
        CharSequence bounded = new CharSequence() {
            @Override
            public int length() {
                return path.length();
            }

            @Override
            public char charAt(int index) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("gave up");
                }
                return path.charAt(index);
            }

            @Override
            public CharSequence subSequence(int start, int end) {
                return path.subSequence(start, end);
            }

            @Override
            public String toString() {
                return path;
            }
        };
        long start = System.nanoTime();
        try {
            java.util.regex.Pattern.compile(pattern).matcher(bounded).matches();
            return String.format("%.1f us", (System.nanoTime() - start) / 1e3);
        } catch (IllegalStateException e) {
            return "gave up after 100 ms";
        } catch (StackOverflowError e) {
            return "StackOverflowError";
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "(a)\\1         | backreference \\1 is not supported by RE2 (invalid escape sequence: `\\1`)",
        "(?P<x>a)\\k<x> | backreference \\k<name> is not supported by RE2 (invalid escape sequence: `\\k`)",
        "a(?=b)         | lookahead (?= is not supported by RE2 (invalid or unsupported Perl syntax: `(?=`)",
        "a(?!b)         | lookahead (?! is not supported by RE2 (invalid or unsupported Perl syntax: `(?!`)",
        "(?<=a)b        | lookbehind (?<= is not supported by RE2 (invalid named capture: `(?<=a)b`)",
        "(?<!a)b        | lookbehind (?<! is not supported by RE2 (invalid named capture: `(?<!a)b`)",
        "(?>a)          | atomic group (?> is not supported by RE2 (invalid or unsupported Perl syntax: `(?>`)",
        "a++            | possessive quantifier ++ is not supported by RE2 (invalid nested repetition operator: `++`)",
        "a{2}+          | possessive quantifier {2}+ is not supported by RE2 (invalid nested repetition operator: `{2}+`)",
        "a**            | invalid nested repetition operator: `**`",
        "a(b            | missing closing ): `a(b`",
        "*              | missing argument to repetition operator: `*`",
        "[z-a]          | invalid character class range: `z-a`",
        "[[:nope:]]     | invalid character class range: `[:nope:]`",
        "x{1001}        | invalid repeat count: `{1001}`",
        "\\Z            | invalid escape sequence: `\\Z`",
        "(?x)a b        | invalid or unsupported Perl syntax: `(?x`",
    })
    void rejectsWhatRe2Rejects(String pattern, String message) {
        assertThatThrownBy(() -> Regexes.compile(pattern))
                .isInstanceOf(Regexes.InvalidRegexException.class)
                .hasMessage(message);
    }

    @Test
    void rejectsRegexesOverIstiosLength() {
        assertThat(Regexes.compile("a".repeat(Regexes.MAX_LENGTH)).matches("a".repeat(Regexes.MAX_LENGTH))).isTrue();
        assertThatThrownBy(() -> Regexes.compile("a".repeat(Regexes.MAX_LENGTH + 1)))
                .isInstanceOf(Regexes.InvalidRegexException.class)
                .hasMessage("regex is too large: 1025 characters (expected: <= 1024)");
    }

    @Test
    void rejectsProgramsOverEnvoysProgramSizeBeforeBuildingThem() {
        Re2Pattern big = Regexes.compile("(a{1000}){30}");
        assertThat(big.programSize()).isBetween(30_000, Regexes.MAX_PROGRAM_SIZE);
        assertThat(big.matches("a".repeat(30_000))).isTrue();
        assertThatThrownBy(() -> Regexes.compile("(a{1000}){40}"))
                .isInstanceOf(Regexes.InvalidRegexException.class)
                .hasMessage("regex is too large: program size over 32768 (expected: <= 32768,"
                        + " Envoy's re2.max_program_size.error_level under Istio)");
        // A billion instructions if compiled: rejected from the parse tree, at once.
        long start = System.nanoTime();
        assertThatThrownBy(() -> Regexes.compile("((a{1000}){1000}){1000}"))
                .hasMessageStartingWith("regex is too large: program size over 32768");
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(1.0);
    }

    /** The DFA against RE2/J's NFA, on random patterns and inputs over a small alphabet. */
    @Test
    void dfaAgreesWithRe2jOnRandomPatterns() {
        Random random = new Random(11);
        List<String> atoms = List.of("a", "b", ".", "[ab]", "[^a]", "\\w", "\\W", "\\n", "(?i:A)", "^", "$",
                "\\b", "\\B", "(?m:^)", "(?m:$)", "\\A", "\\z", "(?s:.)", "_", " ");
        String alphabet = "ab_ \nA";
        int compared = 0;
        for (int p = 0; p < 400; p++) {
            String pattern = randomPattern(random, atoms, 3);
            Re2Pattern compiled;
            try {
                compiled = Regexes.compile(pattern);
            } catch (Regexes.InvalidRegexException e) {
                continue;
            }
            for (int i = 0; i < 40; i++) {
                StringBuilder input = new StringBuilder();
                int length = random.nextInt(8);
                for (int k = 0; k < length; k++) {
                    input.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                assertThat(compiled.matches(input)).as("%s on \"%s\"", pattern, input)
                        .isEqualTo(compiled.re2j().matcher(input).matches());
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(10_000);
    }

    private static String randomPattern(Random random, List<String> atoms, int depth) {
        if (depth == 0 || random.nextInt(3) == 0) {
            return atoms.get(random.nextInt(atoms.size()));
        }
        String a = randomPattern(random, atoms, depth - 1);
        String b = randomPattern(random, atoms, depth - 1);
        return switch (random.nextInt(7)) {
            case 0 -> a + b;
            case 1 -> "(" + a + "|" + b + ")";
            case 2 -> "(" + a + ")*";
            case 3 -> "(?:" + a + ")+";
            case 4 -> "(" + a + b + ")?";
            case 5 -> "(" + a + "){1,3}";
            default -> a + "*?" + b;
        };
    }

    @Test
    void sharedBetweenThreads() throws Exception {
        Re2Pattern pattern = Regexes.compile("(.*a){3}[0-9]+");
        List<String> inputs = List.of("a-a-a-12", "aaa", "xaxaxa1", "a a a", "/aaaa/9");
        Thread[] threads = new Thread[4];
        boolean[] failed = new boolean[1];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 5_000; i++) {
                    String in = inputs.get(i % inputs.size());
                    if (pattern.matches(in) != pattern.re2j().matches(in)) {
                        failed[0] = true;
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failed[0]).isFalse();
        assertThat(pattern.cachedDfaStates()).isLessThan(FullMatchDfa.MAX_CACHED_STATES);
    }

    @Test
    void keepsMatchingWhenTheStateCacheIsFull() {
        // a^n has as many DFA states as n here: fills the cache, then steps uncached.
        Re2Pattern pattern = Regexes.compile("((a{10}){10}){25}");
        assertThat(pattern.matches("a".repeat(2499))).isFalse();
        assertThat(pattern.cachedDfaStates()).isEqualTo(FullMatchDfa.MAX_CACHED_STATES);
        assertThat(pattern.matches("a".repeat(2500))).isTrue();
        assertThat(pattern.matches("a".repeat(2500) + "b")).isFalse();
        assertThat(pattern.matches("a".repeat(2501))).isFalse();
    }
}
