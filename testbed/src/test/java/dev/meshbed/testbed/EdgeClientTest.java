package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EdgeClientTest {

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            int n = requests.incrementAndGet();
            byte[] body = ("{\"n\":" + n + ",\"user\":\"" + ex.getRequestHeaders().getFirst("end-user") + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("x-version", n % 4 == 0 ? "v2" : "v1");
            boolean chunked = ex.getRequestURI().getPath().startsWith("/chunked");
            ex.sendResponseHeaders(200, chunked ? 0 : body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void getsWithHeadersOnANewConnection() throws IOException {
        int port = server.getAddress().getPort();
        EdgeClient.Response r = EdgeClient.get("127.0.0.1", port, "/x", Map.of("end-user", "jason"), Duration.ofSeconds(5));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.version()).isEqualTo("v1");
        assertThat(r.body()).isEqualTo("{\"n\":1,\"user\":\"jason\"}");
        assertThat(EdgeClient.get("127.0.0.1", port, "/chunked", Map.of(), Duration.ofSeconds(5)).body())
                .isEqualTo("{\"n\":2,\"user\":\"null\"}");
    }

    @Test
    void samplesCountByVersion() {
        Map<String, Integer> counts = EdgeClient.sample("127.0.0.1", server.getAddress().getPort(), 40, Map.of(),
                Duration.ofSeconds(5));
        assertThat(counts).isEqualTo(Map.of("v1", 30, "v2", 10));
    }

    @Test
    void nothingListeningCountsAsErrors() {
        int port = server.getAddress().getPort();
        server.stop(0);
        assertThat(EdgeClient.sample("127.0.0.1", port, 3, Map.of(), Duration.ofSeconds(1))).isEqualTo(Map.of("error", 3));
    }
}
