package dev.meshbed.gateway.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshbed.gateway.config.ConfigLimits;
import dev.meshbed.gateway.config.ConfigSnapshot;
import dev.meshbed.gateway.config.ConfigStore;
import dev.meshbed.gateway.config.IstioResource;
import dev.meshbed.gateway.config.ParsedSource;
import dev.meshbed.gateway.config.Rejection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 3: a directory that cannot be listed is never an empty configuration. Tests may
 * run as root, where removing permissions stops nothing, so the listing fails through an
 * injected lister (as it fails when file descriptors run out) or by replacing the directory.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DirectorySourceTest {

    private static final String VS = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: %s
            spec:
              hosts: [%s.example.com]
              http:
              - route:
                - destination:
                    host: %s
            """;

    @TempDir
    Path dir;

    /** Lists as the real source does, unless told to fail. */
    private final AtomicReference<IOException> failure = new AtomicReference<>();
    private final DirectorySource.Lister failing = (d, limit) -> {
        IOException e = failure.get();
        if (e != null) {
            throw e;
        }
        return DirectorySource.listFiles(d, limit);
    };

    private void write(String file, String name) throws IOException {
        Files.writeString(dir.resolve(file), VS.formatted(name, name, name));
    }

    private static List<String> names(ConfigSnapshot snapshot) {
        return snapshot.all().stream().map(r -> r.key().name()).sorted().toList();
    }

    @Test
    void aListingThatFailsKeepsWhatEveryFileHeldAndRecovers() throws IOException {
        write("a.yaml", "a");
        write("b.yaml", "b");
        DirectorySource source = new DirectorySource(dir, ConfigLimits.defaults(), failing);
        ConfigStore store = new ConfigStore();
        ConfigSnapshot first = store.propose(source.read());
        store.commit(first);
        assertThat(names(first)).containsExactly("a", "b");

        failure.set(new IOException("Too many open files"));
        List<ParsedSource> parsed = source.read();
        assertThat(parsed).extracting(ParsedSource::source).containsExactly("a.yaml", "b.yaml");
        assertThat(parsed).allSatisfy(p -> {
            assertThat(p.unreadable()).isTrue();
            assertThat(p.rejections()).extracting(Rejection::message).containsExactly("cannot list config directory "
                    + dir.toAbsolutePath().normalize() + ": java.io.IOException: Too many open files (retrying every second)");
        });
        ConfigSnapshot during = store.propose(parsed);
        assertThat(names(during)).as("resources while the directory cannot be listed").containsExactly("a", "b");
        assertThat(during.rejections()).extracting(Rejection::describe).allSatisfy(d -> assertThat(d)
                .contains("Too many open files").endsWith("(the last accepted version keeps serving)"));
        store.commit(during);

        failure.set(null);
        Files.delete(dir.resolve("b.yaml"));
        ConfigSnapshot after = store.propose(source.read());
        assertThat(names(after)).as("readable again, without b.yaml").containsExactly("a");
        assertThat(after.rejections()).isEmpty();
    }

    @Test
    void aListingThatFailsBeforeAnySucceededSaysSoOnTheDirectory() {
        failure.set(new IOException("Too many open files"));
        DirectorySource source = new DirectorySource(dir, ConfigLimits.defaults(), failing);

        List<ParsedSource> parsed = source.read();

        assertThat(parsed).singleElement().satisfies(p -> {
            assertThat(p.source()).isEqualTo(dir.toAbsolutePath().normalize().toString());
            assertThat(p.unreadable()).isTrue();
            assertThat(p.rejections()).extracting(Rejection::message).singleElement().asString()
                    .contains("Too many open files");
        });
    }

    @Test
    void aDirectoryReplacedByAFileKeepsWhatItsFilesHeld() throws IOException {
        write("a.yaml", "a");
        DirectorySource source = new DirectorySource(dir.resolve("."));
        ConfigStore store = new ConfigStore();
        store.commit(store.propose(source.read()));

        Path moved = dir.resolveSibling(dir.getFileName() + "-moved");
        Files.move(dir, moved);
        Files.writeString(dir, "not a directory");
        try {
            List<ParsedSource> parsed = source.read();
            assertThat(names(store.propose(parsed))).containsExactly("a");
            assertThat(parsed).singleElement().satisfies(p -> assertThat(p.rejections().get(0).message())
                    .contains("cannot list config directory", "NotDirectoryException"));
        } finally {
            Files.delete(dir);
            Files.move(moved, dir);
        }
        assertThat(names(store.propose(source.read()))).as("a directory again").containsExactly("a");
    }

    @Test
    void theWatcherNoticesTheFailureRetriesAndRecoversByItself() throws Exception {
        write("a.yaml", "a");
        AtomicInteger changes = new AtomicInteger();
        DirectorySource source = new DirectorySource(dir, ConfigLimits.defaults(), failing);
        try {
            source.start(changes::incrementAndGet);
            assertThat(changes.get()).as("the first view").isEqualTo(1);

            failure.set(new IOException("Too many open files"));
            await("a change signalled for the failure").atMost(Duration.ofSeconds(5))
                    .until(() -> changes.get() == 2);
            // The config thread reads now, and fails: the source must retry on its own.
            assertThat(source.read()).allSatisfy(p -> assertThat(p.unreadable()).isTrue());
            Thread.sleep(2500);
            assertThat(changes.get()).as("no rebuild per retry while the listing keeps failing").isEqualTo(2);

            failure.set(null); // no file changes: only the retry can notice
            await("a change signalled on recovery").atMost(Duration.ofSeconds(5)).until(() -> changes.get() >= 3);
            List<ParsedSource> parsed = source.read();
            assertThat(parsed).singleElement().satisfies(p -> {
                assertThat(p.unreadable()).isFalse();
                assertThat(p.resources()).extracting(IstioResource::key).hasSize(1);
            });
        } finally {
            source.close();
        }
    }

    @Test
    void filesPastTheTotalSizeAreNotReadAndKeepWhatTheyHeld() throws IOException {
        write("a.yaml", "a");
        write("b.yaml", "b");
        write("c.yaml", "c");
        long size = Files.size(dir.resolve("a.yaml"));
        ConfigStore store = new ConfigStore();
        store.commit(store.propose(new DirectorySource(dir).read()));

        DirectorySource bounded = new DirectorySource(dir, ConfigLimits.defaults().withMaxTotalBytes(2 * size));
        List<ParsedSource> parsed = bounded.read();

        assertThat(parsed).extracting(ParsedSource::unreadable).containsExactly(false, false, true);
        assertThat(parsed.get(2).rejections()).extracting(Rejection::message).containsExactly("not read: the config "
                + "files come to more than " + 2 * size + " bytes together (limit: --config-max-total-bytes; files are "
                + "read in name order)");
        assertThat(names(store.propose(parsed))).as("c.yaml keeps what it held").containsExactly("a", "b", "c");
    }

    @Test
    void moreFilesThanTheLimitKeepWhatTheyHeld() throws IOException {
        write("a.yaml", "a");
        DirectorySource source = new DirectorySource(dir, ConfigLimits.defaults().withMaxFiles(1));
        ConfigStore store = new ConfigStore();
        store.commit(store.propose(source.read()));
        write("b.yaml", "b");

        List<ParsedSource> parsed = source.read();

        assertThat(parsed).singleElement().satisfies(p -> assertThat(p.rejections().get(0).message())
                .contains("holds more than 1 config files (limit: --config-max-files)"));
        assertThat(names(store.propose(parsed))).containsExactly("a");
    }
}
