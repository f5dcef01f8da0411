package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An Envoy cluster as Istio builds them: one service host, port and subset, named
 * {@code outbound|80|v1|app.default.svc.cluster.local}, with its endpoints and policy.
 * A cluster that a route names but that cannot exist (unknown host, undefined subset) is
 * {@linkplain #defined() undefined}: requests to it get 503 NC, as in Envoy.
 */
public final class Cluster {

    private final String name;
    private final String host;
    private final int port;
    private final String subset;
    private final String undefinedReason;
    private final Endpoint[] endpoints;
    private final LoadBalancer loadBalancer;
    private final long connectTimeoutMillis;
    private final ClusterStats stats;
    private final ConnectionLimits limits;
    private final UpstreamTls tls;
    private final OutlierDetector outlier;

    private Cluster(String name, String host, int port, String subset, String undefinedReason,
            List<Endpoint> endpoints, LoadBalancer loadBalancer, long connectTimeoutMillis, ClusterStats stats,
            ConnectionLimits limits, UpstreamTls tls, OutlierPolicy outlierPolicy) {
        this.name = requireNonNull(name, "name");
        this.host = requireNonNull(host, "host");
        this.port = port;
        this.subset = subset == null ? "" : subset;
        this.undefinedReason = undefinedReason;
        this.endpoints = endpoints.toArray(new Endpoint[0]);
        this.loadBalancer = requireNonNull(loadBalancer, "loadBalancer");
        if (connectTimeoutMillis <= 0) {
            throw new IllegalArgumentException("connectTimeoutMillis: " + connectTimeoutMillis + " (expected: > 0)");
        }
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.stats = requireNonNull(stats, "stats");
        this.limits = requireNonNull(limits, "limits");
        this.tls = tls;
        this.outlier = outlierPolicy == null ? null
                : new OutlierDetector(outlierPolicy, endpoints, stats, System::nanoTime);
    }

    public static Cluster of(String host, int port, String subset, List<Endpoint> endpoints,
            LoadBalancer loadBalancer, long connectTimeoutMillis, ClusterStats stats) {
        return new Cluster(name(host, port, subset), host, port, subset, null, endpoints, loadBalancer,
                connectTimeoutMillis, stats, ConnectionLimits.DEFAULTS, null, null);
    }

    /**
     * A cluster with DestinationRule traffic policy.
     *
     * @param tls null for plaintext
     * @param outlierPolicy null when the rule has no outlierDetection
     */
    public static Cluster of(String host, int port, String subset, List<Endpoint> endpoints,
            LoadBalancer loadBalancer, long connectTimeoutMillis, ClusterStats stats, ConnectionLimits limits,
            UpstreamTls tls, OutlierPolicy outlierPolicy) {
        return new Cluster(name(host, port, subset), host, port, subset, null, endpoints, loadBalancer,
                connectTimeoutMillis, stats, limits, tls, outlierPolicy);
    }

    public static Cluster undefined(String host, int port, String subset, String reason, ClusterStats stats) {
        return new Cluster(name(host, port, subset), host, port, subset, requireNonNull(reason, "reason"),
                List.of(), new LoadBalancers.Random(), 1, stats, ConnectionLimits.DEFAULTS, null, null);
    }

    /** Envoy's cluster name in Istio: {@code outbound|<port>|<subset>|<host>}. */
    public static String name(String host, int port, String subset) {
        return "outbound|" + port + "|" + (subset == null ? "" : subset) + "|" + host;
    }

    /**
     * The endpoint for one request, or null when the cluster has none, or none that outlier
     * detection has left in service (503 UH "no healthy upstream").
     */
    public Endpoint pick(RequestView request, LoadBalancer.Context context) {
        Endpoint[] eps = endpoints;
        if (outlier != null) {
            Endpoint[] available = outlier.available();
            if (available.length == 0) {
                return null;
            }
            if (available.length != eps.length && loadBalancer instanceof LoadBalancers.ConsistentHash) {
                // the ring is built over all endpoints: a key whose endpoint is ejected goes to
                // another one, keys of endpoints in service stay where they are
                Endpoint e = loadBalancer.pick(eps, request, context);
                return outlier.isEjected(e) ? available[context.random().nextInt(available.length)] : e;
            }
            eps = available;
        }
        if (eps.length == 0) {
            return null;
        }
        return loadBalancer.pick(eps, request, context);
    }

    /** The circuit breakers and connection settings (Istio's defaults unless a rule says otherwise). */
    public ConnectionLimits limits() {
        return limits;
    }

    /** How connections are secured; null for plaintext. */
    public UpstreamTls tls() {
        return tls;
    }

    /** Outlier detection, or null when no DestinationRule asks for it. */
    public OutlierDetector outlier() {
        return outlier;
    }

    /** Reports one attempt's result on {@code endpoint} to outlier detection, if any. */
    public void reportAttempt(Endpoint endpoint, int status) {
        OutlierDetector o = outlier;
        if (o != null && endpoint != null) {
            o.report(endpoint, status);
        }
    }

    public String name() {
        return name;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** The subset name, "" for none. */
    public String subset() {
        return subset;
    }

    /** False when a route names this cluster but it does not exist; see {@link #undefinedReason()}. */
    public boolean defined() {
        return undefinedReason == null;
    }

    public String undefinedReason() {
        return undefinedReason;
    }

    public List<Endpoint> endpoints() {
        return List.of(endpoints);
    }

    public LoadBalancer loadBalancer() {
        return loadBalancer;
    }

    public long connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    public ClusterStats stats() {
        return stats;
    }

    @Override
    public String toString() {
        return name;
    }
}
