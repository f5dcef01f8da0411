package dev.meshbed.loadtests.shift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.loadtests.expect.ExpectedSplit;
import dev.meshbed.loadtests.expect.VirtualServiceWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Local mode: rewrites the VirtualService file in the gateway's watched directory, atomically (a
 * temporary file moved over it), so the gateway never reads half a file.
 */
public final class ConfigDirWeights implements WeightChanger {

    private static final ObjectMapper YAML = new YAMLMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private final Path dir;

    public ConfigDirWeights(Path dir) {
        this.dir = dir;
    }

    @Override
    public void apply(ExpectedSplit weights) {
        List<JsonNode> rules = new ArrayList<>();
        Path vsFile = null;
        List<JsonNode> vsDocs = null;
        for (Path f : VirtualServiceWeights.yamlFiles(dir)) {
            List<JsonNode> docs = VirtualServiceWeights.documents(f);
            for (JsonNode d : docs) {
                if ("DestinationRule".equals(d.path("kind").asText())) {
                    rules.add(d);
                }
            }
            if (vsFile == null && docs.stream().anyMatch(d -> "VirtualService".equals(d.path("kind").asText()))) {
                vsFile = f;
                vsDocs = docs;
            }
        }
        if (vsFile == null) {
            throw new LoadTestException("no VirtualService in " + dir + " to change");
        }
        StringBuilder out = new StringBuilder("# written by WeightShift: " + weights.weights() + "\n");
        try {
            for (int i = 0; i < vsDocs.size(); i++) {
                JsonNode d = vsDocs.get(i);
                if ("VirtualService".equals(d.path("kind").asText())) {
                    VirtualServiceWeights.setWeights(d, rules, weights.weights());
                }
                out.append(i == 0 ? "" : "---\n").append(YAML.writeValueAsString(d));
            }
            Path tmp = dir.resolve("." + vsFile.getFileName() + ".tmp");
            Files.writeString(tmp, out);
            Files.move(tmp, vsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LoadTestException("cannot write " + vsFile + ": " + e);
        }
    }

    @Override
    public String describe() {
        return "the VirtualService file in " + dir;
    }
}
