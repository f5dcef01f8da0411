package dev.meshbed.gateway.config;

import static dev.meshbed.gateway.config.YamlFixtures.assertAccepted;
import static dev.meshbed.gateway.config.YamlFixtures.assertOnlyRejection;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsHTTPSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirect;
import io.fabric8.istio.api.api.networking.v1alpha3.VirtualService;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rules of Istio's validating webhook (istio/istio pkg/config/validation, validation.go,
 * virtualservice.go, agent/validation.go at 86c9f01), one case per rule, written from the rule:
 * each rejected case breaks exactly the rule it names, each accepted case is one Istio accepts
 * where a stricter or older reading would not. {@code # <--} marks the line reported.
 */
class IstioRulesTest {

    private final IstioYamlReader reader = new IstioYamlReader();

    record Case(String document, String field, String message) {
    }

    private static String doc(String kind, String name, String spec) {
        return """
                apiVersion: networking.istio.io/v1
                kind: %s
                metadata:
                  name: %s
                spec:
                """.formatted(kind, name) + spec.indent(2);
    }

    private static Arguments rejected(String name, String kind, String spec, String field, String message) {
        return Arguments.of(Named.of(name, new Case(doc(kind, "test", spec), field, message)));
    }

    private static Arguments accepted(String name, String kind, String spec) {
        return Arguments.of(Named.of(name, doc(kind, "test", spec)));
    }

    private static final String GATEWAY_HTTP = """
            - port: {number: 80, name: http, protocol: HTTP}
              hosts: ["*.example.com"]
            """;

    @ParameterizedTest
    @MethodSource({"gateways", "virtualServices", "destinationRules", "serviceEntries", "workloadEntries"})
    void rejects(Case c) {
        assertOnlyRejection(reader, c.document(), c.field(), c.message());
    }

    @ParameterizedTest
    @MethodSource("istioAccepts")
    void accepts(String document) {
        assertAccepted(reader, document);
    }

    static Stream<Arguments> gateways() {
        return Stream.of(
                // validateServerPort: "port name must be set"
                rejected("server port without a name", "Gateway", """
                        servers:
                        - port: {number: 80, protocol: HTTP}  # <--
                          hosts: ["*"]
                        """, "spec.servers[0].port.name", "required"),
                // ValidateGateway: "port names in servers must be unique"
                rejected("duplicate server port names", "Gateway", "servers:\n" + GATEWAY_HTTP + """
                        - port:
                            number: 8080
                            name: http  # <--
                            protocol: HTTP
                          hosts: ["*.example.org"]
                        """, "spec.servers[1].port.name",
                        "\"http\" is already the name of another server's port (expected: unique port names)"),
                // validateServer: "server cannot have TLS settings for plain text HTTP ports"
                rejected("TLS certificates on a plain HTTP server", "Gateway", """
                        servers:
                        - port: {number: 80, name: http, protocol: HTTP}
                          hosts: ["*"]
                          tls:  # <--
                            mode: SIMPLE
                            credentialName: cert
                        """, "spec.servers[0].tls", "a plain HTTP server takes no TLS settings but httpsRedirect"
                                + " (expected: protocol HTTPS to terminate TLS)"),
                // validateServer: "server cannot have TLS settings for non HTTPS/TLS ports"
                rejected("TLS settings on a TCP server", "Gateway", """
                        servers:
                        - port: {number: 31400, name: tcp, protocol: TCP}
                          hosts: ["*"]
                          tls: {httpsRedirect: true}  # <--
                        """, "spec.servers[0].tls",
                        "not allowed when the protocol is TCP (expected: HTTPS or TLS for TLS settings)"),
                // validateServerBind: "port number must be 0 for unix domain socket"
                rejected("unix bind with a port number", "Gateway", """
                        servers:
                        - port:
                            number: 80  # <--
                            name: http
                            protocol: HTTP
                          bind: unix:///var/run/gw.sock
                          hosts: ["*"]
                        """, "spec.servers[0].port.number", "80 (expected: 0 with a unix:// bind)"),
                // validateServerBind: ValidateIPAddress(bind)
                rejected("bind that is not an IP", "Gateway", """
                        servers:
                        - port: {number: 80, name: http, protocol: HTTP}
                          bind: localhost  # <--
                          hosts: ["*"]
                        """, "spec.servers[0].bind",
                        "\"localhost\" is not an IP address (expected: an IP address or unix:// path)"),
                // validateSidecarOrGatewayHostnamePart: "short names (non FQDN) are not allowed"
                rejected("short host name", "Gateway", """
                        servers:
                        - port: {number: 80, name: http, protocol: HTTP}
                          hosts:
                          - reviews  # <--
                        """, "spec.servers[0].hosts[0]", "\"reviews\" is a short name (expected: a fully"
                                + " qualified name such as reviews.example.com, or *)"),
                // validateTLSOptions: "SIMPLE TLS requires a private key"
                rejected("SIMPLE TLS without key", "Gateway", """
                        servers:
                        - port: {number: 443, name: https, protocol: HTTPS}
                          hosts: ["*"]
                          tls:  # <--
                            mode: SIMPLE
                            serverCertificate: /etc/certs/cert.pem
                        """, "spec.servers[0].tls.privateKey", "required by SIMPLE TLS without credentialName"),
                // validateTLSOptions: "MUTUAL TLS requires a client CA bundle"
                rejected("MUTUAL TLS without CA", "Gateway", """
                        servers:
                        - port: {number: 443, name: https, protocol: HTTPS}
                          hosts: ["*"]
                          tls:  # <--
                            mode: MUTUAL
                            serverCertificate: /etc/certs/cert.pem
                            privateKey: /etc/certs/key.pem
                        """, "spec.servers[0].tls.caCertificates", "required by MUTUAL TLS without credentialName"),
                // validateTLSOptions: ISTIO_MUTUAL "cannot have associated credentialName"
                rejected("ISTIO_MUTUAL with a credential", "Gateway", """
                        servers:
                        - port: {number: 443, name: https, protocol: HTTPS}
                          hosts: ["*"]
                          tls:  # <--
                            mode: ISTIO_MUTUAL
                            credentialName: cert
                        """, "spec.servers[0].tls", "ISTIO_MUTUAL uses the mesh's certificates (found: credentialName)"),
                // validateTLSOptions: "only one of credential_name, credential_names, ... should be specified"
                rejected("two certificate sources", "Gateway", """
                        servers:
                        - port: {number: 443, name: https, protocol: HTTPS}
                          hosts: ["*"]
                          tls:  # <--
                            mode: SIMPLE
                            credentialName: cert
                            credentialNames: [cert2]
                        """, "spec.servers[0].tls",
                        "only one certificate source may be set (found: credentialName, credentialNames)"),
                // validateServerPort: "targetPort has no impact on Gateways"
                rejected("targetPort on a Gateway", "Gateway", """
                        servers:
                        - port:
                            number: 80
                            targetPort: 8080  # <--
                            name: http
                            protocol: HTTP
                          hosts: ["*"]
                        """, "spec.servers[0].port.targetPort", "has no effect on a Gateway (expected: not set)"));
    }

    static Stream<Arguments> virtualServices() {
        return Stream.of(
                // ValidateVirtualService: "http, tcp or tls must be provided in virtual service"
                Arguments.of(Named.of("no routes at all", new Case(doc("VirtualService", "test", """
                        hosts: [reviews]
                        gateways: [mesh]
                        """).replace("\nspec:\n", "\nspec:  " + YamlFixtures.MARK + "\n"), "spec",
                        "no routes (expected: at least one of http, tcp, tls)"))),
                // ValidateVirtualService: "wildcard host * is not allowed for virtual services bound to the mesh"
                rejected("* bound to the mesh", "VirtualService", """
                        hosts:
                        - "*"  # <--
                        http: [{route: [{destination: {host: reviews}}]}]
                        """, "spec.hosts[0]", "\"*\" is only allowed when the VirtualService is bound to a gateway"
                                + " (expected: gateways naming a Gateway)"),
                // isGateway: with "mesh" among the gateways, the mesh's rules apply
                rejected("* bound to the mesh and a gateway", "VirtualService", """
                        hosts:
                        - "*"  # <--
                        gateways: [mesh, ingress]
                        http: [{route: [{destination: {host: reviews}}]}]
                        """, "spec.hosts[0]", "\"*\" is only allowed when the VirtualService is bound to a gateway"
                                + " (expected: gateways naming a Gateway)"),
                // ValidateVirtualService: "duplicate hosts in virtual service"
                rejected("overlapping hosts", "VirtualService", """
                        hosts:
                        - "*.example.com"
                        - reviews.example.com  # <--
                        http: [{route: [{destination: {host: reviews}}]}]
                        """, "spec.hosts[1]",
                        "\"reviews.example.com\" overlaps \"*.example.com\" (expected: each host once)"),
                // validateHTTPRouteConflict: "HTTP route cannot contain both mirror and mirrors"
                rejected("mirror and mirrors", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          mirror: {host: shadow}
                          mirrors:  # <--
                          - destination: {host: shadow2}
                        """, "spec.http[0].mirrors", "not allowed with mirror (expected: one of mirror, mirrors)"),
                // validateHTTPRouteConflict: "HTTP route cannot contain both fault and redirect"
                rejected("fault with redirect", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - redirect: {uri: /v2}
                          fault:  # <--
                            abort: {httpStatus: 500, percentage: {value: 10}}
                        """, "spec.http[0].fault", "not allowed with redirect"),
                // ValidateHTTPHeaderWithAuthorityOperationName: "header name cannot be empty"
                rejected("empty header name in a header operation", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          headers:
                            request:
                              set:
                                "": x  # <--
                        """, "spec.http[0].headers.request.set[\"\"]", "empty header name (expected: a header name)"),
                // ValidateHTTPHeaderValue / validateHeaderValue: "Un-escaped %"
                rejected("unescaped percent in a header value", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route:
                          - destination: {host: reviews}
                            headers:
                              response:
                                add:
                                  x-discount: "50%"  # <--
                        """, "spec.http[0].route[0].headers.response.add.x-discount",
                        "\"50%\": unescaped % (expected: %% for a percent sign, or %VARIABLE%)"),
                // ValidateHTTPHeaderOperationName: "cannot set Host header" (responses, removals)
                rejected("removing Host", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          headers:
                            request:
                              remove:
                              - host  # <--
                        """, "spec.http[0].headers.request.remove[0]",
                        "\"host\" may not be changed here (expected: headers.request.set or rewrite.authority)"),
                // validateStringMatch: "prefix string match should not be empty" (headers)
                rejected("empty prefix header match", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - headers:
                              x-user: {prefix: ""}  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].headers.x-user.prefix",
                        "empty prefix (expected: a prefix, or {} to match any value)"),
                // validateHTTPRedirect: "redirect may only specify one of uri or prefix_rewrite"
                rejected("redirect with uri and prefixRewrite", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - redirect:  # <--
                            uri: /v2
                            prefixRewrite: /v3
                        """, "spec.http[0].redirect",
                        "only one of uri, prefixRewrite may be set (found: uri, prefixRewrite)"),
                // validateHTTPRedirect: "redirect prefix_rewrite requires all URI matches to use prefix match type"
                rejected("prefixRewrite after an exact match", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match: [{uri: {exact: /v1}}]
                          redirect:
                            prefixRewrite: /v3  # <--
                        """, "spec.http[0].redirect.prefixRewrite",
                        "needs every uri match to be a prefix match (match[0].uri is not)"),
                // validateHTTPRedirect: scheme must be "http" or "https"
                rejected("redirect to ftp", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - redirect:
                            scheme: ftp  # <--
                        """, "spec.http[0].redirect.scheme", "\"ftp\" is not one of http, https"),
                // ValidateHTTPRetry: "http retry policy configured when attempts are set to 0 (disabled)"
                rejected("retry policy with zero attempts", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          retries:
                            attempts: 0  # <--
                            retryOn: 5xx
                        """, "spec.http[0].retries.attempts", "0 disables retries, yet perTryTimeout, retryOn or"
                                + " retryRemoteLocalities is set (expected: attempts >= 1)"),
                // ValidateHTTPRetry: "%q is not a valid retryOn policy"
                rejected("unknown retryOn condition", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          retries:
                            attempts: 2
                            retryOn: 5xx,sometimes  # <--
                        """, "spec.http[0].retries.retryOn", "\"sometimes\" is not a retry condition (expected: "
                                + "5xx, gateway-error, reset, reset-before-request, connect-failure, retriable-4xx, "
                                + "refused-stream, retriable-status-codes, retriable-headers, envoy-ratelimited, "
                                + "http3-post-connect-failure, cancelled, deadline-exceeded, internal, "
                                + "resource-exhausted, unavailable or an HTTP status code)"),
                // validateHTTPRewrite: "rewrite must specify at least one of URI, UriRegexRewrite, or authority"
                rejected("empty rewrite", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          rewrite: {}  # <--
                        """, "spec.http[0].rewrite", "one of uri, uriRegexRewrite, authority is required"),
                // validateAuthorityRewrite: "authority header cannot be set multiple times"
                rejected("authority rewritten twice", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          rewrite: {authority: a.example.com}
                          headers:
                            request:  # <--
                              set: {host: b.example.com}
                        """, "spec.http[0].headers.request",
                        "sets the authority, which rewrite.authority already sets (expected: one of them)"),
                // validateCORSHTTPMethod
                rejected("unknown CORS method", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          corsPolicy:
                            allowMethods:
                            - FETCH  # <--
                        """, "spec.http[0].corsPolicy.allowMethods[0]",
                        "\"FETCH\" is not one of GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE, *"),
                // validateHTTPFaultInjectionDelay: "exponentialDelay not supported yet"
                rejected("exponential delay", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          fault:
                            delay:
                              exponentialDelay: 1s  # <--
                        """, "spec.http[0].fault.delay.exponentialDelay", "not supported (Istio rejects it)"),
                // validateGRPCStatus
                rejected("unknown gRPC status", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          fault:
                            abort:
                              grpcStatus: TEAPOT  # <--
                        """, "spec.http[0].fault.abort.grpcStatus", "\"TEAPOT\" is not one of OK, CANCELLED,"
                                + " UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS,"
                                + " PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE,"
                                + " UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED"),
                // validateDestination: "invalid destination host *"
                rejected("destination host *", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route:
                          - destination:
                              host: "*"  # <--
                        """, "spec.http[0].route[0].destination.host", "\"*\" is not a valid destination host"
                                + " (expected: a service name, a DNS name or *.example.com)"),
                // validateSubsetName
                rejected("subset that is not a DNS label", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route:
                          - destination:
                              host: reviews
                              subset: V_1  # <--
                        """, "spec.http[0].route[0].destination.subset",
                        "\"V_1\" is not a valid subset name (expected: a DNS label)"),
                // validateTLSMatch / validateSniHost: "SNI host ... is not a compatible subset"
                rejected("SNI host outside the hosts", "VirtualService", """
                        hosts: ["*.example.com"]
                        gateways: [ingress]
                        tls:
                        - match:
                          - sniHosts:
                            - api.example.org  # <--
                          route: [{destination: {host: api}}]
                        """, "spec.tls[0].match[0].sniHosts[0]", "\"api.example.org\" is not within any of the"
                                + " hosts [*.example.com] (expected: one of them or a name they cover)"),
                // ValidateVirtualService: "delegate virtual service must have no tcp route specified"
                rejected("delegate with tcp routes", "VirtualService", """
                        http: [{route: [{destination: {host: reviews}}]}]
                        tcp:  # <--
                        - route: [{destination: {host: reviews}}]
                        """, "spec.tcp", "not allowed in a delegate VirtualService (one without hosts)"),
                // ValidateVirtualService: "JWT claim based routing ... is only supported for gateway"
                rejected("JWT claim routing in the mesh", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - headers:
                              "@request.auth.claims.group": {exact: admin}  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].headers[\"@request.auth.claims.group\"]",
                        "JWT claim routing only works on a gateway (expected: gateways naming a Gateway)"),
                // validateAllowOrigins: "'' is not a valid match type for CORS allow origins"
                rejected("empty CORS origin", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          corsPolicy:
                            allowOrigins:
                            - exact: ""  # <--
                        """, "spec.http[0].corsPolicy.allowOrigins[0]",
                        "empty origin match (expected: exact, prefix or regex with a value)"),
                // validateCORSPolicy: "max_age duration is accurate only to seconds precision"
                rejected("CORS maxAge below a second", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          corsPolicy:
                            maxAge: 1500ms  # <--
                        """, "spec.http[0].corsPolicy.maxAge", "\"1500ms\" (expected: whole seconds)"),
                // validateHTTPRouteMatchRequest: "sourceNamespace match %s is invalid"
                rejected("sourceNamespace that is not a namespace", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match:
                          - sourceNamespace: Bad_NS  # <--
                          route: [{destination: {host: reviews}}]
                        """, "spec.http[0].match[0].sourceNamespace", "\"Bad_NS\" is not a namespace name"),
                // validateTCPMatch: ValidateIPSubnet
                rejected("destination subnet that is not a CIDR", "VirtualService", """
                        hosts: [db.example.com]
                        tcp:
                        - match:
                          - destinationSubnets:
                            - 10.0.0.0/33  # <--
                          route: [{destination: {host: db.example.com}}]
                        """, "spec.tcp[0].match[0].destinationSubnets[0]", "\"10.0.0.0/33\" is not an IP address"
                                + " or CIDR block (expected e.g. 10.0.0.0/8 or 2001:db8::/32)"),
                // ValidateWildcardDomain: "top level domain cannot be all-numeric"
                rejected("all-numeric top-level domain", "VirtualService", """
                        hosts:
                        - reviews.123  # <--
                        http: [{route: [{destination: {host: reviews}}]}]
                        """, "spec.hosts[0]", "\"reviews.123\" is not a valid host"
                                + " (expected: *, *.example.com, a DNS name or an IP address)"),
                // validateGatewayNames: "invalid value for gateway name" (namespace/name, name a DNS label)
                rejected("gateway name with dots after a namespace", "VirtualService", """
                        hosts: [reviews]
                        gateways:
                        - istio-system/ingress.example  # <--
                        http: [{route: [{destination: {host: reviews}}]}]
                        """, "spec.gateways[0]", "\"istio-system/ingress.example\" is not a gateway reference"
                                + " (expected: mesh, name or namespace/name)"));
    }

    static Stream<Arguments> destinationRules() {
        return Stream.of(
                // validateLoadBalancer: warmup "minimumPercent value should be less than or equal to 100"
                rejected("warmup minimumPercent over 100", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          loadBalancer:
                            warmup:
                              duration: 300s
                              minimumPercent: 150.0  # <--
                        """, "spec.trafficPolicy.loadBalancer.warmup.minimumPercent", "150.0 (expected: 0..100)"),
                // validateLoadBalancer: warmup "duration is required"
                rejected("warmup without duration", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          loadBalancer:
                            warmup:  # <--
                              minimumPercent: 5.0
                        """, "spec.trafficPolicy.loadBalancer.warmup.duration", "required"),
                // validateLoadBalancer: warmup "aggression should be greater than 0"
                rejected("warmup aggression not positive", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          loadBalancer:
                            warmup:
                              duration: 300s
                              aggression: -0.1  # <--
                        """, "spec.trafficPolicy.loadBalancer.warmup.aggression", "-0.1 (expected: > 0)"),
                // validateTrafficPolicy: "traffic policy must have at least one field"
                rejected("empty traffic policy", "DestinationRule", """
                        host: ratings
                        trafficPolicy: {}  # <--
                        """, "spec.trafficPolicy", "empty (expected: at least one of loadBalancer, connectionPool,"
                                + " outlierDetection, tls, portLevelSettings, tunnel, proxyProtocol, retryBudget)"),
                // validateConnectionPool: "http2 keepalive timeout is required"
                rejected("http2KeepAlive without timeout", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          connectionPool:
                            http:
                              http2KeepAlive:  # <--
                                interval: 30s
                        """, "spec.trafficPolicy.connectionPool.http.http2KeepAlive.timeout", "required"),
                // validateLoadBalancer: "only one of localityLbSetting and zoneAwareLbSetting can be set"
                rejected("locality and zone-aware settings", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          loadBalancer:  # <--
                            localityLbSetting: {enabled: true}
                            zoneAwareLbSetting: {enabled: true}
                        """, "spec.trafficPolicy.loadBalancer", "only one of localityLbSetting, zoneAwareLbSetting"
                                + " may be set (found: localityLbSetting, zoneAwareLbSetting)"),
                // a field newer than fabric8's model is still type-checked
                rejected("zoneAwareLbSetting of the wrong type", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          loadBalancer:
                            zoneAwareLbSetting:
                              minClusterSize: many  # <--
                        """, "spec.trafficPolicy.loadBalancer.zoneAwareLbSetting.minClusterSize",
                        "expected a whole number >= 0, got \"many\""),
                rejected("a typo inside a field newer than the model", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          connectionPool:
                            http:
                              http2KeepAlive:
                                interval: 30s
                                timeout: 5s
                                timout: 5s  # <--
                        """, "spec.trafficPolicy.connectionPool.http.http2KeepAlive.timout",
                        "unknown field (did you mean \"timeout\"?)"),
                // validateLoadBalancer: "tableSize must be a prime number for maglev"
                rejected("maglev table size that is not prime", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          loadBalancer:
                            consistentHash:
                              httpHeaderName: x-user
                              maglev:
                                tableSize: 1000  # <--
                        """, "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize",
                        "1000 (expected: a prime number below 5000011)"),
                // validateLoadBalancer: "duplicate cookie attribute name"
                rejected("duplicate cookie attribute", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          loadBalancer:
                            consistentHash:
                              httpCookie:
                                name: session
                                ttl: 0s
                                attributes:
                                - {name: SameSite, value: Strict}
                                - name: SameSite  # <--
                                  value: Lax
                        """, "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[1].name",
                        "\"SameSite\" is defined twice"),
                // validateExportTo: "destination rule with workload selector cannot have exportTo beyond current namespace"
                rejected("DestinationRule with a selector exported elsewhere", "DestinationRule", """
                        host: ratings
                        workloadSelector: {matchLabels: {app: ratings}}
                        exportTo:  # <--
                        - "*"
                        """, "spec.exportTo", "a DestinationRule with a workloadSelector is exported to its own"
                                + " namespace only (expected: [.])"),
                // validateExportTo: "duplicate entries in exportTo: . and current namespace"
                rejected("exportTo naming this namespace twice", "DestinationRule", """
                        host: ratings
                        exportTo:
                        - .
                        - default  # <--
                        """, "spec.exportTo[1]", "\"default\" is listed twice"),
                // validateConnectionPool: "use client protocol must not be true when H2UpgradePolicy is UPGRADE"
                rejected("useClientProtocol with UPGRADE", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          connectionPool:
                            http:
                              h2UpgradePolicy: UPGRADE
                              useClientProtocol: true  # <--
                        """, "spec.trafficPolicy.connectionPool.http.useClientProtocol",
                        "true, yet h2UpgradePolicy is UPGRADE (expected: one or the other)"),
                // validateTrafficPolicy: "tunnel and proxyProtocol must not be set together"
                rejected("tunnel and proxyProtocol", "DestinationRule", """
                        host: ratings
                        trafficPolicy:  # <--
                          tunnel: {protocol: CONNECT, targetHost: 10.0.0.1, targetPort: 8080}
                          proxyProtocol: {version: V2}
                        """, "spec.trafficPolicy",
                        "only one of tunnel, proxyProtocol may be set (found: tunnel, proxyProtocol)"),
                // validateSubset: labels.Instance.Validate (tag key)
                rejected("subset label key that is not a label key", "DestinationRule", """
                        host: ratings
                        subsets:
                        - name: v1
                          labels:
                            "ver sion": v1  # <--
                        """, "spec.subsets[0].labels[\"ver sion\"]",
                        "\"ver sion\" is not a valid label key (expected: [prefix/]name)"),
                // validateOutlierDetection: consecutive local origin failures need the split
                rejected("local origin failures without the split", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          outlierDetection:
                            consecutiveLocalOriginFailures: 3  # <--
                        """, "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures",
                        "3, yet splitExternalLocalOriginErrors is not true (expected: both, or neither)"),
                // agent.ValidateTLS: "client certificate required for mutual tls"
                rejected("MUTUAL upstream TLS without a client certificate", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          tls:  # <--
                            mode: MUTUAL
                            privateKey: /etc/certs/key.pem
                        """, "spec.trafficPolicy.tls.clientCertificate",
                        "required by MUTUAL TLS without credentialName"),
                // validatePortTrafficPolicies: "port traffic policy must have at least one field"
                rejected("port-level settings with nothing set", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          portLevelSettings:
                          - port: {number: 80}  # <--
                        """, "spec.trafficPolicy.portLevelSettings[0]", "no settings (expected: at least one of"
                                + " loadBalancer, connectionPool, outlierDetection, tls)"));
    }

    static Stream<Arguments> serviceEntries() {
        return Stream.of(
                // ValidateAlphaWorkloadSelector: "wildcard is not supported in selector"
                rejected("wildcard in the workload selector", "ServiceEntry", """
                        hosts: [api.example.com]
                        ports: [{number: 80, name: http, protocol: HTTP}]
                        resolution: STATIC
                        workloadSelector:
                          labels:
                            app: "*"  # <--
                        """, "spec.workloadSelector.labels.app", "wildcards are not supported in a selector"),
                // validateExportTo: "cannot export service entry to no one (~) and someone"
                rejected("exported to no one and someone", "ServiceEntry", """
                        hosts: [api.example.com]
                        ports: [{number: 80, name: http, protocol: HTTP}]
                        exportTo:  # <--
                        - "~"
                        - "."
                        """, "spec.exportTo", "\"~\" exports to no namespace (expected: \"~\" alone)"),
                // "CIDR addresses are allowed only for NONE/STATIC resolution types"
                rejected("CIDR with DNS resolution", "ServiceEntry", """
                        hosts: [api.example.com]
                        addresses:  # <--
                        - 10.0.0.0/8
                        ports: [{number: 80, name: http, protocol: HTTP}]
                        resolution: DNS
                        """, "spec.addresses", "CIDR blocks need resolution NONE or STATIC (found: DNS)"),
                // "no endpoints should be provided for resolution type none"
                rejected("NONE with endpoints", "ServiceEntry", """
                        hosts: [api.example.com]
                        ports: [{number: 80, name: http, protocol: HTTP}]
                        resolution: NONE
                        endpoints:  # <--
                        - address: 10.0.0.1
                        """, "spec.endpoints", "not allowed with resolution NONE (expected: STATIC or DNS)"),
                // "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN"
                rejected("DNS_ROUND_ROBIN with two endpoints", "ServiceEntry", """
                        hosts: [api.example.com]
                        ports: [{number: 80, name: http, protocol: HTTP}]
                        resolution: DNS_ROUND_ROBIN
                        endpoints:  # <--
                        - address: a.example.com
                        - address: b.example.com
                        """, "spec.endpoints", "2 endpoints (expected with resolution DNS_ROUND_ROBIN: at most 1)"),
                // "multiple hosts provided with non-HTTP, non-TLS ports"
                rejected("several hosts with a TCP port", "ServiceEntry", """
                        hosts: [a.example.com, b.example.com]
                        ports:
                        - number: 5432
                          name: pg
                          protocol: TCP  # <--
                        resolution: DNS
                        """, "spec.ports[0].protocol",
                        "several hosts need HTTP or TLS ports when resolution is DNS (found: TCP)"),
                // "hosts must be FQDN ... if no endpoints are provided for resolution mode DNS"
                rejected("DNS without endpoints and a wildcard host", "ServiceEntry", """
                        hosts:
                        - "*.example.com"  # <--
                        ports: [{number: 80, name: http, protocol: HTTP}]
                        resolution: DNS
                        """, "spec.hosts[0]", "\"*.example.com\" cannot be resolved by DNS (expected with"
                                + " resolution DNS and no endpoints: a DNS name)"));
    }

    static Stream<Arguments> workloadEntries() {
        return Stream.of(
                // validateWorkloadEntry: "unix endpoint ... must not include ports"
                rejected("unix address with ports", "WorkloadEntry", """
                        address: unix:///var/run/app.sock
                        ports:  # <--
                          http: 80
                        """, "spec.ports", "not allowed with a unix:// address (a socket has no ports)"),
                // ValidateUnixAddress: "is not an absolute path to a file" (a directory)
                rejected("unix address that is a directory", "WorkloadEntry", """
                        address: unix:///var/run/  # <--
                        """, "spec.address", "\"unix:///var/run/\" is not an absolute path to a file"
                                + " (expected: unix:///path/to/socket or unix://@name)"),
                rejected("relative unix address", "WorkloadEntry", """
                        address: unix://app.sock  # <--
                        """, "spec.address", "\"unix://app.sock\" is not an absolute path to a file"
                                + " (expected: unix:///path/to/socket or unix://@name)"),
                // labels.Instance.Validate: "invalid tag value"
                rejected("bad label value", "WorkloadEntry", """
                        address: 10.0.0.1
                        labels:
                          version: "v1 beta"  # <--
                        """, "spec.labels.version", "\"v1 beta\" is not a valid label value (expected: up to 63 of"
                                + " A-Z a-z 0-9 - _ ., alphanumeric at both ends)"));
    }

    static Stream<Arguments> istioAccepts() {
        return Stream.of(
                accepted("partial wildcard host (*x) in a ServiceEntry", "ServiceEntry", """
                        hosts: ["*x"]
                        ports: [{number: 80, name: http, protocol: HTTP}]
                        """),
                accepted("WorkloadEntry with only a network", "WorkloadEntry", """
                        network: remote
                        """),
                accepted("Gateway on a unix socket with port 0", "Gateway", """
                        servers:
                        - port: {number: 0, name: uds, protocol: HTTP}
                          bind: unix:///var/run/gw.sock
                          hosts: ["*"]
                        """),
                accepted("HTTP server with only httpsRedirect", "Gateway", """
                        servers:
                        - port: {number: 80, name: http, protocol: HTTP}
                          hosts: ["*.example.com"]
                          tls: {httpsRedirect: true}
                        """),
                accepted("STATIC ServiceEntry without endpoints", "ServiceEntry", """
                        hosts: [api.example.com]
                        ports: [{number: 80, name: http, protocol: HTTP}]
                        resolution: STATIC
                        """),
                accepted("empty uri prefix (matches every path)", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match: [{uri: {prefix: ""}}]
                          route: [{destination: {host: reviews}}]
                        """),
                accepted("header values with Envoy variables and %%", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - route: [{destination: {host: reviews}}]
                          headers:
                            request:
                              set:
                                x-host: "%HOSTNAME%"
                                x-discount: "100%%"
                                x-start: "%START_TIME(%s)%"
                                host: reviews.example.com
                        """),
                accepted("redirect with prefixRewrite after a prefix match", "VirtualService", """
                        hosts: [reviews]
                        http:
                        - match: [{uri: {prefix: /v1}}]
                          redirect: {prefixRewrite: /v2}
                        """),
                accepted("Istio's generated SNI host on a gateway (AUTO_PASSTHROUGH)", "VirtualService", """
                        hosts: [outbound_.9080_._.reviews.default.svc.cluster.local]
                        gateways: [istio-system/cross-network]
                        tls:
                        - match:
                          - sniHosts: [outbound_.9080_._.reviews.default.svc.cluster.local]
                          route: [{destination: {host: reviews.default.svc.cluster.local}}]
                        """),
                accepted("fields newer than the model", "DestinationRule", """
                        host: ratings
                        trafficPolicy:
                          connectionPool:
                            http:
                              http2KeepAlive: {interval: 30s, timeout: 5s}
                          loadBalancer:
                            zoneAwareLbSetting:
                              enabled: true
                              minClusterSize: 3
                              failoverPriority: [topology.kubernetes.io/zone]
                          outlierDetection:
                            outlierDetectionHttpErrorCodes: [502, 503]
                        """));
    }

    @Test
    void fieldsNewerThanTheModelReachTheModelObjects() {
        ParsedSource parsed = reader.read("new.yaml", doc("VirtualService", "vs", """
                hosts: [reviews]
                http:
                - match: [{uri: {prefix: /v1}}]
                  redirect: {prefixRewrite: /v2}
                """) + "---\n" + doc("DestinationRule", "dr", """
                host: ratings
                trafficPolicy:
                  connectionPool:
                    http:
                      http2KeepAlive: {interval: 30s, timeout: 5s}
                """));
        assertThat(parsed.rejections()).isEmpty();
        HTTPRedirect redirect = ((VirtualService) parsed.resources().get(0).spec()).getHttp().get(0).getRedirect();
        assertThat(redirect.getAdditionalProperties()).containsEntry("prefixRewrite", "/v2");
        ConnectionPoolSettingsHTTPSettings http = ((DestinationRule) parsed.resources().get(1).spec())
                .getTrafficPolicy().getConnectionPool().getHttp();
        assertThat(http.getAdditionalProperties())
                .containsEntry("http2KeepAlive", Map.of("interval", "30s", "timeout", "5s"));
    }

    @Test
    void aGatewayNameWithDotsIsRejected() {
        String document = doc("Gateway", "my.gateway", GATEWAY_HTTP.replace("- port", "servers:\n- port"));
        ParsedSource parsed = reader.read("gw.yaml", document);
        assertThat(parsed.rejections()).singleElement().satisfies(r -> {
            assertThat(r.field()).isEqualTo("metadata.name");
            assertThat(r.message()).isEqualTo("\"my.gateway\" is not a valid Gateway name (expected: a DNS label, without dots)");
        });
    }

    @Test
    void headerFormatStringsFollowEnvoysGrammar() {
        assertThat(HeaderRules.formatError("plain")).isNull();
        assertThat(HeaderRules.formatError("%REQ(x-a)%")).isNull();
        assertThat(HeaderRules.formatError("%FILTER_STATE([\"a\", \"b\"])%")).isNull();
        assertThat(HeaderRules.formatError("abc%123")).startsWith("unterminated variable");
        assertThat(HeaderRules.formatError("%START_TIME%%")).startsWith("unescaped %");
        assertThat(HeaderRules.formatError("%V([\"a\" x])%")).isEqualTo("expected ',' or ']' in a variable's argument list");
    }
}
