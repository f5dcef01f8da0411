package dev.meshbed.gateway.config;

import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHash;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLB;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHTTPCookie_;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHttpCookie;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHttpHeaderName;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHttpQueryParameterName;
import io.fabric8.istio.api.api.networking.v1alpha3.OutlierDetection;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import java.util.HashSet;
import java.util.Set;

/**
 * DestinationRule checks: host, subset names, and traffic policies at every level they may
 * appear (top-level, per subset, per port).
 */
final class DestinationRuleValidator {

    /** In the model's order, as the strict checker lists them too. */
    private static final String HASH_KEYS = "httpCookie, httpHeaderName, httpQueryParameterName, useSourceIp";

    private DestinationRuleValidator() {
    }

    static void validate(DestinationRule spec, Problems problems) {
        String host = spec.getHost();
        if (problems.required("spec.host", host) && !HostSyntax.isWildcardOrDnsName(host)) {
            problems.add("spec.host", "\"" + host + "\" is not a valid host (expected: *, *.example.com or a DNS name)");
        }
        trafficPolicy("spec.trafficPolicy", spec.getTrafficPolicy(), problems);
        Set<String> names = new HashSet<>();
        problems.forEach("spec.subsets", spec.getSubsets(), (path, subset) -> {
            String name = subset.getName();
            if (problems.required(path + ".name", name)) {
                if (!HostSyntax.isDnsLabel(name)) {
                    // Subset names become part of Envoy cluster names; Istio requires DNS labels.
                    problems.add(path + ".name", "\"" + name + "\" is not a valid subset name (expected: a DNS label)");
                } else if (!names.add(name)) {
                    problems.add(path + ".name", "\"" + name + "\" is defined twice");
                }
            }
            trafficPolicy(path + ".trafficPolicy", subset.getTrafficPolicy(), problems);
        });
    }

    private static void trafficPolicy(String path, TrafficPolicy policy, Problems problems) {
        if (policy == null) {
            return;
        }
        loadBalancer(path + ".loadBalancer", policy.getLoadBalancer(), problems);
        connectionPool(path + ".connectionPool", policy.getConnectionPool(), problems);
        outlierDetection(path + ".outlierDetection", policy.getOutlierDetection(), problems);
        problems.forEach(path + ".portLevelSettings", policy.getPortLevelSettings(), (portPath, settings) -> {
            if (problems.required(portPath + ".port", settings.getPort())
                    && problems.required(portPath + ".port.number", settings.getPort().getNumber())) {
                problems.port(portPath + ".port.number", settings.getPort().getNumber());
            }
            loadBalancer(portPath + ".loadBalancer", settings.getLoadBalancer(), problems);
            connectionPool(portPath + ".connectionPool", settings.getConnectionPool(), problems);
            outlierDetection(portPath + ".outlierDetection", settings.getOutlierDetection(), problems);
        });
    }

    private static void loadBalancer(String path, LoadBalancerSettings settings, Problems problems) {
        if (settings == null) {
            return;
        }
        if (settings.getLbPolicy() instanceof LoadBalancerSettingsConsistentHash hash) {
            consistentHash(path + ".consistentHash", hash.getConsistentHash(), problems);
        }
        problems.duration(path + ".warmupDurationSecs", settings.getWarmupDurationSecs());
        if (settings.getWarmup() != null) {
            if (problems.required(path + ".warmup.duration", settings.getWarmup().getDuration())) {
                problems.duration(path + ".warmup.duration", settings.getWarmup().getDuration());
            }
            problems.percentage(path + ".warmup.minimumPercent", settings.getWarmup().getMinimumPercent());
            Double aggression = settings.getWarmup().getAggression();
            if (aggression != null && !(aggression > 0)) {
                problems.add(path + ".warmup.aggression", aggression + " (expected: > 0)");
            }
        }
    }

    /** Exactly one hash key; more than one is caught by the strict checker (the model keeps only one). */
    private static void consistentHash(String path, LoadBalancerSettingsConsistentHashLB hash, Problems problems) {
        if (hash == null || hash.getHashKey() == null) {
            problems.add(path, "one of " + HASH_KEYS + " is required");
            return;
        }
        if (hash.getHashKey() instanceof LoadBalancerSettingsConsistentHashLBHttpCookie cookieKey) {
            LoadBalancerSettingsConsistentHashLBHTTPCookie_ cookie = cookieKey.getHttpCookie();
            if (problems.required(path + ".httpCookie", cookie)) {
                problems.required(path + ".httpCookie.name", cookie.getName());
                problems.duration(path + ".httpCookie.ttl", cookie.getTtl());
            }
        } else if (hash.getHashKey() instanceof LoadBalancerSettingsConsistentHashLBHttpHeaderName header) {
            problems.required(path + ".httpHeaderName", header.getHttpHeaderName());
        } else if (hash.getHashKey() instanceof LoadBalancerSettingsConsistentHashLBHttpQueryParameterName query) {
            problems.required(path + ".httpQueryParameterName", query.getHttpQueryParameterName());
        }
    }

    private static void connectionPool(String path, ConnectionPoolSettings pool, Problems problems) {
        if (pool == null) {
            return;
        }
        if (pool.getTcp() != null) {
            problems.duration(path + ".tcp.connectTimeout", pool.getTcp().getConnectTimeout());
            problems.duration(path + ".tcp.idleTimeout", pool.getTcp().getIdleTimeout());
            problems.duration(path + ".tcp.maxConnectionDuration", pool.getTcp().getMaxConnectionDuration());
            problems.nonNegative(path + ".tcp.maxConnections", pool.getTcp().getMaxConnections());
        }
        if (pool.getHttp() != null) {
            problems.duration(path + ".http.idleTimeout", pool.getHttp().getIdleTimeout());
        }
    }

    private static void outlierDetection(String path, OutlierDetection detection, Problems problems) {
        if (detection == null) {
            return;
        }
        problems.duration(path + ".interval", detection.getInterval());
        problems.duration(path + ".baseEjectionTime", detection.getBaseEjectionTime());
        problems.range(path + ".maxEjectionPercent", detection.getMaxEjectionPercent(), 0, 100);
        problems.range(path + ".minHealthPercent", detection.getMinHealthPercent(), 0, 100);
    }
}
