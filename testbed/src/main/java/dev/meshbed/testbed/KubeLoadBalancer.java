package dev.meshbed.testbed;

import java.io.PrintStream;
import java.nio.file.Path;

/** LB=on for the kube node: work in progress. */
final class KubeLoadBalancer {

    KubeLoadBalancer(Project project, KubeLayout layout, PrintStream out) {
    }

    void start(KubeNode node, Path kubeconfig, Testbed.UpOptions options) {
        throw new TestbedException("LB=on is not available yet for CLUSTER=kube", TestbedException.USAGE);
    }
}
