package dev.meshbed.loadtests.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meshbed.loadtests.RunFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** One simulation run in this JVM, as the Gatling launcher runs it, with the settings as system properties. */
record GatlingRun(int exitCode, Optional<Path> folder, String crash) {

    /**
     * The confidence the suites judge splits at unless a test says otherwise. A CI run holds some
     * twenty split verdicts (these ITs and the labs); at 99% each, one run in five would fail on
     * chance alone, at 99.9% about one in fifty. A 3-point deviation at n=4000 is still caught.
     */
    static final String SUITE_CONFIDENCE = "0.999";

    static GatlingRun run(String simulation, Path results, Map<String, String> given) throws IOException {
        long started = System.currentTimeMillis();
        Map<String, String> settings = new java.util.HashMap<>(given);
        settings.putIfAbsent("confidence", SUITE_CONFIDENCE);
        settings.forEach((k, v) -> System.setProperty("loadtest." + k, v));
        System.setProperty("loadtest.results", results.toString());
        try {
            int code;
            String crash = null;
            try {
                code = io.gatling.app.Gatling$.MODULE$.fromArgs(new String[] {
                    "-s", "dev.meshbed.loadtests.simulations." + simulation, "-rf", results.toString()});
            } catch (Exception e) { // Scala rethrows the constructor's InvocationTargetException as it is
                // the launcher exits non-zero on this (a simulation that cannot start); keep why
                Throwable t = e;
                while (t.getCause() != null && !(t instanceof dev.meshbed.loadtests.LoadTestException)) {
                    t = t.getCause();
                }
                code = -1;
                crash = String.valueOf(t.getMessage());
            }
            return new GatlingRun(code, RunFolder.find(results, simulation, started), crash);
        } finally {
            settings.keySet().forEach(k -> System.clearProperty("loadtest." + k));
            System.clearProperty("loadtest.results");
        }
    }

    JsonNode verdict() throws IOException {
        return new ObjectMapper().readTree(folder.orElseThrow().resolve("verdict.json").toFile());
    }

    /**
     * The HTML report's statistics table: each row's name and total count, the global row
     * ({@code All Requests}) first. Read from index.html, the page a user opens.
     */
    Map<String, Long> reportRows() throws IOException {
        String html = Files.readString(folder.orElseThrow().resolve("index.html"));
        Map<String, Long> rows = new java.util.LinkedHashMap<>();
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("class=\"ellipsed-name\">([^<]+)</span>.*?col-2\">(\\d+)<", java.util.regex.Pattern.DOTALL)
                .matcher(html);
        while (m.find()) {
            rows.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return rows;
    }
}
