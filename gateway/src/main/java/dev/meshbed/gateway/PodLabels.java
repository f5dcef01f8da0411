package dev.meshbed.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gateway's own labels, which Gateway selectors are matched against. In a pod they come from
 * the downward API: a mounted labels file ({@code key="value"} lines) or an environment variable.
 */
final class PodLabels {

    static final String DOWNWARD_API_FILE = "/etc/podinfo/labels";
    static final Map<String, String> DEFAULT = Map.of("istio", "ingressgateway");

    private PodLabels() {
    }

    /** The labels file if it exists, else {@code POD_LABELS} ({@code k=v,k2=v2}), else {@link #DEFAULT}. */
    static Map<String, String> resolve(Path file, Map<String, String> env) {
        if (file != null && Files.isRegularFile(file)) {
            try {
                return parseDownwardApi(Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("reading the labels file " + file, e);
            }
        }
        String fromEnv = env.get("POD_LABELS");
        if (fromEnv != null && !fromEnv.isBlank()) {
            Map<String, String> out = new LinkedHashMap<>();
            for (String pair : fromEnv.split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("POD_LABELS: " + pair + " (expected: key=value,...)");
                }
                out.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
            return out;
        }
        return DEFAULT;
    }

    /** The downward API's format: one {@code key="value"} per line, value quoted and escaped like Go's %q. */
    static Map<String, String> parseDownwardApi(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            int eq = line.indexOf('=');
            if (line.isEmpty() || eq <= 0) {
                continue;
            }
            String value = line.substring(eq + 1);
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
            }
            out.put(line.substring(0, eq), value);
        }
        return out;
    }

    /** This gateway's name in Events: the pod name where there is one. */
    static String instanceName() {
        String pod = System.getenv("POD_NAME");
        if (pod == null || pod.isBlank()) {
            pod = System.getenv("HOSTNAME");
        }
        return pod == null || pod.isBlank() ? "meshbed-gateway" : pod;
    }
}
