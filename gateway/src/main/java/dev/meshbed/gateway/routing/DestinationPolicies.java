package dev.meshbed.gateway.routing;

import dev.meshbed.gateway.config.ConfigSnapshot;
import dev.meshbed.gateway.config.Durations;
import dev.meshbed.gateway.config.IstioResource;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettingsTLSmode;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsHTTPSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsHTTPSettingsH2UpgradePolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsTCPSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule;
import io.fabric8.istio.api.api.networking.v1alpha3.IsLoadBalancerSettingsConsistentHashLBHashAlgorithm;
import io.fabric8.istio.api.api.networking.v1alpha3.IsLoadBalancerSettingsConsistentHashLBHashKey;
import io.fabric8.istio.api.api.networking.v1alpha3.IsLoadBalancerSettingsLbPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHash;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLB;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHTTPCookie_;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHttpCookie;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHttpHeaderName;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBHttpQueryParameterName;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBRingHash;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBUseSourceIp;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsSimple;
import io.fabric8.istio.api.api.networking.v1alpha3.OutlierDetection;
import io.fabric8.istio.api.api.networking.v1alpha3.Subset;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyPortTrafficPolicy;
import io.fabric8.istio.api.api.networking.v1alpha3.WarmupConfiguration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * DestinationRules by host, and the policy a cluster gets from them. A subset's policy overrides
 * the rule's top-level one, and port-level settings override both at their level, field by field.
 */
final class DestinationPolicies {

    /** Envoy's default minimum_ring_size. */
    static final int DEFAULT_RING_SIZE = 1024;

    private final List<IstioResource<DestinationRule>> rules;
    private final ServiceRegistry registry;
    private final List<String> warnings;

    DestinationPolicies(ConfigSnapshot snapshot, ServiceRegistry registry, List<String> warnings) {
        this.rules = snapshot.destinationRules();
        this.registry = registry;
        this.warnings = warnings;
    }

    /**
     * The DestinationRules of one host, merged as Istio merges rules for the same host: subsets
     * of all of them (the first definition of a name wins), the first top-level traffic policy.
     */
    record HostRules(List<IstioResource<DestinationRule>> rules) {

        Subset subset(String name) {
            if (name == null) {
                return null;
            }
            for (IstioResource<DestinationRule> r : rules) {
                for (Subset s : r.spec().getSubsets()) {
                    if (name.equals(s.getName())) {
                        return s;
                    }
                }
            }
            return null;
        }

        TrafficPolicy trafficPolicy() {
            for (IstioResource<DestinationRule> r : rules) {
                if (r.spec().getTrafficPolicy() != null) {
                    return r.spec().getTrafficPolicy();
                }
            }
            return null;
        }

        String subsetNames() {
            return rules.stream().flatMap(r -> r.spec().getSubsets().stream()).map(Subset::getName).distinct()
                    .collect(Collectors.joining(", "));
        }

        /** {@code DestinationRule default/app} (or several, comma-separated). */
        String describe() {
            return rules.stream().map(r -> r.key().toString()).collect(Collectors.joining(", "));
        }
    }

    /** The rules for a canonical host: those naming it exactly, else the longest wildcard; or null. */
    HostRules find(String canonicalHost) {
        List<IstioResource<DestinationRule>> exact = new ArrayList<>();
        IstioResource<DestinationRule> best = null;
        int bestLength = -1;
        for (IstioResource<DestinationRule> r : rules) {
            String h = r.spec().getHost();
            if (h == null) {
                continue;
            }
            h = h.toLowerCase(Locale.ROOT);
            if (registry.canonical(h, r.namespace()).equals(canonicalHost)) {
                exact.add(r);
            } else if (h.startsWith("*") && (h.equals("*") || Hosts.covers(h, canonicalHost)) && h.length() > bestLength) {
                best = r;
                bestLength = h.length();
            }
        }
        if (!exact.isEmpty()) {
            return new HostRules(List.copyOf(exact));
        }
        return best == null ? null : new HostRules(List.of(best));
    }

    /**
     * The balancer recipe for a cluster: a function of the cluster's endpoints, since a hash ring
     * is built over them.
     */
    Function<List<Endpoint>, LoadBalancer> loadBalancer(HostRules rule, Subset subset, int port) {
        LoadBalancerSettings settings = lookup(rule, subset, port, TrafficPolicy::getLoadBalancer,
                TrafficPolicyPortTrafficPolicy::getLoadBalancer);
        if (settings == null || settings.getLbPolicy() == null) {
            SlowStart slow = slowStart(rule, settings);
            return eps -> leastRequest(slow);
        }
        IsLoadBalancerSettingsLbPolicy policy = settings.getLbPolicy();
        if (policy instanceof LoadBalancerSettingsSimple simple) {
            if (simple.getSimple() == null) {
                SlowStart slow = slowStart(rule, settings);
                return eps -> leastRequest(slow);
            }
            switch (simple.getSimple()) {
                case ROUND_ROBIN: {
                    SlowStart slow = slowStart(rule, settings);
                    return eps -> new LoadBalancers.RoundRobin(slow, System::nanoTime);
                }
                case RANDOM:
                    warnWarmupIgnored(rule, settings, "RANDOM");
                    return eps -> new LoadBalancers.Random();
                case PASSTHROUGH:
                    warnings.add(rule.describe() + ": loadBalancer.simple PASSTHROUGH is not supported; using LEAST_REQUEST");
                    return eps -> defaultBalancer();
                default: { // LEAST_REQUEST, LEAST_CONN (its deprecated name), UNSPECIFIED
                    SlowStart slow = slowStart(rule, settings);
                    return eps -> leastRequest(slow);
                }
            }
        }
        if (policy instanceof LoadBalancerSettingsConsistentHash ch && ch.getConsistentHash() != null) {
            warnWarmupIgnored(rule, settings, "consistentHash");
            return consistentHash(rule, ch.getConsistentHash());
        }
        return eps -> defaultBalancer();
    }

    private static LoadBalancer leastRequest(SlowStart slow) {
        return slow == null ? defaultBalancer() : new LoadBalancers.LeastRequest(slow, System::nanoTime);
    }

    /**
     * {@code warmup} (or the older {@code warmupDurationSecs}) as Envoy's slow start, which Istio
     * sets for ROUND_ROBIN and LEAST_REQUEST only; null when absent.
     */
    private SlowStart slowStart(HostRules rule, LoadBalancerSettings settings) {
        if (settings == null) {
            return null;
        }
        WarmupConfiguration warmup = settings.getWarmup();
        if (warmup != null && warmup.getDuration() != null) {
            long window = Math.max(1, Durations.parse(warmup.getDuration()).toMillis());
            double aggression = warmup.getAggression() != null && warmup.getAggression() > 0 ? warmup.getAggression()
                    : SlowStart.DEFAULT_AGGRESSION;
            double min = warmup.getMinimumPercent() != null ? Math.max(0, Math.min(100, warmup.getMinimumPercent()))
                    : SlowStart.DEFAULT_MIN_WEIGHT_PERCENT;
            return new SlowStart(window, aggression, min);
        }
        if (settings.getWarmupDurationSecs() != null) {
            long window = Math.max(1, Durations.parse(settings.getWarmupDurationSecs()).toMillis());
            return new SlowStart(window, SlowStart.DEFAULT_AGGRESSION, SlowStart.DEFAULT_MIN_WEIGHT_PERCENT);
        }
        return null;
    }

    private void warnWarmupIgnored(HostRules rule, LoadBalancerSettings settings, String policy) {
        if (settings.getWarmup() != null || settings.getWarmupDurationSecs() != null) {
            warn(rule.describe() + ": loadBalancer.warmup is not applied with " + policy
                    + " (Istio sets slow start for ROUND_ROBIN and LEAST_REQUEST only)");
        }
    }

    /** Istio's default since 1.14 (Envoy's own default is ROUND_ROBIN). */
    static LoadBalancer defaultBalancer() {
        return new LoadBalancers.LeastRequest();
    }

    private Function<List<Endpoint>, LoadBalancer> consistentHash(HostRules rule,
            LoadBalancerSettingsConsistentHashLB ch) {
        HashPolicy policy = hashPolicy(ch.getHashKey());
        if (policy == null) {
            warnings.add(rule.describe() + ": consistentHash without a hash key; using LEAST_REQUEST");
            return eps -> defaultBalancer();
        }
        // ringHash.minimumRingSize is lost by fabric8 7.5.2's model (see StrictModelChecker), so
        // only the older top-level minimumRingSize can change the ring size
        int ringSize = ch.getMinimumRingSize() != null ? ch.getMinimumRingSize().intValue() : DEFAULT_RING_SIZE;
        IsLoadBalancerSettingsConsistentHashLBHashAlgorithm algorithm = ch.getHashAlgorithm();
        if (algorithm != null && !(algorithm instanceof LoadBalancerSettingsConsistentHashLBRingHash)) {
            warnings.add(rule.describe() + ": consistentHash maglev is served by a ring hash");
        }
        int size = Math.max(1, Math.min(ringSize, 1 << 20));
        return eps -> {
            String[] keys = eps.stream().map(Endpoint::addressText).toArray(String[]::new);
            // no hash key in the request: Envoy picks at random
            return keys.length == 0 ? new LoadBalancers.Random()
                    : new LoadBalancers.ConsistentHash(policy, new HashRing(keys, size), new LoadBalancers.Random());
        };
    }

    private static HashPolicy hashPolicy(IsLoadBalancerSettingsConsistentHashLBHashKey key) {
        if (key instanceof LoadBalancerSettingsConsistentHashLBHttpHeaderName h && h.getHttpHeaderName() != null) {
            return new HashPolicy.Header(h.getHttpHeaderName().toLowerCase(Locale.ROOT));
        }
        if (key instanceof LoadBalancerSettingsConsistentHashLBHttpCookie c && c.getHttpCookie() != null) {
            LoadBalancerSettingsConsistentHashLBHTTPCookie_ cookie = c.getHttpCookie();
            long ttl = cookie.getTtl() == null ? -1 : Durations.parse(cookie.getTtl()).toSeconds();
            return new HashPolicy.Cookie(cookie.getName(), cookie.getPath(), ttl);
        }
        if (key instanceof LoadBalancerSettingsConsistentHashLBUseSourceIp s && Boolean.TRUE.equals(s.getUseSourceIp())) {
            return new HashPolicy.SourceIp();
        }
        if (key instanceof LoadBalancerSettingsConsistentHashLBHttpQueryParameterName q
                && q.getHttpQueryParameterName() != null) {
            return new HashPolicy.QueryParameter(q.getHttpQueryParameterName());
        }
        return null;
    }

    /** connectionPool.tcp.connectTimeout, or {@code fallbackMillis}. */
    long connectTimeoutMillis(HostRules rule, Subset subset, int port, long fallbackMillis) {
        ConnectionPoolSettings pool = lookup(rule, subset, port, TrafficPolicy::getConnectionPool,
                TrafficPolicyPortTrafficPolicy::getConnectionPool);
        if (pool == null || pool.getTcp() == null || pool.getTcp().getConnectTimeout() == null) {
            return fallbackMillis;
        }
        return Math.max(1, Durations.parse(pool.getTcp().getConnectTimeout()).toMillis());
    }

    /** Adds a warning once (several clusters share a rule). */
    private void warn(String warning) {
        if (!warnings.contains(warning)) {
            warnings.add(warning);
        }
    }

    /**
     * The circuit breakers and connection settings of a cluster: Istio's thresholds (2^32-1)
     * where the rule gives no positive value. What is not applied is a warning.
     */
    ConnectionLimits connectionLimits(HostRules rule, Subset subset, int port) {
        ConnectionPoolSettings pool = lookup(rule, subset, port, TrafficPolicy::getConnectionPool,
                TrafficPolicyPortTrafficPolicy::getConnectionPool);
        if (pool == null) {
            return ConnectionLimits.DEFAULTS;
        }
        long maxConnections = ConnectionLimits.UNLIMITED;
        long maxPending = ConnectionLimits.UNLIMITED;
        int perConnection = 0;
        String idle = null;
        String who = rule.describe() + ": connectionPool.";
        ConnectionPoolSettingsTCPSettings tcp = pool.getTcp();
        if (tcp != null) {
            if (tcp.getMaxConnections() != null && tcp.getMaxConnections() > 0) {
                maxConnections = tcp.getMaxConnections();
            }
            idle = tcp.getIdleTimeout();
            if (tcp.getMaxConnectionDuration() != null) {
                warn(who + "tcp.maxConnectionDuration is not applied (connections live until idle or closed)");
            }
            if (tcp.getTcpKeepalive() != null) {
                warn(who + "tcp.tcpKeepalive is not applied (the system's keepalive settings are used)");
            }
        }
        ConnectionPoolSettingsHTTPSettings http = pool.getHttp();
        if (http != null) {
            if (http.getHttp1MaxPendingRequests() != null && http.getHttp1MaxPendingRequests() > 0) {
                maxPending = http.getHttp1MaxPendingRequests();
            }
            if (http.getMaxRequestsPerConnection() != null && http.getMaxRequestsPerConnection() > 0) {
                perConnection = http.getMaxRequestsPerConnection();
            }
            if (http.getIdleTimeout() != null) {
                idle = http.getIdleTimeout();
            }
            if (http.getHttp2MaxRequests() != null && http.getHttp2MaxRequests() > 0) {
                warn(who + "http.http2MaxRequests is not applied (upstreams are spoken to in HTTP/1.1, where "
                        + "Envoy does not apply it either)");
            }
            if (http.getMaxRetries() != null && http.getMaxRetries() > 0) {
                warn(who + "http.maxRetries is not applied");
            }
            if (http.getMaxConcurrentStreams() != null && http.getMaxConcurrentStreams() > 0) {
                warn(who + "http.maxConcurrentStreams is not applied (HTTP/1.1 upstreams)");
            }
            if (http.getH2UpgradePolicy() != null
                    && http.getH2UpgradePolicy() == ConnectionPoolSettingsHTTPSettingsH2UpgradePolicy.UPGRADE) {
                warn(who + "http.h2UpgradePolicy UPGRADE is not applied (upstreams are spoken to in HTTP/1.1)");
            }
            if (Boolean.TRUE.equals(http.getUseClientProtocol())) {
                warn(who + "http.useClientProtocol is not applied (upstreams are spoken to in HTTP/1.1)");
            }
        }
        long idleMillis = idle == null ? 0 : Math.max(1, Durations.parse(idle).toMillis());
        return new ConnectionLimits(maxConnections, maxPending, perConnection, idleMillis);
    }

    /** The outlier detection of a cluster, with Istio's defaults; null when no rule asks for it. */
    OutlierPolicy outlierPolicy(HostRules rule, Subset subset, int port) {
        OutlierDetection od = lookup(rule, subset, port, TrafficPolicy::getOutlierDetection,
                TrafficPolicyPortTrafficPolicy::getOutlierDetection);
        if (od == null) {
            return null;
        }
        String who = rule.describe() + ": outlierDetection.";
        if (od.getConsecutiveErrors() != null) {
            warn(who + "consecutiveErrors is deprecated and not applied, as in Istio; use consecutive5xxErrors");
        }
        if (Boolean.TRUE.equals(od.getSplitExternalLocalOriginErrors()) || od.getConsecutiveLocalOriginFailures() != null) {
            warn(who + "splitExternalLocalOriginErrors is not applied: connect failures and resets count as 503s");
        }
        int c5xx = od.getConsecutive5xxErrors() != null ? Math.max(0, od.getConsecutive5xxErrors())
                : OutlierPolicy.DEFAULT_CONSECUTIVE_5XX;
        int cGateway = od.getConsecutiveGatewayErrors() != null ? Math.max(0, od.getConsecutiveGatewayErrors()) : 0;
        long interval = od.getInterval() != null ? Math.max(1, Durations.parse(od.getInterval()).toMillis())
                : OutlierPolicy.DEFAULT_INTERVAL_MILLIS;
        long base = od.getBaseEjectionTime() != null ? Math.max(1, Durations.parse(od.getBaseEjectionTime()).toMillis())
                : OutlierPolicy.DEFAULT_BASE_EJECTION_MILLIS;
        int maxPercent = od.getMaxEjectionPercent() != null && od.getMaxEjectionPercent() > 0
                ? Math.min(100, od.getMaxEjectionPercent()) : OutlierPolicy.DEFAULT_MAX_EJECTION_PERCENT;
        int minHealth = od.getMinHealthPercent() != null ? Math.max(0, Math.min(100, od.getMinHealthPercent())) : 0;
        return new OutlierPolicy(c5xx, cGateway, interval, base, OutlierPolicy.DEFAULT_MAX_EJECTION_MILLIS,
                maxPercent, minHealth);
    }

    /** The TLS origination of a cluster: none (plaintext), settings, or why it cannot be had. */
    record TlsDecision(UpstreamTls tls, String refusal) {
        static final TlsDecision PLAINTEXT = new TlsDecision(null, null);
    }

    TlsDecision tls(HostRules rule, Subset subset, int port, String host) {
        ClientTLSSettings settings = lookup(rule, subset, port, TrafficPolicy::getTls, TrafficPolicyPortTrafficPolicy::getTls);
        if (settings == null || settings.getMode() == null || settings.getMode() == ClientTLSSettingsTLSmode.DISABLE) {
            return TlsDecision.PLAINTEXT;
        }
        try {
            return new TlsDecision(UpstreamTlsBuilder.build(settings, host,
                    note -> warn(rule.describe() + ": tls: " + note)), null);
        } catch (UpstreamTlsBuilder.TlsUnavailable e) {
            String why = rule.describe() + ": tls.mode " + settings.getMode().name() + ": " + e.getMessage();
            warn(why + "; the cluster is not served (503 NC), never as plaintext");
            return new TlsDecision(null, why);
        }
    }

    /** What a rule's loadBalancer asks that is not applied here. */
    void warnUnappliedBalancing(HostRules rule, Subset subset, int port) {
        LoadBalancerSettings settings = lookup(rule, subset, port, TrafficPolicy::getLoadBalancer,
                TrafficPolicyPortTrafficPolicy::getLoadBalancer);
        if (settings != null && settings.getLocalityLbSetting() != null) {
            warn(rule.describe() + ": loadBalancer.localityLbSetting is accepted but not applied "
                    + "(all endpoints of this gateway are in one locality)");
        }
        for (TrafficPolicy level : levels(rule, subset)) {
            if (level.getTunnel() != null) {
                warn(rule.describe() + ": trafficPolicy.tunnel is not applied");
            }
            if (level.getProxyProtocol() != null) {
                warn(rule.describe() + ": trafficPolicy.proxyProtocol is not applied (no PROXY header is sent upstream)");
            }
            if (level.getRetryBudget() != null) {
                warn(rule.describe() + ": trafficPolicy.retryBudget is not applied");
            }
        }
    }

    private static List<TrafficPolicy> levels(HostRules rule, Subset subset) {
        List<TrafficPolicy> levels = new ArrayList<>(2);
        if (rule == null) {
            return levels;
        }
        if (subset != null && subset.getTrafficPolicy() != null) {
            levels.add(subset.getTrafficPolicy());
        }
        if (rule.trafficPolicy() != null) {
            levels.add(rule.trafficPolicy());
        }
        return levels;
    }

    /**
     * A field of the policy that applies: the subset's policy over the rule's. At each level, a
     * portLevelSettings entry for the port replaces the level's own settings entirely; fields it
     * omits take their defaults, not the level's values (Istio's documented semantics).
     */
    private static <T> T lookup(HostRules rule, Subset subset, int port,
            Function<TrafficPolicy, T> field, Function<TrafficPolicyPortTrafficPolicy, T> portField) {
        if (rule == null) {
            return null;
        }
        List<TrafficPolicy> levels = new ArrayList<>(2);
        if (subset != null && subset.getTrafficPolicy() != null) {
            levels.add(subset.getTrafficPolicy());
        }
        if (rule.trafficPolicy() != null) {
            levels.add(rule.trafficPolicy());
        }
        for (TrafficPolicy level : levels) {
            for (TrafficPolicyPortTrafficPolicy pl : level.getPortLevelSettings()) {
                if (pl.getPort() != null && pl.getPort().getNumber() != null && pl.getPort().getNumber() == port) {
                    return portField.apply(pl);
                }
            }
            T value = field.apply(level);
            if (value != null) {
                return value;
            }
        }
        return null;
    }
}
