package dev.meshbed.loadtests.shift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.loadtests.expect.ExpectedSplit;
import dev.meshbed.loadtests.expect.VirtualServiceWeights;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/** Cluster mode: edits the VirtualService through the API server; the gateway's informer picks it up. */
public final class ClusterWeights implements WeightChanger {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final String namespace;
    private final String name;

    public ClusterWeights(KubernetesClient client, String namespace, String name) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
    }

    @Override
    public void apply(ExpectedSplit weights) {
        try {
            List<JsonNode> rules = client.genericKubernetesResources(VirtualServiceWeights.DESTINATION_RULE)
                    .inNamespace(namespace).list().getItems().stream().map(r -> (JsonNode) JSON.valueToTree(r)).toList();
            client.genericKubernetesResources(VirtualServiceWeights.VIRTUAL_SERVICE).inNamespace(namespace)
                    .withName(name).edit(vs -> {
                        JsonNode tree = JSON.valueToTree(vs);
                        VirtualServiceWeights.setWeights(tree, rules, weights.weights());
                        return JSON.convertValue(tree, GenericKubernetesResource.class);
                    });
        } catch (LoadTestException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new LoadTestException("cannot change VirtualService " + namespace + "/" + name + ": " + e.getMessage());
        }
    }

    @Override
    public String describe() {
        return "VirtualService " + namespace + "/" + name + " through the API server";
    }
}
