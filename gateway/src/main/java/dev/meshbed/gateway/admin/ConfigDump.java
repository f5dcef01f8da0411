package dev.meshbed.gateway.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meshbed.gateway.config.IstioResource;
import dev.meshbed.gateway.config.Rejection;
import dev.meshbed.gateway.routing.Cluster;
import dev.meshbed.gateway.routing.Endpoint;
import dev.meshbed.gateway.routing.Mirror;
import dev.meshbed.gateway.routing.RequestMatcher;
import dev.meshbed.gateway.routing.RetryPolicy;
import dev.meshbed.gateway.routing.Route;
import dev.meshbed.gateway.routing.RouteAction;
import dev.meshbed.gateway.routing.RouteFilters;
import dev.meshbed.gateway.routing.RoutingTable;
import dev.meshbed.gateway.routing.VirtualHost;
import dev.meshbed.gateway.routing.WeightedClusters;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import dev.meshbed.gateway.routing.OutlierDetector;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * {@code /config_dump}: the installed table as JSON, in Envoy's vocabulary (listeners, virtual
 * hosts, routes, clusters, endpoints), plus the resources it came from and what was rejected.
 */
final class ConfigDump {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final KubernetesSerialization SPECS = new KubernetesSerialization();

    private ConfigDump() {
    }

    static String render(RoutingTable table, Map<String, Object> gatewayInfo) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", table.version());
        root.put("built_at", table.builtAt().toString());
        root.set("gateway", JSON.valueToTree(gatewayInfo));
        ArrayNode listeners = root.putArray("listeners");
        for (RoutingTable.Listener l : table.listeners()) {
            ObjectNode ln = listeners.addObject();
            ln.put("listen_port", l.spec().listenPort());
            ln.put("gateway_port", l.gatewayPort());
            if (l.problem() != null) {
                ln.put("problem", l.problem());
            }
            ArrayNode hosts = ln.putArray("virtual_hosts");
            for (VirtualHost vh : l.virtualHosts().all()) {
                ObjectNode hn = hosts.addObject();
                hn.put("domain", vh.domain());
                ArrayNode routes = hn.putArray("routes");
                for (Route r : vh.routes()) {
                    routes.add(route(r));
                }
            }
        }
        ArrayNode clusters = root.putArray("clusters");
        for (Cluster c : table.clusters().values().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList()) {
            clusters.add(cluster(c));
        }
        ArrayNode resources = root.putArray("resources");
        for (IstioResource<?> r : table.snapshot().all()) {
            ObjectNode rn = resources.addObject();
            rn.put("kind", r.kind().kindName());
            rn.put("namespace", r.namespace());
            rn.put("name", r.name());
            rn.put("api_version", r.apiVersion());
            rn.put("origin", r.origin().toString());
            rn.set("spec", JSON.valueToTree(SPECS.convertValue(r.spec(), Map.class)));
        }
        ArrayNode rejected = root.putArray("rejected");
        for (Rejection r : table.rejections()) {
            ObjectNode rn = rejected.addObject();
            rn.put("resource", r.key() == null ? null : r.key().toString());
            rn.put("origin", r.origin().toString());
            rn.put("field", r.field());
            rn.put("message", r.message());
            rn.put("text", r.describe());
        }
        ArrayNode warnings = root.putArray("warnings");
        table.warnings().forEach(warnings::add);
        ArrayNode ignored = root.putArray("ignored");
        table.snapshot().ignored().forEach(ignored::add);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode route(Route r) {
        ObjectNode rn = JSON.createObjectNode();
        rn.put("name", r.name());
        ArrayNode match = rn.putArray("match");
        for (RequestMatcher m : r.matchers()) {
            ArrayNode block = match.addArray();
            for (RequestMatcher.Condition c : m.conditions()) {
                block.add(c.describe());
            }
        }
        if (r.timeoutMillis() > 0) {
            rn.put("timeout_ms", r.timeoutMillis());
        }
        if (!r.filters().isEmpty()) {
            rn.set("filters", JSON.valueToTree(r.filters().describe()));
        }
        ObjectNode action = rn.putObject("action");
        if (r.action() instanceof RouteAction.Forward f) {
            rn.set("retry_policy", retryPolicy(r.retryPolicy()));
            if (!r.mirrors().isEmpty()) {
                ArrayNode mirrors = rn.putArray("request_mirror_policies");
                for (Mirror m : r.mirrors()) {
                    mirrors.addObject().put("cluster", m.cluster().name()).put("percent", m.percent());
                }
            }
            ArrayNode wc = action.putArray("weighted_clusters");
            for (WeightedClusters.Entry e : f.clusters().entries()) {
                ObjectNode en = wc.addObject();
                en.put("cluster", e.cluster().name());
                en.put("weight", e.weight());
                en.put("share", Math.round(f.clusters().share(e) * 10000) / 10000.0);
                if (!e.headers().isEmpty()) {
                    en.set("headers", JSON.valueToTree(RouteFilters.describe(e.headers())));
                }
            }
        } else if (r.action() instanceof RouteAction.DirectResponse d) {
            action.putObject("direct_response").put("status", d.status()).put("body", d.body());
        } else if (r.action() instanceof RouteAction.Redirect d) {
            ObjectNode rd = action.putObject("redirect");
            rd.put("status", d.status());
            rd.put("scheme", d.scheme());
            rd.put("authority", d.authority());
            rd.put("port", d.port());
            rd.put("uri", d.uri());
            if (d.prefixRewrite() != null) {
                rd.set("prefix_rewrite", JSON.valueToTree(d.prefixRewrite().describe()));
            }
        }
        return rn;
    }

    /** The effective retry policy, in Envoy's field names. */
    private static ObjectNode retryPolicy(RetryPolicy p) {
        ObjectNode pn = JSON.createObjectNode();
        pn.put("num_retries", p.numRetries());
        if (!p.enabled()) {
            return pn;
        }
        pn.put("retry_on", p.retryOnText());
        ArrayNode codes = pn.putArray("retriable_status_codes");
        for (int c : p.retriableStatusCodes()) {
            codes.add(c);
        }
        if (p.perTryTimeoutMillis() > 0) {
            pn.put("per_try_timeout_ms", p.perTryTimeoutMillis());
        }
        pn.put("retry_host_predicate", p.previousHosts() ? "previous_hosts" : "none");
        pn.put("host_selection_retry_max_attempts", RetryPolicy.HOST_SELECTION_ATTEMPTS);
        pn.putObject("retry_back_off").put("base_interval_ms", p.backoffBaseMillis())
                .put("max_interval_ms", p.backoffMaxMillis());
        if (!p.notApplicable().isEmpty()) {
            ArrayNode na = pn.putArray("not_applicable");
            p.notApplicable().forEach(na::add);
        }
        return pn;
    }

    private static ObjectNode cluster(Cluster c) {
        ObjectNode cn = JSON.createObjectNode();
        cn.put("name", c.name());
        cn.put("host", c.host());
        cn.put("port", c.port());
        cn.put("subset", c.subset());
        if (!c.defined()) {
            cn.put("problem", c.undefinedReason() + " (requests answer 503 NC)");
            return cn;
        }
        cn.put("load_balancer", c.loadBalancer().describe());
        cn.put("connect_timeout_ms", c.connectTimeoutMillis());
        cn.put("circuit_breakers", c.limits().describe());
        cn.put("tls", c.tls() == null ? "plaintext" : c.tls().describe());
        OutlierDetector outlier = c.outlier();
        Map<Endpoint, OutlierDetector.EndpointState> states = new IdentityHashMap<>();
        if (outlier != null) {
            cn.put("outlier_detection", outlier.policy().describe());
            for (OutlierDetector.EndpointState s : outlier.states()) {
                states.put(s.endpoint(), s);
            }
        }
        ArrayNode eps = cn.putArray("endpoints");
        for (Endpoint e : c.endpoints()) {
            ObjectNode en = eps.addObject();
            en.put("address", e.addressText());
            en.set("labels", JSON.valueToTree(e.labels()));
            en.put("source", e.source());
            en.put("active_requests", e.activeRequests());
            en.put("weight", e.weight());
            OutlierDetector.EndpointState s = states.get(e);
            if (s != null) {
                ObjectNode on = en.putObject("outlier");
                on.put("ejected", s.ejected());
                if (s.ejected()) {
                    on.put("ejected_since", Instant.ofEpochMilli(s.ejectedSinceEpochMillis()).toString());
                    on.put("ejected_until", Instant.ofEpochMilli(s.ejectedUntilEpochMillis()).toString());
                }
                on.put("ejections", s.ejections());
                on.put("consecutive_5xx", s.consecutive5xx());
                on.put("consecutive_gateway_errors", s.consecutiveGateway());
            }
        }
        if (c.endpoints().isEmpty()) {
            cn.put("problem", "no endpoints (requests answer 503 UH)");
        }
        return cn;
    }
}
