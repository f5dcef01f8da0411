package dev.meshbed.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meshbed.sample.SampleConfig;
import dev.meshbed.sample.SampleServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jars as {@code make demo} runs them: two sample-app processes, a gateway process on
 * the shipped local-mode config (with free ports instead of 18081/18082), the split through it,
 * the status port and the admin listener (127.0.0.1 unless told otherwise), a clean exit on SIGTERM,
 * and the exit code for a bad option.
 *
 * <p>The split check is a two-sided binomial z-test at 99.99 % over 1000 requests (band
 * 0.8 ± 0.049); see {@link Split}.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class JarCommandLineIT {

    /** Failsafe runs in the gateway module's directory. */
    static final Path GATEWAY_JAR = Path.of("target", "gateway.jar");
    static final Path SAMPLE_JAR = Path.of("..", "sample-apps", "target", "sample-app.jar");

    @TempDir
    Path work;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() throws InterruptedException {
        for (Process p : processes) {
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void jarsServeTheSplitAndTheGatewayStopsOnSigterm() throws Exception {
        requireJar(GATEWAY_JAR, "mvn -pl gateway package");
        requireJar(SAMPLE_JAR, "mvn -pl sample-apps package");
        int v1Port = LocalTestbed.freePort();
        int v2Port = LocalTestbed.freePort();
        int port = LocalTestbed.freePort();
        int statusPort = LocalTestbed.freePort();
        Path config = Files.createDirectories(work.resolve("config"));
        LocalTestbed.writeShippedConfig(config, v1Port, v2Port);
        Path accessLog = work.resolve("access.log");

        Process v1 = java("v1", SAMPLE_JAR, "--version", "v1", "--port", String.valueOf(v1Port), "--bind", "127.0.0.1");
        Process v2 = java("v2", SAMPLE_JAR, "--version", "v2", "--port", String.valueOf(v2Port), "--bind", "127.0.0.1");
        Process gateway = java("gateway", GATEWAY_JAR, "--config", config.toString(), "--port", String.valueOf(port),
                "--status-port", String.valueOf(statusPort), "--admin-port", "0", "--bind", "127.0.0.1", "--drain-duration", "500ms",
                "--access-log", accessLog.toString(),
                "--event-loops", "2");

        HttpClient client = LocalTestbed.newClient();
        awaitOk(client, "v1", v1, "http://127.0.0.1:" + v1Port + "/healthz");
        awaitOk(client, "v2", v2, "http://127.0.0.1:" + v2Port + "/healthz");
        awaitOk(client, "gateway", gateway, "http://127.0.0.1:" + statusPort + "/healthz/ready");
        assertThat(log("gateway")).as("the gateway's start line").contains("meshbed gateway", "listening on 127.0.0.1")
                .contains("status on 127.0.0.1:" + statusPort);
        // no --admin-bind: the admin listener is on 127.0.0.1, and only there is the config dump
        Matcher admin = Pattern.compile("admin on 127\\.0\\.0\\.1:(\\d+)").matcher(log("gateway"));
        assertThat(admin.find()).as("'admin on 127.0.0.1:PORT' in the start line: %s", log("gateway")).isTrue();
        assertThat(get(client, "http://127.0.0.1:" + admin.group(1) + "/config_dump").statusCode())
                .as("/config_dump on the admin listener").isEqualTo(200);
        assertThat(get(client, "http://127.0.0.1:" + statusPort + "/config_dump").statusCode())
                .as("/config_dump on the status port").isEqualTo(404);

        Tally t = Tally.send(client, 1000, 4, i -> HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/jar/" + i)).timeout(Duration.ofSeconds(10)).build())
                .assertAllFromV1OrV2("through gateway.jar");
        Split.assertV1Share("1000 requests through gateway.jar", t.v1(), t.v2(), 0.8, Split.Z_9999);

        long start = System.nanoTime();
        gateway.destroy(); // SIGTERM
        boolean exited = gateway.waitFor(10, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(exited).as("gateway exited within 10 s of SIGTERM; log:%n%s", log("gateway")).isTrue();
        assertThat(millis).as("time from SIGTERM to exit").isLessThan(5000);
        // 143 = 128 + SIGTERM, as a JVM ends after its shutdown hooks; 0 if main returned first.
        assertThat(gateway.exitValue()).as("gateway exit code after SIGTERM").isIn(0, 143);
        assertThat(Files.readAllLines(accessLog)).as("access log lines of the 1000 requests").hasSize(1000);
        System.out.printf("gateway.jar: split %s, exited %d ms after SIGTERM%n", t, millis);
    }

    @Test
    void nonexistentConfigDirectoryExitsWith2AndNamesTheOption() throws Exception {
        requireJar(GATEWAY_JAR, "mvn -pl gateway package");
        Process gateway = java("bad-config", GATEWAY_JAR, "--config", "/nonexistent", "--port", "0",
                "--status-port", "0", "--admin-port", "0", "--bind", "127.0.0.1");
        assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).as("the gateway exits on a bad --config").isTrue();
        String err = Files.readString(work.resolve("bad-config.err"));
        assertThat(gateway.exitValue()).as("exit code for --config /nonexistent; stderr: %s", err).isEqualTo(2);
        assertThat(err).as("stderr names the option and the value").contains("--config").contains("/nonexistent");
    }

    @Test
    void anAdminBindOffLoopbackIsRefusedWithoutExposeAdmin() throws Exception {
        requireJar(GATEWAY_JAR, "mvn -pl gateway package");
        Path config = Files.createDirectories(work.resolve("config"));
        Process gateway = java("admin-any", GATEWAY_JAR, "--config", config.toString(), "--port", "0",
                "--status-port", "0", "--admin-port", "0", "--bind", "127.0.0.1", "--admin-bind", "0.0.0.0");
        assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).as("the gateway exits on --admin-bind 0.0.0.0").isTrue();
        String err = Files.readString(work.resolve("admin-any.err"));
        assertThat(gateway.exitValue()).as("exit code for --admin-bind 0.0.0.0; stderr: %s", err).isEqualTo(2);
        assertThat(err).as("stderr names the option, the value and the opt-in")
                .contains("--admin-bind: 0.0.0.0").contains("loopback").contains("--expose-admin");
        assertThat(Files.readString(work.resolve("admin-any.out"))).as("nothing was started")
                .doesNotContain("listening on");
    }

    private static HttpResponse<Void> get(HttpClient client, String url) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                BodyHandlers.discarding());
    }

    @Test
    void pathNormalizationIsChosenOnTheCommandLineAndShownAtStart() throws Exception {
        requireJar(GATEWAY_JAR, "mvn -pl gateway package");
        Process bad = java("bad-normalization", GATEWAY_JAR, "--config", work.toString(), "--port", "0",
                "--status-port", "0", "--admin-port", "0", "--bind", "127.0.0.1", "--path-normalization", "FULL");
        assertThat(bad.waitFor(30, TimeUnit.SECONDS)).as("the gateway exits on a bad --path-normalization").isTrue();
        String err = Files.readString(work.resolve("bad-normalization.err"));
        assertThat(bad.exitValue()).as("exit code; stderr: %s", err).isEqualTo(2);
        assertThat(err).contains("--path-normalization: FULL (expected: one of NONE, BASE, MERGE_SLASHES, "
                + "DECODE_AND_MERGE_SLASHES)");

        Path config = Files.createDirectories(work.resolve("config"));
        LocalTestbed.writeShippedConfig(config, LocalTestbed.freePort(), LocalTestbed.freePort());
        int statusPort = LocalTestbed.freePort();
        Process gateway = java("gateway", GATEWAY_JAR, "--config", config.toString(), "--port", "0",
                "--status-port", String.valueOf(statusPort), "--admin-port", "0", "--bind", "127.0.0.1", "--access-log", "off",
                "--event-loops", "1", "--path-normalization", "merge_slashes", "--forward-trailers");
        awaitOk(LocalTestbed.newClient(), "gateway", gateway, "http://127.0.0.1:" + statusPort + "/healthz/ready");
        assertThat(log("gateway")).as("the gateway's start line")
                .contains("path normalization MERGE_SLASHES, request trailers forwarded");
    }

    /**
     * Issue 11, item 9: a 48-alias chain inside an unknown field took the process to 6.5 GB and an
     * OutOfMemoryError, again at every later edit, and SIGTERM then failed to stop it; a 50 MB file
     * was compiled (4 GB). Here the gateway runs with a 64 MiB heap: both files are rejected with a
     * message naming them, the last good table keeps serving, and SIGTERM still stops it at once.
     */
    @Test
    void configBombsAreRejectedTheLastGoodTableServesAndSigtermStopsTheGateway() throws Exception {
        requireJar(GATEWAY_JAR, "mvn -pl gateway package");
        try (SampleServer v1 = SampleServer.start(SampleConfig.local("v1"));
                SampleServer v2 = SampleServer.start(SampleConfig.local("v2"))) {
            int port = LocalTestbed.freePort();
            int adminPort = LocalTestbed.freePort();
            int statusPort = LocalTestbed.freePort();
            Path config = Files.createDirectories(work.resolve("config"));
            LocalTestbed.writeShippedConfig(config, v1.port(), v2.port());
            Process gateway = java("gateway", List.of("-Xmx64m", "-XX:+ExitOnOutOfMemoryError"), GATEWAY_JAR,
                    "--config", config.toString(), "--port", String.valueOf(port), "--admin-port",
                    String.valueOf(adminPort), "--status-port", String.valueOf(statusPort), "--bind", "127.0.0.1",
                    "--access-log", "off", "--event-loops", "2", "--drain-duration", "500ms");
            HttpClient client = LocalTestbed.newClient();
            String admin = "http://127.0.0.1:" + adminPort;
            awaitOk(client, "gateway", gateway, "http://127.0.0.1:" + statusPort + "/healthz/ready");

            // (a) the alias chain, in place of the canary VirtualService
            long start = System.nanoTime();
            write(config, "virtual-service.yaml",
                    new String(JarCommandLineIT.class.getResourceAsStream("/it/vs-alias-bomb.yaml").readAllBytes(),
                            StandardCharsets.UTF_8));
            JsonNode a = awaitRejection(client, gateway, admin, "virtual-service.yaml", "aliases expand the file by");
            long aliasMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(a.path("resource").asText()).as("what keeps serving: %s", a).isEqualTo("VirtualService default/app");
            assertThat(a.path("text").asText()).as("%s", a).contains("--config-max-alias-expansion", "keeps serving");
            assertServing80To20(client, gateway, port, "after the alias chain");

            // (b) 50 MB of YAML next to the rest
            start = System.nanoTime();
            String doc = LocalTestbed.resource("vs-weights.yaml", "w1", "0", "w2", "100");
            StringBuilder big = new StringBuilder(51 << 20);
            for (int i = 0; big.length() < 50 << 20; i++) {
                big.append(doc.replace("name: app", "name: big-" + i)).append("---\n");
            }
            write(config, "big.yaml", big.toString());
            big = null;
            JsonNode b = awaitRejection(client, gateway, admin, "big.yaml", "the file is too large");
            long bigMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(b.path("message").asText()).as("%s", b).contains("(limit: 1048576, --config-max-file-bytes)");
            assertServing80To20(client, gateway, port, "after the 50 MB file");

            // (c) a later edit elsewhere: the bombs are rejected again, cheaply, and the edit applies
            write(config, "destination-rule.yaml", Files.readString(config.resolve("destination-rule.yaml")) + "\n");
            assertServing80To20(client, gateway, port, "after a later edit");
            String peak = peakMemory(gateway);

            start = System.nanoTime();
            gateway.destroy(); // SIGTERM
            boolean exited = gateway.waitFor(10, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(exited).as("gateway exited within 10 s of SIGTERM; log:%n%s", log("gateway")).isTrue();
            assertThat(millis).as("time from SIGTERM to exit").isLessThan(5000);
            assertThat(gateway.exitValue()).as("exit code after SIGTERM; log:%n%s", log("gateway")).isIn(0, 143);
            assertThat(log("gateway")).as("the gateway's log").contains("rejected: VirtualService default/app",
                    "aliases expand the file by", "big.yaml: the file is too large").doesNotContain("OutOfMemoryError");
            System.out.printf("config bombs with -Xmx64m: alias chain rejected %d ms after the write, 50 MB file %d ms "
                    + "after; peak %s; exited %d ms after SIGTERM%n", aliasMillis, bigMillis, peak, millis);
        }
    }

    private static void write(Path config, String name, String text) throws IOException {
        Path tmp = config.resolve("." + name + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, config.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Waits for /config_dump to hold a rejection from {@code file} whose text contains {@code contains}. */
    private JsonNode awaitRejection(HttpClient client, Process gateway, String admin, String file, String contains)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(admin + "/config_dump"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!gateway.isAlive()) {
                fail("the gateway exited with " + gateway.exitValue() + ":\n" + log("gateway"));
            }
            try {
                last = client.send(request, BodyHandlers.ofString()).body();
                for (JsonNode r : LocalTestbed.JSON.readTree(last).path("rejected")) {
                    if (r.path("origin").asText().startsWith(file) && r.path("text").asText().contains(contains)) {
                        return r;
                    }
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(50);
        }
        return fail("no rejection of " + file + " containing '" + contains + "' after 20 s; last dump: " + last
                + "\nlog:\n" + log("gateway"));
    }

    private static void assertServing80To20(HttpClient client, Process gateway, int port, String what)
            throws Exception {
        assertThat(gateway.isAlive()).as("the gateway is alive %s", what).isTrue();
        Tally t = Tally.send(client, 400, 4, i -> HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/bomb/" + i)).timeout(Duration.ofSeconds(10)).build())
                .assertAllFromV1OrV2(what);
        Split.assertV1Share(what + " (80/20)", t.v1(), t.v2(), 0.8, Split.Z_9999);
    }

    /** The process's peak resident memory (Linux), for the figures. */
    private static String peakMemory(Process p) {
        try {
            return Files.readAllLines(Path.of("/proc", String.valueOf(p.pid()), "status")).stream()
                    .filter(l -> l.startsWith("VmHWM:")).map(l -> l.substring(6).trim() + " resident").findFirst()
                    .orElse("unknown");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static void requireJar(Path jar, String build) {
        if (!Files.isRegularFile(jar)) {
            fail(jar.toAbsolutePath().normalize() + " is missing: it is built by the package phase (" + build
                    + "), which runs before verify; run the ITs with 'mvn verify', not 'mvn failsafe:integration-test'");
        }
    }

    /** Starts {@code java -jar jar args}, stdout and stderr to NAME.out and NAME.err in the work directory. */
    private Process java(String name, Path jar, String... args) throws IOException {
        return java(name, List.of("-Xmx128m"), jar, args);
    }

    private Process java(String name, List<String> jvmOptions, Path jar, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command)
                .redirectOutput(work.resolve(name + ".out").toFile())
                .redirectError(work.resolve(name + ".err").toFile())
                .start();
        processes.add(p);
        return p;
    }

    private String log(String name) throws IOException {
        Path out = work.resolve(name + ".out");
        Path err = work.resolve(name + ".err");
        return (Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "")
                + (Files.exists(err) ? Files.readString(err, StandardCharsets.UTF_8) : "");
    }

    private void awaitOk(HttpClient client, String name, Process process, String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail(name + " exited with " + process.exitValue() + " before it was ready:\n" + log(name));
            }
            try {
                int status = client.send(request, BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    return;
                }
                last = "status " + status;
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100);
        }
        fail(name + " not ready on " + url + " after 30 s (" + last + "):\n" + log(name));
    }
}
