package dev.meshbed.testbed;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The VirtualService {@code default/app} that {@code weights} swaps in: the one of
 * {@code manifests/routing/virtual-service.yaml} with other weights ({@code 90:10}), or a variant
 * of {@code manifests/routing/variants/} by name ({@code 50-50}, {@code 100-0}, {@code header}).
 * Every variant has the same name, so applying one replaces the route in place.
 */
public final class Routes {

    public static final String NAMESPACE = "default";
    public static final String NAME = "app";

    private static final Pattern WEIGHTS = Pattern.compile("\\s*(\\d{1,3})\\s*[:/]\\s*(\\d{1,3})\\s*");

    private Routes() {
    }

    /** Weights for v1 and v2, as Istio reads them: each gets weight / sum; 0 gets nothing. */
    public record Weights(int v1, int v2) {
        public Weights {
            if (v1 < 0 || v2 < 0 || v1 + v2 == 0) {
                throw new IllegalArgumentException("weights " + v1 + ":" + v2 + " (expected: >= 0, not both 0)");
            }
        }

        /** {@code 90:10} (or {@code 90/10}), or null if {@code text} is not of that form. */
        public static Weights parseOrNull(String text) {
            Matcher m = WEIGHTS.matcher(text);
            return m.matches() ? new Weights(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))) : null;
        }

        @Override
        public String toString() {
            return v1 + ":" + v2;
        }
    }

    /**
     * The VirtualService for {@code spec}: {@code N:M} weights, or the name of a variant file
     * ({@code variants/virtual-service-<name>.yaml}; {@code N-M} too when such a file exists).
     */
    public static GenericKubernetesResource resolve(Project project, String spec) {
        String name = spec.trim();
        Path variant = variantsDir(project).resolve("virtual-service-" + name + ".yaml");
        if (name.matches("[A-Za-z0-9][A-Za-z0-9_-]*") && Files.isRegularFile(variant)) {
            return single(Manifests.load(variant), variant);
        }
        Weights w = Weights.parseOrNull(name);
        if (w == null && name.matches("\\d{1,3}-\\d{1,3}")) {
            w = Weights.parseOrNull(name.replace('-', ':'));
        }
        if (w == null) {
            throw new TestbedException("W=" + spec + ": expected weights like 90:10, or one of " + variantNames(project),
                    TestbedException.USAGE);
        }
        return withWeights(project, w);
    }

    /** manifests/routing/virtual-service.yaml with the canary route's weights set to {@code w}. */
    @SuppressWarnings("unchecked")
    public static GenericKubernetesResource withWeights(Project project, Weights w) {
        Path file = project.manifests().resolve("routing/virtual-service.yaml");
        GenericKubernetesResource vs = single(Manifests.load(file), file);
        Map<String, Object> spec = (Map<String, Object>) vs.getAdditionalProperties().get("spec");
        List<Map<String, Object>> http = (List<Map<String, Object>>) spec.get("http");
        List<Map<String, Object>> route = (List<Map<String, Object>>) http.get(0).get("route");
        for (Map<String, Object> destination : route) {
            Map<String, Object> d = (Map<String, Object>) destination.get("destination");
            String subset = String.valueOf(d.get("subset"));
            switch (subset) {
                case "v1" -> destination.put("weight", w.v1());
                case "v2" -> destination.put("weight", w.v2());
                default -> throw new IllegalStateException(file + ": unexpected subset " + subset);
            }
        }
        return vs;
    }

    /** One line per HTTP route: its name, matches and destinations with weights. */
    @SuppressWarnings("unchecked")
    public static String summary(GenericKubernetesResource vs) {
        Object specObj = vs.getAdditionalProperties().get("spec");
        if (!(specObj instanceof Map<?, ?> spec) || !(spec.get("http") instanceof List<?> http)) {
            return "(no http routes)";
        }
        List<String> lines = new ArrayList<>();
        for (Object o : http) {
            Map<String, Object> r = (Map<String, Object>) o;
            StringBuilder sb = new StringBuilder();
            sb.append(r.getOrDefault("name", "(unnamed)"));
            if (r.get("match") != null) {
                sb.append(" when ").append(r.get("match"));
            }
            sb.append(":");
            if (r.get("route") instanceof List<?> route) {
                for (Object d : route) {
                    Map<String, Object> dest = (Map<String, Object>) d;
                    Map<String, Object> target = (Map<String, Object>) dest.get("destination");
                    sb.append(' ').append(target.get("subset") != null ? target.get("subset") : target.get("host"));
                    if (dest.get("weight") != null || route.size() > 1) {
                        sb.append(' ').append(dest.get("weight") == null ? 0 : dest.get("weight"));
                    }
                }
            }
            lines.add(sb.toString());
        }
        return String.join("; ", lines);
    }

    static Path variantsDir(Project project) {
        return project.manifests().resolve("routing/variants");
    }

    /** The variant names, from the files (e.g. {@code [100-0, 50-50, header]}). */
    public static List<String> variantNames(Project project) {
        try (var s = Files.list(variantsDir(project))) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("virtual-service-") && n.endsWith(".yaml"))
                    .map(n -> n.substring("virtual-service-".length(), n.length() - ".yaml".length()))
                    .sorted().toList();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    private static GenericKubernetesResource single(List<HasMetadata> docs, Path file) {
        if (docs.size() != 1 || !(docs.get(0) instanceof GenericKubernetesResource vs)
                || !"VirtualService".equals(vs.getKind())) {
            throw new TestbedException(file + ": expected one VirtualService", TestbedException.USAGE);
        }
        if (!NAME.equals(vs.getMetadata().getName()) || !NAMESPACE.equals(vs.getMetadata().getNamespace())) {
            throw new TestbedException(file + ": expected VirtualService " + NAMESPACE + "/" + NAME
                    + ", so that it replaces the route in place", TestbedException.USAGE);
        }
        return vs;
    }
}
