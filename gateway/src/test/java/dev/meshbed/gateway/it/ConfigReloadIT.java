package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watched config directory: a change applies under load without a single failed request, a
 * broken file never takes the last good table away (and /config_dump says what is wrong where),
 * and a gateway whose config is all bad still starts, is ready and answers 404 NR.
 *
 * <p>Statistics (see {@link Split}): two-sided binomial z-tests at 99.99 % for the split before
 * and after the change under load (each set holds a few hundred to a few thousand requests) and
 * for "still the old weights" after each broken file (400 requests: 80/20 against the 0/100 the
 * broken files ask for would give |z| of 40).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfigReloadIT {

    private static final String CANARY = "default/app/canary";
    private static final String VS_FILE = "virtual-service.yaml";

    @TempDir
    Path work;

    /** One answer seen by a load thread: when it was sent and received, and what it was. */
    private record Sample(long sentNanos, long receivedNanos, String outcome) {
    }

    @Test
    void weightChangeUnderLoadAppliesWithoutAFailedRequest() throws Exception {
        try (LocalTestbed bed = LocalTestbed.builder(work).start()) {
            assertThat(LocalTestbed.weightsOf(bed.configDump(), CANARY)).isEqualTo(Map.of("v1", 80, "v2", 20));
            int threads = 8;
            long loadMillis = 6000;
            HttpClient client = LocalTestbed.newClient();
            ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
            CountDownLatch started = new CountDownLatch(threads);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(loadMillis);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long writeNanos;
            long visibleNanos;
            try {
                List<Future<?>> load = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int worker = t;
                    load.add(pool.submit(() -> {
                        started.countDown();
                        for (int i = 0; System.nanoTime() < end; i++) {
                            long sent = System.nanoTime();
                            String outcome;
                            try {
                                HttpResponse<String> r = client.send(bed.request("/load/" + worker + "/" + i).build(),
                                        BodyHandlers.ofString());
                                outcome = r.statusCode() == 200
                                        ? r.headers().firstValue("x-version").orElse("no x-version")
                                        : r.statusCode() + " " + r.body();
                            } catch (InterruptedException e) {
                                return;
                            } catch (Exception e) {
                                outcome = e.toString();
                            }
                            samples.add(new Sample(sent, System.nanoTime(), outcome));
                        }
                    }));
                }
                assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
                Thread.sleep(2000);

                writeNanos = System.nanoTime();
                bed.writeConfig(VS_FILE, LocalTestbed.weights(20, 80));
                bed.awaitDump("weights 20/80 in /config_dump",
                        d -> LocalTestbed.weightsOf(d, CANARY).equals(Map.of("v1", 20, "v2", 80)));
                // The table is installed before the dump that shows it is rendered: whatever is
                // sent from now on is routed by the new table.
                visibleNanos = System.nanoTime();
                for (Future<?> f : load) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
                pool.awaitTermination(10, TimeUnit.SECONDS);
            }

            List<Sample> all = new ArrayList<>(samples);
            List<String> failed = all.stream().map(Sample::outcome).filter(o -> !o.equals("v1") && !o.equals("v2"))
                    .toList();
            assertThat(failed).as("failed requests among %d sent while the config changed", all.size()).isEmpty();

            // Answered before the new file was even written: old table. Sent after the new table
            // was visible: new table. Requests in between may have met either and are left out.
            long[] before = count(all.stream().filter(s -> s.receivedNanos() < writeNanos).toList());
            long[] after = count(all.stream().filter(s -> s.sentNanos() > visibleNanos).toList());
            System.out.printf("config change under load: %d requests, new table visible %d ms after the write; "
                            + "before: v1 %d, v2 %d; after: v1 %d, v2 %d%n", all.size(),
                    TimeUnit.NANOSECONDS.toMillis(visibleNanos - writeNanos), before[0], before[1], after[0], after[1]);
            assertThat(before[0] + before[1]).as("requests answered before the change").isGreaterThan(200);
            assertThat(after[0] + after[1]).as("requests sent after the change was visible").isGreaterThan(200);
            Split.assertV1Share("before the change (80/20)", before[0], before[1], 0.8, Split.Z_9999);
            Split.assertV1Share("after the change (20/80)", after[0], after[1], 0.2, Split.Z_9999);
        }
    }

    private static long[] count(List<Sample> samples) {
        return new long[] {samples.stream().filter(s -> s.outcome().equals("v1")).count(),
            samples.stream().filter(s -> s.outcome().equals("v2")).count()};
    }

    @Test
    void brokenFilesKeepTheLastGoodTableServingAndSayWhy() throws Exception {
        try (LocalTestbed bed = LocalTestbed.builder(work).start()) {
            assertThat(LocalTestbed.weightsOf(bed.configDump(), CANARY)).isEqualTo(Map.of("v1", 80, "v2", 20));

            // (a) not YAML at all
            String syntax = LocalTestbed.resource("vs-broken-syntax.yaml");
            JsonNode a = awaitRejection(bed, syntax, "a file that does not parse");
            assertThat(a.path("origin").asText()).as("where: %s", a).isEqualTo(VS_FILE + ":" + lineOf(syntax, "v1: oops"));
            assertThat(a.path("message").asText()).as("what: %s", a).contains("mapping values are not allowed");
            assertStillServing80To20(bed, "after (a), YAML that does not parse");

            // (b) a weight that is not a number
            String abc = LocalTestbed.resource("vs-weight-abc.yaml");
            JsonNode b = awaitRejection(bed, abc, "weight: abc");
            assertThat(b.path("resource").asText()).as("which resource: %s", b).isEqualTo("VirtualService default/app");
            assertThat(b.path("origin").asText()).as("where: %s", b).isEqualTo(VS_FILE + ":" + lineOf(abc, "weight: abc"));
            assertThat(b.path("field").asText()).as("which field: %s", b).isEqualTo("spec.http[0].route[0].weight");
            assertThat(b.path("message").asText()).as("what: %s", b).contains("abc");
            assertThat(b.path("text").asText()).as("the whole message: %s", b).contains("keeps serving");
            assertStillServing80To20(bed, "after (b), weight: abc");

            // (c) a port the service does not have (a cross-reference; an undefined subset is
            // accepted as Istio accepts it, and answers 503 NC)
            String port = LocalTestbed.resource("vs-missing-port.yaml");
            JsonNode c = awaitRejection(bed, port, "port 9999");
            assertThat(c.path("resource").asText()).as("which resource: %s", c).isEqualTo("VirtualService default/app");
            assertThat(c.path("origin").asText()).as("where: %s", c).startsWith(VS_FILE + ":");
            assertThat(c.path("field").asText()).as("which field: %s", c)
                    .isEqualTo("spec.http[0].route[1].destination.port.number");
            assertThat(c.path("message").asText()).as("what: %s", c).contains("9999");
            assertThat(c.path("text").asText()).as("the whole message: %s", c).contains("keeps serving");
            assertStillServing80To20(bed, "after (c), port 9999");

            // the fix applies
            bed.writeConfig(VS_FILE, LocalTestbed.weights(0, 100));
            JsonNode fixed = bed.awaitDump("the fixed VirtualService (0/100)",
                    d -> LocalTestbed.weightsOf(d, CANARY).equals(Map.of("v1", 0, "v2", 100)));
            assertThat(fixed.path("rejected")).as("rejected after the fix").isEmpty();
            Tally t = Tally.send(bed.client(), 300, 4, i -> bed.request("/fixed/" + i).build())
                    .assertAllFromV1OrV2("after the fix");
            assertThat(t.byVersion).as("after the fix (0/100): answers by version").isEqualTo(Map.of("v2", 300L));
        }
    }

    /**
     * A file that does not parse keeps serving what it held before (checked above). Its rejection
     * must say so, and name what keeps serving, as the rejections of a bad resource do ("VirtualService
     * default/app (virtual-service.yaml:18): ... (the last accepted version keeps serving)"):
     * otherwise /config_dump shows the old VirtualService as installed and a bare syntax error
     * next to it, and nothing says which resources the broken file held.
     */
    @Test
    void rejectionOfAFileThatDoesNotParseNamesTheResourceThatKeepsServing() throws Exception {
        try (LocalTestbed bed = LocalTestbed.builder(work).start()) {
            JsonNode a = awaitRejection(bed, LocalTestbed.resource("vs-broken-syntax.yaml"), "a file that does not parse");
            assertThat(a.path("origin").asText()).as("where: %s", a).startsWith(VS_FILE + ":");
            assertThat(a.path("resource").asText()).as("which resource keeps its last accepted version: %s", a)
                    .isEqualTo("VirtualService default/app");
            assertThat(a.path("text").asText()).as("the whole message: %s", a).contains("keeps serving");
        }
    }

    /** Writes {@code yaml} as the VirtualService and waits for /config_dump to reject it. */
    private static JsonNode awaitRejection(LocalTestbed bed, String yaml, String what) throws Exception {
        long versionBefore = bed.configDump().path("version").asLong();
        bed.writeConfig(VS_FILE, yaml);
        JsonNode dump = bed.awaitDump("a new table that rejects " + what,
                d -> d.path("version").asLong() > versionBefore && d.path("rejected").size() > 0);
        JsonNode rejected = dump.path("rejected");
        assertThat(rejected).as("rejections for %s: %s", what, rejected).hasSize(1);
        assertThat(LocalTestbed.weightsOf(dump, CANARY)).as("weights in the table after %s", what)
                .isEqualTo(Map.of("v1", 80, "v2", 20));
        return rejected.get(0);
    }

    /** 400 requests: all answered by v1 or v2, and v1's share consistent with 80 % at 99.99 %. */
    private static void assertStillServing80To20(LocalTestbed bed, String what) throws Exception {
        Tally t = Tally.send(bed.client(), 400, 4, i -> bed.request("/still/" + i).build()).assertAllFromV1OrV2(what);
        Split.assertV1Share(what, t.v1(), t.v2(), 0.8, Split.Z_9999);
    }

    private static int lineOf(String text, String marker) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(marker)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException(marker + " not in the text");
    }

    @Test
    void gatewayWithOnlyBadConfigStartsIsReadyAnswers404AndSaysWhy() throws Exception {
        try (LocalTestbed bed = LocalTestbed.builder(work).withoutShippedConfig()
                .file("gateway.yaml", LocalTestbed.resource("gateway-broken-syntax.yaml"))
                .file(VS_FILE, LocalTestbed.resource("vs-weight-abc.yaml"))
                .start()) {
            // start() waited for /healthz/ready: the gateway is ready with nothing to serve.
            HttpResponse<String> ready = bed.status("/healthz/ready");
            assertThat(ready.statusCode()).as("/healthz/ready: %s", ready.body()).isEqualTo(200);

            String uri = "/anything/" + UUID.randomUUID();
            HttpResponse<String> r = bed.get(uri);
            assertThat(r.statusCode()).as("answer without any accepted config: %s", r.body()).isEqualTo(404);
            assertThat(bed.awaitAccessLog(uri).flag()).as("response flag").isEqualTo("NR");

            JsonNode dump = bed.configDump();
            List<JsonNode> rejected = StreamSupport.stream(dump.path("rejected").spliterator(), false).toList();
            assertThat(rejected).as("rejections in /config_dump").hasSize(2);
            assertThat(rejected).as("the Gateway's rejection").anySatisfy(j -> {
                // The flow sequence opened on line 15 is still open at the end of the stream (line 16).
                assertThat(j.path("origin").asText()).isIn("gateway.yaml:15", "gateway.yaml:16");
                assertThat(j.path("message").asText()).contains("line 15");
            });
            assertThat(rejected).as("the VirtualService's rejection").anySatisfy(j -> {
                assertThat(j.path("resource").asText()).isEqualTo("VirtualService default/app");
                assertThat(j.path("field").asText()).isEqualTo("spec.http[0].route[0].weight");
                assertThat(j.path("origin").asText()).startsWith(VS_FILE + ":");
            });
            assertThat(dump.path("listeners").get(0).path("problem").asText()).as("why the listener serves nothing")
                    .contains("no Gateway");
        }
    }
}
