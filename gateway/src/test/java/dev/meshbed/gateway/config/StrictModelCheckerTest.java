package dev.meshbed.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The strict checker on its own: plain values from any parser against the typed model. */
class StrictModelCheckerTest {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private final StrictModelChecker checker = new StrictModelChecker();

    private List<Problem> check(IstioKind kind, String yaml) {
        Object raw = new Yaml().load(yaml);
        Object typed = SERIALIZATION.convertValue(raw, kind.resourceClass());
        return checker.check(raw, typed);
    }

    @Test
    void aCleanResourceHasNoProblems() {
        assertThat(check(IstioKind.VIRTUAL_SERVICE, """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews}
                spec:
                  hosts: [reviews]
                  http:
                  - match:
                    - uri: {prefix: /}
                      headers: {x-user: {}}
                    route:
                    - destination: {host: reviews, port: {number: 9080}}
                      weight: 100
                      headers:
                        request: {set: {x-a: b}, remove: [x-b]}
                """)).isEmpty();
    }

    /** Valid Istio that fabric8 7.5.2's model has no field for: accepted, not reported as unknown. */
    @Test
    void ringHashMinimumRingSizeIsNotAnUnknownField() {
        assertThat(check(IstioKind.DESTINATION_RULE, """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews}
                spec:
                  host: reviews
                  trafficPolicy:
                    loadBalancer:
                      consistentHash:
                        httpHeaderName: x-user
                        ringHash: {minimumRingSize: 2048}
                """)).isEmpty();
    }

    @Test
    void findsUnknownFieldsAtAnyDepthInDocumentOrder() {
        assertThat(check(IstioKind.DESTINATION_RULE, """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews}
                spec:
                  host: reviews
                  Subsets: []
                  trafficPolicy:
                    portLevelSettings:
                    - port: {number: 80, nmber: 81}
                      loadBalancer:
                        localityLbSetting:
                          distribute:
                          - from: us-west/*
                            too: {"us-east/*": 100}
                  subsets:
                  - name: v1
                    lables: {version: v1}
                """)).containsExactly(
                new Problem("spec.Subsets", "unknown field (did you mean \"subsets\"?)"),
                new Problem("spec.trafficPolicy.portLevelSettings[0].port.nmber",
                        "unknown field (did you mean \"number\"?)"),
                new Problem("spec.trafficPolicy.portLevelSettings[0].loadBalancer.localityLbSetting.distribute[0].too",
                        "unknown field (did you mean \"to\"?)"),
                new Problem("spec.subsets[0].lables", "unknown field (did you mean \"labels\"?)"));
    }

    @Test
    void findsUnknownFieldsInMapValuesAndQuotesOddKeys() {
        assertThat(check(IstioKind.VIRTUAL_SERVICE, """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews}
                spec:
                  hosts: [reviews]
                  http:
                  - match:
                    - queryParams:
                        "page.size": {exact: "10", ignoreCase: true}
                    route: [{destination: {host: reviews}}]
                """)).containsExactly(
                new Problem("spec.http[0].match[0].queryParams[\"page.size\"].ignoreCase", "unknown field"));
    }

    @Test
    void reportsEnumValuesTheModelDropped() {
        assertThat(check(IstioKind.SERVICE_ENTRY, """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: ext}
                spec:
                  hosts: [api.example.com]
                  location: MESH_EXTERNL
                  resolution: 9
                """)).containsExactly(
                new Problem("spec.location", "\"MESH_EXTERNL\" is not one of MESH_EXTERNAL, MESH_INTERNAL"),
                new Problem("spec.resolution",
                        "expected one of DNS, DNS_ROUND_ROBIN, DYNAMIC_DNS, NONE, STATIC, got 9"));
    }

    @Test
    void enumValuesAreCaseInsensitiveAsInTheModel() {
        assertThat(check(IstioKind.DESTINATION_RULE, """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews}
                spec:
                  host: reviews
                  trafficPolicy: {loadBalancer: {simple: round_robin}}
                """)).isEmpty();
    }

    @Test
    void reportsSeveralVariantsOfAOneof() {
        assertThat(check(IstioKind.VIRTUAL_SERVICE, """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews}
                spec:
                  hosts: [reviews]
                  http:
                  - fault:
                      abort: {httpStatus: 503, grpcStatus: UNAVAILABLE}
                    route: [{destination: {host: reviews}}]
                """)).containsExactly(new Problem("spec.http[0].fault.abort",
                "only one of grpcStatus, http2Error, httpStatus may be set (found: httpStatus, grpcStatus)"));
    }

    @Test
    void doesNotCheckMetadataOrStatus() {
        assertThat(check(IstioKind.GATEWAY, """
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata:
                  name: gw
                  anntations: {a: b}
                spec:
                  servers: [{port: {number: 80, protocol: HTTP}, hosts: ["*"]}]
                status:
                  conditions: [{whatever: true}]
                """)).isEmpty();
    }

    @Test
    void suggestsOnlyCloseNames() {
        assertThat(Suggestions.closest("wieght", List.of("destination", "headers", "weight"))).contains("weight");
        assertThat(Suggestions.closest("Weight", List.of("destination", "weight"))).contains("weight");
        assertThat(Suggestions.closest("rout", List.of("route", "redirect"))).contains("route");
        assertThat(Suggestions.closest("colour", List.of("hosts", "http", "gateways"))).isEmpty();
        assertThat(Suggestions.closest("ab", List.of("xy"))).isEmpty();
    }
}
