package dev.meshbed.gateway.routing;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpVersion.HTTP_1_1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.meshbed.gateway.config.ConfigSnapshot;
import dev.meshbed.gateway.config.ConfigStore;
import dev.meshbed.gateway.config.IstioYamlReader;
import dev.meshbed.gateway.config.ParsedSource;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Shared helpers for routing tests: YAML builders for the five Istio kinds, snapshot and table
 * building, requests, and deterministic random sources and balancer contexts.
 */
final class RoutingFixtures {

    static final Map<String, String> GATEWAY_LABELS = Map.of("istio", "ingressgateway");

    private static final IstioYamlReader READER = new IstioYamlReader();

    private RoutingFixtures() {
    }

    // ---------------------------------------------------------------- YAML builders

    /** A v1 document; {@code spec} is written unindented and indented here. */
    static String doc(String kind, String namespace, String name, String spec) {
        return """
                apiVersion: networking.istio.io/v1
                kind: %s
                metadata:
                  name: %s
                  namespace: %s
                spec:
                """.formatted(kind, name, namespace) + spec.indent(2);
    }

    /** A Gateway selecting {@code istio: ingressgateway}, one HTTP server on {@code port}. */
    static String gateway(String namespace, String name, int port, String... hosts) {
        return doc("Gateway", namespace, name, """
                selector:
                  istio: ingressgateway
                servers:
                - port: {number: %d, name: http-%d, protocol: HTTP}
                  hosts: %s
                """.formatted(port, port, yamlList(hosts)));
    }

    /** The usual Gateway: {@code default/web}, port 80, every host. */
    static String gateway() {
        return gateway("default", "web", 80, "*");
    }

    /**
     * A VirtualService; {@code http} is the YAML list under {@code spec.http}, written unindented.
     * {@code gateways} null leaves the field out.
     */
    static String virtualService(String namespace, String name, List<String> hosts, List<String> gateways,
            String http) {
        StringBuilder spec = new StringBuilder("hosts: ").append(yamlList(hosts.toArray(String[]::new))).append('\n');
        if (gateways != null) {
            spec.append("gateways: ").append(yamlList(gateways.toArray(String[]::new))).append('\n');
        }
        spec.append("http:\n").append(http);
        return doc("VirtualService", namespace, name, spec.toString());
    }

    /** A VirtualService in default bound to {@code web}. */
    static String virtualService(String name, String host, String http) {
        return virtualService("default", name, List.of(host), List.of("web"), http);
    }

    /** One route to {@code host} (and {@code subset} when not null). */
    static String routeTo(String host, String subset) {
        return """
                - route:
                  - destination:
                      host: %s
                """.formatted(host) + (subset == null ? "" : "      subset: " + subset + "\n");
    }

    /**
     * A STATIC ServiceEntry in default with one HTTP port and inline endpoints, each given as
     * {@code ip} or {@code ip version} (the latter labelled {@code version: <version>}).
     */
    static String serviceEntry(String name, String host, int port, String... endpoints) {
        StringBuilder spec = new StringBuilder("""
                hosts: [%s]
                location: MESH_INTERNAL
                resolution: STATIC
                ports:
                - {number: %d, name: http, protocol: HTTP}
                endpoints:
                """.formatted(host, port));
        for (String e : endpoints) {
            String[] parts = e.split(" ");
            spec.append("- address: ").append(parts[0]).append('\n');
            if (parts.length > 1) {
                spec.append("  labels: {version: ").append(parts[1]).append("}\n");
            }
        }
        return doc("ServiceEntry", "default", name, spec.toString());
    }

    /** A DestinationRule in default for {@code host} with subsets v1 and v2 (labels version: v1|v2). */
    static String destinationRuleV1V2(String host) {
        return doc("DestinationRule", "default", "dr-" + host.replace('.', '-'), """
                host: %s
                subsets:
                - name: v1
                  labels: {version: v1}
                - name: v2
                  labels: {version: v2}
                """.formatted(host));
    }

    static String yamlList(String... items) {
        return Arrays.stream(items).map(s -> "\"" + s + "\"").collect(Collectors.joining(", ", "[", "]"));
    }

    // ---------------------------------------------------------------- snapshots and tables

    /** Reads the documents as one file and asserts every one was accepted. */
    static ParsedSource parse(String... documents) {
        return parseFile("test.yaml", documents);
    }

    static ParsedSource parseFile(String file, String... documents) {
        ParsedSource parsed = READER.read(file, String.join("---\n", documents));
        assertThat(parsed.rejections()).as("fixture YAML rejections").isEmpty();
        assertThat(parsed.unreadable()).isFalse();
        return parsed;
    }

    static ConfigSnapshot snapshot(String... documents) {
        return new ConfigStore().propose(List.of(parse(documents)));
    }

    static TableCompiler compiler(ListenerSpec... listeners) {
        return new TableCompiler(new TableCompiler.Options(GATEWAY_LABELS,
                listeners.length == 0 ? List.of(new ListenerSpec(0, 0)) : List.of(listeners),
                ClusterStats.Factory.NOOP, 10_000));
    }

    static TableCompiler.Result compile(String... documents) {
        return compiler().compile(snapshot(documents));
    }

    /** Compiles and asserts there were no cross-reference problems. */
    static RoutingTable table(String... documents) {
        TableCompiler.Result result = compile(documents);
        assertThat(result.crossReferenceProblems()).as("cross-reference problems").isEmpty();
        return result.table();
    }

    // ---------------------------------------------------------------- requests

    /**
     * A GET with {@code Host: host} (none when null) and headers given as name, value pairs.
     */
    static RequestView get(String host, String uri, String... headerPairs) {
        return request(GET, host, uri, headerPairs);
    }

    static RequestView request(HttpMethod method, String host, String uri, String... headerPairs) {
        HttpHeaders headers = new DefaultHttpHeaders();
        if (host != null) {
            headers.add("Host", host);
        }
        for (int i = 0; i < headerPairs.length; i += 2) {
            headers.add(headerPairs[i], headerPairs[i + 1]);
        }
        return new RequestView(new DefaultHttpRequest(HTTP_1_1, method, uri, headers), "10.0.0.1");
    }

    static RequestView fromSource(String sourceIp, String host, String uri) {
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.add("Host", host);
        return new RequestView(new DefaultHttpRequest(HTTP_1_1, GET, uri, headers), sourceIp);
    }

    /** The route for {@code request} on listener 0, or null (no virtual host or no route). */
    static Route route(RoutingTable table, RequestView request) {
        VirtualHost vh = table.listener(0).virtualHosts().find(request.host());
        return vh == null ? null : vh.route(request);
    }

    /** The name of the route for {@code request} on listener 0, or null. */
    static String routeName(RoutingTable table, RequestView request) {
        Route r = route(table, request);
        return r == null ? null : r.name();
    }

    static WeightedClusters forward(Route route) {
        assertThat(route).isNotNull();
        assertThat(route.action()).isInstanceOf(RouteAction.Forward.class);
        return ((RouteAction.Forward) route.action()).clusters();
    }

    /** The only cluster of a forwarding route. */
    static Cluster onlyCluster(Route route) {
        List<WeightedClusters.Entry> entries = forward(route).entries();
        assertThat(entries).hasSize(1);
        return entries.get(0).cluster();
    }

    // ---------------------------------------------------------------- randomness and contexts

    /** Returns the given draws in order and fails on a draw outside its bound. */
    static final class ScriptedRandom implements RandomSource {
        private final Deque<Integer> draws = new ArrayDeque<>();
        final List<Integer> bounds = new ArrayList<>();

        ScriptedRandom(int... draws) {
            for (int d : draws) {
                this.draws.add(d);
            }
        }

        @Override
        public int nextInt(int bound) {
            bounds.add(bound);
            if (draws.isEmpty()) {
                throw new AssertionError("no more scripted draws (bound " + bound + ")");
            }
            int d = draws.poll();
            if (d < 0 || d >= bound) {
                throw new AssertionError("scripted draw " + d + " outside [0, " + bound + ")");
            }
            return d;
        }
    }

    /** Always draws {@code value} (which must be below the bound). */
    static RandomSource constant(int value) {
        return bound -> {
            if (value >= bound) {
                throw new AssertionError("constant draw " + value + " outside [0, " + bound + ")");
            }
            return value;
        };
    }

    /** A balancer context that records the set-cookie values asked for. */
    static final class RecordingContext implements LoadBalancer.Context {
        private final RandomSource random;
        final List<String> cookies = new ArrayList<>();

        RecordingContext(RandomSource random) {
            this.random = random;
        }

        RecordingContext() {
            this(RandomSource.threadLocal());
        }

        @Override
        public RandomSource random() {
            return random;
        }

        @Override
        public void addResponseCookie(String setCookieValue) {
            cookies.add(setCookieValue);
        }
    }
}
