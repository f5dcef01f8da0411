package dev.meshbed.gateway.config;

import static dev.meshbed.gateway.config.YamlFixtures.markedLine;
import static dev.meshbed.gateway.config.YamlFixtures.surround;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config bombs (issue 11, item 9): what reading a file may cost is bounded, and a file over a
 * bound is unreadable as a whole, with a message naming the file, the bound and its option, while
 * the reader stays fast and small. Before the bounds, the 48-alias chain below ran for minutes and
 * ended in an OutOfMemoryError with a 1 GiB heap.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class IstioYamlReaderLimitsTest {

    /**
     * A VirtualService whose unknown field holds a chain of {@code levels} anchors, each a list of
     * {@code fan} aliases to the one before: {@code levels * fan} aliases expanding to
     * {@code fan^levels} copies of the first list.
     */
    static String aliasChain(int levels, int fan) {
        StringBuilder sb = new StringBuilder("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: bomb  # <--
                spec:
                  hosts: [bomb.example.com]
                  unknownField:
                    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]
                """);
        for (int i = 1; i <= levels; i++) {
            sb.append("    l").append(i).append(": &l").append(i).append(" [");
            for (int j = 0; j < fan; j++) {
                sb.append(j == 0 ? "" : ", ").append("*l").append(i - 1);
            }
            sb.append("]\n");
        }
        return sb.toString();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void aFortyEightAliasChainIsRejectedWithoutBeingExpanded() {
        String file = surround(aliasChain(24, 2));
        IstioYamlReader reader = new IstioYamlReader();

        long start = System.nanoTime();
        ParsedSource parsed = reader.read("bomb.yaml", file);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(parsed.unreadable()).as("the whole file is unreadable: %s", parsed.rejections()).isTrue();
        assertThat(parsed.resources()).isEmpty();
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.origin().source()).isEqualTo("bomb.yaml");
            // the line where the bomb's document starts
            assertThat(r.origin().line()).isEqualTo(markedLine(file) - 3);
            assertThat(r.message()).startsWith("aliases expand the file by ")
                    .endsWith(" nodes (limit: 10000, --config-max-alias-expansion); it was not expanded");
            long added = Long.parseLong(r.message().replaceAll("^aliases expand the file by (\\d+) nodes.*$", "$1"));
            assertThat(added).as("nodes the chain would add").isGreaterThan(1L << 24);
        });
        System.out.printf("48-alias chain rejected in %d ms%n", millis);
    }

    @Test
    void aliasesAddingExactlyTheLimitAreAcceptedAndOneMoreIsNot() {
        // The anchored route is 8 nodes (a list, a mapping, "destination", a mapping, 2 keys, 2
        // values); the alias repeats it once: 8 nodes added.
        String file = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: reviews
                spec:
                  hosts: [reviews]
                  http:
                  - route: &v1
                    - destination: {host: reviews, subset: v1}
                  - route: *v1
                """;
        ParsedSource atLimit = new IstioYamlReader(ConfigLimits.defaults().withMaxAliasExpansion(8))
                .read("routes.yaml", file);
        assertThat(atLimit.rejections()).as("8 nodes added, limit 8").isEmpty();
        assertThat(atLimit.resources()).hasSize(1);

        ParsedSource over = new IstioYamlReader(ConfigLimits.defaults().withMaxAliasExpansion(7))
                .read("routes.yaml", file);
        assertThat(over.unreadable()).isTrue();
        assertThat(over.rejections()).extracting(Rejection::message).containsExactly(
                "aliases expand the file by 8 nodes (limit: 7, --config-max-alias-expansion); it was not expanded");
    }

    @Test
    void theExpansionOfAllDocumentsOfAFileCounts() {
        String doc = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: r%d
                spec:
                  hosts: [reviews]
                  http:
                  - route: &v1
                    - destination: {host: reviews, subset: v1}
                  - route: *v1
                """;
        String file = doc.formatted(1) + "---\n" + doc.formatted(2);
        ParsedSource parsed = new IstioYamlReader(ConfigLimits.defaults().withMaxAliasExpansion(15))
                .read("routes.yaml", file);
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.message()).startsWith("aliases expand the file by 16 nodes (limit: 15");
            assertThat(r.origin().line()).as("the document that went over (after the first and ---)")
                    .isEqualTo(doc.formatted(1).lines().count() + 2);
        });
    }

    @Test
    void moreAliasesThanTheLimitAreRejected() {
        StringBuilder sb = new StringBuilder("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: many
                spec:
                  hosts: [many]
                  unknownField:
                    a: &a [x]
                    b: [""");
        for (int i = 0; i < 51; i++) {
            sb.append(i == 0 ? "" : ", ").append("*a");
        }
        sb.append("]\n");

        ParsedSource parsed = new IstioYamlReader().read("many.yaml", sb.toString());

        assertThat(parsed.unreadable()).isTrue();
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.origin().source()).isEqualTo("many.yaml");
            assertThat(r.message()).isEqualTo("too many aliases to mappings and lists (limit: 50, --config-max-aliases)");
        });
        assertThat(new IstioYamlReader(ConfigLimits.defaults().withMaxAliases(51)).read("many.yaml", sb.toString())
                .rejections()).as("with a limit of 51").extracting(Rejection::message)
                .containsExactly("unknown field");
    }

    @Test
    void nestingDeeperThanTheLimitIsRejected() {
        String deep = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: deep\nspec:\n"
                + "  hosts: " + "[".repeat(60) + "x" + "]".repeat(60) + "\n";

        ParsedSource parsed = new IstioYamlReader().read("deep.yaml", deep);

        assertThat(parsed.unreadable()).isTrue();
        assertThat(parsed.rejections()).extracting(Rejection::message)
                .containsExactly("mappings and lists nest too deeply (limit: 50, --config-max-depth)");
        assertThat(new IstioYamlReader(ConfigLimits.defaults().withMaxNestingDepth(100)).read("deep.yaml", deep)
                .unreadable()).as("with a limit of 100").isFalse();
    }

    @Test
    void aFileOverTheSizeLimitIsNotRead(@TempDir Path dir) throws IOException {
        ConfigLimits limits = ConfigLimits.defaults().withMaxFileBytes(YamlFixtures.BEFORE.length());
        Files.writeString(dir.resolve("fits.yaml"), YamlFixtures.BEFORE);
        Files.writeString(dir.resolve("over.yaml"), YamlFixtures.BEFORE + "\n");
        IstioYamlReader reader = new IstioYamlReader(limits);

        assertThat(reader.read(dir, dir.resolve("fits.yaml")).resources()).as("a file of exactly the limit").hasSize(1);
        ParsedSource over = reader.read(dir, dir.resolve("over.yaml"));
        assertThat(over.unreadable()).isTrue();
        assertThat(over.rejections()).singleElement().satisfies(r -> {
            assertThat(r.origin()).isEqualTo(new Origin("over.yaml", 0));
            assertThat(r.message()).isEqualTo("the file is too large: " + (YamlFixtures.BEFORE.length() + 1)
                    + " bytes (limit: " + YamlFixtures.BEFORE.length() + ", --config-max-file-bytes); it was not read");
        });
        assertThat(reader.read("over.yaml", YamlFixtures.BEFORE + "\n").rejections()).as("text given directly")
                .extracting(Rejection::message).singleElement().asString().startsWith("the file is too large: ");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void aFiftyMegabyteFileIsRejectedWithoutReadingIt(@TempDir Path dir) throws IOException {
        Path big = dir.resolve("big.yaml");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(50L * 1024 * 1024); // sparse: the reader must stop after 1 MiB + 1 byte
        }
        ParsedSource parsed = new IstioYamlReader().read(dir, big);

        assertThat(parsed.rejections()).extracting(Rejection::message).containsExactly(
                "the file is too large: 52428800 bytes (limit: 1048576, --config-max-file-bytes); it was not read");
    }

    @Test
    void limitsAreChecked() {
        assertThatThrownBy(() -> ConfigLimits.defaults().withMaxFileBytes(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxFileBytes: 0 (expected: >= 1)");
        assertThatThrownBy(() -> ConfigLimits.defaults().withMaxAliasExpansion(-3))
                .hasMessage("maxAliasExpansion: -3 (expected: >= 0)");
        assertThatThrownBy(() -> ConfigLimits.defaults().withMaxFileBytes(1L << 40))
                .hasMessage("maxFileBytes: 1099511627776 (expected: <= 2147483639)");
        assertThat(ConfigLimits.defaults()).isEqualTo(new ConfigLimits(1 << 20, 4 << 20, 10_000, 50, 10_000, 50));
    }
}
