package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meshbed.gateway.source.DirectorySource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 3, on the real gateway: the config directory could not be listed (file
 * descriptors ran out) and the source installed an empty table, so even open connections got
 * 404 NR. Now the last good table keeps serving, /config_dump says why, and the gateway picks
 * up what changed meanwhile by itself once the directory can be listed again. Tests may run as
 * root, where permissions stop nothing: the listing fails through an injected lister.
 *
 * <p>Split checks: two-sided binomial z-tests at 99.99 % over 400 requests (see {@link Split}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfigListingIT {

    private static final String CANARY = "default/app/canary";

    @TempDir
    Path work;

    @Test
    void anUnlistableDirectoryKeepsTheLastGoodTableAndRecoversByItself() throws Exception {
        AtomicReference<IOException> failure = new AtomicReference<>();
        try (LocalTestbed bed = LocalTestbed.builder(work).lister((dir, limit) -> {
            IOException e = failure.get();
            if (e != null) {
                throw e;
            }
            return DirectorySource.listFiles(dir, limit);
        }).start()) {
            assertThat(LocalTestbed.weightsOf(bed.configDump(), CANARY)).isEqualTo(Map.of("v1", 80, "v2", 20));
            Tally before = Tally.send(bed.client(), 400, 4, i -> bed.request("/before/" + i).build())
                    .assertAllFromV1OrV2("before the failure");
            Split.assertV1Share("before the failure (80/20)", before.v1(), before.v2(), 0.8, Split.Z_9999);

            long version = bed.configDump().path("version").asLong();
            failure.set(new IOException("Too many open files"));
            // An edit made while the directory cannot be listed cannot be seen yet.
            bed.writeConfig("virtual-service.yaml", LocalTestbed.weights(0, 100));
            JsonNode during = bed.awaitDump("a table built while the directory cannot be listed",
                    d -> d.path("version").asLong() > version && d.path("rejected").size() > 0);
            List<JsonNode> rejected = StreamSupport.stream(during.path("rejected").spliterator(), false).toList();
            assertThat(rejected).as("one rejection per resource kept, all saying why: %s", rejected)
                    .hasSizeGreaterThanOrEqualTo(5)
                    .allSatisfy(r -> assertThat(r.path("text").asText()).contains("cannot list config directory",
                            "Too many open files", "keeps serving"));
            assertThat(rejected).anySatisfy(r -> {
                assertThat(r.path("resource").asText()).isEqualTo("VirtualService default/app");
                assertThat(r.path("origin").asText()).isEqualTo("virtual-service.yaml");
            });
            assertThat(LocalTestbed.weightsOf(during, CANARY)).as("weights while the directory cannot be listed")
                    .isEqualTo(Map.of("v1", 80, "v2", 20));
            // The same keep-alive connections as before: none may get 404 NR.
            Tally still = Tally.send(bed.client(), 400, 4, i -> bed.request("/during/" + i).build())
                    .assertAllFromV1OrV2("while the directory cannot be listed");
            Split.assertV1Share("while the directory cannot be listed (80/20)", still.v1(), still.v2(), 0.8,
                    Split.Z_9999);

            long failedAt = System.nanoTime();
            failure.set(null); // nothing else happens: the gateway must retry on its own
            JsonNode after = bed.awaitDump("the edit made during the failure, once the directory lists again",
                    d -> LocalTestbed.weightsOf(d, CANARY).equals(Map.of("v1", 0, "v2", 100)));
            long recoveredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failedAt);
            assertThat(after.path("rejected")).as("rejections after recovery").isEmpty();
            Tally fixed = Tally.send(bed.client(), 200, 4, i -> bed.request("/after/" + i).build())
                    .assertAllFromV1OrV2("after recovery");
            assertThat(fixed.byVersion).isEqualTo(Map.of("v2", 200L));
            System.out.printf("unlistable config directory: kept serving (%s), recovered %d ms after the listing "
                    + "worked again%n", still, recoveredMillis);
        }
    }
}
