package dev.meshbed.testbed.images;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The gateway's configuration for the images suite: {@code manifests/local} as it is, except that
 * the WorkloadEntries point at the sample-app containers by network alias ({@code app-<version>},
 * port {@link #APP_PORT}) instead of 127.0.0.1 ports, and the ServiceEntry resolves those names
 * ({@code resolution: DNS}; STATIC takes IP addresses only). The weights are read from the
 * VirtualService, so the suite checks the split the manifests ask for.
 *
 * @param dir the directory to mount into the gateway container
 * @param versions the sample-app versions the WorkloadEntries name, in file order
 * @param weights weight per subset, from the VirtualService's first HTTP route
 */
record LocalModeConfig(Path dir, List<String> versions, Map<String, Integer> weights) {

    static final int APP_PORT = 8080;

    static String alias(String version) {
        return "app-" + version;
    }

    /** The share of requests {@code subset} should get: its weight over the sum of weights. */
    double share(String subset) {
        int sum = weights.values().stream().mapToInt(Integer::intValue).sum();
        return (double) weights.getOrDefault(subset, 0) / sum;
    }

    /** Copies {@code localManifests} into {@code dir} (created, or emptied of YAML first), rewritten as above. */
    static LocalModeConfig write(Path localManifests, Path dir) {
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "*.yaml")) {
                for (Path p : old) {
                    Files.delete(p);
                }
            }
            List<String> versions = new ArrayList<>();
            Map<String, Integer> weights = new LinkedHashMap<>();
            boolean serviceEntry = false;
            try (DirectoryStream<Path> files = Files.newDirectoryStream(localManifests, "*.yaml")) {
                for (Path file : files) {
                    List<Object> docs = new ArrayList<>();
                    try (Reader in = Files.newBufferedReader(file)) {
                        for (Object doc : yaml().loadAll(in)) {
                            if (doc != null) {
                                docs.add(doc);
                            }
                        }
                    }
                    for (Object doc : docs) {
                        Map<String, Object> resource = map(doc, file + ": a document");
                        Map<String, Object> spec = map(resource.get("spec"), file + ": spec");
                        switch (String.valueOf(resource.get("kind"))) {
                            case "WorkloadEntry" -> {
                                Map<String, Object> labels = map(spec.get("labels"), file + ": spec.labels");
                                String version = String.valueOf(labels.get("version"));
                                versions.add(version);
                                spec.put("address", alias(version));
                                Map<String, Object> ports = map(spec.get("ports"), file + ": spec.ports");
                                ports.replaceAll((name, port) -> APP_PORT);
                            }
                            case "ServiceEntry" -> {
                                spec.put("resolution", "DNS");
                                serviceEntry = true;
                            }
                            case "VirtualService" -> {
                                List<?> http = (List<?>) spec.get("http");
                                Map<String, Object> route = map(http.get(0), file + ": spec.http[0]");
                                for (Object r : (List<?>) route.get("route")) {
                                    Map<String, Object> destination = map(map(r, file + ": route").get("destination"),
                                            file + ": destination");
                                    Object weight = map(r, file + ": route").get("weight");
                                    weights.put(String.valueOf(destination.get("subset")),
                                            weight == null ? 100 : ((Number) weight).intValue());
                                }
                            }
                            default -> {
                                // Gateway, DestinationRule: as they are
                            }
                        }
                    }
                    Path target = dir.resolve(file.getFileName());
                    try (Writer out = Files.newBufferedWriter(target)) {
                        yaml().dumpAll(docs.iterator(), out);
                    }
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
            // read by the gateway's user (65532) through the bind mount
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (versions.isEmpty() || !serviceEntry || weights.isEmpty()) {
                throw new IllegalStateException(localManifests + " no longer has the WorkloadEntries, ServiceEntry and "
                        + "VirtualService weights this suite rewrites (found versions " + versions + ", weights " + weights
                        + ")");
            }
            return new LocalModeConfig(dir, List.copyOf(versions), Map.copyOf(weights));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Yaml yaml() {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what) {
        if (!(o instanceof Map)) {
            throw new IllegalStateException(what + " is not a mapping: " + o);
        }
        return (Map<String, Object>) o;
    }
}
