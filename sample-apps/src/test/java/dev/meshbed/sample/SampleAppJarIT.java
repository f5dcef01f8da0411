package dev.meshbed.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shaded jar as a container or a script runs it. */
@Timeout(60)
class SampleAppJarIT {

    private static final Path JAR = Path.of("target", "sample-app.jar");
    private static final Pattern STARTED =
            Pattern.compile("sample-app v2 \\(instance (\\S+)\\) listening on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path output;

    @Test
    void startsAnswersAndStopsOnSigterm() throws Exception {
        Path stdout = output.resolve("stdout.txt");
        Process app = java(stdout, "--version", "v2", "--port", "0", "--bind", "127.0.0.1");
        try {
            String line = firstLine(stdout, app);
            Matcher started = STARTED.matcher(line);
            assertThat(started.matches()).as("start line: %s", line).isTrue();

            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + started.group(2) + "/hello"))
                            .timeout(Duration.ofSeconds(10)).build(),
                    BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-version")).hasValue("v2");
            assertThat(Json.parse(response.body()).get("instance").asText()).isEqualTo(started.group(1));

            app.destroy(); // SIGTERM
            assertThat(app.waitFor(15, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
            assertThat(app.exitValue()).isEqualTo(143);
            assertThat(Files.readAllLines(stdout))
                    .containsExactly(line, "sample-app v2 (instance " + started.group(1) + ") stopped");
        } finally {
            app.destroyForcibly();
        }
    }

    @Test
    void badValueExitsWith2AndOneLine() throws Exception {
        Process app = java(output.resolve("stdout.txt"), "--error-rate", "1.5");
        try {
            assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(app.exitValue()).isEqualTo(2);
            List<String> errors = new String(app.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)
                    .lines().toList();
            assertThat(errors).containsExactly("--error-rate: 1.5 (expected: 0 <= rate <= 1)");
        } finally {
            app.destroyForcibly();
        }
    }

    // To a file rather than a pipe: the JDK closes a pipe once the process exits, losing its last lines.
    private static Process java(Path stdout, String... args) throws IOException {
        assertThat(JAR).as("built by the package phase").exists();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-jar",
                JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile());
        // The app reads these; the test's own environment must not leak into what it checks.
        for (String variable : List.of("VERSION", "PORT", "BIND", "POD_NAME", "HOSTNAME", "LATENCY", "ERROR_RATE")) {
            builder.environment().remove(variable);
        }
        return builder.start();
    }

    private static String firstLine(Path stdout, Process app) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && app.isAlive()) {
            String text = Files.readString(stdout);
            int end = text.indexOf('\n');
            if (end >= 0) {
                return text.substring(0, end);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no start line; alive=" + app.isAlive() + ", stdout: " + Files.readString(stdout));
    }
}
