package dev.meshbed.loadtests.expect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.meshbed.loadtests.LoadTestException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The weights a plain {@code GET /} meets at the edge, read from a VirtualService the way the
 * gateway reads it: the first http route without a {@code match} (Istio's catch-all), its
 * destinations' weights (a lone destination gets everything), and each destination's version:
 * the {@code version} label of its DestinationRule subset, else the subset's name.
 */
public final class VirtualServiceWeights {

    static final String DEFAULT_NAME = "app";
    private static final ObjectMapper YAML = new YAMLMapper(new YAMLFactory());

    public static final ResourceDefinitionContext VIRTUAL_SERVICE = dev.meshbed.testbed.Testbed.virtualServices();
    public static final ResourceDefinitionContext DESTINATION_RULE = new ResourceDefinitionContext.Builder()
            .withGroup("networking.istio.io").withVersion("v1").withPlural("destinationrules").withKind("DestinationRule")
            .withNamespaced(true).build();

    private VirtualServiceWeights() {
    }

    /** From the YAML files of a local config directory ({@code make local} watches {@code target/local/config}). */
    public static ExpectedSplit fromConfigDir(Path dir) {
        List<JsonNode> docs = new ArrayList<>();
        yamlFiles(dir).forEach(f -> docs.addAll(documents(f)));
        List<JsonNode> services = docs.stream().filter(d -> "VirtualService".equals(d.path("kind").asText())).toList();
        List<JsonNode> rules = docs.stream().filter(d -> "DestinationRule".equals(d.path("kind").asText())).toList();
        return from(pick(services, dir.toString()), rules, dir.toString());
    }

    /** From the API server: VirtualService {@code namespace/name} and the namespace's DestinationRules. */
    public static ExpectedSplit fromCluster(KubernetesClient client, String namespace, String name) {
        GenericKubernetesResource vs;
        List<GenericKubernetesResource> drs;
        try {
            vs = client.genericKubernetesResources(VIRTUAL_SERVICE).inNamespace(namespace).withName(name).get();
            drs = client.genericKubernetesResources(DESTINATION_RULE).inNamespace(namespace).list().getItems();
        } catch (RuntimeException e) {
            throw new LoadTestException("cannot read VirtualService " + namespace + "/" + name + " from the cluster: "
                    + e.getMessage());
        }
        if (vs == null) {
            throw new LoadTestException("VirtualService " + namespace + "/" + name + " does not exist in the cluster; "
                    + "`make up` creates it, or give WEIGHTS=");
        }
        ObjectMapper json = new ObjectMapper();
        return from(json.valueToTree(vs), drs.stream().map(d -> (JsonNode) json.valueToTree(d)).toList(),
                "the cluster");
    }

    /** The YAML files of a config directory, in name order (the order the gateway reads them). */
    public static List<Path> yamlFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().matches(".*\\.ya?ml$")).sorted().toList();
        } catch (IOException e) {
            throw new LoadTestException("cannot read the local config directory " + dir + ": " + e);
        }
    }

    /** The objects of a multi-document YAML file. */
    public static List<JsonNode> documents(Path f) {
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(f.toFile())) {
            for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
                JsonNode doc = it.next();
                if (doc != null && doc.isObject()) {
                    docs.add(doc);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new LoadTestException("the local config " + f + " does not parse (" + e.getMessage().lines()
                    .findFirst().orElse("") + "); the gateway rejects it too: fix it, or give WEIGHTS=");
        }
        return docs;
    }

    private static JsonNode pick(List<JsonNode> services, String where) {
        if (services.size() == 1) {
            return services.get(0);
        }
        for (JsonNode s : services) {
            if (DEFAULT_NAME.equals(s.path("metadata").path("name").asText())) {
                return s;
            }
        }
        throw new LoadTestException(services.isEmpty()
                ? "no VirtualService in " + where + "; give WEIGHTS="
                : services.size() + " VirtualServices in " + where + " and none named " + DEFAULT_NAME + "; give WEIGHTS=");
    }

    static ExpectedSplit from(JsonNode vs, List<JsonNode> rules, String where) {
        String name = vs.path("metadata").path("namespace").asText("default") + "/" + vs.path("metadata").path("name").asText();
        String source = "VirtualService " + name + " in " + where;
        JsonNode route = null;
        int index = 0;
        for (JsonNode http : vs.path("spec").path("http")) {
            if (!http.has("match") || http.path("match").isEmpty()) {
                route = http;
                break;
            }
            index++;
        }
        if (route == null) {
            throw new LoadTestException(source + " has no http route without a match (the catch-all a plain GET / takes); "
                    + "give WEIGHTS=");
        }
        JsonNode destinations = route.path("route");
        if (!destinations.isArray() || destinations.isEmpty()) {
            throw new LoadTestException(source + ": http[" + index + "] has no route destinations (a redirect or a direct "
                    + "response has no split); give WEIGHTS=");
        }
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (int i = 0; i < destinations.size(); i++) {
            JsonNode d = destinations.get(i);
            String field = "http[" + index + "].route[" + i + "]";
            JsonNode w = d.path("weight");
            int weight;
            if (w.isMissingNode() || w.isNull()) {
                weight = destinations.size() == 1 ? 100 : 0;
            } else if (w.canConvertToInt() && w.isIntegralNumber() && w.asInt() >= 0) {
                weight = w.asInt();
            } else {
                throw new LoadTestException(source + ": " + field + ".weight: " + w + " (expected: a whole number >= 0)");
            }
            String version = version(d.path("destination"), rules);
            weights.merge(version, weight, Integer::sum);
        }
        return new ExpectedSplit(weights, source + ", route " + route.path("name").asText("http[" + index + "]"));
    }

    /**
     * Sets the catch-all route's weights to {@code weights}, by version, in place: what WeightShift
     * writes. Every destination's version must be given.
     */
    public static void setWeights(JsonNode vs, List<JsonNode> rules, Map<String, Integer> weights) {
        String name = vs.path("metadata").path("name").asText();
        for (JsonNode http : vs.path("spec").path("http")) {
            if (!http.has("match") || http.path("match").isEmpty()) {
                for (JsonNode d : http.path("route")) {
                    String version = version(d.path("destination"), rules);
                    Integer w = weights.get(version);
                    if (w == null) {
                        throw new LoadTestException("VirtualService " + name + " routes to " + version
                                + ", which the new weights " + weights + " do not name");
                    }
                    ((com.fasterxml.jackson.databind.node.ObjectNode) d).put("weight", w);
                }
                return;
            }
        }
        throw new LoadTestException("VirtualService " + name + " has no http route without a match to set weights on");
    }

    /** A destination's version: its subset's {@code version} label, else the subset's name, else its host. */
    private static String version(JsonNode destination, List<JsonNode> rules) {
        String host = destination.path("host").asText();
        String subset = destination.path("subset").asText("");
        if (subset.isEmpty()) {
            return host;
        }
        String shortHost = host.split("\\.")[0];
        for (JsonNode dr : rules) {
            String drHost = dr.path("spec").path("host").asText();
            if (!drHost.equals(host) && !drHost.split("\\.")[0].equals(shortHost)) {
                continue;
            }
            for (JsonNode s : dr.path("spec").path("subsets")) {
                if (subset.equals(s.path("name").asText())) {
                    String label = s.path("labels").path("version").asText("");
                    return label.isEmpty() ? subset : label;
                }
            }
        }
        return subset;
    }
}
