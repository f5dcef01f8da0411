package dev.meshbed.gateway.proxy;

import static java.util.Objects.requireNonNull;

import dev.meshbed.gateway.routing.Cluster;
import dev.meshbed.gateway.routing.ClusterStats;
import dev.meshbed.gateway.routing.ConnectionLimits;
import dev.meshbed.gateway.routing.Endpoint;
import dev.meshbed.gateway.routing.UpstreamTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;

/**
 * Keep-alive upstream connections, pooled per event loop and per (cluster, endpoint, TLS settings)
 * as Envoy pools per worker and per cluster: a downstream connection's requests go out on
 * connections of its own event loop, so no connection ever crosses threads and the pool needs no
 * lock. Idle connections keep a read pending so that a peer's close is noticed, and are closed
 * after the cluster's {@code idleTimeout} (else the gateway's).
 *
 * <p>Circuit breaking, as Envoy's HTTP/1.1 pool does it: a request that finds no idle connection
 * waits as a pending request (at most {@code http1MaxPendingRequests} per cluster, more get 503
 * UO) while a connection is made for it, unless the cluster has {@code maxConnections} open
 * (counted {@code upstream_cx_overflow}); then it waits for one of this loop's connections to be
 * released. The limits are per cluster like Envoy's, so the counts are shared by every event
 * loop: one {@link AtomicLong} each per cluster name, kept across routing tables so that a reload
 * neither forgets open connections nor lets twice as many open. As in Envoy (whose workers pool
 * separately too), a loop with no connection for the cluster may always open one, so a request
 * is never queued behind connections of another thread that it could never use. A connection
 * that has served {@code maxRequestsPerConnection} requests is closed instead of reused.
 */
final class UpstreamPools implements UpstreamConnector {

    static final int MAX_IDLE_PER_ENDPOINT = 256;

    private final Transport transport;
    private final ProxyMetrics metrics;
    private final long idleTimeoutMillis;
    private final FastThreadLocal<Pool> pools = new FastThreadLocal<>();
    private final ConcurrentMap<String, Breaker> breakers = new ConcurrentHashMap<>();

    UpstreamPools(Transport transport, ProxyMetrics metrics, long idleTimeoutMillis) {
        this.transport = requireNonNull(transport, "transport");
        this.metrics = requireNonNull(metrics, "metrics");
        this.idleTimeoutMillis = idleTimeoutMillis;
    }

    /** Without a cluster: default limits, plaintext, pooled by address alone. */
    @Override
    public void acquire(EventLoop loop, InetSocketAddress address, long connectTimeoutMillis, boolean fresh,
            Callback callback) {
        pool(loop).acquire(new Key("", address, null), ConnectionLimits.DEFAULTS, ClusterStats.NOOP,
                connectTimeoutMillis, fresh, callback);
    }

    @Override
    public void acquire(EventLoop loop, Cluster cluster, Endpoint endpoint, boolean fresh, Callback callback) {
        pool(loop).acquire(new Key(cluster.name(), endpoint.address(), cluster.tls()), cluster.limits(),
                cluster.stats(), cluster.connectTimeoutMillis(), fresh, callback);
    }

    @Override
    public void release(Channel channel) {
        pool(channel.eventLoop()).release(channel);
    }

    /** Connections open (or being opened) to the cluster named, on all event loops. */
    long openConnections(String clusterName) {
        Breaker b = breakers.get(clusterName);
        return b == null ? 0 : b.connections.get();
    }

    /** Requests of the cluster named waiting for a connection, on all event loops. */
    long pendingRequests(String clusterName) {
        Breaker b = breakers.get(clusterName);
        return b == null ? 0 : b.pending.get();
    }

    private Pool pool(EventLoop loop) {
        assert loop.inEventLoop();
        Pool p = pools.getIfExists();
        if (p == null) {
            p = new Pool(loop);
            pools.set(p);
        }
        return p;
    }

    /** Where a connection belongs: connections are reused only for the same cluster, endpoint and TLS. */
    private record Key(String cluster, InetSocketAddress address, UpstreamTls tls) {
    }

    /** A cluster's counts across event loops. */
    private static final class Breaker {
        final AtomicLong connections = new AtomicLong();
        final AtomicLong pending = new AtomicLong();
    }

    /** A request waiting for a connection. */
    private record Waiter(Callback callback, long connectTimeoutMillis) {
    }

    /** One key's connections on one event loop. */
    private static final class Slot {
        final Key key;
        final Breaker breaker;
        final ArrayDeque<Channel> idle = new ArrayDeque<>();
        final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
        ConnectionLimits limits;
        ClusterStats stats;
        int open;
        int connecting;

        Slot(Key key, Breaker breaker) {
            this.key = key;
            this.breaker = breaker;
        }
    }

    private final class Pool implements UpstreamHandler.IdleListener {
        private final Map<Key, Slot> slots = new HashMap<>();
        private final Bootstrap bootstrap;

        Pool(EventLoop loop) {
            bootstrap = new Bootstrap()
                    .group(loop)
                    .channel(transport.socketChannel())
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true);
            long sweep = Math.max(1000, idleTimeoutMillis / 2);
            loop.scheduleWithFixedDelay(this::closeExpired, sweep, sweep, TimeUnit.MILLISECONDS);
        }

        void acquire(Key key, ConnectionLimits limits, ClusterStats stats, long connectTimeoutMillis, boolean fresh,
                Callback callback) {
            Slot slot = slots.get(key);
            if (slot == null) {
                slot = new Slot(key, breakers.computeIfAbsent(key.cluster(), k -> new Breaker()));
                slots.put(key, slot);
            }
            slot.limits = limits; // the newest table's
            slot.stats = stats;
            if (!fresh) {
                while (!slot.idle.isEmpty()) {
                    Channel ch = slot.idle.pollLast(); // most recently used: warmest, least likely to be closed by the peer
                    if (ch.isActive()) {
                        ch.pipeline().get(UpstreamHandler.class).requestStarted();
                        callback.upstreamReady(ch, true);
                        return;
                    }
                }
            }
            if (slot.breaker.pending.get() >= limits.maxPendingRequests()) {
                dropAbandoned(slot); // requests answered while they waited (timeouts) count no longer
            }
            if (slot.breaker.pending.get() >= limits.maxPendingRequests()) {
                stats.pendingOverflow();
                callback.upstreamFailed(UpstreamRefusal.OVERFLOW);
                return;
            }
            slot.breaker.pending.incrementAndGet();
            slot.waiting.add(new Waiter(callback, connectTimeoutMillis));
            connectForWaiters(slot);
        }

        /** Opens a connection when a waiter has none coming and the circuit breaker allows it. */
        private void connectForWaiters(Slot slot) {
            if (slot.waiting.size() <= slot.connecting) {
                return;
            }
            if (slot.breaker.connections.get() >= slot.limits.maxConnections() && slot.open > 0) {
                slot.stats.connectionOverflow(); // waits for one of this loop's connections
                return;
            }
            connect(slot, slot.waiting.peekFirst().connectTimeoutMillis());
        }

        private void connect(Slot slot, long connectTimeoutMillis) {
            Key key = slot.key;
            slot.open++;
            slot.connecting++;
            slot.breaker.connections.incrementAndGet();
            long idleNanos = TimeUnit.MILLISECONDS.toNanos(slot.limits.idleTimeoutMillis());
            ChannelFuture f = bootstrap.clone()
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (key.tls() != null) {
                                SslHandler ssl = key.tls().newHandler(ch.alloc(), key.address().getPort());
                                // Envoy's connect_timeout covers the TLS handshake too
                                ssl.setHandshakeTimeoutMillis(connectTimeoutMillis);
                                ch.pipeline().addLast(ssl);
                            }
                            ch.pipeline().addLast(new HttpClientCodec(new HttpDecoderConfig()
                                    .setMaxInitialLineLength(8192)
                                    .setMaxHeaderSize(64 * 1024)
                                    .setMaxChunkSize(64 * 1024), false, false));
                            UpstreamHandler h = new UpstreamHandler(Pool.this, metrics);
                            h.poolKey(key.address());
                            h.slot(slot);
                            h.idleTimeoutNanos(idleNanos);
                            ch.pipeline().addLast(h);
                        }
                    })
                    .connect(key.address());
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    connectFailed(slot, f.channel(), done.cause());
                    return;
                }
                SslHandler ssl = f.channel().pipeline().get(SslHandler.class);
                if (ssl == null) {
                    connected(slot, f.channel());
                    return;
                }
                ssl.handshakeFuture().addListener(hs -> {
                    String problem = hs.isSuccess() ? checkNames(key.tls(), ssl) : tlsReason(hs.cause());
                    if (problem == null) {
                        connected(slot, f.channel());
                    } else {
                        slot.connecting--;
                        f.channel().close(); // its close gives back the count
                        failHead(slot, UpstreamRefusal.tls(problem));
                    }
                });
            });
        }

        private void connected(Slot slot, Channel ch) {
            slot.connecting--;
            if (!ch.isActive()) {
                connectForWaiters(slot);
                return;
            }
            handOver(slot, ch, false);
        }

        private void connectFailed(Slot slot, Channel ch, Throwable cause) {
            slot.connecting--;
            UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
            if (h == null || h.slot() != null) {
                // never active, so no close will give the count back
                if (h != null) {
                    h.slot(null);
                }
                slot.open--;
                slot.breaker.connections.decrementAndGet();
            }
            failHead(slot, cause);
        }

        private void failHead(Slot slot, Throwable cause) {
            Waiter w = slot.waiting.pollFirst();
            if (w != null) {
                slot.breaker.pending.decrementAndGet();
                w.callback().upstreamFailed(cause);
            }
            connectForWaiters(slot);
        }

        /** Takes the waiters that no longer want a connection off this loop's queue. */
        private void dropAbandoned(Slot slot) {
            for (Iterator<Waiter> it = slot.waiting.iterator(); it.hasNext(); ) {
                if (it.next().callback().abandoned()) {
                    it.remove();
                    slot.breaker.pending.decrementAndGet();
                }
            }
        }

        /** Gives {@code ch} to the first waiter that still wants one, or keeps it idle. */
        private void handOver(Slot slot, Channel ch, boolean reused) {
            Waiter w = slot.waiting.pollFirst();
            while (w != null && w.callback().abandoned()) {
                slot.breaker.pending.decrementAndGet();
                w = slot.waiting.pollFirst();
            }
            if (w == null) {
                keepIdle(slot, ch);
                return;
            }
            slot.breaker.pending.decrementAndGet();
            ch.pipeline().get(UpstreamHandler.class).requestStarted();
            w.callback().upstreamReady(ch, reused);
        }

        void release(Channel ch) {
            if (!ch.isActive()) {
                return;
            }
            UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
            Slot slot = h.slot() instanceof Slot s ? s : null;
            if (slot == null) {
                ch.close();
                return;
            }
            int max = slot.limits.maxRequestsPerConnection();
            if (max > 0 && h.requests() >= max) {
                ch.close(); // its close opens one for a waiter, if any
                return;
            }
            handOver(slot, ch, true);
        }

        private void keepIdle(Slot slot, Channel ch) {
            if (slot.idle.size() >= MAX_IDLE_PER_ENDPOINT) {
                ch.close();
                return;
            }
            slot.idle.addLast(ch);
            ch.read(); // notice the peer closing it while it waits
        }

        @Override
        public void idleClosed(Channel ch) {
            UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
            if (h != null && h.slot() instanceof Slot slot) {
                slot.idle.remove(ch);
            }
        }

        @Override
        public void closed(Channel ch) {
            UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
            if (h != null && h.slot() instanceof Slot slot) {
                h.slot(null);
                slot.open--;
                slot.breaker.connections.decrementAndGet();
                connectForWaiters(slot);
            }
        }

        private void closeExpired() {
            long now = System.nanoTime();
            long defaultLimit = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMillis);
            for (Iterator<Slot> slotIt = slots.values().iterator(); slotIt.hasNext(); ) {
                Slot slot = slotIt.next();
                for (Iterator<Channel> it = slot.idle.iterator(); it.hasNext(); ) {
                    Channel ch = it.next();
                    UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
                    long limit = h == null || h.idleTimeoutNanos() == 0 ? defaultLimit : h.idleTimeoutNanos();
                    if (h == null || now - h.idleSinceNanos() > limit) {
                        it.remove();
                        ch.close();
                    }
                }
                if (slot.open == 0 && slot.waiting.isEmpty()) {
                    slotIt.remove(); // a key of an old table, or one unused: nothing to keep
                }
            }
        }
    }

    /** Envoy's way of naming a failed handshake: the TLS library's reason. */
    private static String tlsReason(Throwable cause) {
        Throwable t = cause;
        while (t != null && !(t instanceof SSLException) && t.getCause() != null) {
            t = t.getCause();
        }
        String message = t == null ? null : t.getMessage();
        return message == null ? String.valueOf(cause) : message;
    }

    private static String checkNames(UpstreamTls tls, SslHandler ssl) {
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                return "CERTIFICATE_VERIFY_FAILED: no X.509 certificate from the upstream";
            }
            return tls.verifyNames(leaf);
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return "CERTIFICATE_VERIFY_FAILED: " + e.getMessage();
        }
    }
}
