package dev.meshbed.loadtests.expect;

import dev.meshbed.loadtests.LoadTestException;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a NodePort hop is expected to do: kube-proxy picks one ready endpoint per connection, with
 * equal odds, so the split across versions is the ratio of their ready pods, whatever any
 * VirtualService says.
 */
public final class ReadyPods {

    private ReadyPods() {
    }

    /** Ready pods labelled {@code app=<app>} in {@code namespace}, counted by their {@code version} label. */
    public static ExpectedSplit of(KubernetesClient client, String namespace, String app) {
        Map<String, Integer> counts = new TreeMap<>();
        try {
            for (Pod p : client.pods().inNamespace(namespace).withLabel("app", app).list().getItems()) {
                if (isReady(p) && p.getMetadata().getDeletionTimestamp() == null) {
                    String version = p.getMetadata().getLabels().getOrDefault("version", "(no version label)");
                    counts.merge(version, 1, Integer::sum);
                }
            }
        } catch (RuntimeException e) {
            throw new LoadTestException("cannot list the pods of app=" + app + " in " + namespace + ": " + e.getMessage());
        }
        if (counts.isEmpty()) {
            throw new LoadTestException("no ready pod labelled app=" + app + " in namespace " + namespace
                    + ": nothing answers behind the NodePort (kubectl get pods -l app=" + app + ")");
        }
        return new ExpectedSplit(counts, "ready pods of app=" + app + " in " + namespace + " " + counts);
    }

    static boolean isReady(Pod p) {
        return p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
