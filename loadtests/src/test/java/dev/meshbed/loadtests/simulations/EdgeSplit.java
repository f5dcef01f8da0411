package dev.meshbed.loadtests.simulations;

import dev.meshbed.loadtests.LoadSettings;
import dev.meshbed.loadtests.target.Targets;
import java.time.Duration;

/**
 * Load through the ingress gateway, the edge proxy: each request is weighed on its own, so the
 * split follows the VirtualService's weights, whatever the connections do.
 */
public class EdgeSplit extends SplitSimulation {

    public EdgeSplit() {
        super(Duration.ofSeconds(20), LoadSettings.Connections.KEEPALIVE);
        Targets.Target t = guard(() -> Targets.edge(settings));
        start(t.url(), t.how(), t.expected(), t.expected(), () -> splitJudgement(t.url(), t.expected(), null));
    }
}
