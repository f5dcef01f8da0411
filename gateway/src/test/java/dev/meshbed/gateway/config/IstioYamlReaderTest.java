package dev.meshbed.gateway.config;

import static dev.meshbed.gateway.config.YamlFixtures.assertSurroundingAccepted;
import static dev.meshbed.gateway.config.YamlFixtures.lineOf;
import static dev.meshbed.gateway.config.YamlFixtures.markedLine;
import static dev.meshbed.gateway.config.YamlFixtures.surround;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHash;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHttpCookie;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchExact;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchPrefix;
import io.fabric8.istio.api.api.networking.v1alpha3.StringMatchRegex;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IstioYamlReaderTest {

    private final IstioYamlReader reader = new IstioYamlReader();

    /** Bookinfo-like resources of all five kinds; %1$s is the apiVersion, %2$s a name suffix. */
    private static final String BOOKINFO = """
            apiVersion: %1$s
            kind: Gateway
            metadata:
              name: bookinfo-gateway-%2$s
              namespace: bookinfo
            spec:
              selector:
                istio: ingressgateway
              servers:
              - port:
                  number: 80
                  name: http
                  protocol: HTTP
                hosts:
                - "bookinfo.example.com"
                - "./*.internal.example.com"
              - port:
                  number: 443
                  name: https
                  protocol: HTTPS
                tls:
                  mode: SIMPLE
                  credentialName: bookinfo-cert
                hosts:
                - "bookinfo/bookinfo.example.com"
            ---
            apiVersion: %1$s
            kind: VirtualService
            metadata:
              name: reviews-%2$s
              namespace: bookinfo
            spec:
              hosts:
              - reviews
              - bookinfo.example.com
              gateways:
              - bookinfo/bookinfo-gateway
              - mesh
              http:
              - name: jason
                match:
                - headers:
                    end-user:
                      exact: jason
                  uri:
                    prefix: /reviews
                - queryParams:
                    debug: {}
                  uri:
                    regex: "^/reviews/(?P<id>[0-9]+)$"
                route:
                - destination:
                    host: reviews
                    subset: v2
                    port:
                      number: 9080
                  weight: 80
                - destination:
                    host: reviews
                    subset: v3
                  weight: 20
                timeout: 2.5s
                retries:
                  attempts: 3
                  perTryTimeout: 500ms
                  retryOn: 5xx,connect-failure
                fault:
                  delay:
                    fixedDelay: 100ms
                    percentage:
                      value: 0.5
              - name: legacy
                match:
                - uri:
                    exact: /old
                redirect:
                  uri: /reviews
                  redirectCode: 301
              - name: teapot
                match:
                - uri:
                    prefix: /teapot
                directResponse:
                  status: 418
                  body:
                    string: "I'm a teapot"
              - route:
                - destination:
                    host: reviews
                    subset: v1
            ---
            apiVersion: %1$s
            kind: DestinationRule
            metadata:
              name: reviews-%2$s
              namespace: bookinfo
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer:
                  consistentHash:
                    httpCookie:
                      name: user
                      ttl: 0s
                connectionPool:
                  tcp:
                    maxConnections: 100
                    connectTimeout: 30ms
                portLevelSettings:
                - port:
                    number: 9080
                  loadBalancer:
                    simple: LEAST_REQUEST
              subsets:
              - name: v1
                labels:
                  version: v1
              - name: v2
                labels:
                  version: v2
                trafficPolicy:
                  loadBalancer:
                    simple: ROUND_ROBIN
              - name: v3
                labels:
                  version: v3
            ---
            apiVersion: %1$s
            kind: ServiceEntry
            metadata:
              name: ratings-%2$s
              namespace: bookinfo
            spec:
              hosts:
              - ratings.external.example.com
              location: MESH_EXTERNAL
              resolution: STATIC
              ports:
              - number: 8080
                name: http
                protocol: HTTP
                targetPort: 9080
              endpoints:
              - address: 10.0.0.12
                ports:
                  http: 9080
                labels:
                  version: v1
              - address: 10.0.0.13
                weight: 2
            ---
            apiVersion: %1$s
            kind: WorkloadEntry
            metadata:
              name: details-vm-%2$s
              namespace: bookinfo
            spec:
              address: 192.168.1.20
              ports:
                http: 9080
              labels:
                app: details
                version: v1
              serviceAccount: details
            """;

    private static final List<String> VERSIONS = List.of("v1", "v1beta1", "v1alpha3");

    @Test
    void allKindsInAllApiVersionsParseIntoEqualSpecs() {
        String file = VERSIONS.stream()
                .map(v -> BOOKINFO.formatted("networking.istio.io/" + v, v))
                .collect(Collectors.joining("---\n"));

        ParsedSource parsed = reader.read("bookinfo.yaml", file);

        assertThat(parsed.unreadable()).isFalse();
        assertThat(parsed.rejections()).isEmpty();
        assertThat(parsed.ignored()).isEmpty();
        assertThat(parsed.resources()).hasSize(15);
        Map<IstioKind, List<IstioResource<?>>> byKind = parsed.resources().stream()
                .collect(Collectors.groupingBy(IstioResource::kind));
        assertThat(byKind.keySet()).containsExactlyInAnyOrder(IstioKind.values());
        byKind.forEach((kind, resources) -> {
            assertThat(resources).extracting(IstioResource::apiVersion)
                    .containsExactly("networking.istio.io/v1", "networking.istio.io/v1beta1",
                            "networking.istio.io/v1alpha3");
            assertThat(resources).extracting(IstioResource::namespace).containsOnly("bookinfo");
            assertThat(resources.get(1).spec()).as(kind + " v1beta1").isEqualTo(resources.get(0).spec());
            assertThat(resources.get(2).spec()).as(kind + " v1alpha3").isEqualTo(resources.get(0).spec());
        });
        // Each resource's origin is the first line of its document.
        List<String> lines = file.lines().toList();
        for (IstioResource<?> resource : parsed.resources()) {
            assertThat(resource.origin().source()).isEqualTo("bookinfo.yaml");
            assertThat(lines.get(resource.origin().line() - 1)).startsWith("apiVersion: ");
            assertThat(lines.get(resource.origin().line() + 2)).contains(resource.name());
        }
    }

    @Test
    void specsHoldTheTypedModel() {
        ParsedSource parsed = reader.read("bookinfo.yaml", BOOKINFO.formatted("networking.istio.io/v1", "x"));

        VirtualService vs = (VirtualService) spec(parsed, IstioKind.VIRTUAL_SERVICE);
        assertThat(vs.getHttp().get(0).getRoute()).extracting(r -> r.getWeight()).containsExactly(80, 20);
        assertThat(vs.getHttp().get(0).getMatch().get(0).getUri().getMatchType())
                .isEqualTo(new StringMatchPrefix("/reviews"));
        assertThat(vs.getHttp().get(0).getMatch().get(0).getHeaders().get("end-user").getMatchType())
                .isEqualTo(new StringMatchExact("jason"));
        assertThat(vs.getHttp().get(0).getMatch().get(1).getUri().getMatchType())
                .isEqualTo(new StringMatchRegex("^/reviews/(?P<id>[0-9]+)$"));
        assertThat(vs.getHttp().get(0).getMatch().get(1).getQueryParams().get("debug").getMatchType()).isNull();
        assertThat(vs.getHttp().get(0).getTimeout()).isEqualTo("2.5s");

        DestinationRule dr = (DestinationRule) spec(parsed, IstioKind.DESTINATION_RULE);
        LoadBalancerSettingsConsistentHash hash =
                (LoadBalancerSettingsConsistentHash) dr.getTrafficPolicy().getLoadBalancer().getLbPolicy();
        assertThat(((LoadBalancerSettingsConsistentHashLBHttpCookie) hash.getConsistentHash().getHashKey())
                .getHttpCookie().getName()).isEqualTo("user");

        ServiceEntry se = (ServiceEntry) spec(parsed, IstioKind.SERVICE_ENTRY);
        assertThat(se.getResolution()).isEqualTo(ServiceEntryResolution.STATIC);
        assertThat(se.getEndpoints().get(0).getPorts()).containsEntry("http", 9080L);

        WorkloadEntry we = (WorkloadEntry) spec(parsed, IstioKind.WORKLOAD_ENTRY);
        assertThat(we.getPorts()).isEqualTo(Map.of("http", 9080L));
    }

    private static Object spec(ParsedSource parsed, IstioKind kind) {
        return parsed.resources().stream().filter(r -> r.kind() == kind).findFirst().orElseThrow().spec();
    }

    @Test
    void readsMetadata() {
        ParsedSource parsed = reader.read("meta.yaml", """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata:
                  name: reviews
                  labels:
                    app: reviews
                    empty: ~
                  creationTimestamp: 2024-03-01T10:00:00Z
                  generation: 7
                spec:
                  host: reviews
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata:
                  name: ratings
                  namespace: ""
                spec:
                  host: ratings
                """);

        assertThat(parsed.rejections()).isEmpty();
        IstioResource<?> reviews = parsed.resources().get(0);
        assertThat(reviews.key()).isEqualTo(new ResourceKey(IstioKind.DESTINATION_RULE, "default", "reviews"));
        assertThat(reviews.labels()).isEqualTo(Map.of("app", "reviews", "empty", ""));
        assertThat(reviews.creationTimestamp()).isEqualTo("2024-03-01T10:00:00Z");
        assertThat(reviews.generation()).isEqualTo(7);
        assertThat(reviews.origin()).isEqualTo(new Origin("meta.yaml", 1));
        IstioResource<?> ratings = parsed.resources().get(1);
        assertThat(ratings.namespace()).isEqualTo("default");
        assertThat(ratings.creationTimestamp()).isNull();
        assertThat(ratings.generation()).isZero();
        assertThat(ratings.labels()).isEmpty();
        assertThat(ratings.origin()).isEqualTo(new Origin("meta.yaml", 13));
    }

    /** A bad document between two good ones, the field it is rejected for, and the message. */
    record Case(String document, String field, String message) {
    }

    static Stream<Arguments> rejections() {
        return Stream.of(
                rejection("weight is not a number", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          http:
                          - route:
                            - destination: {host: reviews, subset: v1}
                              weight: 80
                            - destination: {host: reviews, subset: v2}
                              weight: abc  # <--
                        """, "spec.http[0].route[1].weight", "\"abc\" is not a number"),
                rejection("weight is a boolean", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          http:
                          - route:
                            - destination: {host: reviews}
                              weight: true  # <--
                        """, "spec.http[0].route[0].weight", "true is not a number"),
                rejection("weight is a fraction", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          http:
                          - route:
                            - destination: {host: reviews}
                              weight: 80.5  # <--
                        """, "spec.http[0].route[0].weight", "80.5 is not an integer"),
                rejection("weight out of range", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          http:
                          - route:
                            - destination: {host: reviews}
                              weight: 99999999999  # <--
                        """, "spec.http[0].route[0].weight",
                        "99999999999 is out of range (expected: -2147483648..2147483647)"),
                rejection("weight is a list", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          http:
                          - route:
                            - destination: {host: reviews}
                              weight: [1]  # <--
                        """, "spec.http[0].route[0].weight", "expected a number, got a list"),
                rejection("hosts is a string", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: reviews  # <--
                        """, "spec.hosts", "expected a list, got a string"),
                rejection("a string match is a string", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          http:
                          - match:
                            - uri: /reviews  # <--
                            route:
                            - destination: {host: reviews}
                        """, "spec.http[0].match[0].uri", "expected a mapping, got a string"),
                rejection("a oneof field has the wrong type", """
                        apiVersion: networking.istio.io/v1
                        kind: DestinationRule
                        metadata:
                          name: reviews
                        spec:
                          host: reviews
                          trafficPolicy:
                            loadBalancer:
                              consistentHash:
                                httpCookie:
                                  name: user
                                  ttl: [1]  # <--
                        """, "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl",
                        "expected a string, got a list"),
                rejection("a oneof boolean is not a boolean", """
                        apiVersion: networking.istio.io/v1
                        kind: DestinationRule
                        metadata:
                          name: reviews
                        spec:
                          host: reviews
                          trafficPolicy:
                            loadBalancer:
                              consistentHash:
                                useSourceIp: maybe  # <--
                        """, "spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp",
                        "\"maybe\" is not a boolean (expected: true or false)"),
                rejection("unknown field with a suggestion", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          http:
                          - route:
                            - destination: {host: reviews}
                              wieght: 80  # <--
                        """, "spec.http[0].route[0].wieght", "unknown field (did you mean \"weight\"?)"),
                rejection("unknown field without a suggestion", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          colour: blue  # <--
                        """, "spec.colour", "unknown field"),
                rejection("unknown field at the top level", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                        spex: {}  # <--
                        """, "spex", "unknown field (did you mean \"spec\"?)"),
                rejection("unknown field inside a oneof", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          http:
                          - match:
                            - headers:
                                x-user:
                                  exactt: jason  # <--
                            route:
                            - destination: {host: reviews}
                        """, "spec.http[0].match[0].headers.x-user.exactt", "unknown field (did you mean \"exact\"?)"),
                rejection("two variants of a oneof", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          http:
                          - match:
                            - uri:  # <--
                                exact: /a
                                prefix: /b
                            route:
                            - destination: {host: reviews}
                        """, "spec.http[0].match[0].uri", "only one of exact, prefix, regex may be set (found: exact, prefix)"),
                rejection("two hash keys", """
                        apiVersion: networking.istio.io/v1
                        kind: DestinationRule
                        metadata:
                          name: reviews
                        spec:
                          host: reviews
                          trafficPolicy:
                            loadBalancer:
                              consistentHash:  # <--
                                useSourceIp: true
                                httpHeaderName: x-user
                        """, "spec.trafficPolicy.loadBalancer.consistentHash",
                        "only one of httpCookie, httpHeaderName, httpQueryParameterName, useSourceIp may be set"
                                + " (found: useSourceIp, httpHeaderName)"),
                rejection("bad enum value", """
                        apiVersion: networking.istio.io/v1
                        kind: DestinationRule
                        metadata:
                          name: reviews
                        spec:
                          host: reviews
                          trafficPolicy:
                            loadBalancer:
                              simple: ROUND_ROBN  # <--
                        """, "spec.trafficPolicy.loadBalancer.simple",
                        "\"ROUND_ROBN\" is not one of LEAST_CONN, LEAST_REQUEST, PASSTHROUGH, RANDOM, ROUND_ROBIN, UNSPECIFIED"),
                rejection("bad enum value in a list", """
                        apiVersion: networking.istio.io/v1
                        kind: DestinationRule
                        metadata:
                          name: reviews
                        spec:
                          host: reviews
                          subsets:
                          - name: v1
                            trafficPolicy:
                              tls:
                                mode: SIMPEL  # <--
                        """, "spec.subsets[0].trafficPolicy.tls.mode",
                        "\"SIMPEL\" is not one of DISABLE, ISTIO_MUTUAL, MUTUAL, SIMPLE"),
                rejection("enum given a mapping", """
                        apiVersion: networking.istio.io/v1
                        kind: ServiceEntry
                        metadata:
                          name: ext
                        spec:
                          hosts: [ext.example.com]
                          resolution: {dns: true}  # <--
                        """, "spec.resolution",
                        "expected one of DNS, DNS_ROUND_ROBIN, DYNAMIC_DNS, NONE, STATIC, got a mapping"),
                rejection("duplicate key", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                          http:
                          - route:
                            - destination: {host: reviews}
                          hosts: [ratings]  # <--
                        """, "spec.hosts", "duplicate key (first defined on line 17)"),
                rejection("missing spec", """
                        apiVersion: networking.istio.io/v1  # <--
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spce:
                          hosts: [reviews]
                        """, "spec", "required"),
                rejection("missing metadata.name", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:  # <--
                          namespace: bookinfo
                        spec:
                          hosts: [reviews]
                        """, "metadata.name", "required"),
                rejection("name is not a string", """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata:
                          name: [reviews]  # <--
                        spec:
                          hosts: [reviews]
                        """, "metadata.name", "expected a string, got a list"),
                rejection("unsupported version of a supported kind", """
                        apiVersion: networking.istio.io/v2  # <--
                        kind: VirtualService
                        metadata:
                          name: reviews
                        spec:
                          hosts: [reviews]
                        """, "apiVersion",
                        "networking.istio.io/v2 (expected: one of networking.istio.io/v1, v1beta1, v1alpha3)"));
    }

    private static Arguments rejection(String name, String document, String field, String message) {
        return Arguments.of(Named.of(name, new Case(document, field, message)));
    }

    @ParameterizedTest
    @MethodSource("rejections")
    void rejectsTheDocumentAndKeepsTheOthers(Case c) {
        YamlFixtures.assertOnlyRejection(reader, c.document(), c.field(), c.message());
    }

    @Test
    void rejectionsNameTheResourceFileLineAndField() {
        String file = surround("""
                apiVersion: networking.istio.io/v1beta1
                kind: VirtualService
                metadata:
                  name: reviews
                  namespace: bookinfo
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - destination: {host: reviews}
                      weight: abc
                """);

        Rejection rejection = reader.read("routing/reviews.yaml", file).rejections().get(0);

        assertThat(rejection.key()).isEqualTo(new ResourceKey(IstioKind.VIRTUAL_SERVICE, "bookinfo", "reviews"));
        assertThat(rejection.describe()).isEqualTo(
                "VirtualService bookinfo/reviews (routing/reviews.yaml:22): spec.http[0].route[0].weight: "
                        + "\"abc\" is not a number");
    }

    @Test
    void reportsEveryProblemOfADocument() {
        String file = surround("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: reviews
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - destination: {host: reviews}
                      wieght: 80  # <-- 1
                    timeuot: 2s  # <-- 2
                """);

        ParsedSource parsed = reader.read("routes.yaml", file);

        assertSurroundingAccepted(parsed);
        assertThat(parsed.rejections()).extracting(Rejection::field, Rejection::message, r -> r.origin().line())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("spec.http[0].route[0].wieght",
                                "unknown field (did you mean \"weight\"?)", lineOf(file, "# <-- 1")),
                        org.assertj.core.groups.Tuple.tuple("spec.http[0].timeuot",
                                "unknown field (did you mean \"timeout\"?)", lineOf(file, "# <-- 2")));
    }

    @Test
    void rejectionsWithoutAnIdentityHaveNoKey() {
        String file = surround("""
                kind: VirtualService  # <--
                metadata:
                  name: reviews
                spec:
                  hosts: [reviews]
                """);

        ParsedSource parsed = reader.read("routes.yaml", file);

        assertSurroundingAccepted(parsed);
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.key()).isNull();
            assertThat(r.field()).isEqualTo("apiVersion");
            assertThat(r.message()).isEqualTo("required");
            assertThat(r.origin().line()).isEqualTo(markedLine(file));
        });
    }

    @Test
    void missingKindIsRejected() {
        String file = surround("""
                apiVersion: networking.istio.io/v1  # <--
                metadata:
                  name: reviews
                """);

        ParsedSource parsed = reader.read("routes.yaml", file);

        assertSurroundingAccepted(parsed);
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.key()).isNull();
            assertThat(r.describe()).isEqualTo("routes.yaml:" + markedLine(file) + ": kind: required");
        });
    }

    @Test
    void aDocumentThatIsNotAMappingIsRejected() {
        String file = surround("""
                - apiVersion: networking.istio.io/v1  # <--
                  kind: VirtualService
                """);

        ParsedSource parsed = reader.read("routes.yaml", file);

        assertSurroundingAccepted(parsed);
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.field()).isNull();
            assertThat(r.message()).isEqualTo("expected a mapping (a resource), got a list");
            assertThat(r.origin().line()).isEqualTo(markedLine(file));
        });
    }

    @Test
    void documentsOfOtherGroupsAndKindsAreIgnored() {
        String file = surround("""
                apiVersion: v1
                kind: Service
                metadata:
                  name: app
                spec:
                  ports: [{port: 80}]
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                  namespace: shop
                ---
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata:
                  name: default
                  namespace: istio-system
                spec:
                  egress: [{hosts: ["./*"]}]
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                """);

        ParsedSource parsed = reader.read("routes.yaml", file);

        assertSurroundingAccepted(parsed);
        assertThat(parsed.rejections()).isEmpty();
        assertThat(parsed.ignored()).containsExactly(
                "v1/Service default/app (routes.yaml:12): not a networking.istio.io resource",
                "apps/v1/Deployment shop/web (routes.yaml:19): not a networking.istio.io resource",
                "networking.istio.io/v1/Sidecar istio-system/default (routes.yaml:25): kind Sidecar is not read by"
                        + " this gateway",
                "security.istio.io/v1/AuthorizationPolicy (routes.yaml:33): kind AuthorizationPolicy is not read by"
                        + " this gateway: its policy is NOT enforced here");
    }

    @Test
    void anIstioKindInAMistypedGroupIsRejectedWithADidYouMean() {
        String document = """
                apiVersion: nertowkring.istio.io/v1alpha3  # <--
                kind: Gateway
                metadata:
                  name: gw
                spec:
                  servers:
                  - port: {number: 80, name: http, protocol: HTTP}
                    hosts: ["*"]
                """;
        ParsedSource parsed = reader.read("routes.yaml", surround(document));
        assertSurroundingAccepted(parsed);
        assertThat(parsed.ignored()).isEmpty();
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(new ResourceKey(IstioKind.GATEWAY, "default", "gw"));
            assertThat(r.origin()).isEqualTo(new Origin("routes.yaml", markedLine(surround(document))));
            assertThat(r.field()).isEqualTo("apiVersion");
            assertThat(r.message()).isEqualTo("nertowkring.istio.io/v1alpha3 is not an API version of Gateway"
                    + " (did you mean \"networking.istio.io/v1alpha3\"?)");
        });
    }

    @Test
    void anIstioKindInTheCoreGroupIsRejectedToo() {
        ParsedSource parsed = reader.read("routes.yaml", surround("""
                apiVersion: v1  # <--
                kind: VirtualService
                metadata: {name: vs}
                spec: {hosts: [a], http: [{route: [{destination: {host: a}}]}]}
                """));
        assertThat(parsed.rejections()).singleElement().satisfies(r -> assertThat(r.message())
                .isEqualTo("v1 is not an API version of VirtualService (did you mean \"networking.istio.io/v1\"?)"));
    }

    @Test
    void aGatewayApiGatewayIsIgnoredNotRejected() {
        ParsedSource parsed = reader.read("routes.yaml", surround("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: gw}
                spec: {gatewayClassName: istio, listeners: [{name: http, port: 80, protocol: HTTP}]}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: route}
                spec: {}
                """));
        assertSurroundingAccepted(parsed);
        assertThat(parsed.rejections()).isEmpty();
        assertThat(parsed.ignored()).containsExactly(
                "gateway.networking.k8s.io/v1/Gateway default/gw (routes.yaml:12): Gateway API kinds are not read by"
                        + " this gateway (it reads networking.istio.io resources)",
                "gateway.networking.k8s.io/v1/HTTPRoute default/route (routes.yaml:17): Gateway API kinds are not"
                        + " read by this gateway (it reads networking.istio.io resources)");
    }

    @Test
    void emptyDocumentsAreSkipped() {
        ParsedSource parsed = reader.read("routes.yaml", "---\n# nothing here\n---\n" + surround("---\n") + "---\n");

        assertSurroundingAccepted(parsed);
        assertThat(parsed.rejections()).isEmpty();
        assertThat(parsed.ignored()).isEmpty();
        assertThat(reader.read("empty.yaml", "")).isEqualTo(
                new ParsedSource("empty.yaml", false, List.of(), List.of(), List.of()));
        assertThat(reader.read("comments.yaml", "# just a comment\n").resources()).isEmpty();
    }

    @Test
    void aSyntaxErrorMakesTheWholeFileUnreadable() {
        String file = BEFORE_AND("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: reviews: broken  # <--
                """);

        ParsedSource parsed = reader.read("routes.yaml", file);

        assertThat(parsed.unreadable()).isTrue();
        assertThat(parsed.resources()).isEmpty();
        assertThat(parsed.ignored()).isEmpty();
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.key()).isNull();
            assertThat(r.field()).isNull();
            assertThat(r.message()).isEqualTo("mapping values are not allowed here");
            assertThat(r.origin()).isEqualTo(new Origin("routes.yaml", markedLine(file)));
        });
    }

    @Test
    void aSyntaxErrorMessageSaysWhereTheConstructStarted() {
        String file = BEFORE_AND("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: reviews
                spec:
                  hosts: [reviews  # <-- start
                """) + "# <-- end\n";

        ParsedSource parsed = reader.read("routes.yaml", file);

        assertThat(parsed.unreadable()).isTrue();
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.message()).isEqualTo("expected ',' or ']', but got <stream end>"
                    + " (while parsing a flow sequence started on line " + lineOf(file, "# <-- start") + ")");
            assertThat(r.origin().line()).isEqualTo(lineOf(file, "# <-- end") + 1);
        });
    }

    @Test
    void aTabIndentIsASyntaxError() {
        ParsedSource parsed = reader.read("tabs.yaml", "apiVersion: networking.istio.io/v1\nkind: Gateway\n\tname: x\n");

        assertThat(parsed.unreadable()).isTrue();
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.message()).contains("TAB");
            assertThat(r.origin().line()).isEqualTo(3);
        });
    }

    private static String BEFORE_AND(String document) {
        return YamlFixtures.BEFORE + "---\n" + document;
    }

    @Test
    void anUnknownTagIsRejectedForItsDocumentOnly() {
        String file = surround("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: reviews
                spec:
                  hosts: !secret reviews  # <--
                """);

        ParsedSource parsed = reader.read("routes.yaml", file);

        assertSurroundingAccepted(parsed);
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(new ResourceKey(IstioKind.VIRTUAL_SERVICE, "default", "reviews"));
            assertThat(r.message()).isEqualTo("could not determine a constructor for the tag !secret");
            assertThat(r.origin().line()).isEqualTo(markedLine(file));
        });
    }

    @Test
    void aSelfReferencingAliasIsRejected() {
        String file = surround("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: reviews
                spec:
                  hosts: &loop
                  - reviews
                  - *loop  # <--
                """);

        ParsedSource parsed = reader.read("routes.yaml", file);

        assertSurroundingAccepted(parsed);
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.field()).isEqualTo("spec.hosts[1]");
            assertThat(r.message()).isEqualTo("an alias may not contain itself");
        });
    }

    @Test
    void aliasesAndAnchorsAreResolved() {
        ParsedSource parsed = reader.read("routes.yaml", """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                  name: reviews
                spec:
                  hosts: [reviews]
                  http:
                  - route: &v1
                    - destination: {host: reviews, subset: v1}
                  - route: *v1
                """);

        assertThat(parsed.rejections()).isEmpty();
        VirtualService vs = (VirtualService) parsed.resources().get(0).spec();
        assertThat(vs.getHttp().get(1).getRoute()).isEqualTo(vs.getHttp().get(0).getRoute());
    }

    @Test
    void readsAFileRelativeToTheConfigDirectory(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("routing").resolve("reviews.yaml");
        Files.createDirectories(file.getParent());
        Files.writeString(file, YamlFixtures.BEFORE);

        ParsedSource parsed = reader.read(dir, file);

        assertThat(parsed.source()).isEqualTo("routing/reviews.yaml");
        assertThat(parsed.resources()).singleElement()
                .satisfies(r -> assertThat(r.origin()).isEqualTo(new Origin("routing/reviews.yaml", 1)));
    }

    @Test
    void aFileThatCannotBeReadIsUnreadable(@TempDir Path dir) {
        ParsedSource parsed = reader.read(dir, dir.resolve("missing.yaml"));

        assertThat(parsed.source()).isEqualTo("missing.yaml");
        assertThat(parsed.unreadable()).isTrue();
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.origin()).isEqualTo(new Origin("missing.yaml", 0));
            assertThat(r.message()).startsWith("cannot read the file: java.nio.file.NoSuchFileException");
        });
    }

    @Test
    void aFileThatIsNotUtf8IsUnreadable(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("latin1.yaml");
        Files.write(file, new byte[] {'a', ':', ' ', (byte) 0xE9, '\n'});

        ParsedSource parsed = reader.read(dir, file);

        assertThat(parsed.unreadable()).isTrue();
        assertThat(parsed.rejections()).extracting(Rejection::message)
                .containsExactly("cannot read the file: not valid UTF-8");
    }
}
