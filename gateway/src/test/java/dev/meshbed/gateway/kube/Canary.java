package dev.meshbed.gateway.kube;

import dev.meshbed.sample.SampleConfig;
import dev.meshbed.sample.SampleServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The canary scene of the issue, in the mock API server: sample apps v1 and v2 on 127.0.0.1 standing
 * in for the pods {@code app-v1} and {@code app-v2} (labels app=app, version=v1|v2), each with an
 * EndpointSlice of the Service {@code app} (port 80 named http; the slice's port {@code http} is
 * the sample app's real port), the Gateway {@code meshbed-gateway} (selector istio=ingressgateway),
 * the DestinationRule {@code app} with subsets v1 and v2, and the VirtualService {@code app} for
 * {@value #HOST} with weights 80/20. Optionally the gateway, started and ready.
 */
final class Canary implements AutoCloseable {

    static final String HOST = "app.example.com";
    static final String ROUTE = "default/app/canary";
    static final String V1_SLICE = MockCluster.sliceName("app", "app-v1");
    static final String V2_SLICE = MockCluster.sliceName("app", "app-v2");
    static final String V1_CLUSTER = "outbound|80|v1|app.default.svc.cluster.local";
    static final String V2_CLUSTER = "outbound|80|v2|app.default.svc.cluster.local";

    final MockCluster cluster;
    final SampleServer v1;
    final SampleServer v2;
    private KubeGateway gateway;
    private final List<KubeGateway> extra = new ArrayList<>();

    private Canary(MockCluster cluster, SampleServer v1, SampleServer v2) {
        this.cluster = cluster;
        this.v1 = v1;
        this.v2 = v2;
    }

    /** The mock API server with the canary scene in namespace {@code default}; no gateway yet. */
    static Canary create() throws Exception {
        return create(0);
    }

    /**
     * The same, the API server on {@code apiPort} (0: a free one). Until the scene is complete,
     * every GET (list or watch: what a gateway's informers send) is answered 403, so that a gateway
     * already retrying against this port cannot sync a half-written scene.
     */
    static Canary create(int apiPort) throws Exception {
        MockCluster cluster = MockCluster.start(apiPort);
        cluster.forbid(r -> "GET".equals(r.getMethod()));
        SampleServer v1 = null;
        SampleServer v2 = null;
        try {
            v1 = SampleServer.start(SampleConfig.local("v1"));
            v2 = SampleServer.start(SampleConfig.local("v2"));
            Canary c = new Canary(cluster, v1, v2);
            c.populate(MockCluster.NS, HOST, v1.port(), v2.port());
            cluster.forbid(r -> false);
            return c;
        } catch (Exception | Error e) {
            if (v1 != null) {
                v1.close();
            }
            if (v2 != null) {
                v2.close();
            }
            cluster.close();
            throw e;
        }
    }

    /** The canary scene, and the gateway on it, ready, with the 80/20 route installed. */
    static Canary start(Path work) throws Exception {
        Canary c = create();
        try {
            c.gateway = KubeGateway.startReady(c.cluster.client(), work);
            c.gateway.awaitDump("the 80/20 route with endpoints for v1 and v2",
                    d -> KubeGateway.weightsOf(d, ROUTE).equals(Map.of("v1", 80, "v2", 20))
                            && KubeGateway.endpointsOf(d, V1_CLUSTER).size() == 1
                            && KubeGateway.endpointsOf(d, V2_CLUSTER).size() == 1);
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    /**
     * In {@code ns}: Service app, its two stand-in pods and slices, Gateway, DestinationRule and the
     * 80/20 VirtualService for {@code host}.
     */
    void populate(String ns, String host, int v1Port, int v2Port) {
        cluster.service(ns, "app", 80);
        cluster.addPod(ns, "app", "app-v1", Map.of("app", "app", "version", "v1"), v1Port);
        cluster.addPod(ns, "app", "app-v2", Map.of("app", "app", "version", "v2"), v2Port);
        cluster.apply(MockCluster.resource("gateway.yaml", "ns", ns));
        cluster.apply(MockCluster.resource("destination-rule.yaml", "ns", ns));
        cluster.apply(weights(ns, host, 80, 20));
    }

    /** The canary VirtualService with other weights. */
    static String weights(int w1, int w2) {
        return weights(MockCluster.NS, HOST, w1, w2);
    }

    static String weights(String ns, String host, int w1, int w2) {
        return MockCluster.resource("vs-weights.yaml", "ns", ns, "host", host, "w1", w1, "w2", w2);
    }

    /** Starts the gateway with these namespaces and labels, without waiting; closed with this scene. */
    KubeGateway startGateway(List<String> namespaces, Map<String, String> labels, Path work)
            throws Exception {
        KubeGateway g = KubeGateway.start(cluster.client(), namespaces, labels, work);
        extra.add(g);
        return g;
    }

    KubeGateway gateway() {
        return gateway;
    }

    @Override
    public void close() {
        try {
            extra.forEach(KubeGateway::close);
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            try {
                v1.close();
                v2.close();
            } finally {
                cluster.close();
            }
        }
    }
}
