package dev.meshbed.loadtests.simulations;

import dev.meshbed.loadtests.LoadSettings;
import dev.meshbed.loadtests.target.Targets;
import java.time.Duration;

/**
 * Load through the app's own NodePort: kube-proxy picks a pod per connection and no proxy reads
 * the VirtualService, so the split follows the ready pods. By default each request opens a new
 * connection, the case where that expectation holds; with CONNECTIONS=keepalive a few long-lived
 * connections carry everything and the split gets lumpier still (and the verdict may say so).
 */
public class DirectNodePort extends SplitSimulation {

    public DirectNodePort() {
        super(Duration.ofSeconds(20), LoadSettings.Connections.NEW);
        Targets.Target t = guard(() -> Targets.direct(settings));
        start(t.url(), t.how(), t.expected(), t.expected(), () -> splitJudgement(t.url(), t.expected(),
                settings.connections() == LoadSettings.Connections.KEEPALIVE ? "keep-alive: balanced per connection" : null));
    }
}
