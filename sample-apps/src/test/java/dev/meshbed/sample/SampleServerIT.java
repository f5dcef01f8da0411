package dev.meshbed.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real server on 127.0.0.1, run by failsafe with a 64 MB heap to show that bodies stream. */
@Timeout(120)
class SampleServerIT {

    private static final long HUNDRED_MB = 100L * 1024 * 1024;
    private static final Duration LATENCY = Duration.ofMillis(300);

    private static SampleServer v1;
    private static SampleServer slow;
    private static HttpClient client;

    @BeforeAll
    static void start() throws IOException {
        v1 = SampleServer.start(SampleConfig.local("v1"));
        slow = SampleServer.start(SampleConfig.local("v2").withInstance("slow-pod").withLatency(LATENCY));
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    @AfterAll
    static void stop() {
        if (v1 != null) {
            v1.close();
        }
        if (slow != null) {
            slow.close();
        }
    }

    @Test
    void answersWithVersionInstanceAndTheRequest() throws Exception {
        HttpResponse<String> response = client.send(
                request(v1, "/hello?x=1").header("X-Test", "yes").build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-version")).hasValue("v1");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode body = Json.parse(response.body());
        assertThat(body.get("version").asText()).isEqualTo("v1");
        assertThat(body.get("instance").asText()).isEqualTo("sample-v1-" + v1.port()).isEqualTo(v1.instance());
        assertThat(body.get("path").asText()).isEqualTo("/hello?x=1");
        assertThat(body.get("headers").get("x-test").asText()).isEqualTo("yes");
        assertThat(body.get("headers").get("host").asText()).isEqualTo("127.0.0.1:" + v1.port());
    }

    @Test
    void keepsTheConnectionAliveAcrossRequests() throws Exception {
        try (SampleServer server = SampleServer.start(SampleConfig.local("v1"))) {
            HttpClient ownClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> response = ownClient.send(request(server, "/n/" + i).build(), BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(200);
            }

            assertThat(server.acceptedConnections()).isEqualTo(1);
        }
    }

    @Test
    void streamsA100MbUploadAndReportsItsSizeAndCrc() throws Exception {
        long[] expected = PatternStreams.countAndCrc(PatternStreams.seeded(HUNDRED_MB, 42));

        HttpResponse<String> response = client.send(request(v1, "/upload")
                        .POST(BodyPublishers.ofInputStream(() -> PatternStreams.seeded(HUNDRED_MB, 42)))
                        .build(),
                BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Json.parse(response.body());
        assertThat(body.get("bodyBytes").asLong()).isEqualTo(HUNDRED_MB);
        assertThat(body.get("bodyCrc32").asText()).isEqualTo(String.format("%08x", expected[1]));
        assertThat(body.get("headers").get("transfer-encoding").asText()).isEqualTo("chunked");
    }

    @Test
    void streamsA100MbDownloadOfThePattern() throws Exception {
        HttpResponse<InputStream> response = client.send(
                request(v1, "/bytes/" + HUNDRED_MB).build(), BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-version")).hasValue("v1");
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(HUNDRED_MB);
        long[] received = PatternStreams.countAndCrc(response.body());
        assertThat(received[0]).isEqualTo(HUNDRED_MB);
        assertThat(received[1]).isEqualTo(PatternStreams.patternCrc(HUNDRED_MB));
    }

    @Test
    void headAnswersTheLengthWithoutABody() throws Exception {
        HttpResponse<String> response = client.send(
                request(v1, "/bytes/12345").method("HEAD", BodyPublishers.noBody()).build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(12345);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void statusPathAnswersTheGivenStatus() throws Exception {
        HttpResponse<String> response = client.send(request(v1, "/status/502").build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("x-version")).hasValue("v1");
        assertThat(Json.parse(response.body()).get("path").asText()).isEqualTo("/status/502");
    }

    @Test
    void latencyDelaysResponsesButNotHealthz() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = client.send(request(slow, "/slow").build(), BodyHandlers.ofString());
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-version")).hasValue("v2");
        assertThat(Json.parse(response.body()).get("instance").asText()).isEqualTo("slow-pod");
        assertThat(took).isGreaterThanOrEqualTo(LATENCY).isLessThan(LATENCY.plusSeconds(10));
    }

    @Test
    void errorRateOneFailsEveryRequestButHealthz() throws Exception {
        try (SampleServer failing = SampleServer.start(SampleConfig.local("v2").withErrorRate(1))) {
            HttpResponse<String> failed = client.send(request(failing, "/x").build(), BodyHandlers.ofString());
            HttpResponse<String> healthz = client.send(request(failing, "/healthz").build(), BodyHandlers.ofString());

            assertThat(failed.statusCode()).isEqualTo(503);
            assertThat(failed.headers().firstValue("x-version")).hasValue("v2");
            assertThat(Json.parse(failed.body()).get("error").asText()).isEqualTo("injected failure (error rate 1)");
            assertThat(healthz.statusCode()).isEqualTo(200);
            assertThat(healthz.body()).isEqualTo("ok");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        String requests = "GET /status/201 HTTP/1.1\r\nhost: a\r\n\r\n"
                + "GET /healthz HTTP/1.1\r\nhost: a\r\n\r\n"
                + "GET /status/202 HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n";
        String output;
        try (Socket socket = new Socket("127.0.0.1", slow.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(received); // to EOF: the server closes after the third
            output = received.toString(StandardCharsets.UTF_8);
        }

        int created = output.indexOf("HTTP/1.1 201 Created");
        int ok = output.indexOf("HTTP/1.1 200 OK");
        int accepted = output.indexOf("HTTP/1.1 202 Accepted");
        assertThat(created).isZero();
        assertThat(ok).isGreaterThan(created);
        assertThat(accepted).isGreaterThan(ok);
    }

    @Test
    void aDrainEndsEachConnectionAfterItsResponseAndServesNewOnesUntilItStops() throws Exception {
        SampleServer draining = SampleServer.start(SampleConfig.local("v9").withLatency(Duration.ofMillis(400)));
        try (Socket kept = new Socket("127.0.0.1", draining.port());
                Socket inFlight = new Socket("127.0.0.1", draining.port())) {
            kept.setSoTimeout(10_000);
            inFlight.setSoTimeout(10_000);
            String get = "GET /drain HTTP/1.1\r\nhost: a\r\n\r\n";
            kept.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
            assertThat(readHead(kept)).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("connection: close");
            inFlight.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII)); // answered 400 ms later

            Thread drain = new Thread(() -> draining.drain(Duration.ofMillis(1200)));
            long t0 = System.nanoTime();
            drain.start();
            Thread.sleep(100);
            assertThat(readHead(inFlight)).as("the response in flight when the drain began")
                    .startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close");
            kept.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
            assertThat(readHead(kept)).as("a kept-alive connection's next response")
                    .startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close");
            try (Socket fresh = new Socket("127.0.0.1", draining.port())) {
                fresh.setSoTimeout(10_000);
                fresh.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
                assertThat(readHead(fresh)).as("a new connection during the drain")
                        .startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close");
            }
            drain.join(10_000);
            assertThat(System.nanoTime() - t0).as("the drain period").isGreaterThanOrEqualTo(1_200_000_000L);
            assertThatThrownBy(() -> new Socket("127.0.0.1", draining.port()).close()).as("then the port closes")
                    .isInstanceOf(IOException.class);
        } finally {
            draining.close();
        }
    }

    /** The status line and headers of one response, its body skipped by Content-Length. */
    private static String readHead(Socket socket) throws IOException {
        java.io.InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new java.io.EOFException("closed after: " + head);
            }
            head.append((char) c);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
        if (m.find()) {
            in.readNBytes(Integer.parseInt(m.group(1)));
        }
        return head.toString();
    }

    @Test
    void aSecondServerOnTheSamePortIsRefusedWithTheAddress() {
        SampleConfig taken = SampleConfig.local("v1").withPort(v1.port());

        assertThatThrownBy(() -> SampleServer.start(taken))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot listen on 127.0.0.1:" + v1.port() + ": ");
    }

    private static HttpRequest.Builder request(SampleServer server, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(60));
    }
}
