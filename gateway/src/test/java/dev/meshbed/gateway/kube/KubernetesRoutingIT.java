package dev.meshbed.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode routing against the mock API server: the 80/20 split over Pods found through
 * EndpointSlices, Gateways for other ingresses ignored, and {@code --namespaces} limiting what is
 * seen.
 *
 * <p>Statistics: a two-sided binomial z-test at 99.99 % (see {@link Binomial}) over 4000 requests
 * (80/20 gives the band 0.8 ± 0.0246; 75/25 or 85/15 would fail with |z| of about 7.9).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KubernetesRoutingIT {

    @TempDir
    Path work;

    @Test
    void splitsEightyTwentyBySubsetOverPodsOfEndpointSlices() throws Exception {
        try (Canary c = Canary.start(work)) {
            KubeGateway g = c.gateway();
            JsonNode dump = g.configDump();
            assertThat(dump.path("rejected")).as("rejected").isEmpty();
            assertThat(KubeGateway.endpointsOf(dump, Canary.V1_CLUSTER)).as("v1's endpoints (the EndpointSlice port)")
                    .containsExactly("127.0.0.1:" + c.v1.port());
            assertThat(KubeGateway.endpointsOf(dump, Canary.V2_CLUSTER)).as("v2's endpoints (the EndpointSlice port)")
                    .containsExactly("127.0.0.1:" + c.v2.port());

            int n = 4000;
            List<Load.Sample> samples = Load.send(g, n, 4, Canary.HOST, "/split/");
            Map<String, Long> counts = Load.count(samples);
            System.out.printf("cluster mode, 80/20: %d requests -> %s%n", n, counts);
            assertThat(counts.keySet()).as("outcomes of %d requests: %s", n, counts).containsOnly("v1", "v2");
            Binomial.assertShare("v1's share of 4000 requests at 80/20", counts.get("v1"), n, 0.8);
            assertThat(c.v1.acceptedConnections() + c.v2.acceptedConnections())
                    .as("upstream connections for %d requests on 4 client connections (pooled)", n)
                    .isLessThan(50);
        }
    }

    /**
     * A Service with two named ports (http 80, admin 9000) and one Pod whose EndpointSlice maps
     * them to two different container ports (the v1 and v2 sample apps here): a destination's port
     * is the Service port number, mapped to the endpoint's port through the port name. A
     * destination without a port on a multi-port Service is rejected, naming the field.
     */
    @Test
    void destinationPortIsTheServicePortMappedByNameToTheEndpointPort() throws Exception {
        try (Canary c = Canary.start(work)) {
            KubeGateway g = c.gateway();
            String ns = MockCluster.NS;
            c.cluster.client().services().inNamespace(ns).resource(new ServiceBuilder()
                    .withNewMetadata().withName("multi").withNamespace(ns).endMetadata()
                    .withNewSpec()
                    .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("web")).endPort()
                    .addNewPort().withName("admin").withPort(9000).withTargetPort(new IntOrString(9901)).endPort()
                    .endSpec().build()).create();
            c.cluster.createPod(ns, "multi-0", Map.of("app", "multi"));
            c.cluster.createSlice(new EndpointSliceBuilder()
                    .withNewMetadata().withName("multi-abc12").withNamespace(ns)
                    .addToLabels(MockCluster.SERVICE_NAME_LABEL, "multi").endMetadata()
                    .withAddressType("IPv4")
                    .addNewPort().withName("http").withPort(c.v1.port()).withProtocol("TCP").endPort()
                    .addNewPort().withName("admin").withPort(c.v2.port()).withProtocol("TCP").endPort()
                    .withEndpoints(MockCluster.endpoint("127.0.0.1", ns, "multi-0", true))
                    .build());
            c.cluster.apply(MockCluster.resource("vs-multi-port.yaml"));
            c.cluster.apply(MockCluster.resource("vs-multi-port-unnamed.yaml"));
            JsonNode dump = g.awaitDump("the two-port routes and the rejection of the port-less one",
                    d -> KubeGateway.domains(d).contains("multi.example.com") && d.path("rejected").size() > 0);
            assertThat(KubeGateway.endpointsOf(dump, "outbound|80||multi.default.svc.cluster.local"))
                    .as("endpoints of port 80 (http)").containsExactly("127.0.0.1:" + c.v1.port());
            assertThat(KubeGateway.endpointsOf(dump, "outbound|9000||multi.default.svc.cluster.local"))
                    .as("endpoints of port 9000 (admin)").containsExactly("127.0.0.1:" + c.v2.port());
            assertThat(g.get("/web", "multi.example.com").outcome()).as("port 80 -> slice port http").isEqualTo("v1");
            assertThat(g.get("/admin/x", "multi.example.com").outcome()).as("port 9000 -> slice port admin")
                    .isEqualTo("v2");

            JsonNode rejected = dump.path("rejected");
            assertThat(rejected).as("rejections: %s", rejected).hasSize(1);
            assertThat(rejected.get(0).path("resource").asText()).isEqualTo("VirtualService default/multi-noport");
            assertThat(rejected.get(0).path("field").asText()).isEqualTo("spec.http[0].route[0].destination.port");
            assertThat(rejected.get(0).path("message").asText()).contains("80").contains("9000");
        }
    }

    /**
     * A Gateway whose selector names another ingress (istio=other-ingress) is not this gateway's:
     * the VirtualService bound to it is not served here (404 NR for its host), while a gateway with
     * those labels serves it.
     */
    @Test
    void gatewayForOtherLabelsIsIgnored() throws Exception {
        try (Canary c = Canary.start(work)) {
            KubeGateway g = c.gateway();
            c.cluster.apply(MockCluster.resource("gateway-other-selector.yaml"));
            c.cluster.apply(MockCluster.resource("vs-other-gateway.yaml"));
            JsonNode dump = g.awaitDump("a table built with Gateway other-gateway and VirtualService other",
                    d -> KubeGateway.resources(d).containsAll(
                            List.of("Gateway default/other-gateway", "VirtualService default/other")));
            assertThat(KubeGateway.domains(dump)).as("virtual hosts served").containsExactly(Canary.HOST);
            assertThat(dump.path("rejected")).as("rejected").isEmpty();
            assertThat(dump.path("warnings").toString()).as("warnings")
                    .contains("Gateway default/other-gateway: selector {istio=other-ingress} does not match");

            String uri = "/other/" + UUID.randomUUID();
            Http1.Response r = g.get(uri, "other.example.com");
            assertThat(r.status()).as("Host other.example.com through this gateway: %s", r.body()).isEqualTo(404);
            assertThat(g.awaitAccessLog(uri)).as("status and flag in the access log").isEqualTo("404 NR");
            assertThat(g.get("/still", Canary.HOST).status()).as("the canary host meanwhile").isEqualTo(200);

            // The other ingress (a gateway with its labels) does serve it, and not the canary host.
            KubeGateway other = c.startGateway(List.of(), Map.of("istio", "other-ingress"), work);
            other.awaitReady();
            Http1.Response o = other.get("/other", "other.example.com");
            assertThat(o.outcome()).as("Host other.example.com through a gateway labelled istio=other-ingress")
                    .isEqualTo("v1");
            String uri2 = "/canary/" + UUID.randomUUID();
            assertThat(other.get(uri2, Canary.HOST).status()).as("the canary host through the other ingress")
                    .isEqualTo(404);
            assertThat(other.awaitAccessLog(uri2)).isEqualTo("404 NR");
        }
    }

    /**
     * {@code --namespaces default,quiet}: the same scene in namespace {@code other} (Service, Pods,
     * EndpointSlices, Gateway, DestinationRule, VirtualService for other-ns.example.com) is not seen
     * at all: not served, not in the dump, and a change there does not even rebuild the table. A
     * gateway watching all namespaces, on the same API server, serves both.
     */
    @Test
    void namespacesLimitWhatIsSeen() throws Exception {
        try (Canary c = Canary.create()) {
            c.populate("other", "other-ns.example.com", c.v1.port(), c.v2.port());
            KubeGateway limited = c.startGateway(List.of("default", "quiet"), KubeGateway.INGRESS_LABELS, work);
            KubeGateway all = c.startGateway(List.of(), KubeGateway.INGRESS_LABELS, work);
            limited.awaitReady();
            all.awaitReady();
            JsonNode allDump = all.awaitDump("both namespaces' routes through the gateway watching all namespaces",
                    d -> KubeGateway.domains(d).containsAll(List.of(Canary.HOST, "other-ns.example.com")));
            assertThat(allDump.path("rejected")).as("rejected (all namespaces)").isEmpty();
            assertThat(all.get("/all", "other-ns.example.com").status()).as("other-ns.example.com, all namespaces")
                    .isEqualTo(200);

            JsonNode dump = limited.awaitDump("the canary route through the gateway limited to default",
                    d -> KubeGateway.weightsOf(d, Canary.ROUTE).equals(Map.of("v1", 80, "v2", 20)));
            assertThat(KubeGateway.domains(dump)).as("virtual hosts (default, quiet)").containsExactly(Canary.HOST);
            assertThat(KubeGateway.resources(dump)).as("resources seen (default, quiet)")
                    .allSatisfy(r -> assertThat(r).doesNotContain(" other/"));
            assertThat(dump.path("clusters").toString()).as("clusters (default, quiet)")
                    .doesNotContain("app.other.svc.cluster.local");
            assertThat(limited.get("/limited", Canary.HOST).outcome()).as("the canary host (default, quiet)")
                    .isIn("v1", "v2");
            String uri = "/limited/" + UUID.randomUUID();
            assertThat(limited.get(uri, "other-ns.example.com").status()).as("other-ns.example.com (default, quiet)")
                    .isEqualTo(404);
            assertThat(limited.awaitAccessLog(uri)).isEqualTo("404 NR");

            // A change in `other` reaches the gateway watching all namespaces, not the limited one.
            long limitedVersion = limited.configDump().path("version").asLong();
            c.cluster.apply(Canary.weights("other", "other-ns.example.com", 0, 100));
            all.awaitDump("0/100 in namespace other", d -> KubeGateway.weightsOf(d, "other/app/canary")
                    .equals(Map.of("v1", 0, "v2", 100)));
            Thread.sleep(300); // more than the config debounce: a rebuild would have happened by now
            assertThat(limited.configDump().path("version").asLong())
                    .as("table version of the limited gateway after a change in namespace other")
                    .isEqualTo(limitedVersion);
        }
    }

    /**
     * {@code --namespaces default,default} (a namespace named twice, e.g. by a templated Deployment)
     * must watch it once. KubernetesSource starts one informer per kind per listed namespace, so
     * every resource is read twice and rejected against itself: "also defined in kubernetes; this
     * definition is ignored", in /config_dump and as a Warning Event on every Gateway,
     * VirtualService and DestinationRule of the namespace (routing itself still works).
     */
    @Test
    void namespaceListedTwiceIsWatchedOnce() throws Exception {
        try (Canary c = Canary.create()) {
            KubeGateway g = c.startGateway(List.of("default", "default"), KubeGateway.INGRESS_LABELS, work);
            g.awaitReady();
            JsonNode dump = g.awaitDump("the canary route",
                    d -> KubeGateway.weightsOf(d, Canary.ROUTE).equals(Map.of("v1", 80, "v2", 20)));
            assertThat(g.get("/twice", Canary.HOST).outcome()).as("routing with default listed twice").isIn("v1", "v2");
            Thread.sleep(300); // Events are posted off the config thread
            List<String> events = c.cluster.events(MockCluster.NS, "Rejected").stream()
                    .map(e -> e.getInvolvedObject().getKind() + " " + e.getInvolvedObject().getName() + ": "
                            + e.getMessage())
                    .toList();
            SoftAssertions.assertSoftly(soft -> {
                soft.assertThat(dump.path("rejected")).as("rejections with default listed twice").isEmpty();
                soft.assertThat(events).as("Rejected Events with default listed twice").isEmpty();
                soft.assertThat(dump.path("warnings").toString()).as("warnings with default listed twice")
                        .doesNotContain("is also defined by Service default/app");
            });
        }
    }
}
