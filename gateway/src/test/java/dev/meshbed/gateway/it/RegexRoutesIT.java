package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, item 1, on the real gateway: a route regex that backtracking engines take exponential
 * time on ({@code (.*a){12}}: java.util.regex did not finish it on 34 bytes) routes 4 KiB paths at
 * once, both when it matches and when it does not, and a client on the same event loop is not held up.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegexRoutesIT {

    @TempDir
    Path work;

    @Test
    void aPathologicalRegexRoutesLongPathsInLinearTime() throws Exception {
        try (LocalTestbed bed = LocalTestbed.builder(work)
                .file("virtual-service.yaml", LocalTestbed.resource("vs-pathological-regex.yaml"))
                .start()) {
            bed.awaitDump("the regex route", d -> d.toString().contains("default/app/pathological"));
            String matching = "/" + "a".repeat(4096);
            String missing = "/" + "a".repeat(4095) + "b";
            List<Long> micros = new ArrayList<>();
            try (RawHttp raw = new RawHttp(bed.port(), 5000); RawHttp other = new RawHttp(bed.port(), 5000)) {
                for (int i = 0; i < 50; i++) {
                    long t0 = System.nanoTime();
                    RawHttp.Response hit = raw.exchange(RawHttp.get(matching, "127.0.0.1"));
                    RawHttp.Response miss = raw.exchange(RawHttp.get(missing, "127.0.0.1"));
                    micros.add(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0) / 2);
                    assertThat(hit.header("x-version")).as("(.*a){12} matches a path of a's").isEqualTo("v2");
                    assertThat(miss.header("x-version")).as("and not one that ends in b").isEqualTo("v1");
                    assertThat(other.exchange(RawHttp.get("/other/" + i, "127.0.0.1")).status())
                            .as("another client meanwhile").isEqualTo(200);
                }
            }
            micros.sort(null);
            long median = micros.get(micros.size() / 2);
            System.out.printf("(.*a){12} on 4 KiB paths through the gateway: median %d us per request (the whole "
                    + "round trip), max %d us%n", median, micros.get(micros.size() - 1));
            assertThat(median).as("a round trip, the regex included (backtracking: never finishes)").isLessThan(50_000);
            AccessLogLine hit = bed.awaitAccessLog(matching);
            assertThat(hit.route()).isEqualTo("default/app/pathological");
            assertThat(hit.cluster()).isEqualTo("outbound|80|v2|app.default.svc.cluster.local");
            assertThat(bed.awaitAccessLog(missing).route()).isEqualTo("default/app/rest");
        }
    }
}
