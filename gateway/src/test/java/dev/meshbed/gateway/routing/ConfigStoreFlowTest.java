package dev.meshbed.gateway.routing;

import static dev.meshbed.gateway.routing.RoutingFixtures.compiler;
import static dev.meshbed.gateway.routing.RoutingFixtures.destinationRuleV1V2;
import static dev.meshbed.gateway.routing.RoutingFixtures.doc;
import static dev.meshbed.gateway.routing.RoutingFixtures.gateway;
import static dev.meshbed.gateway.routing.RoutingFixtures.get;
import static dev.meshbed.gateway.routing.RoutingFixtures.onlyCluster;
import static dev.meshbed.gateway.routing.RoutingFixtures.route;
import static dev.meshbed.gateway.routing.RoutingFixtures.routeName;
import static dev.meshbed.gateway.routing.RoutingFixtures.routeTo;
import static dev.meshbed.gateway.routing.RoutingFixtures.serviceEntry;
import static dev.meshbed.gateway.routing.RoutingFixtures.virtualService;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.config.ConfigSnapshot;
import dev.meshbed.gateway.config.ConfigStore;
import dev.meshbed.gateway.config.IstioKind;
import dev.meshbed.gateway.config.IstioResource;
import dev.meshbed.gateway.config.IstioYamlReader;
import dev.meshbed.gateway.config.ParsedSource;
import dev.meshbed.gateway.config.Rejection;
import dev.meshbed.gateway.config.ResourceKey;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The config thread's cycle, as ConfigPipeline runs it: {@code propose} → {@code compile} →
 * ({@code withdraw} → {@code compile}) → {@code commit}. A bad edit never takes working routing
 * away: the last accepted version of a resource keeps serving.
 */
class ConfigStoreFlowTest {

    private static final String APP = "app.default.svc.cluster.local";
    private static final String KEEPS = "(the last accepted version keeps serving)";
    private static final ResourceKey VS_KEY = new ResourceKey(IstioKind.VIRTUAL_SERVICE, "default", "vs");

    private final IstioYamlReader reader = new IstioYamlReader();
    private final ConfigStore store = new ConfigStore();
    private final TableCompiler compiler = compiler();

    /** The files, by name, in the order given; text as the directory holds it now. */
    private final Map<String, String> files = new LinkedHashMap<>();

    /** The first compile's cross-reference problems in the last rebuild. */
    private List<Rejection> lastProblems = List.of();

    /** One round of ConfigPipeline.rebuild(). */
    private RoutingTable rebuild() {
        List<ParsedSource> parsed = new ArrayList<>();
        files.forEach((name, text) -> parsed.add(reader.read(name, text)));
        ConfigSnapshot snapshot = store.propose(parsed);
        TableCompiler.Result result = compiler.compile(snapshot);
        lastProblems = result.crossReferenceProblems();
        if (!result.crossReferenceProblems().isEmpty()) {
            snapshot = store.withdraw(snapshot, result.crossReferenceProblems());
            result = compiler.compile(snapshot);
        }
        store.commit(snapshot);
        return result.table();
    }

    private static String base() {
        return String.join("---\n", gateway(),
                serviceEntry("app", APP, 80, "10.0.1.1 v1", "10.0.1.2 v2", "10.0.1.3 v3"),
                destinationRuleV1V2(APP));
    }

    private static String vsToSubset(String subset) {
        return virtualService("vs", "app.example.com", routeTo("app", subset));
    }

    /** A cross-reference problem: port 9999 is not a port of the app's ServiceEntry. */
    private static String vsToMissingPort() {
        return virtualService("vs", "app.example.com", routeTo("app", "v1") + "      port: {number: 9999}\n");
    }

    private static Optional<IstioResource<VirtualService>> vsIn(RoutingTable t) {
        return t.snapshot().virtualServices().stream().filter(v -> v.key().equals(VS_KEY)).findFirst();
    }

    private static String subsetServed(RoutingTable t) {
        Route r = route(t, get("app.example.com", "/"));
        return r == null ? null : onlyCluster(r).subset();
    }

    private static List<Rejection> rejectionsOf(RoutingTable t, ResourceKey key) {
        return t.rejections().stream().filter(r -> key.equals(r.key())).toList();
    }

    // ---------------------------------------------------------------- cross-reference problems

    @Test
    void missingPortWithAPreviousVersionKeepsThePreviousVersion() {
        files.put("base.yaml", base());
        files.put("vs.yaml", vsToSubset("v1"));
        RoutingTable first = rebuild();
        assertThat(subsetServed(first)).isEqualTo("v1");
        assertThat(first.rejections()).isEmpty();

        files.put("vs.yaml", vsToMissingPort());
        RoutingTable second = rebuild();
        assertThat(lastProblems).extracting(Rejection::field)
                .containsExactly("spec.http[0].route[0].destination.port.number");
        assertThat(subsetServed(second)).as("the previous version serves").isEqualTo("v1");
        assertThat(onlyCluster(route(second, get("app.example.com", "/"))).defined()).isTrue();
        assertThat(rejectionsOf(second, VS_KEY)).singleElement().satisfies(r -> {
            assertThat(r.field()).isEqualTo("spec.http[0].route[0].destination.port.number");
            assertThat(r.message()).contains("port 9999 is not a port of").endsWith(KEEPS);
            assertThat(r.origin().source()).isEqualTo("vs.yaml");
        });

        // the withdrawn version never became the accepted one: the same bad file again changes nothing
        RoutingTable third = rebuild();
        assertThat(subsetServed(third)).isEqualTo("v1");
        assertThat(rejectionsOf(third, VS_KEY)).singleElement()
                .satisfies(r -> assertThat(r.message()).endsWith(KEEPS));

        // and a fixed file is taken at once
        files.put("vs.yaml", vsToSubset("v2"));
        RoutingTable fourth = rebuild();
        assertThat(subsetServed(fourth)).isEqualTo("v2");
        assertThat(fourth.rejections()).isEmpty();
    }

    @Test
    void undefinedSubsetIsAcceptedAndAnswers503NcWithAWarning() {
        files.put("base.yaml", base());
        files.put("vs.yaml", vsToSubset("v3")); // no DestinationRule defines v3 (Istio's webhook accepts it)
        RoutingTable t = rebuild();
        assertThat(lastProblems).isEmpty();
        assertThat(vsIn(t)).isPresent();
        Cluster c = onlyCluster(route(t, get("app.example.com", "/")));
        assertThat(c.defined()).as("503 NC, as Envoy would answer").isFalse();
        assertThat(t.warnings()).anySatisfy(w -> assertThat(w).contains("destination.subset: \"v3\" is not defined")
                .endsWith("(requests answer 503 NC)"));
    }

    @Test
    void missingPortWithoutAPreviousVersionLeavesTheVirtualServiceOut() {
        files.put("base.yaml", base());
        files.put("vs.yaml", vsToMissingPort() + "---\n"
                + virtualService("other", "other.example.com", routeTo("app", "v2")));
        RoutingTable t = rebuild();
        assertThat(lastProblems).hasSize(1);
        assertThat(vsIn(t)).isEmpty();
        assertThat(route(t, get("app.example.com", "/"))).as("404 NR").isNull();
        assertThat(routeName(t, get("other.example.com", "/"))).as("the others still apply")
                .isEqualTo("default/other/0");
        assertThat(rejectionsOf(t, VS_KEY)).singleElement().satisfies(r -> {
            assertThat(r.field()).isEqualTo("spec.http[0].route[0].destination.port.number");
            assertThat(r.message()).doesNotContain(KEEPS);
        });
        assertThat(t.clusters()).doesNotContainKey("outbound|9999|v1|" + APP);
    }

    @Test
    void acceptedVirtualServiceBrokenByAnotherResourceStaysAndAnswers503() {
        files.put("base.yaml", base());
        files.put("vs.yaml", vsToSubset("v2"));
        assertThat(subsetServed(rebuild())).isEqualTo("v2");

        // the DestinationRule loses subset v2; the VirtualService itself did not change
        files.put("base.yaml", String.join("---\n", gateway(),
                serviceEntry("app", APP, 80, "10.0.1.1 v1", "10.0.1.2 v2"),
                doc("DestinationRule", "default", "dr-app-default-svc-cluster-local", """
                        host: app.default.svc.cluster.local
                        subsets:
                        - name: v1
                          labels: {version: v1}
                        """)));
        RoutingTable t = rebuild();
        assertThat(lastProblems).as("a warning, not a problem").isEmpty();
        assertThat(t.warnings()).anySatisfy(w -> assertThat(w).contains("\"v2\" is not defined"));
        assertThat(vsIn(t)).isPresent();
        Cluster c = onlyCluster(route(t, get("app.example.com", "/")));
        assertThat(c.defined()).as("503 NC, as Envoy would answer").isFalse();
        assertThat(c.undefinedReason()).contains("\"v2\" is not defined");
    }

    // ---------------------------------------------------------------- file and document problems

    @Test
    void unreadableFileKeepsItsPreviousResources() {
        files.put("base.yaml", base());
        files.put("vs.yaml", vsToSubset("v1"));
        assertThat(subsetServed(rebuild())).isEqualTo("v1");

        files.put("vs.yaml", "apiVersion: networking.istio.io/v1\nkind: [VirtualService\n");
        RoutingTable t = rebuild();
        assertThat(subsetServed(t)).as("kept from the last accepted version").isEqualTo("v1");
        assertThat(vsIn(t)).get().extracting(v -> v.origin().source()).isEqualTo("vs.yaml");
        assertThat(t.rejections()).singleElement().satisfies(r -> {
            assertThat(r.key()).as("the resource that keeps its last accepted version")
                    .hasToString("VirtualService default/vs");
            assertThat(r.origin().source()).isEqualTo("vs.yaml");
            assertThat(r.describe()).contains("the last accepted version keeps serving");
        });

        // still unreadable on the next round: still kept
        assertThat(subsetServed(rebuild())).isEqualTo("v1");

        // readable again, without the VirtualService: now it is gone
        files.put("vs.yaml", "# nothing here\n");
        RoutingTable emptied = rebuild();
        assertThat(vsIn(emptied)).isEmpty();
        assertThat(route(emptied, get("app.example.com", "/"))).isNull();
    }

    @Test
    void unreadableFileDoesNotKeepResourcesOfOtherFiles() {
        files.put("base.yaml", base());
        files.put("vs.yaml", vsToSubset("v1"));
        files.put("other.yaml", virtualService("other", "other.example.com", routeTo("app", "v2")));
        rebuild();

        files.put("vs.yaml", "kind: [");
        files.remove("other.yaml");
        RoutingTable t = rebuild();
        assertThat(subsetServed(t)).isEqualTo("v1");
        assertThat(route(t, get("other.example.com", "/"))).as("deleted file: its resources go").isNull();
    }

    /** A VirtualService that the reader rejects: a negative weight. */
    private static String invalidVs() {
        return virtualService("vs", "app.example.com", """
                - route:
                  - destination: {host: app, subset: v1}
                    weight: -5
                  - destination: {host: app, subset: v2}
                    weight: 105
                """);
    }

    @Test
    void documentRejectedByTheReaderKeepsItsLastAcceptedVersion() {
        files.put("base.yaml", base());
        files.put("vs.yaml", vsToSubset("v2"));
        assertThat(subsetServed(rebuild())).isEqualTo("v2");

        files.put("vs.yaml", invalidVs());
        RoutingTable t = rebuild();
        assertThat(subsetServed(t)).isEqualTo("v2");
        assertThat(rejectionsOf(t, VS_KEY)).singleElement().satisfies(r -> {
            assertThat(r.field()).isEqualTo("spec.http[0].route[0].weight");
            assertThat(r.message()).endsWith(KEEPS);
        });
    }

    @Test
    void documentRejectedByTheReaderWithoutAPreviousVersionIsLeftOut() {
        files.put("base.yaml", base());
        files.put("vs.yaml", invalidVs());
        RoutingTable t = rebuild();
        assertThat(vsIn(t)).isEmpty();
        assertThat(route(t, get("app.example.com", "/"))).isNull();
        assertThat(rejectionsOf(t, VS_KEY)).singleElement()
                .satisfies(r -> assertThat(r.message()).doesNotContain(KEEPS));
    }

    @Test
    void rejectedDocumentDoesNotCostTheOthersOfItsFile() {
        files.put("base.yaml", base());
        files.put("vs.yaml", invalidVs() + "---\n"
                + virtualService("other", "other.example.com", routeTo("app", "v1")));
        RoutingTable t = rebuild();
        assertThat(routeName(t, get("other.example.com", "/"))).isEqualTo("default/other/0");
    }

    @Test
    void secondDefinitionOfAResourceIsIgnored() {
        files.put("base.yaml", base());
        files.put("a.yaml", vsToSubset("v1"));
        files.put("b.yaml", vsToSubset("v2"));
        RoutingTable t = rebuild();
        assertThat(subsetServed(t)).isEqualTo("v1");
        assertThat(rejectionsOf(t, VS_KEY)).singleElement().satisfies(r -> {
            assertThat(r.origin().source()).isEqualTo("b.yaml");
            assertThat(r.message()).contains("also defined in a.yaml");
        });
    }

    @Test
    void everyProposalHasANewVersion() {
        files.put("base.yaml", base());
        long v1 = rebuild().version();
        long v2 = rebuild().version();
        assertThat(v2).isGreaterThan(v1);
    }
}
