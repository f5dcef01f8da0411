package dev.meshbed.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.istio.api.api.networking.v1alpha3.Gateway;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import org.junit.jupiter.api.Test;

/**
 * The reader takes YAML as kubectl does: sigs.k8s.io/yaml over go-yaml v2 for YAML, and JSON
 * for a file that starts with an object. Each case is one where SnakeYAML alone reads the
 * same text differently (or not at all).
 */
class KubectlYamlTest {

    private final IstioYamlReader reader = new IstioYamlReader();

    private Object onlySpec(String source, String text) {
        ParsedSource parsed = reader.read(source, text);
        assertThat(parsed.rejections()).as("rejections").isEmpty();
        assertThat(parsed.resources()).hasSize(1);
        return parsed.resources().get(0).spec();
    }

    @Test
    void anIpv6AddressEndingInColonsIsAScalarInAFlowList() {
        ServiceEntry spec = (ServiceEntry) onlySpec("se.yaml", """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: full}
                spec:
                  hosts: [foo.bar]
                  addresses: [1.2.3.4, 2001:db8::, "::1"]
                  ports: [{number: 80, name: http, protocol: HTTP}]
                """);
        assertThat(spec.getAddresses()).containsExactly("1.2.3.4", "2001:db8::", "::1");
    }

    @Test
    void aPairInAFlowListStaysAPair() {
        ParsedSource parsed = reader.read("vs.yaml", """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: vs}
                spec:
                  hosts: [a: b]
                  http: [{route: [{destination: {host: reviews}}]}]
                """);
        assertThat(parsed.rejections()).singleElement()
                .satisfies(r -> assertThat(r.message()).contains("got a mapping"));
    }

    @Test
    void timeLikeValuesAreStringsNotSexagesimalNumbers() {
        VirtualService spec = (VirtualService) onlySpec("vs.yaml", """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: vs}
                spec:
                  hosts: [reviews]
                  http:
                  - route: [{destination: {host: reviews}}]
                    headers:
                      request:
                        set: {x-window: 1:30, x-version: 1.10}
                """);
        // SnakeYAML's YAML 1.1 resolver reads 1:30 as 90; go-yaml v2 (kubectl) keeps "1:30".
        assertThat(spec.getHttp().get(0).getHeaders().getRequest().getSet())
                .containsEntry("x-window", "1:30");
    }

    @Test
    void integersFollowGoLiterals() {
        WorkloadEntry spec = (WorkloadEntry) onlySpec("we.yaml", """
                apiVersion: networking.istio.io/v1
                kind: WorkloadEntry
                metadata: {name: we}
                spec:
                  address: 10.0.0.1
                  ports: {http: 0x50, https: 0o755, grpc: 9_090, admin: 017}
                """);
        assertThat(spec.getPorts()).containsEntry("http", 80L).containsEntry("https", 493L)
                .containsEntry("grpc", 9090L).containsEntry("admin", 15L);
    }

    @Test
    void yamlOneOneBooleansAreBooleansAsInKubectl() {
        Gateway spec = (Gateway) onlySpec("gw.yaml", """
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: gw}
                spec:
                  servers:
                  - port: {number: 80, name: http, protocol: HTTP}
                    hosts: ["*"]
                    tls: {httpsRedirect: yes}
                """);
        assertThat(spec.getServers().get(0).getTls().getHttpsRedirect()).isTrue();
    }

    @Test
    void aJsonFileMayIndentWithTabs() {
        WorkloadEntry spec = (WorkloadEntry) onlySpec("we.json", "{\n\t\"apiVersion\": \"networking.istio.io/v1\",\n"
                + "\t\"kind\": \"WorkloadEntry\",\n\t\"metadata\": {\"name\": \"we\"},\n"
                + "\t\"spec\": {\n\t\t\"address\": \"10.0.0.1\",\n\t\t\"labels\": {\"app\": \"reviews\"}\n\t}\n}\n");
        assertThat(spec.getAddress()).isEqualTo("10.0.0.1");
    }

    @Test
    void aBrokenJsonFileNamesTheFileAndLine() {
        ParsedSource parsed = reader.read("we.json", "{\n\t\"apiVersion\": \"networking.istio.io/v1\",\n"
                + "\t\"kind\": \"WorkloadEntry\"\n\t\"metadata\": {\"name\": \"we\"}\n}\n");
        assertThat(parsed.unreadable()).isTrue();
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.origin().source()).isEqualTo("we.json");
            assertThat(r.origin().line()).isEqualTo(4);
        });
    }
}
