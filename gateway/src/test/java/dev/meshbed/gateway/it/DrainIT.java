package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.meshbed.sample.SampleConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shutdown the gateway does on SIGTERM (GatewayMain's hook calls the same drainAndStop):
 * readiness fails at once, the listener serves on through the drain with {@code connection: close}
 * on every response, a request in flight finishes, every request is logged, then the port closes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DrainIT {

    private static final long DRAIN = 1500;

    @TempDir
    Path work;

    @Test
    void aDrainAnswersEveryRequestWithConnectionCloseAndLosesNone() throws Exception {
        LocalTestbed bed = LocalTestbed.builder(work)
                .server("slow", SampleConfig.local("slow").withLatency(Duration.ofMillis(2500)))
                .file("destination-rule.yaml", LocalTestbed.resource("failures-destination-rule.yaml"))
                .file("failures-workloads.yaml", LocalTestbed.resource("failures-workloads.yaml"))
                .file("virtual-service.yaml", LocalTestbed.resource("limits-virtual-service.yaml"))
                .start();
        String id = UUID.randomUUID().toString();
        try (RawHttp kept = new RawHttp(bed.port(), 10_000); RawHttp slow = new RawHttp(bed.port(), 10_000)) {
            bed.awaitDump("the hang route", d -> d.toString().contains("default/app/hang"));
            RawHttp.Response before = kept.exchange(RawHttp.get("/before/" + id, "127.0.0.1"));
            assertThat(before.status()).isEqualTo(200);
            assertThat(before.header("connection")).as("keep-alive before the drain").isNull();

            slow.send(RawHttp.get("/hang/" + id, "127.0.0.1")); // answered 2.5 s later, after the drain period
            Thread.sleep(200);
            Thread drain = new Thread(() -> bed.gateway().drainAndStop(DRAIN, 5000), "drain");
            long t0 = System.nanoTime();
            drain.start();
            await().atMost(Duration.ofSeconds(1)).until(bed.gateway()::draining);
            assertThat(bed.status("/healthz/ready").statusCode()).as("readiness fails at once").isEqualTo(503);

            RawHttp.Response during = kept.exchange(RawHttp.get("/during/" + id, "127.0.0.1"));
            assertThat(during.status()).isEqualTo(200);
            assertThat(during.header("connection")).isEqualTo("close");
            assertThat(kept.closedByPeer()).as("the keep-alive connection ends after its response").isTrue();

            try (RawHttp fresh = new RawHttp(bed.port(), 5000)) {
                RawHttp.Response r = fresh.exchange(RawHttp.get("/new/" + id, "127.0.0.1"));
                assertThat(r.status()).as("a new client during the drain is served").isEqualTo(200);
                assertThat(r.header("connection")).isEqualTo("close");
            }

            RawHttp.Response inFlight = slow.read();
            assertThat(inFlight.status()).as("the request in flight when the drain began").isEqualTo(200);
            assertThat(inFlight.header("x-version")).isEqualTo("slow");
            assertThat(inFlight.header("connection")).isEqualTo("close");

            drain.join(15_000);
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(drain.isAlive()).isFalse();
            assertThat(took).as("the drain period, then the slow request's end").isBetween(DRAIN, 8000L);
            assertThatThrownBy(() -> new RawHttp(bed.port(), 1000).close()).as("the listener is closed")
                    .isInstanceOf(ConnectException.class);

            List<String> logged = bed.accessLog().stream().filter(l -> l.uri().endsWith(id))
                    .map(l -> l.uri() + " " + l.status()).toList();
            assertThat(logged).containsExactlyInAnyOrder("/before/" + id + " 200", "/during/" + id + " 200",
                    "/new/" + id + " 200", "/hang/" + id + " 200");
        } finally {
            closeQuietly(bed);
        }
    }

    private static void closeQuietly(LocalTestbed bed) {
        try {
            bed.close();
        } catch (RuntimeException e) {
            // stopped already by the drain
        }
    }

    static boolean refused(int port) {
        try (RawHttp r = new RawHttp(port, 1000)) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
