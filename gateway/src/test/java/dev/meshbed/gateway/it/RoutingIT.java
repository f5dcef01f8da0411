package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weighted splits and match routes through the in-process gateway, with the real v1 and v2
 * behind it. One testbed for the class; each test installs the VirtualService it needs (and waits
 * until /config_dump shows it) before sending anything.
 *
 * <p>Statistics: see {@link Split}. The 80/20 and 50/50 checks and the "others follow the weights"
 * check are two-sided binomial z-tests at 99.99 % (each fails a correct gateway with probability
 * 0.01 %); weights 0 and 100, a single destination and the match routes are checked exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoutingIT {

    private static final String CANARY = "default/app/canary";
    private static final int THREADS = 4;

    @TempDir
    static Path work;

    private LocalTestbed bed;

    @BeforeAll
    void start() throws Exception {
        bed = LocalTestbed.builder(work).start();
    }

    @AfterAll
    void stop() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void shippedConfigSplits80To20() throws Exception {
        bed.writeConfig("virtual-service.yaml",
                Files.readString(LocalTestbed.MANIFESTS.resolve("virtual-service.yaml")));
        JsonNode dump = bed.awaitDump("the shipped 80/20 VirtualService", d -> onlyCanary(d, Map.of("v1", 80, "v2", 20)));
        assertThat(dump.path("rejected")).as("rejected resources of the shipped config").isEmpty();

        // n = 3000, p = 0.8: sd of the share = sqrt(0.8 * 0.2 / 3000) = 0.0073, so at 99.99 % the
        // observed share must lie in 0.8 ± 0.028; a 75/25 gateway gives |z| near 7 and fails.
        Tally t = Tally.send(bed.client(), 3000, THREADS, i -> bed.request("/split/" + i).build())
                .assertAllFromV1OrV2("80/20");
        Split.assertV1Share("80/20 over 3000 requests", t.v1(), t.v2(), 0.8, Split.Z_9999);
    }

    @Test
    void fiftyFifty() throws Exception {
        install(50, 50);
        // n = 1000, p = 0.5: 99.99 % band 0.5 ± 0.062; a 60/40 gateway gives |z| near 6.3 and fails.
        Tally t = Tally.send(bed.client(), 1000, THREADS, i -> bed.request("/half/" + i).build())
                .assertAllFromV1OrV2("50/50");
        Split.assertV1Share("50/50 over 1000 requests", t.v1(), t.v2(), 0.5, Split.Z_9999);
    }

    @Test
    void hundredToZeroSendsNothingToTheZeroWeight() throws Exception {
        install(100, 0);
        Tally t = Tally.send(bed.client(), 500, THREADS, i -> bed.request("/all-v1/" + i).build())
                .assertAllFromV1OrV2("100/0");
        assertThat(t.byVersion).as("100/0: answers by version").isEqualTo(Map.of("v1", 500L));
    }

    @Test
    void zeroToHundredSendsNothingToTheZeroWeight() throws Exception {
        install(0, 100);
        Tally t = Tally.send(bed.client(), 500, THREADS, i -> bed.request("/all-v2/" + i).build())
                .assertAllFromV1OrV2("0/100");
        assertThat(t.byVersion).as("0/100: answers by version").isEqualTo(Map.of("v2", 500L));
    }

    @Test
    void singleDestinationWithoutWeightGetsEverything() throws Exception {
        bed.writeConfig("virtual-service.yaml", LocalTestbed.resource("vs-single.yaml"));
        bed.awaitDump("a single destination (v2) without weight",
                d -> LocalTestbed.routeNames(d).equals(List.of(CANARY))
                        && LocalTestbed.weightsOf(d, CANARY).keySet().equals(Set.of("v2")));
        Tally t = Tally.send(bed.client(), 300, THREADS, i -> bed.request("/single/" + i).build())
                .assertAllFromV1OrV2("single destination");
        assertThat(t.byVersion).as("single destination v2 without weight: answers by version")
                .isEqualTo(Map.of("v2", 300L));
    }

    @Test
    void headerAndPathRoutesComeBeforeTheWeightsAndTheFirstMatchWins() throws Exception {
        bed.writeConfig("virtual-service.yaml", LocalTestbed.resource("vs-matches.yaml"));
        bed.awaitDump("the VirtualService with match routes",
                d -> d.toString().contains("default/app/jason") && d.path("rejected").isEmpty());

        // end-user: jason goes to v2, whatever the path: the header route is the first one, so it
        // wins over the /stable path route too.
        Tally jason = Tally.send(bed.client(), 200, THREADS, i -> bed.request((i % 2 == 0 ? "/jason/" : "/stable/")
                + i).header("end-user", "jason").build()).assertAllFromV1OrV2("end-user: jason");
        assertThat(jason.byVersion).as("end-user: jason: answers by version").isEqualTo(Map.of("v2", 200L));

        // Everybody else follows the 80/20 weights (exact match: "Jason" and "jason2" are others).
        String[] users = {null, "bob", "Jason", "jason2"};
        Tally others = Tally.send(bed.client(), 1000, THREADS, i -> {
            var b = bed.request("/others/" + i);
            return users[i % 4] == null ? b.build() : b.header("end-user", users[i % 4]).build();
        }).assertAllFromV1OrV2("others");
        Split.assertV1Share("requests without end-user: jason (1000)", others.v1(), others.v2(), 0.8, Split.Z_9999);

        // uri prefix /stable goes to v1; /stable/preview would match the later, longer prefix
        // (to v2), but the first match wins.
        Tally stable = Tally.send(bed.client(), 200, THREADS,
                i -> bed.request((i % 2 == 0 ? "/stable/" : "/stable/preview/") + i).build())
                .assertAllFromV1OrV2("uri prefix /stable");
        assertThat(stable.byVersion).as("uri prefix /stable (and /stable/preview): answers by version")
                .isEqualTo(Map.of("v1", 200L));

        String probe = "/stable/preview/" + UUID.randomUUID();
        assertThat(bed.get(probe).headers().firstValue("x-version")).hasValue("v1");
        AccessLogLine line = bed.awaitAccessLog(probe);
        assertThat(line.route()).as("route that served %s: %s", probe, line).isEqualTo("default/app/stable");
        assertThat(line.cluster()).as("cluster of %s", line).isEqualTo("outbound|80|v1|app.default.svc.cluster.local");
        assertThat(line.flag()).as("response flag of %s", line).isEqualTo("-");
    }

    private void install(int v1, int v2) {
        try {
            bed.writeConfig("virtual-service.yaml", LocalTestbed.weights(v1, v2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode dump = bed.awaitDump("VirtualService weights " + v1 + "/" + v2,
                d -> onlyCanary(d, Map.of("v1", v1, "v2", v2)));
        assertThat(dump.path("rejected")).as("rejected resources").isEmpty();
    }

    /**
     * The table has the canary route alone, with these weights. (The match-route VirtualService of
     * another test has an 80/20 canary route too, after its match routes: checking the weights
     * alone would not tell that an earlier table is still installed.)
     */
    private static boolean onlyCanary(JsonNode dump, Map<String, Integer> weights) {
        return LocalTestbed.routeNames(dump).equals(List.of(CANARY))
                && LocalTestbed.weightsOf(dump, CANARY).equals(weights);
    }
}
