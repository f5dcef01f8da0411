package dev.meshbed.loadtests.target;

import dev.meshbed.loadtests.LoadSettings;
import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.loadtests.expect.ExpectedSplit;
import dev.meshbed.loadtests.expect.ReadyPods;
import dev.meshbed.loadtests.expect.VirtualServiceWeights;
import dev.meshbed.loadtests.shift.ClusterWeights;
import dev.meshbed.loadtests.shift.ConfigDirWeights;
import dev.meshbed.loadtests.shift.WeightChanger;
import dev.meshbed.testbed.IngressAddress;
import dev.meshbed.testbed.IngressResolver;
import dev.meshbed.testbed.Testbed;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/**
 * Where each scenario sends its load and what split it expects there. The precedence: what the
 * command line gives ({@code TARGET=}, {@code WEIGHTS=}), else the running testbed's file and
 * what it points at (the local config directory, or the cluster's API).
 */
public final class Targets {

    /** The names {@code make up} creates (manifests/): the app, its VirtualService, the gateway's Service. */
    public static final String APP_NAMESPACE = "default";
    public static final String APP = "app";
    public static final String GATEWAY_NAMESPACE = "istio-system";
    public static final String GATEWAY_SERVICE = "istio-ingressgateway";

    /** A resolved target: the base URL, the expected split, and how they were found (for the run's header). */
    public record Target(String url, ExpectedSplit expected, String how, Optional<RunningTestbed> testbed) {
    }

    private Targets() {
    }

    /** EdgeSplit: the ingress gateway; expected = the VirtualService's weights. */
    public static Target edge(LoadSettings s) {
        Optional<RunningTestbed> tb = testbedFor(s);
        String url = s.target().orElseGet(() -> tb.orElseThrow().gatewayUrl());
        ExpectedSplit expected = s.weights().map(ExpectedSplit::parse).orElseGet(() -> {
            if (tb.isEmpty()) {
                throw new LoadTestException("TARGET=" + url + " without WEIGHTS, and no running testbed to read the "
                        + "VirtualService from: give WEIGHTS=v1=80,v2=20");
            }
            return virtualServiceWeights(tb.get());
        });
        String how = s.target().isPresent() ? "TARGET" : "the gateway of the " + tb.get().describe();
        return new Target(url, expected, how, tb);
    }

    /** DirectNodePort: the app's own NodePort; expected = the ratio of ready pods. */
    public static Target direct(LoadSettings s) {
        Optional<RunningTestbed> tb = testbedFor(s);
        String url = s.target().orElseGet(() -> tb.orElseThrow().appNodePortUrl());
        ExpectedSplit expected = s.weights().map(ExpectedSplit::parse).orElseGet(() -> {
            if (tb.isEmpty() || tb.get().mode() != RunningTestbed.Mode.CLUSTER) {
                throw new LoadTestException("DirectNodePort expects the ratio of ready pods, which only a cluster "
                        + "testbed knows: run `make up`, or give WEIGHTS= (the share of each version's endpoints)");
            }
            try (KubernetesClient client = client(tb.get())) {
                return ReadyPods.of(client, APP_NAMESPACE, APP);
            }
        });
        String how = s.target().isPresent() ? "TARGET" : "the app's NodePort Service of the " + tb.get().describe();
        return new Target(url, expected, how, tb);
    }

    /** With TARGET and no MODE, a running testbed is optional (it only lends its weights); otherwise required. */
    private static Optional<RunningTestbed> testbedFor(LoadSettings s) {
        return s.target().isPresent() && s.mode().isEmpty()
                ? RunningTestbed.find(s.root(), Optional.empty(), s.testbed())
                : Optional.of(RunningTestbed.require(s.root(), s.mode(), s.testbed()));
    }

    /** Where WeightShift writes its steps. */
    public static WeightChanger changer(RunningTestbed tb) {
        return tb.mode() == RunningTestbed.Mode.LOCAL ? new ConfigDirWeights(tb.configDir())
                : new ClusterWeights(client(tb), APP_NAMESPACE, APP);
    }

    /** The edge as the launcher finds it, read again from the API now; with the address to reach it from here. */
    public record Edge(IngressAddress resolved, String url, String note) {
    }

    /**
     * Fallback: Istio's procedure (istio.io, "Determining the ingress IP and ports") against the
     * cluster, as {@code make up} runs it. The address it finds is in the cluster's network; where
     * the launcher published it on 127.0.0.1 (k3s in Docker), the run goes through that mapping.
     */
    public static Edge fallbackEdge(RunningTestbed tb, KubernetesClient client) {
        IngressAddress a;
        try {
            a = IngressResolver.resolve(client, GATEWAY_NAMESPACE, GATEWAY_SERVICE, IngressResolver.HTTP_PORT_NAME);
        } catch (RuntimeException e) {
            throw new LoadTestException("cannot resolve the edge from Service " + GATEWAY_NAMESPACE + "/" + GATEWAY_SERVICE
                    + ": " + e.getMessage());
        }
        String clusterHost = tb.env().get("INGRESS_CLUSTER_HOST").orElse("");
        String clusterPort = tb.env().get("INGRESS_CLUSTER_PORT").orElse("");
        if (a.host().equals(clusterHost) && String.valueOf(a.port()).equals(clusterPort)) {
            return new Edge(a, tb.gatewayUrl(), "published on this machine as " + tb.gatewayUrl());
        }
        if (!clusterHost.isEmpty()) {
            throw new LoadTestException("the edge moved since `make up`: it resolves to " + a.hostPort() + " (" + a.path().id()
                    + ") but " + tb.envFile() + " published " + clusterHost + ":" + clusterPort + "; run `make up` again");
        }
        return new Edge(a, "http://" + a.hostPort(), "reached directly");
    }

    static ExpectedSplit virtualServiceWeights(RunningTestbed tb) {
        if (tb.mode() == RunningTestbed.Mode.LOCAL) {
            return VirtualServiceWeights.fromConfigDir(tb.configDir());
        }
        try (KubernetesClient client = client(tb)) {
            return VirtualServiceWeights.fromCluster(client, APP_NAMESPACE, APP);
        }
    }

    /** A client for the testbed's cluster, as the launcher makes it (KUBECONFIG, KUBE_CONTEXT). */
    public static KubernetesClient client(RunningTestbed tb) {
        try {
            return Testbed.client(tb.env());
        } catch (RuntimeException e) {
            throw new LoadTestException("cannot reach the cluster that " + tb.envFile() + " names: " + e.getMessage());
        }
    }
}
