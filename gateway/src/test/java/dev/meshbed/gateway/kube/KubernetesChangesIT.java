package dev.meshbed.gateway.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changes through the Kubernetes API while the gateway serves: a weight edit under load, a subset
 * scaled to zero ready endpoints and back, and bad VirtualServices (rejected with a Warning Event on
 * the resource, the last accepted version serving meanwhile).
 *
 * <p>Statistics (see {@link Binomial}): two-sided binomial z-tests at 99.99 %: the split before and
 * after the edit under load (each side holds well over a thousand requests), the 503 share of the
 * 80/20 route while v2 has no ready endpoint (1000 requests), and "still 80/20" after each bad
 * VirtualService (400 requests; the 0/100 the bad ones ask for would give |z| of 40).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KubernetesChangesIT {

    private static final String NO_HEALTHY_UPSTREAM = "503 no healthy upstream";

    @TempDir
    Path work;

    @Test
    void weightEditThroughTheApiShiftsTheSplitUnderLoadWithoutAFailedRequest() throws Exception {
        try (Canary c = Canary.start(work)) {
            KubeGateway g = c.gateway();
            long writeNanos;
            long visibleNanos;
            List<Load.Sample> all;
            try (Load load = Load.start(g, 4, Canary.HOST, "/load/")) {
                Thread.sleep(2000);
                writeNanos = System.nanoTime();
                c.cluster.apply(Canary.weights(20, 80));
                g.awaitDump("weights 20/80 in /config_dump",
                        d -> KubeGateway.weightsOf(d, Canary.ROUTE).equals(Map.of("v1", 20, "v2", 80)));
                // the table is installed before a dump can show it: what is sent from now on meets it
                visibleNanos = System.nanoTime();
                Thread.sleep(2000);
                all = load.stop();
            }
            List<String> failed = all.stream().map(Load.Sample::outcome).filter(o -> !o.equals("v1") && !o.equals("v2"))
                    .toList();
            assertThat(failed).as("failed requests among %d sent while the weights changed", all.size()).isEmpty();

            // Answered before the write: old table. Sent after the new table was visible: new table.
            List<Load.Sample> before = Load.where(all, s -> s.receivedNanos() < writeNanos);
            List<Load.Sample> after = Load.where(all, s -> s.sentNanos() > visibleNanos);
            System.out.printf("cluster mode, weight edit under load (4 connections): %d requests, 20/80 visible in "
                            + "/config_dump %d ms after the API write; before %s, after %s%n", all.size(),
                    TimeUnit.NANOSECONDS.toMillis(visibleNanos - writeNanos), Load.count(before), Load.count(after));
            assertThat(before.size()).as("requests answered before the write").isGreaterThan(1000);
            assertThat(after.size()).as("requests sent after the new table was visible").isGreaterThan(1000);
            Binomial.assertShare("v1 before the edit (80/20)", Load.count(before, "v1"), before.size(), 0.8);
            Binomial.assertShare("v1 after the edit (20/80)", Load.count(after, "v1"), after.size(), 0.2);
        }
    }

    /**
     * v2's only pod stops being ready (its EndpointSlice endpoint gets {@code conditions.ready: false}),
     * then comes back; then its slice loses the endpoint altogether (scaled to zero), and gets it
     * back. Meanwhile a route with v2 only answers 503 {@code no healthy upstream} (UH), and the 80/20
     * route answers 503 for the requests that pick v2.
     */
    @Test
    void subsetWithoutReadyEndpointsAnswers503NoHealthyUpstreamUntilReadyAgain() throws Exception {
        try (Canary c = Canary.start(work)) {
            KubeGateway g = c.gateway();
            c.cluster.apply(MockCluster.resource("vs-only-v2.yaml"));
            g.awaitDump("the v2-only route", d -> KubeGateway.domains(d).contains("v2.example.com"));
            assertOnlyV2Answers(g, "v2", "while v2 is ready");

            // (a) not ready
            c.cluster.setReady(MockCluster.NS, Canary.V2_SLICE, false);
            g.awaitDump("no endpoints for v2", d -> KubeGateway.endpointsOf(d, Canary.V2_CLUSTER).isEmpty());
            assertOnlyV2Answers(g, NO_HEALTHY_UPSTREAM, "v2's endpoint not ready");
            String uri = "/uh/" + UUID.randomUUID();
            assertThat(g.get(uri, "v2.example.com").outcome()).isEqualTo(NO_HEALTHY_UPSTREAM);
            assertThat(g.awaitAccessLog(uri)).as("status and flag in the access log").isEqualTo("503 UH");

            List<Load.Sample> split = Load.send(g, 1000, 4, Canary.HOST, "/split-uh/");
            Map<String, Long> counts = Load.count(split);
            System.out.printf("cluster mode, 80/20 with v2 not ready: %s%n", counts);
            assertThat(counts.keySet()).as("outcomes on the 80/20 route with v2 not ready: %s", counts)
                    .containsOnly("v1", NO_HEALTHY_UPSTREAM);
            Binomial.assertShare("503 UH share on the 80/20 route with v2 not ready",
                    Load.count(split, NO_HEALTHY_UPSTREAM), split.size(), 0.2);

            // ready again
            c.cluster.setReady(MockCluster.NS, Canary.V2_SLICE, true);
            g.awaitDump("v2's endpoint back", d -> KubeGateway.endpointsOf(d, Canary.V2_CLUSTER).size() == 1);
            assertOnlyV2Answers(g, "v2", "v2 ready again");

            // (b) scaled to zero: the slice has no endpoints
            c.cluster.setEndpoints(MockCluster.NS, Canary.V2_SLICE, List.of());
            g.awaitDump("no endpoints for v2", d -> KubeGateway.endpointsOf(d, Canary.V2_CLUSTER).isEmpty());
            assertOnlyV2Answers(g, NO_HEALTHY_UPSTREAM, "v2 scaled to zero");

            // scaled up again
            c.cluster.setEndpoints(MockCluster.NS, Canary.V2_SLICE,
                    List.of(MockCluster.endpoint("127.0.0.1", MockCluster.NS, "app-v2", true)));
            g.awaitDump("v2's endpoint back", d -> KubeGateway.endpointsOf(d, Canary.V2_CLUSTER).size() == 1);
            assertOnlyV2Answers(g, "v2", "v2 scaled up again");

            // (c) the slice deleted, then created again
            EndpointSlice slice =
                    c.cluster.getSlice(MockCluster.NS, Canary.V2_SLICE);
            c.cluster.client().discovery().v1().endpointSlices().inNamespace(MockCluster.NS).withName(Canary.V2_SLICE)
                    .delete();
            g.awaitDump("no endpoints for v2", d -> KubeGateway.endpointsOf(d, Canary.V2_CLUSTER).isEmpty());
            assertOnlyV2Answers(g, NO_HEALTHY_UPSTREAM, "v2's EndpointSlice deleted");
            c.cluster.createSlice(MockCluster.slice(MockCluster.NS, Canary.V2_SLICE, "app", c.v2.port(),
                    slice.getEndpoints()));
            g.awaitDump("v2's endpoint back", d -> KubeGateway.endpointsOf(d, Canary.V2_CLUSTER).size() == 1);
            assertOnlyV2Answers(g, "v2", "v2's EndpointSlice created again");
        }
    }

    /**
     * Subsets follow the Pods' labels, not the slices: relabelling the Pod behind v2's endpoint as
     * version v1 moves that endpoint from subset v2 to subset v1 without any EndpointSlice change.
     */
    @Test
    void podLabelChangeMovesItsEndpointToTheOtherSubset() throws Exception {
        try (Canary c = Canary.start(work)) {
            KubeGateway g = c.gateway();
            c.cluster.client().pods().inNamespace(MockCluster.NS).withName("app-v2")
                    .edit(p -> {
                        p.getMetadata().getLabels().put("version", "v1");
                        return p;
                    });
            JsonNode dump = g.awaitDump("app-v2's endpoint in subset v1",
                    d -> KubeGateway.endpointsOf(d, Canary.V1_CLUSTER).size() == 2);
            assertThat(KubeGateway.endpointsOf(dump, Canary.V1_CLUSTER)).as("subset v1's endpoints")
                    .containsExactlyInAnyOrder("127.0.0.1:" + c.v1.port(), "127.0.0.1:" + c.v2.port());
            assertThat(KubeGateway.endpointsOf(dump, Canary.V2_CLUSTER)).as("subset v2's endpoints").isEmpty();
            String uri = "/relabelled/" + UUID.randomUUID();
            Http1.Response r = g.get(uri, Canary.HOST);
            assertThat(r.status() == 200 || r.outcome().equals(NO_HEALTHY_UPSTREAM))
                    .as("answer after the relabel: %s", r.outcome()).isTrue();
        }
    }

    private static void assertOnlyV2Answers(KubeGateway g, String expected, String what) throws Exception {
        List<Load.Sample> s = Load.send(g, 100, 2, "v2.example.com", "/only-v2/");
        assertThat(Load.count(s)).as("100 requests to the v2-only route, %s", what).isEqualTo(Map.of(expected, 100L));
    }

    /**
     * Three bad edits of the VirtualService, written through the generic API as kubectl would store
     * them: {@code weight: abc} (wrong type), {@code wieght} (unknown field) and port {@code 9999}
     * (the service has no such port; a subset no DestinationRule defines is accepted, as Istio does). Each is rejected with a Warning Event {@code Rejected} whose
     * involvedObject is the VirtualService (name, namespace, uid, this resourceVersion) and whose
     * message names the field; /config_dump lists it under {@code rejected}; 80/20 keeps serving.
     * The fix then applies and the rejection goes away.
     */
    @Test
    void badVirtualServiceIsRejectedWithAnEventAndTheLastGoodVersionKeepsServing() throws Exception {
        try (Canary c = Canary.start(work)) {
            KubeGateway g = c.gateway();
            String uid = c.cluster.getIstio("VirtualService", MockCluster.NS, "app").getMetadata().getUid();
            assertThat(uid).as("the VirtualService's uid (set by the API server)").isNotBlank();

            assertRejected(c, uid, "vs-weight-abc.yaml", "spec.http[0].route[0].weight", "abc");
            assertRejected(c, uid, "vs-unknown-field.yaml", "spec.http[0].route[0].wieght", "wieght");
            assertRejected(c, uid, "vs-missing-port.yaml", "spec.http[0].route[1].destination.port.number", "9999");

            c.cluster.apply(Canary.weights(0, 100));
            JsonNode fixed = g.awaitDump("the fixed VirtualService (0/100)",
                    d -> KubeGateway.weightsOf(d, Canary.ROUTE).equals(Map.of("v1", 0, "v2", 100)));
            assertThat(fixed.path("rejected")).as("rejected after the fix").isEmpty();
            assertThat(Load.count(Load.send(g, 200, 2, Canary.HOST, "/fixed/"))).as("after the fix (0/100)")
                    .isEqualTo(Map.of("v2", 200L));
            assertThat(c.cluster.events(MockCluster.NS, "Rejected")).as("Rejected events in all").hasSize(3);
        }
    }

    private static void assertRejected(Canary c, String uid, String yamlResource, String field, String valueInMessage)
            throws Exception {
        KubeGateway g = c.gateway();
        String what = yamlResource + " (" + field + ")";
        long versionBefore = g.configDump().path("version").asLong();
        GenericKubernetesResource written = c.cluster.apply(MockCluster.resource(yamlResource));
        String resourceVersion = written.getMetadata().getResourceVersion();
        assertThat(written.getMetadata().getUid()).as("uid after the update").isEqualTo(uid);

        // the Event, on the VirtualService, naming the field
        Event e = await("a Rejected Event for " + what).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> c.cluster.events(MockCluster.NS, "Rejected").stream()
                        .filter(x -> resourceVersion.equals(x.getInvolvedObject().getResourceVersion()))
                        .findFirst().orElse(null), x -> x != null);
        assertThat(e.getType()).as("type of %s", e).isEqualTo("Warning");
        assertThat(e.getInvolvedObject().getKind()).as("involvedObject.kind").isEqualTo("VirtualService");
        assertThat(e.getInvolvedObject().getApiVersion()).as("involvedObject.apiVersion")
                .isEqualTo("networking.istio.io/v1");
        assertThat(e.getInvolvedObject().getName()).as("involvedObject.name").isEqualTo("app");
        assertThat(e.getInvolvedObject().getNamespace()).as("involvedObject.namespace").isEqualTo(MockCluster.NS);
        assertThat(e.getInvolvedObject().getUid()).as("involvedObject.uid").isEqualTo(uid);
        assertThat(e.getMetadata().getNamespace()).as("the Event's namespace").isEqualTo(MockCluster.NS);
        assertThat(e.getMessage()).as("message of the Event for %s", what).contains(field).contains(valueInMessage);
        assertThat(e.getReportingInstance()).as("reportingInstance").isEqualTo(KubeGateway.REPORTING_INSTANCE);
        System.out.printf("cluster mode, %s: Event %s \"%s\"%n", yamlResource, e.getReason(), e.getMessage());

        // /config_dump: rejected, with the field; the last good 80/20 installed
        JsonNode dump = g.awaitDump("a table that rejects " + what,
                d -> d.path("version").asLong() > versionBefore && d.path("rejected").size() > 0);
        JsonNode rejected = dump.path("rejected");
        assertThat(rejected).as("rejections for %s: %s", what, rejected).hasSize(1);
        assertThat(rejected.get(0).path("resource").asText()).isEqualTo("VirtualService default/app");
        assertThat(rejected.get(0).path("field").asText()).as("field: %s", rejected).isEqualTo(field);
        assertThat(rejected.get(0).path("text").asText()).as("text: %s", rejected).contains("keeps serving");
        assertThat(KubeGateway.weightsOf(dump, Canary.ROUTE)).as("weights installed after %s", what)
                .isEqualTo(Map.of("v1", 80, "v2", 20));

        List<Load.Sample> s = Load.send(g, 400, 4, Canary.HOST, "/still/");
        Map<String, Long> counts = Load.count(s);
        assertThat(counts.keySet()).as("outcomes after %s: %s", what, counts).containsOnly("v1", "v2");
        Binomial.assertShare("v1's share after " + what + " (still 80/20)", counts.get("v1"), s.size(), 0.8);
    }
}
