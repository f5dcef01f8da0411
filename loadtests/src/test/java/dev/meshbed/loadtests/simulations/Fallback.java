package dev.meshbed.loadtests.simulations;

import dev.meshbed.loadtests.LoadSettings;
import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.loadtests.target.RunningTestbed;
import dev.meshbed.loadtests.target.Targets;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Optional;

/**
 * Resolves the edge the way {@code make up} does (Istio's procedure: the LoadBalancer's external
 * address if it has one, else a node address and the nodePort, 31380), says which path it took
 * and why, then runs EdgeSplit through it.
 */
public class Fallback extends SplitSimulation {

    public Fallback() {
        super(Duration.ofSeconds(20), LoadSettings.Connections.KEEPALIVE);
        RunningTestbed tb = guard(() -> RunningTestbed.require(settings.root(), settings.mode().or(() -> Optional.of("cluster")),
                settings.testbed()));
        Targets.Edge edge = guard(() -> {
            if (settings.target().isPresent()) {
                throw new LoadTestException("Fallback resolves the edge itself: drop TARGET (EdgeSplit takes one)");
            }
            try (KubernetesClient client = Targets.client(tb)) {
                return Targets.fallbackEdge(tb, client);
            }
        });
        String path = edge.resolved().path() == dev.meshbed.testbed.IngressAddress.Path.LOAD_BALANCER
                ? "LoadBalancer" : "NodePort";
        System.out.println();
        System.out.println("Fallback: the edge is " + edge.resolved().hostPort() + " by the " + path + " path: "
                + edge.resolved().reason() + "; " + edge.note());
        Targets.Target t = guard(() -> Targets.edge(settings));
        String note = "edge by the " + path + " path, " + edge.resolved().hostPort();
        start(edge.url(), path + " path", t.expected(), t.expected(), () -> splitJudgement(edge.url(), t.expected(), note));
    }
}
