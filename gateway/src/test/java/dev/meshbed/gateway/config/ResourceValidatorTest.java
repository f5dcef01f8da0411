package dev.meshbed.gateway.config;

import static dev.meshbed.gateway.config.YamlFixtures.assertAccepted;
import static dev.meshbed.gateway.config.YamlFixtures.assertOnlyRejection;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.istio.api.api.networking.v1alpha3.Destination;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRoute;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRouteDestination;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Semantic checks, through the reader so that paths and lines are checked together. Each case
 * is one document (between two good ones); {@code # <--} marks the line the rejection points at.
 */
class ResourceValidatorTest {

    private final IstioYamlReader reader = new IstioYamlReader();

    record Case(String document, String field, String message) {
    }

    /** A v1 document of {@code kind} named {@code test} with the given spec (written unindented). */
    private static String doc(String kind, String spec) {
        return """
                apiVersion: networking.istio.io/v1
                kind: %s
                metadata:
                  name: test
                spec:
                """.formatted(kind) + spec.indent(2);
    }

    private static Arguments rejected(String name, String kind, String spec, String field, String message) {
        return Arguments.of(Named.of(name, new Case(doc(kind, spec), field, message)));
    }

    /** A rejection for a missing field directly under spec: it points at the {@code spec:} line. */
    private static Arguments rejectedAtSpec(String name, String kind, String spec, String field, String message) {
        String document = doc(kind, spec).replace("\nspec:\n", "\nspec:  " + YamlFixtures.MARK + "\n");
        return Arguments.of(Named.of(name, new Case(document, field, message)));
    }

    private static Arguments accepted(String name, String kind, String spec) {
        return Arguments.of(Named.of(name, doc(kind, spec)));
    }

    @ParameterizedTest
    @MethodSource({"gatewayRejections", "virtualServiceRejections", "destinationRuleRejections",
        "serviceEntryRejections", "workloadEntryRejections"})
    void rejects(Case c) {
        assertOnlyRejection(reader, c.document(), c.field(), c.message());
    }

    @ParameterizedTest
    @MethodSource("acceptedDocuments")
    void accepts(String document) {
        assertAccepted(reader, document);
    }

    static Stream<Arguments> gatewayRejections() {
        return Stream.of(
                rejectedAtSpec("no servers", "Gateway", """
                        selector: {istio: ingressgateway}
                        """, "spec.servers", "required"),
                rejected("port out of range", "Gateway", """
                        servers:
                        - port: {number: 70000, name: http, protocol: HTTP}  # <--
                          hosts: ["*"]
                        """, "spec.servers[0].port.number", "70000 (expected: 1..65535)"),
                rejected("port zero", "Gateway", """
                        servers:
                        - port:
                            number: 0  # <--
                            name: http
                            protocol: HTTP
                          hosts: ["*"]
                        """, "spec.servers[0].port.number", "0 (expected: 1..65535)"),
                rejected("no port", "Gateway", """
                        servers:
                        - hosts: ["*"]  # <--
                        """, "spec.servers[0].port", "required"),
                rejected("unknown protocol", "Gateway", """
                        servers:
                        - port:
                            number: 80
                            name: http
                            protocol: HTTPX  # <--
                          hosts: ["*"]
                        """, "spec.servers[0].port.protocol",
                        "\"HTTPX\" is not one of HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, TCP, TLS"),
                rejected("no protocol", "Gateway", """
                        servers:
                        - port:  # <--
                            number: 80
                            name: http
                          hosts: ["*"]
                        """, "spec.servers[0].port.protocol", "required"),
                rejected("HTTPS without tls", "Gateway", """
                        servers:
                        - port: {number: 443, name: https, protocol: HTTPS}  # <--
                          hosts: ["*"]
                        """, "spec.servers[0].tls", "required when the protocol is HTTPS"),
                rejected("no hosts", "Gateway", """
                        servers:
                        - port: {number: 80, name: http, protocol: HTTP}
                          hosts: []  # <--
                        """, "spec.servers[0].hosts", "required"),
                rejected("bad host namespace", "Gateway", """
                        servers:
                        - port: {number: 80, name: http, protocol: HTTP}
                          hosts:
                          - "*.example.com"
                          - "bad_ns/example.com"  # <--
                        """, "spec.servers[0].hosts[1]",
                        "\"bad_ns/example.com\" has an invalid namespace \"bad_ns\" (expected: *, . or a namespace name)"),
                rejected("bad host name", "Gateway", """
                        servers:
                        - port: {number: 80, name: http, protocol: HTTP}
                          hosts:
                          - "ns/foo_bar.example.com"  # <--
                        """, "spec.servers[0].hosts[0]", "\"ns/foo_bar.example.com\" is not a valid host"
                                + " (expected: [namespace/]host where host is *, *.example.com or a DNS name)"),
                rejected("wildcard in the middle", "Gateway", """
                        servers:
                        - port: {number: 80, name: http, protocol: HTTP}
                          hosts:
                          - "foo.*.example.com"  # <--
                        """, "spec.servers[0].hosts[0]", "\"foo.*.example.com\" is not a valid host"
                                + " (expected: [namespace/]host where host is *, *.example.com or a DNS name)"));
    }

    static Stream<Arguments> virtualServiceRejections() {
        return Stream.of(
                rejected("bad host", "VirtualService", """
                        hosts:
                        - "http://reviews"  # <--
                        http:
                        - route: [{destination: {host: reviews}}]
                        """, "spec.hosts[0]",
                        "\"http://reviews\" is not a valid host (expected: *, *.example.com, a DNS name or an IP address)"),
                rejected("bad gateway reference", "VirtualService", """
                        hosts: [reviews]
                        gateways:
                        - mesh
                        - a/b/c  # <--
                        http:
                        - route: [{destination: {host: reviews}}]
                        """, "spec.gateways[1]",
                        "\"a/b/c\" is not a gateway reference (expected: mesh, name or namespace/name)"),
                rejected("delegate with gateways", "VirtualService", """
                        gateways: [ingress]  # <--
                        http:
                        - route: [{destination: {host: reviews}}]
                        """, "spec.gateways", "not allowed in a delegate VirtualService (one without hosts)"),
                rejected("delegate delegating", "VirtualService", """
                        http:
                        - delegate: {name: other}  # <--
                        """, "spec.http[0].delegate", "not allowed in a delegate VirtualService (one without hosts)"),
                rejected("route without action", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match: [{uri: {prefix: /}}]  # <--
                        """, "spec.http[0]", "one of route, redirect, directResponse, delegate is required"),
                rejected("route and redirect", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]  # <--
                          redirect: {uri: /new}
                        """, "spec.http[0]",
                        "only one of route, redirect, directResponse, delegate may be set (found: route, redirect)"),
                rejected("destination without host", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route:
                          - destination:  # <--
                              subset: v1
                        """, "spec.http[0].route[0].destination.host", "required"),
                rejected("route without destination", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route:
                          - weight: 100  # <--
                        """, "spec.http[0].route[0].destination", "required"),
                rejected("negative weight", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route:
                          - destination: {host: reviews, subset: v1}
                            weight: 103
                          - destination: {host: reviews, subset: v2}
                            weight: -3  # <--
                        """, "spec.http[0].route[1].weight", "-3 (expected: >= 0)"),
                rejected("weights sum to zero", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route:  # <--
                          - destination: {host: reviews, subset: v1}
                          - destination: {host: reviews, subset: v2}
                            weight: 0
                        """, "spec.http[0].route", "sum of weights: 0 (expected: > 0 when there are several destinations)"),
                rejected("destination port", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route:
                          - destination:
                              host: reviews
                              port:
                                number: 0  # <--
                        """, "spec.http[0].route[0].destination.port.number", "0 (expected: 1..65535)"),
                rejected("uri regex", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - uri:
                              regex: "/a(b"  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].uri.regex",
                        "\"/a(b\" is not a valid regular expression: missing closing ): `/a(b`"),
                rejected("header regex RE2 cannot run", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - headers:
                              cookie:
                                regex: "^(?!session=).*"  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].headers.cookie.regex",
                        "\"^(?!session=).*\" is not a valid regular expression: lookahead (?! is not supported by RE2"
                        + " (invalid or unsupported Perl syntax: `(?!`)"),
                rejected("empty uri regex", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - uri:
                              regex: ""  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].uri.regex",
                        "regex string match should not be empty (Istio's validation)"),
                rejected("uri regex with a backreference", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - uri:
                              regex: "/(a)\\\\1"  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].uri.regex",
                        "\"/(a)\\1\" is not a valid regular expression: backreference \\1 is not supported by RE2"
                                + " (invalid escape sequence: `\\1`)"),
                rejected("uri regex over Envoy's program size", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - uri:
                              regex: "/(a{1000}){1000}"  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].uri.regex",
                        "\"/(a{1000}){1000}\" is not a valid regular expression: regex is too large: program size"
                                + " over 32768 (expected: <= 32768, Envoy's re2.max_program_size.error_level under Istio)"),
                rejected("authority regex", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - authority: {regex: "[z-a]"}  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].authority.regex",
                        "\"[z-a]\" is not a valid regular expression: invalid character class range: `z-a`"),
                rejected("query parameter regex", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - queryParams:
                              "page.size": {regex: "*"}  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].queryParams[\"page.size\"].regex",
                        "\"*\" is not a valid regular expression: missing argument to repetition operator: `*`"),
                rejected("uppercase header", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - headers:
                              X-User: {exact: jason}  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].headers.X-User",
                        "header name \"X-User\" must be lowercase (use \"x-user\")"),
                rejected("uppercase withoutHeaders", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - withoutHeaders:
                              X-Debug: {}  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].withoutHeaders.X-Debug",
                        "header name \"X-Debug\" must be lowercase (use \"x-debug\")"),
                rejected("match port", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - port: 65536  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].port", "65536 (expected: 1..65535)"),
                rejected("timeout", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          timeout: fast  # <--
                        """, "spec.http[0].timeout", "\"fast\" is not a duration (expected e.g. 500ms, 2s, 1m)"),
                rejected("perTryTimeout", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          retries:
                            attempts: 3
                            perTryTimeout: 5  # <--
                        """, "spec.http[0].retries.perTryTimeout", "\"5\" has no unit (expected e.g. 500ms, 2s, 1m)"),
                rejected("retry attempts", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          retries:
                            attempts: -1  # <--
                        """, "spec.http[0].retries.attempts", "-1 (expected: >= 0)"),
                rejected("fixedDelay", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          fault:
                            delay:
                              fixedDelay: -1s  # <--
                        """, "spec.http[0].fault.delay.fixedDelay", "\"-1s\" is negative (expected: >= 0)"),
                rejected("delay percentage", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          fault:
                            delay:
                              fixedDelay: 1s
                              percentage:
                                value: 150  # <--
                        """, "spec.http[0].fault.delay.percentage.value", "150 (expected: 0 or 0.0001..100)"),
                rejected("abort percentage", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          fault:
                            abort:
                              httpStatus: 503
                              percentage: {value: -0.5}  # <--
                        """, "spec.http[0].fault.abort.percentage.value", "-0.5 (expected: 0 or 0.0001..100)"),
                rejected("abort status", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          fault:
                            abort:
                              httpStatus: 99  # <--
                        """, "spec.http[0].fault.abort.httpStatus", "99 (expected: 200..600)"),
                rejected("mirror percentage", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          mirror: {host: shadow}
                          mirrorPercentage: {value: 100.5}  # <--
                        """, "spec.http[0].mirrorPercentage.value", "100.5 (expected: 0..100)"),
                rejected("mirror without host", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          mirrors:
                          - destination: {subset: v1}  # <--
                        """, "spec.http[0].mirrors[0].destination.host", "required"),
                rejected("direct response status", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - directResponse:
                            status: 700  # <--
                        """, "spec.http[0].directResponse.status", "700 (expected: 200..600)"),
                rejected("redirect code", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - redirect:
                            uri: /new
                            redirectCode: 200  # <--
                        """, "spec.http[0].redirect.redirectCode", "200 (expected: 300..399)"),
                rejected("empty redirect", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - redirect: {}  # <--
                        """, "spec.http[0].redirect", "one of uri, prefixRewrite, authority, scheme, port, derivePort is required"),
                rejected("delegate without name", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - delegate: {namespace: other}  # <--
                        """, "spec.http[0].delegate.name", "required"),
                rejected("tcp destination without host", "VirtualService", """
                        hosts: [db]
                        tcp:
                        - route:
                          - destination: {port: {number: 5432}}  # <--
                        """, "spec.tcp[0].route[0].destination.host", "required"));
    }

    static Stream<Arguments> destinationRuleRejections() {
        return Stream.of(
                rejectedAtSpec("no host", "DestinationRule", """
                        subsets: [{name: v1}]
                        """, "spec.host", "required"),
                rejected("subset without name", "DestinationRule", """
                        host: reviews
                        subsets:
                        - labels: {version: v1}  # <--
                        """, "spec.subsets[0].name", "required"),
                rejected("subset defined twice", "DestinationRule", """
                        host: reviews
                        subsets:
                        - name: v1
                          labels: {version: v1}
                        - name: v1  # <--
                          labels: {version: v2}
                        """, "spec.subsets[1].name", "\"v1\" is defined twice"),
                rejected("consistentHash without key", "DestinationRule", """
                        host: reviews
                        trafficPolicy:
                          loadBalancer:
                            consistentHash:  # <--
                              minimumRingSize: 1024
                        """, "spec.trafficPolicy.loadBalancer.consistentHash",
                        "one of httpCookie, httpHeaderName, httpQueryParameterName, useSourceIp is required"),
                rejected("cookie without name", "DestinationRule", """
                        host: reviews
                        trafficPolicy:
                          loadBalancer:
                            consistentHash:
                              httpCookie:  # <--
                                ttl: 10s
                        """, "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name", "required"),
                rejected("cookie ttl", "DestinationRule", """
                        host: reviews
                        trafficPolicy:
                          loadBalancer:
                            consistentHash:
                              httpCookie:
                                name: user
                                ttl: 1d  # <--
                        """, "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl",
                        "\"1d\" has an unknown unit \"d\" (expected one of ns, us, µs, ms, s, m, h)"),
                rejected("connectTimeout", "DestinationRule", """
                        host: reviews
                        trafficPolicy:
                          connectionPool:
                            tcp:
                              connectTimeout: soon  # <--
                        """, "spec.trafficPolicy.connectionPool.tcp.connectTimeout",
                        "\"soon\" is not a duration (expected e.g. 500ms, 2s, 1m)"),
                rejected("port level port", "DestinationRule", """
                        host: reviews
                        trafficPolicy:
                          portLevelSettings:
                          - port:
                              number: 0  # <--
                            loadBalancer: {simple: RANDOM}
                        """, "spec.trafficPolicy.portLevelSettings[0].port.number", "0 (expected: 1..65535)"),
                rejected("port level without port", "DestinationRule", """
                        host: reviews
                        trafficPolicy:
                          portLevelSettings:
                          - loadBalancer: {simple: RANDOM}  # <--
                        """, "spec.trafficPolicy.portLevelSettings[0].port", "required"),
                rejected("subset port level connectTimeout", "DestinationRule", """
                        host: reviews
                        subsets:
                        - name: v1
                          trafficPolicy:
                            portLevelSettings:
                            - port: {number: 9080}
                              connectionPool:
                                tcp: {connectTimeout: 10}  # <--
                        """, "spec.subsets[0].trafficPolicy.portLevelSettings[0].connectionPool.tcp.connectTimeout",
                        "\"10\" has no unit (expected e.g. 500ms, 2s, 1m)"),
                rejected("subset consistentHash without key", "DestinationRule", """
                        host: reviews
                        subsets:
                        - name: v1
                          trafficPolicy:
                            loadBalancer:
                              consistentHash: {}  # <--
                        """, "spec.subsets[0].trafficPolicy.loadBalancer.consistentHash",
                        "one of httpCookie, httpHeaderName, httpQueryParameterName, useSourceIp is required"));
    }

    static Stream<Arguments> serviceEntryRejections() {
        return Stream.of(
                rejectedAtSpec("no hosts", "ServiceEntry", """
                        ports: [{number: 80, name: http}]
                        """, "spec.hosts", "required"),
                rejected("port number", "ServiceEntry", """
                        hosts: [api.example.com]
                        ports:
                        - number: 0  # <--
                          name: http
                        """, "spec.ports[0].number", "0 (expected: 1..65535)"),
                rejected("port without name", "ServiceEntry", """
                        hosts: [api.example.com]
                        ports:
                        - number: 80  # <--
                        """, "spec.ports[0].name", "required"),
                rejected("port number twice", "ServiceEntry", """
                        hosts: [api.example.com]
                        ports:
                        - {number: 80, name: http}
                        - {number: 80, name: http-alt}  # <--
                        """, "spec.ports[1].number", "80 is defined twice"),
                rejected("target port", "ServiceEntry", """
                        hosts: [api.example.com]
                        ports:
                        - number: 80
                          name: http
                          targetPort: 70000  # <--
                        """, "spec.ports[0].targetPort", "70000 (expected: 1..65535)"),
                rejected("endpoints and workloadSelector", "ServiceEntry", """
                        hosts: [api.example.com]
                        resolution: STATIC
                        endpoints: [{address: 10.0.0.1}]
                        workloadSelector:  # <--
                          labels: {app: api}
                        """, "spec.workloadSelector", "endpoints and workloadSelector are mutually exclusive"),
                // Istio accepts STATIC without endpoints (workloads may come later); it refuses NONE with them.
                rejected("NONE with endpoints", "ServiceEntry", """
                        hosts: [api.example.com]
                        resolution: NONE
                        endpoints:  # <--
                        - address: 10.0.0.1
                        """, "spec.endpoints", "not allowed with resolution NONE (expected: STATIC or DNS)"),
                rejected("STATIC with a host name", "ServiceEntry", """
                        hosts: [db.example.com]
                        resolution: STATIC
                        endpoints:
                        - address: db.internal  # <--
                        """, "spec.endpoints[0].address", "\"db.internal\" is not an IP address"
                                + " (expected with resolution STATIC: an IP address or unix:// path)"),
                rejected("undeclared endpoint port", "ServiceEntry", """
                        hosts: [api.example.com]
                        resolution: STATIC
                        ports: [{number: 80, name: http}]
                        endpoints:
                        - address: 10.0.0.1
                          ports:
                            web: 8080  # <--
                        """, "spec.endpoints[0].ports.web",
                        "endpoint port \"web\" is not defined by the ServiceEntry's ports"),
                rejected("endpoint port value", "ServiceEntry", """
                        hosts: [api.example.com]
                        resolution: STATIC
                        ports: [{number: 80, name: http}]
                        endpoints:
                        - address: 10.0.0.1
                          ports:
                            http: 0  # <--
                        """, "spec.endpoints[0].ports.http", "0 (expected: 1..65535)"),
                rejected("endpoint without address", "ServiceEntry", """
                        hosts: [api.example.com]
                        resolution: DNS
                        endpoints:
                        - labels: {a: b}  # <--
                        """, "spec.endpoints[0].address", "required"));
    }

    static Stream<Arguments> workloadEntryRejections() {
        return Stream.of(
                rejectedAtSpec("no address", "WorkloadEntry", """
                        labels: {app: details}
                        """, "spec.address", "required"),
                rejected("bad address", "WorkloadEntry", """
                        address: "not an address"  # <--
                        """, "spec.address", "\"not an address\" is not an IP address or host name"
                                + " (expected: an IP address, a DNS name or a unix:// path)"),
                rejected("port value", "WorkloadEntry", """
                        address: 10.0.0.5
                        ports:
                          http: 70000  # <--
                        """, "spec.ports.http", "70000 (expected: 1..65535)"));
    }

    static Stream<Arguments> acceptedDocuments() {
        return Stream.of(
                accepted("gateway host forms and lowercase protocol", "Gateway", """
                        servers:
                        - port: {number: 80, name: http, protocol: http}
                          hosts: ["*", "*.example.com", "ns/*", "./foo.example.com", "*/bar.example.com", "10.0.0.1"]
                        - port: {number: 8443, name: grpc-web, protocol: grpc-web}
                          hosts: ["*"]
                        - port: {number: 443, name: https, protocol: HTTPS}
                          tls: {mode: SIMPLE, credentialName: cert}
                          hosts: ["*"]
                        """),
                accepted("delegate VirtualService without hosts", "VirtualService", """
                        http:
                        - match: [{uri: {prefix: /reviews}}]
                          route: [{destination: {host: reviews}}]
                        """),
                accepted("VirtualService host forms", "VirtualService", """
                        hosts: ["*.example.com", "*x", reviews, reviews.bookinfo.svc.cluster.local, 10.0.0.1, "2001:db8::1"]
                        gateways: [mesh, ingress, istio-system/ingress, ingress.istio-system.svc.cluster.local]
                        http:
                        - route: [{destination: {host: reviews}}]
                        """),
                accepted("one destination without weight, several with weights", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match: [{uri: {prefix: /a}}]
                          route: [{destination: {host: reviews}}]
                        - route:
                          - destination: {host: reviews, subset: v1}
                            weight: 0
                          - destination: {host: reviews, subset: v2}
                            weight: 100
                        """),
                accepted("RE2 regexes", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - uri: {regex: "^/reviews/(?P<id>[0-9]+)$"}
                            headers:
                              user-agent: {regex: ".*[[:alpha:]]+Mobile.*"}
                          route: [{destination: {host: reviews}}]
                          timeout: 1h30m
                          retries: {attempts: 1, perTryTimeout: 1.5s}
                          fault: {delay: {fixedDelay: 7s, percentage: {value: 100}}}
                        """),
                accepted("DestinationRule with policies everywhere", "DestinationRule", """
                        host: "*.example.com"
                        trafficPolicy:
                          loadBalancer:
                            consistentHash:
                              httpHeaderName: x-user
                          connectionPool: {tcp: {connectTimeout: 250ms}}
                        subsets:
                        - name: v1
                          trafficPolicy:
                            loadBalancer: {consistentHash: {useSourceIp: true}}
                        - name: v2
                          trafficPolicy:
                            portLevelSettings:
                            - port: {number: 9080}
                              loadBalancer: {consistentHash: {httpQueryParameterName: user}}
                        """),
                accepted("STATIC ServiceEntry with IPs and a socket", "ServiceEntry", """
                        hosts: [db.example.com]
                        resolution: STATIC
                        ports: [{number: 5432, name: tcp-db, protocol: TCP}]
                        endpoints:
                        - address: 10.0.0.1
                          ports: {tcp-db: 15432}
                        - address: "2001:db8::2"
                        - address: unix:///var/run/db.sock
                        """),
                accepted("DNS ServiceEntry with host names", "ServiceEntry", """
                        hosts: [api.example.com]
                        resolution: DNS
                        ports: [{number: 443, name: https, protocol: TLS}]
                        endpoints:
                        - address: api-1.example.net
                        """),
                accepted("ServiceEntry with a workloadSelector", "ServiceEntry", """
                        hosts: [details.internal]
                        resolution: STATIC
                        workloadSelector: {labels: {app: details}}
                        """),
                accepted("WorkloadEntry with a host name", "WorkloadEntry", """
                        address: vm-1.example.net
                        ports: {http: 8080}
                        """));
    }

    @Test
    void validatesTypedSpecsWithoutYaml() {
        VirtualService spec = new VirtualService();
        spec.setHosts(List.of("reviews"));
        HTTPRoute route = new HTTPRoute();
        HTTPRouteDestination destination = new HTTPRouteDestination();
        destination.setDestination(new Destination(null, null, null));
        destination.setWeight(-1);
        route.setRoute(List.of(destination));
        spec.setHttp(List.of(route));

        assertThat(new ResourceValidator().validate(IstioKind.VIRTUAL_SERVICE, spec)).containsExactly(
                new Problem("spec.http[0].route[0].destination.host", "required"),
                new Problem("spec.http[0].route[0].weight", "-1 (expected: >= 0)"));
    }

    @Test
    void nullListsAndNullItemsAreHandled() {
        VirtualService spec = new VirtualService();
        spec.setHosts(null);
        spec.setHttp(java.util.Arrays.asList((HTTPRoute) null));

        assertThat(new ResourceValidator().validate(IstioKind.VIRTUAL_SERVICE, spec))
                .containsExactly(new Problem("spec.http[0]", "required"));
    }

    @Test
    void rejectsASpecOfAnotherKind() {
        assertThatThrownBy(() -> new ResourceValidator().validate(IstioKind.GATEWAY, new WorkloadEntry()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: io.fabric8.istio.api.api.networking.v1alpha3.Gateway");
    }
}
