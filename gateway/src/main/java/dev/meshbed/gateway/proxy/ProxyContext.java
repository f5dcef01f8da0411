package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.routing.RandomSource;
import dev.meshbed.gateway.routing.RoutingTableHolder;

/** What every connection handler shares: the current table, upstream connections, metrics, access log, randomness. */
record ProxyContext(RoutingTableHolder tables, UpstreamConnector connector, ProxyMetrics metrics, AccessLog accessLog,
        RandomSource random) {

    ProxyContext {
        requireNonNull(tables, "tables");
        requireNonNull(connector, "connector");
        requireNonNull(metrics, "metrics");
        requireNonNull(accessLog, "accessLog");
        requireNonNull(random, "random");
    }
}
