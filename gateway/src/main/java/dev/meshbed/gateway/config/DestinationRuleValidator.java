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
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsHTTPSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsHTTPSettingsH2UpgradePolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.WarmupConfiguration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
        if (problems.required("spec.host", host) && !HostSyntax.isIstioHost(host)) {
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
            VirtualServiceValidator.labels(path + ".labels", subset.getLabels(), problems);
            trafficPolicy(path + ".trafficPolicy", subset.getTrafficPolicy(), problems);
        });
    }

    private static void trafficPolicy(String path, TrafficPolicy policy, Problems problems) {
        if (policy == null) {
            return;
        }
        if (policy.getLoadBalancer() == null && policy.getConnectionPool() == null
                && policy.getOutlierDetection() == null && policy.getTls() == null
                && (policy.getPortLevelSettings() == null || policy.getPortLevelSettings().isEmpty())
                && policy.getTunnel() == null && policy.getProxyProtocol() == null && policy.getRetryBudget() == null) {
            problems.add(path, "empty (expected: at least one of loadBalancer, connectionPool, outlierDetection, tls,"
                    + " portLevelSettings, tunnel, proxyProtocol, retryBudget)");
            return;
        }
        if (policy.getTunnel() != null && policy.getProxyProtocol() != null) {
            problems.add(path, "only one of tunnel, proxyProtocol may be set (found: tunnel, proxyProtocol)");
            return;
        }
        loadBalancer(path + ".loadBalancer", policy.getLoadBalancer(), problems);
        connectionPool(path + ".connectionPool", policy.getConnectionPool(), problems);
        outlierDetection(path + ".outlierDetection", policy.getOutlierDetection(), problems);
        clientTls(path + ".tls", policy.getTls(), problems);
        if (policy.getProxyProtocol() != null && policy.getProxyProtocol().getVersion() != null) {
            String version = String.valueOf(policy.getProxyProtocol().getVersion());
            if (!version.equals("V1") && !version.equals("V2")) {
                problems.add(path + ".proxyProtocol.version", version + " is not one of V1, V2");
            }
        }
        if (policy.getTunnel() != null) {
            String protocol = policy.getTunnel().getProtocol();
            if (protocol != null && !protocol.isEmpty() && !protocol.equals("CONNECT") && !protocol.equals("POST")) {
                problems.add(path + ".tunnel.protocol", "\"" + protocol + "\" is not one of CONNECT, POST");
            }
            String target = policy.getTunnel().getTargetHost();
            if (!HostSyntax.isFqdn(target) && !HostSyntax.isIpAddress(target)) {
                problems.add(path + ".tunnel.targetHost", "\"" + (target == null ? "" : target)
                        + "\" is not a DNS name or IP address");
            }
            Long port = policy.getTunnel().getTargetPort();
            if (problems.required(path + ".tunnel.targetPort", port)) {
                problems.port(path + ".tunnel.targetPort", port);
            }
        }
        problems.forEach(path + ".portLevelSettings", policy.getPortLevelSettings(), (portPath, settings) -> {
            if (problems.required(portPath + ".port", settings.getPort())
                    && problems.required(portPath + ".port.number", settings.getPort().getNumber())) {
                problems.port(portPath + ".port.number", settings.getPort().getNumber());
            }
            if (settings.getLoadBalancer() == null && settings.getConnectionPool() == null
                    && settings.getOutlierDetection() == null && settings.getTls() == null) {
                problems.add(portPath, "no settings (expected: at least one of loadBalancer, connectionPool,"
                        + " outlierDetection, tls)");
                return;
            }
            loadBalancer(portPath + ".loadBalancer", settings.getLoadBalancer(), problems);
            connectionPool(portPath + ".connectionPool", settings.getConnectionPool(), problems);
            outlierDetection(portPath + ".outlierDetection", settings.getOutlierDetection(), problems);
            clientTls(portPath + ".tls", settings.getTls(), problems);
        });
    }

    /** Istio's rules for how an upstream TLS client gets its certificates. */
    private static void clientTls(String path, ClientTLSSettings tls, Problems problems) {
        if (tls == null) {
            return;
        }
        ClientTLSSettingsTLSmode mode = tls.getMode();
        boolean credential = present(tls.getCredentialName());
        if (Boolean.TRUE.equals(tls.getInsecureSkipVerify())) {
            if (mode == ClientTLSSettingsTLSmode.SIMPLE && (present(tls.getCaCertificates()) || credential
                    || hasItems(tls.getSubjectAltNames()))) {
                problems.add(path + ".insecureSkipVerify", "true, yet caCertificates, credentialName or"
                        + " subjectAltNames is set (expected: one or the other)");
            }
            if (mode == ClientTLSSettingsTLSmode.MUTUAL && (present(tls.getCaCertificates())
                    || hasItems(tls.getSubjectAltNames()))) {
                problems.add(path + ".insecureSkipVerify", "true, yet caCertificates or subjectAltNames is set"
                        + " (expected: one or the other)");
            }
        }
        if ((mode == ClientTLSSettingsTLSmode.SIMPLE || mode == ClientTLSSettingsTLSmode.MUTUAL) && credential) {
            if (present(tls.getClientCertificate()) || present(tls.getCaCertificates()) || present(tls.getPrivateKey())
                    || present(tls.getCaCrl())) {
                problems.add(path + ".credentialName", "set together with clientCertificate, privateKey,"
                        + " caCertificates or caCrl (expected: one source of certificates)");
            }
            return;
        }
        if (mode == ClientTLSSettingsTLSmode.MUTUAL) {
            if (!present(tls.getClientCertificate())) {
                problems.add(path + ".clientCertificate", "required by MUTUAL TLS without credentialName");
            }
            if (!present(tls.getPrivateKey())) {
                problems.add(path + ".privateKey", "required by MUTUAL TLS without credentialName");
            }
        }
    }

    private static boolean hasItems(List<?> list) {
        return list != null && !list.isEmpty();
    }

    private static boolean present(String s) {
        return s != null && !s.isEmpty();
    }

    private static void loadBalancer(String path, LoadBalancerSettings settings, Problems problems) {
        if (settings == null) {
            return;
        }
        if (settings.getLbPolicy() instanceof LoadBalancerSettingsConsistentHash hash) {
            consistentHash(path + ".consistentHash", hash.getConsistentHash(), problems);
        }
        problems.duration(path + ".warmupDurationSecs", settings.getWarmupDurationSecs());
        if (settings.getLocalityLbSetting() != null
                && settings.getAdditionalProperties().get(ModelGaps.ZONE_AWARE_LB_SETTING) != null) {
            problems.add(path, "only one of localityLbSetting, zoneAwareLbSetting may be set"
                    + " (found: localityLbSetting, zoneAwareLbSetting)");
        }
        WarmupConfiguration warmup = settings.getWarmup();
        if (warmup != null) {
            if (problems.required(path + ".warmup.duration", warmup.getDuration())) {
                problems.istioDuration(path + ".warmup.duration", warmup.getDuration());
            }
            Double minimum = warmup.getMinimumPercent();
            if (minimum != null && (minimum.isNaN() || minimum > 100 || minimum < 0)) {
                problems.add(path + ".warmup.minimumPercent", minimum + " (expected: 0..100)");
            }
            Double aggression = warmup.getAggression();
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
                // Istio: cookie attribute names are required and unique.
                java.util.Set<String> attributes = new HashSet<>();
                problems.forEach(path + ".httpCookie.attributes", cookie.getAttributes(), (attributePath, attribute) -> {
                    if (problems.required(attributePath + ".name", attribute.getName())
                            && !attributes.add(attribute.getName())) {
                        problems.add(attributePath + ".name", "\"" + attribute.getName() + "\" is defined twice");
                    }
                });
            }
        } else if (hash.getHashKey() instanceof LoadBalancerSettingsConsistentHashLBHttpHeaderName header) {
            problems.required(path + ".httpHeaderName", header.getHttpHeaderName());
        } else if (hash.getHashKey() instanceof LoadBalancerSettingsConsistentHashLBHttpQueryParameterName query) {
            problems.required(path + ".httpQueryParameterName", query.getHttpQueryParameterName());
        }
        if (hash.getMinimumRingSize() != null && hash.getMinimumRingSize() != 0 && hash.getHashAlgorithm() != null) {
            problems.add(path + ".minimumRingSize", "set together with ringHash or maglev (expected: one of them)");
        }
        if (hash.getHashAlgorithm() instanceof io.fabric8.istio.api.api.networking.v1alpha3
                .LoadBalancerSettingsConsistentHashLBMaglev maglev && maglev.getMaglev() != null) {
            // Envoy's Maglev table: a prime below 5000011.
            Long size = maglev.getMaglev().getTableSize();
            String sizePath = path + ".maglev.tableSize";
            if (size == null || size == 0) {
                problems.add(sizePath, "required");
            } else if (size >= 5_000_011L || !isPrime(size)) {
                problems.add(sizePath, size + " (expected: a prime number below 5000011)");
            }
        }
    }

    /** Envoy's primality test for Maglev table sizes (as Istio copies it). */
    static boolean isPrime(long x) {
        if (x != 0 && x < 4) {
            return true;
        }
        if ((x & 1) == 0) {
            return false;
        }
        long limit = (long) Math.sqrt((double) x);
        for (long factor = 3; factor <= limit; factor += 2) {
            if (x % factor == 0) {
                return false;
            }
        }
        return true;
    }

    private static void connectionPool(String path, ConnectionPoolSettings pool, Problems problems) {
        if (pool == null) {
            return;
        }
        if (pool.getTcp() == null && pool.getHttp() == null) {
            problems.add(path, "empty (expected: at least one of tcp, http)");
            return;
        }
        if (pool.getTcp() != null) {
            problems.istioDuration(path + ".tcp.connectTimeout", pool.getTcp().getConnectTimeout());
            String idle = pool.getTcp().getIdleTimeout();
            if (idle != null && !isZero(idle)) { // 0s disables the idle timeout
                problems.istioDuration(path + ".tcp.idleTimeout", idle);
            }
            problems.istioDuration(path + ".tcp.maxConnectionDuration", pool.getTcp().getMaxConnectionDuration());
            problems.nonNegative(path + ".tcp.maxConnections", pool.getTcp().getMaxConnections());
            if (pool.getTcp().getTcpKeepalive() != null) {
                problems.istioDuration(path + ".tcp.tcpKeepalive.time", pool.getTcp().getTcpKeepalive().getTime());
                problems.istioDuration(path + ".tcp.tcpKeepalive.interval", pool.getTcp().getTcpKeepalive().getInterval());
            }
        }
        ConnectionPoolSettingsHTTPSettings http = pool.getHttp();
        if (http != null) {
            String httpPath = path + ".http";
            problems.istioDuration(httpPath + ".idleTimeout", http.getIdleTimeout());
            problems.nonNegative(httpPath + ".http1MaxPendingRequests", http.getHttp1MaxPendingRequests());
            problems.nonNegative(httpPath + ".http2MaxRequests", http.getHttp2MaxRequests());
            problems.nonNegative(httpPath + ".maxRequestsPerConnection", http.getMaxRequestsPerConnection());
            problems.nonNegative(httpPath + ".maxRetries", http.getMaxRetries());
            problems.nonNegative(httpPath + ".maxConcurrentStreams", http.getMaxConcurrentStreams());
            if (http.getH2UpgradePolicy() == ConnectionPoolSettingsHTTPSettingsH2UpgradePolicy.UPGRADE
                    && Boolean.TRUE.equals(http.getUseClientProtocol())) {
                problems.add(httpPath + ".useClientProtocol", "true, yet h2UpgradePolicy is UPGRADE"
                        + " (expected: one or the other)");
            }
            if (http.getAdditionalProperties().get(ModelGaps.HTTP2_KEEP_ALIVE) instanceof Map<?, ?> keepAlive) {
                String keepAlivePath = httpPath + "." + ModelGaps.HTTP2_KEEP_ALIVE;
                for (String field : List.of("interval", "timeout")) {
                    Object value = keepAlive.get(field);
                    if (problems.required(keepAlivePath + "." + field, value) && value instanceof String text) {
                        problems.istioDuration(keepAlivePath + "." + field, text);
                    }
                }
            }
        }
    }

    private static boolean isZero(String duration) {
        try {
            return Durations.parse(duration).isZero();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void outlierDetection(String path, OutlierDetection detection, Problems problems) {
        if (detection == null) {
            return;
        }
        problems.istioDuration(path + ".interval", detection.getInterval());
        problems.istioDuration(path + ".baseEjectionTime", detection.getBaseEjectionTime());
        Integer localOrigin = detection.getConsecutiveLocalOriginFailures();
        if (localOrigin != null && localOrigin > 0 && !Boolean.TRUE.equals(detection.getSplitExternalLocalOriginErrors())) {
            problems.add(path + ".consecutiveLocalOriginFailures", localOrigin + ", yet"
                    + " splitExternalLocalOriginErrors is not true (expected: both, or neither)");
        }
        problems.range(path + ".maxEjectionPercent", detection.getMaxEjectionPercent(), 0, 100);
        problems.range(path + ".minHealthPercent", detection.getMinHealthPercent(), 0, 100);
    }
}
