package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status port and the admin listener over real sockets: readiness alone on the status port
 * (which a Service publishes), the config dump and metrics on the admin listener, bound to
 * 127.0.0.1, and only GET and HEAD on either.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatusAndAdminListenersIT {

    @TempDir
    Path work;

    @Test
    void theStatusPortAnswersReadinessOnlyAndTheAdminListenerIsOnLoopback() throws Exception {
        try (LocalTestbed bed = LocalTestbed.builder(work).start()) {
            InetSocketAddress admin = bed.gateway().adminAddress();
            assertThat(admin.getAddress().getHostAddress()).as("the admin listener's bound address")
                    .isEqualTo("127.0.0.1");
            assertThat(admin.getAddress().isLoopbackAddress()).isTrue();
            assertThat(bed.statusPort()).as("the status port and the admin listener are two listeners")
                    .isNotEqualTo(bed.adminPort());

            assertThat(bed.status("/healthz/ready").statusCode()).isEqualTo(200);
            for (String path : List.of("/config_dump", "/stats/prometheus", "/", "/ready")) {
                HttpResponse<String> r = bed.status(path);
                assertThat(r.statusCode()).as("GET %s on the status port", path).isEqualTo(404);
                assertThat(r.body()).as("GET %s on the status port", path).doesNotContain("config_dump");
            }

            assertThat(bed.configDump().path("listeners").isArray()).as("/config_dump on the admin listener").isTrue();
            assertThat(bed.metrics()).as("/stats/prometheus on the admin listener").isNotNull();
            assertThat(bed.admin("/ready").statusCode()).isEqualTo(200);

            for (String method : List.of("POST", "PUT", "DELETE")) {
                for (int port : List.of(bed.adminPort(), bed.statusPort())) {
                    String path = port == bed.adminPort() ? "/config_dump" : "/healthz/ready";
                    HttpResponse<String> r = bed.client().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                            .method(method, HttpRequest.BodyPublishers.ofString("{}")).build(), BodyHandlers.ofString());
                    assertThat(r.statusCode()).as("%s %s on port %d", method, path, port).isEqualTo(405);
                    assertThat(r.headers().firstValue("allow")).as("%s %s: Allow", method, path).hasValue("GET, HEAD");
                }
            }
            // HEAD: GET's status and length, no body (the connection stays usable)
            HttpResponse<String> head = bed.client().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + bed.adminPort() + "/")).timeout(Duration.ofSeconds(10))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.ofString());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            assertThat(head.headers().firstValueAsLong("content-length")).hasValue(bed.admin("/").body().length());
            // still serving after the refusals
            assertThat(bed.status("/healthz/ready").statusCode()).isEqualTo(200);
        }
    }

    /** The status port is public (the LoadBalancer publishes it): it is bounded like the data plane. */
    @Test
    void theStatusPortClosesSilentConnectionsAndRefusesPastItsConnectionLimit() throws Exception {
        try (LocalTestbed bed = LocalTestbed.builder(work).start()) {
            java.util.List<java.net.Socket> held = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 128; i++) {
                    java.net.Socket s = new java.net.Socket("127.0.0.1", bed.statusPort());
                    s.setSoTimeout(15_000);
                    held.add(s);
                }
                try (java.net.Socket over = new java.net.Socket("127.0.0.1", bed.statusPort())) {
                    over.setSoTimeout(5_000);
                    assertThat(over.getInputStream().read()).as("the 129th connection is closed at once").isEqualTo(-1);
                }
                long t0 = System.nanoTime();
                assertThat(held.get(0).getInputStream().read()).as("a silent connection is closed").isEqualTo(-1);
                long ms = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(ms).as("after about 10 s of silence").isBetween(5_000L, 14_000L);
            } finally {
                for (java.net.Socket s : held) {
                    s.close();
                }
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).ignoreExceptions()
                    .until(() -> bed.status("/healthz/ready").statusCode() == 200);
        }
    }
}
