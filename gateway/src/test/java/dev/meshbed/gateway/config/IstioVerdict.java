package dev.meshbed.gateway.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A developer tool, not a test: runs the gateway's reader over every Istio networking document
 * in local istio/istio and istio/api checkouts (all their YAML and JSON files; Helm and Go
 * templates skipped) and compares its verdict with Istio's, resource by resource. Istio's
 * verdict is {@code istioctl validate}'s when {@code --istioctl} is given; else it is read from
 * where a document sits: the documents of {@code *-invalid.yaml} (their {@code _err} key holds
 * the error Istio gives; removed before reading) and {@link #KNOWN_INVALID} are invalid, the
 * rest valid (analyzer inputs are not all valid: istioctl tells). Only the five kinds the
 * gateway reads are counted. Run through {@code scripts/istio-verdict.sh}.
 */
public final class IstioVerdict {

    /**
     * Files outside the {@code *-invalid} datasets that Istio's tests use as invalid input, with
     * why (the file says so).
     */
    static final java.util.Map<String, String> KNOWN_INVALID = java.util.Map.of(
            "tests/integration/pilot/testdata/some-dir/missing-gateway.yaml",
            "no http, tcp or tls (its comment: \"this will cause a schema validation error\")");

    private static final Pattern SEPARATOR = Pattern.compile("(?m)^---[ \\t]*(#.*)?$");
    private static final Pattern YAML_KIND = Pattern.compile("(?m)^kind:[ \\t]*[\"']?([A-Za-z]+)");
    private static final Pattern YAML_API = Pattern.compile("(?m)^apiVersion:[ \\t]*[\"']?([^\\s\"']+)");
    private static final Pattern JSON_KIND = Pattern.compile("\"kind\"\\s*:\\s*\"([A-Za-z]+)\"");
    private static final Pattern JSON_API = Pattern.compile("\"apiVersion\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern ERR = Pattern.compile("(?m)^_err:.*$\\n?");

    private record Document(String file, int index, String kind, String text, boolean expectValid, String err) {
        String name() {
            return file + "#" + index + " " + kind;
        }
    }

    private IstioVerdict() {
    }

    public static void main(String[] args) throws IOException {
        List<String> roots = new ArrayList<>(List.of(args));
        Path istioctl = null;
        int flag = roots.indexOf("--istioctl");
        if (flag >= 0 && flag + 1 < roots.size()) {
            istioctl = Path.of(roots.remove(flag + 1));
            roots.remove(flag);
        }
        if (roots.isEmpty()) {
            System.err.println("usage: IstioVerdict [--istioctl PATH] <istio/istio checkout> [<istio/api checkout>]");
            System.exit(2);
        }
        List<Document> documents = new ArrayList<>();
        for (String arg : roots) {
            Path root = Path.of(arg);
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
                    if (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json")) {
                        documents.addAll(documents(root, file));
                    }
                }
            }
        }
        if (istioctl != null) {
            documents = withIstioctlVerdict(documents, istioctl);
        }
        IstioYamlReader reader = new IstioYamlReader();
        int validAccepted = 0;
        int invalidRejected = 0;
        List<String> validRejected = new ArrayList<>();
        List<String> invalidAccepted = new ArrayList<>();
        for (Document document : documents) {
            String source = document.file() + "#" + document.index();
            ParsedSource parsed = reader.read(source, document.text());
            boolean accepted = !parsed.resources().isEmpty() && parsed.rejections().isEmpty();
            if (document.expectValid()) {
                if (accepted) {
                    validAccepted++;
                } else {
                    validRejected.add(document.name() + ": " + String.join(" | ",
                            parsed.rejections().stream().map(Rejection::describe).toList())
                            + (parsed.resources().isEmpty() && parsed.rejections().isEmpty()
                                    ? "ignored: " + parsed.ignored() : ""));
                }
            } else if (accepted) {
                invalidAccepted.add(document.name() + ": Istio says " + document.err());
            } else {
                invalidRejected++;
            }
        }
        validRejected.forEach(line -> System.out.println("valid, rejected:   " + line));
        invalidAccepted.forEach(line -> System.out.println("invalid, accepted: " + line));
        int valid = validAccepted + validRejected.size();
        int invalid = invalidRejected + invalidAccepted.size();
        System.out.printf("valid (Istio accepts): %d, accepted %d, rejected %d%n", valid, validAccepted,
                validRejected.size());
        System.out.printf("invalid (Istio rejects): %d, rejected %d, accepted %d%n", invalid, invalidRejected,
                invalidAccepted.size());
        System.out.printf("agreement: %d of %d%n", validAccepted + invalidRejected, valid + invalid);
    }

    /**
     * Istio's own verdict on each document: {@code istioctl validate -f} (Istio's webhook rules and
     * its CRD schemas, offline), replacing the verdict read from where the document sits. Where the
     * two differ, both are printed: the file's place said one thing, Istio's code another.
     */
    private static List<Document> withIstioctlVerdict(List<Document> documents, Path istioctl) throws IOException {
        List<Document> out = new ArrayList<>();
        Path dir = Files.createTempDirectory("istio-verdict");
        try {
            for (Document d : documents) {
                Path file = dir.resolve("doc.yaml");
                Files.writeString(file, d.text(), StandardCharsets.UTF_8);
                ProcessBuilder pb = new ProcessBuilder(istioctl.toString(), "validate", "-f", file.toString())
                        .redirectErrorStream(true);
                Process p = pb.start();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                boolean valid;
                try {
                    valid = p.waitFor() == 0;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
                String err = valid ? "" : output.lines().filter(l -> l.strip().startsWith("*")).map(String::strip)
                        .findFirst().orElse(output.strip().lines().findFirst().orElse("?"));
                if (valid != d.expectValid()) {
                    System.out.println("istioctl differs from the file's place: " + d.name() + ": istioctl says "
                            + (valid ? "valid" : "invalid (" + err + ")") + "; place says "
                            + (d.expectValid() ? "valid" : "invalid (" + d.err() + ")"));
                }
                out.add(new Document(d.file(), d.index(), d.kind(), d.text(), valid, valid ? "" : err));
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return out;
    }

    private static List<Document> documents(Path root, Path file) throws IOException {
        String relative = root.relativize(file).toString().replace('\\', '/');
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
        if (text.contains("{{")) {
            return List.of(); // a Helm or Go template, not a config
        }
        boolean json = relative.endsWith(".json");
        boolean expectValid = !relative.contains("-invalid") && !KNOWN_INVALID.containsKey(relative);
        List<String> chunks = json ? List.of(text) : List.of(SEPARATOR.split(text));
        List<Document> out = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            String chunk = chunks.get(i);
            Optional<String> kind = first(json ? JSON_KIND : YAML_KIND, chunk);
            Optional<String> api = first(json ? JSON_API : YAML_API, chunk);
            if (kind.isEmpty() || api.isEmpty() || !api.get().startsWith(IstioKind.GROUP + "/")
                    || IstioKind.fromKindName(kind.get()).isEmpty()) {
                continue;
            }
            Matcher err = ERR.matcher(chunk);
            String expected = err.find() ? err.group().trim() : KNOWN_INVALID.getOrDefault(relative, "");
            out.add(new Document(relative, i, kind.get(), ERR.matcher(chunk).replaceAll(""), expectValid, expected));
        }
        return out;
    }

    private static Optional<String> first(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
