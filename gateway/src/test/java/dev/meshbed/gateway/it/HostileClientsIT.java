package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.meshbed.gateway.proxy.EdgeLimits;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Hostile clients, bounded: a slowloris of 200 connections trickling header bytes, and a flood that
 * exhausts the file descriptors of a gateway started under {@code ulimit -n 256}. Through both, a
 * client that was already connected keeps being served by the right routes, newcomers get an
 * answer rather than a hang, the gateway's own log stays small, and it recovers by itself.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileClientsIT {

    @TempDir
    Path work;

    private final List<Process> processes = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aSlowlorisIsCutByTheRequestHeadersTimeoutWhileOthersAreServed() throws Exception {
        int slow = 200;
        long headersTimeout = 1000;
        try (LocalTestbed bed = LocalTestbed.builder(work)
                .limits(new EdgeLimits(headersTimeout, EdgeLimits.STREAM_IDLE_TIMEOUT_MILLIS,
                        EdgeLimits.CONNECTION_IDLE_TIMEOUT_MILLIS, 1000, EdgeLimits.MAX_HEADERS_COUNT))
                .start()) {
            for (int i = 0; i < slow; i++) {
                Socket s = connect(bed.port());
                s.getOutputStream().write(("GET /slowloris/" + i + " HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                sockets.add(s);
            }
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(headersTimeout * 3);
            int served = 0;
            while (System.nanoTime() - until < 0) {
                for (Socket s : sockets) {
                    try {
                        s.getOutputStream().write('x'); // one header byte at a time, for ever
                    } catch (IOException e) {
                        // cut already: what the test wants
                    }
                }
                HttpResponse<String> r = bed.get("/established/" + served);
                assertThat(r.statusCode()).as("a well-behaved client during the slowloris").isEqualTo(200);
                assertThat(r.headers().firstValue("x-version")).get().isIn("v1", "v2");
                served++;
                Thread.sleep(100);
            }
            int cut = 0;
            for (Socket s : sockets) {
                s.setSoTimeout(2000);
                String answer = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                if (answer.equals("HTTP/1.1 408")) {
                    cut++;
                }
            }
            assertThat(cut).as("slowloris connections answered 408 and closed").isEqualTo(slow);
            assertThat(served).isGreaterThan(10);
            long lines = bed.accessLog().stream().filter(l -> l.status() == 408).count();
            assertThat(lines).as("one access log line per cut connection").isEqualTo(slow);
            assertThat(Files.size(work.resolve("access.log"))).as("the access log's size").isLessThan(200_000);
            System.out.printf("slowloris: %d connections cut with 408 after %d ms; %d requests served meanwhile%n",
                    cut, headersTimeout, served);
        }
    }

    /**
     * With {@code --max-connections 100000} given, the limit is taken as it is and the flood meets
     * "too many open files": accepting pauses and logs once, a descriptor kept in reserve lets each
     * waiting newcomer in to be refused. With the default limit, it is lowered to fit 256 descriptors
     * and the flood meets the limit first.
     */
    @ParameterizedTest(name = "transport {0}, max connections {1}")
    @org.junit.jupiter.params.provider.CsvSource({"io_uring, 100000", "epoll, 100000", "epoll, default"})
    void whenFileDescriptorsRunOutNewcomersAreRefusedEstablishedClientsServedAndItRecovers(String transport,
            String maxConnections) throws Exception {
        boolean exhaust = !"default".equals(maxConnections);
        if (!"Linux".equals(System.getProperty("os.name"))) {
            System.out.println("file descriptor exhaustion skipped: ulimit and these transports are Linux's");
            return;
        }
        if ("io_uring".equals(transport) && !io.netty.channel.uring.IoUring.isAvailable()) {
            System.out.println("file descriptor exhaustion with io_uring skipped: "
                    + io.netty.channel.uring.IoUring.unavailabilityCause());
            return;
        }
        Path jar = JarCommandLineIT.GATEWAY_JAR;
        assertThat(jar).as("the gateway jar (package phase)").isRegularFile();
        int v1 = LocalTestbed.freePort();
        int v2 = LocalTestbed.freePort();
        int port = LocalTestbed.freePort();
        int statusPort = LocalTestbed.freePort();
        Path config = Files.createDirectories(work.resolve("config"));
        LocalTestbed.writeShippedConfig(config, v1, v2);
        start("v1", List.of(java(), "-Xmx64m", "-jar", JarCommandLineIT.SAMPLE_JAR.toString(), "--version", "v1",
                "--port", String.valueOf(v1), "--bind", "127.0.0.1"));
        start("v2", List.of(java(), "-Xmx64m", "-jar", JarCommandLineIT.SAMPLE_JAR.toString(), "--version", "v2",
                "--port", String.valueOf(v2), "--bind", "127.0.0.1"));
        String gatewayCommand = String.join(" ", java(), "-Xmx128m", "-XX:+UseSerialGC", "-jar", jar.toString(),
                "--config", config.toString(), "--port", String.valueOf(port), "--status-port",
                String.valueOf(statusPort), "--admin-port", "0", "--bind", "127.0.0.1", "--event-loops", "1",
                "--transport", transport, "--access-log", "off") + (exhaust ? " --max-connections " + maxConnections : "");
        Process gateway = start("gateway", List.of("bash", "-c", "ulimit -n 256 && exec " + gatewayCommand));
        HttpClient client = LocalTestbed.newClient();
        await("the gateway under ulimit -n 256").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> {
                    if (!gateway.isAlive()) {
                        fail("the gateway exited: " + log("gateway"));
                    }
                    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort
                            + "/healthz/ready")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                });
        await().atMost(Duration.ofSeconds(10)).until(() -> sample(port, "/warm").status() == 200);

        try (RawHttp established = new RawHttp(port, 5000)) {
            assertThat(established.exchange(RawHttp.get("/before", "127.0.0.1")).status()).isEqualTo(200);
            // the flood: far more connections than 256 descriptors allow, none of them saying anything
            for (int i = 0; i < 400; i++) {
                sockets.add(connect(port));
            }
            long t0 = System.nanoTime();
            RawHttp.Response newcomer = sample(port, "/newcomer"); // behind the flood in the backlog
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            String expected = exhaust ? "out of file descriptors: try again later\n"
                    : "connection limit reached (64 open): try again later\n";
            if (exhaust) {
                // answered, not left hanging: refused while descriptors are out, or served once the
                // refusals ahead of it have given theirs back
                assertThat(newcomer.status()).as("a newcomer behind the flood").isIn(200, 503);
            } else {
                assertThat(newcomer.status()).as("a newcomer over the connection limit").isEqualTo(503);
                assertThat(newcomer.body()).isEqualTo(expected);
            }
            for (int i = 0; i < 10; i++) {
                RawHttp.Response r = established.exchange(RawHttp.get("/during/" + i, "127.0.0.1"));
                assertThat(r.status()).as("the established client during the flood").isEqualTo(200);
                assertThat(r.header("x-version")).isIn("v1", "v2");
            }
            int refused = 0;
            for (Socket s : sockets) {
                s.setSoTimeout(100);
                try {
                    String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                    refused += head.equals("HTTP/1.1 503") ? 1 : 0;
                } catch (java.net.SocketTimeoutException e) {
                    // held open by the gateway, silent
                }
            }
            assertThat(refused).as("flood connections answered 503 (%s)", expected.strip()).isGreaterThan(100);
            System.out.printf("%s, max connections %s: %d of %d flood connections refused with 503; a newcomer "
                    + "behind them answered %d after %d ms%n", transport, maxConnections, refused, sockets.size(),
                    newcomer.status(), waited);
        }
        for (Socket s : sockets) {
            s.close();
        }
        sockets.clear();
        await("service again once the flood has gone").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> sample(port, "/after").status() == 200);
        String log = log("gateway");
        assertThat(log.length()).as("the gateway's log through the exhaustion:%n%s", log).isLessThan(20_000);
        if (exhaust) {
            assertThat(log).contains("is more than an open-file limit of 256", "cannot accept connections");
        } else {
            assertThat(log).contains("limits: 64 connections (open-file limit)");
        }
        assertThat(gateway.isAlive()).isTrue();
    }

    private static RawHttp.Response sample(int port, String path) throws IOException {
        try (RawHttp r = new RawHttp(port, 10_000)) {
            return r.exchange(RawHttp.get(path, "127.0.0.1", "Connection: close"));
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private Process start(String name, List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile()).start();
        processes.add(p);
        return p;
    }

    private String log(String name) throws IOException {
        Path f = work.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
    }
}
