package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.routing.RoutingTableHolder;

/** What every connection handler shares: the current table, upstream connections, metrics, access log, randomness. */
record ProxyContext(RoutingTableHolder tables, UpstreamConnector connector, ProxyMetrics metrics, AccessLog accessLog,
        RandomSource random, EdgeLimits limits, DrainState drain) {

    ProxyContext(RoutingTableHolder tables, UpstreamConnector connector, ProxyMetrics metrics, AccessLog accessLog,
            RandomSource random) {
        this(tables, connector, metrics, accessLog, random, EdgeLimits.DEFAULTS, new DrainState());
    }

    ProxyContext {
        requireNonNull(tables, "tables");
        requireNonNull(connector, "connector");
        requireNonNull(metrics, "metrics");
        requireNonNull(accessLog, "accessLog");
        requireNonNull(random, "random");
        requireNonNull(limits, "limits");
        requireNonNull(drain, "drain");
    }
}
